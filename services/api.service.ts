/**
 * api: the HTTP gateway (moleculer-web). REST under /api, the dashboard under /, CSV uploads
 * streamed straight into the coordinator (multipart or a raw body, never buffered whole).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import ApiGateway from 'moleculer-web';
import { QuorumError } from '../lib/errors';
import type { VersionMeta } from '../lib/registry/version';
import { quorumConfig } from './ports/config';
import { QuorumErrors } from './mixins/errors';
import { RestartGuard } from './mixins/restart-guard';
import { httpError, writeHttpError } from './gateway/http-errors';
import { clusterView } from './gateway/cluster-view';
import { eventStream, publish } from './gateway/event-stream';
import { projectRoot } from './gateway/paths';
import { guardOrigin } from './gateway/origin-guard';
import { listenOrFail } from '../lib/util/port-check';
import { notReady } from './gateway/readiness';
import { AccessGuard } from './gateway/access-guard';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus, type MetricList, type NodeMetrics } from '../lib/ops/prometheus';
import { gatewayRoutes } from './gateway/routes';
import { requestTarget, staticPaths, type AliasResolver } from './gateway/request-target';
import { securityHeaders } from './gateway/security-headers';
import { isReadable, sendStream, type AnsweredRequest } from './gateway/stream-answer';

type ApiThis = Service & {
  server: import('node:http').Server;
  sendResponse(req: IncomingMessage, res: ServerResponse, data: unknown): void;
  sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void;
  url(): string;
  access: AccessGuard;
  staticFiles: Set<string>;
  resolveAlias: AliasResolver['resolveAlias'];
  reloadKeys?: () => void;
};

const ApiService: ServiceSchema<ServiceSettingSchema, ApiThis> = {
  name: 'api',
  mixins: [ApiGateway, QuorumErrors, RestartGuard],

  settings: {
    // The server is created and listened here (created/started below), not by moleculer-web, so a
    // port in use fails the start instead of being only logged.
    server: false,
    port: 3000,
    ip: '127.0.0.1',
    log4XXResponses: false,
    // moleculer-web logs three lines per request at 'info' by default: at thousands of requests
    // a second that is a large share of the gateway's CPU (LOGLEVEL=debug shows them again).
    logRequest: 'debug',
    logResponse: 'debug',
    logRequestParams: null,
    logResponseData: null,
    routes: gatewayRoutes(),
    onError(this: ApiThis, req: IncomingMessage, res: ServerResponse, err: unknown) {
      if (httpError(err).status >= 500) this.logger.error(`${req.method} ${req.url}:`, err);
      writeHttpError(req, res, err);
    },
    assets: { folder: path.join(projectRoot(), 'public'), options: { index: 'index.html' } },
  },

  actions: {
    health: {
      handler(this: ApiThis) {
        return { status: 'ok', node: this.broker.nodeID, uptime: Math.round(process.uptime()) };
      },
    },

    cluster: {
      async handler(this: ApiThis, ctx: Context) {
        return clusterView(this.broker, ctx);
      },
    },

    /** Server-sent events: job progress, activations and nodes joining or leaving, live. */
    events: {
      handler(this: ApiThis, ctx: Context<unknown, { $responseType?: string; $responseHeaders?: Record<string, string> }>) {
        ctx.meta.$responseType = 'text/event-stream';
        ctx.meta.$responseHeaders = { 'Cache-Control': 'no-cache', Connection: 'keep-alive' };
        return eventStream(this.broker);
      },
    },

    /**
     * Every reachable node's metrics (`$node.metrics`), as one Prometheus text page; each sample
     * carries its node. A node that does not answer within 2 s is left out and counted.
     */
    prometheus: {
      async handler(this: ApiThis, ctx: Context<unknown, { $responseType?: string }>) {
        if (!this.broker.metrics.isEnabled()) throw new QuorumError('NOT_FOUND', 'metrics are off on this node (METRICS=off): set METRICS=on to serve them');
        const nodes = (this.broker.registry as unknown as { getNodeList(o: object): { id: string }[] })
          .getNodeList({ onlyAvailable: true, withServices: false })
          .map((n) => n.id);
        const lists = await Promise.all(
          nodes.map((nodeID) =>
            ctx
              .call<MetricList[], Record<string, never>>('$node.metrics', {}, { nodeID, timeout: 2000, retries: 0 })
              .then((metrics) => ({ nodeID, metrics }))
              .catch(() => null),
          ),
        );
        const answered = lists.filter((l): l is NodeMetrics => l !== null);
        const scrape: MetricList = {
          type: 'gauge',
          name: 'quorum.scrape.nodes',
          description: 'Nodes asked for their metrics by this scrape, by whether they answered',
          values: [
            { labels: { answered: 'true' }, value: answered.length },
            { labels: { answered: 'false' }, value: nodes.length - answered.length },
          ],
        };
        ctx.meta.$responseType = PROMETHEUS_CONTENT_TYPE;
        return renderPrometheus([...answered, { nodeID: this.broker.nodeID, metrics: [scrape] }]);
      },
    },

    /** The evaluation of a version: ensemble report, and each member alone. */
    metrics: {
      params: { version: 'string' },
      async handler(this: ApiThis, ctx: Context<{ version: string }>) {
        const v = await ctx.call<VersionMeta, { version: string }>('registry.get', { version: ctx.params.version });
        if (!v.report) throw new QuorumError('VERSION_NOT_READY', `version '${v.id}' has no evaluation yet (status ${v.status})`);
        return {
          version: v.id,
          name: v.name,
          task: v.task,
          target: v.target,
          classes: v.classes,
          voting: v.voting,
          validationRows: v.validation?.rows ?? v.report.rows,
          crossNode: v.crossNode,
          derivedFrom: v.derivedFrom,
          metrics: v.metrics,
          report: v.report,
          members: v.members.map((m) => ({
            id: m.id,
            kind: m.kind,
            shard: m.shard,
            rows: m.rows,
            node: m.node,
            fitMs: m.fitMs,
            metrics: m.metrics,
            weight: m.weight,
            summary: m.summary,
            curve: m.curve,
            ...(m.baseline ? { baseline: true } : {}),
          })),
        };
      },
    },
  },

  events: {
    'training.progress'(this: ApiThis, ctx: Context) {
      publish(this.broker, 'training.progress', ctx.params);
    },
    'job.completed'(this: ApiThis, ctx: Context) {
      publish(this.broker, 'job.completed', ctx.params);
    },
    'job.failed'(this: ApiThis, ctx: Context) {
      publish(this.broker, 'job.failed', ctx.params);
    },
    'model.activated'(this: ApiThis, ctx: Context) {
      publish(this.broker, 'model.activated', ctx.params);
    },
    'dataset.ingested'(this: ApiThis, ctx: Context) {
      publish(this.broker, 'dataset.ingested', ctx.params);
    },
    '$node.connected'(this: ApiThis, ctx: Context<{ node: { id: string } }>) {
      publish(this.broker, 'node.connected', { id: ctx.params.node.id });
    },
    '$node.disconnected'(this: ApiThis, ctx: Context<{ node: { id: string }; unexpected: boolean }>) {
      publish(this.broker, 'node.disconnected', { id: ctx.params.node.id, unexpected: ctx.params.unexpected });
    },
  },

  methods: {
    /**
     * Every request: security headers, the origin guard, then what it addresses is decided once
     * (request-target.ts) and the access guard, readiness and the router all act on that.
     */
    httpHandler(this: ApiThis, req: IncomingMessage, res: ServerResponse, next?: unknown) {
      securityHeaders(res);
      if (guardOrigin(req, res, quorumConfig(this.broker).corsOrigins)) return undefined;
      const target = requestTarget(req, this, this.staticFiles);
      if (this.access.refuse(req, res, target)) return undefined;
      if (notReady(this.broker, req, res)) return undefined;
      if (req.method === 'HEAD' && target.kind === 'route') {
        // Answered as GET (node drops the body of a HEAD answer); an event stream never ends, so its head is written here.
        if (target.key === 'GET events') {
          res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
          res.end();
          return undefined;
        }
        req.method = 'GET';
        (req as AnsweredRequest).$head = true;
      }
      return (ApiGateway.methods as { httpHandler: (this: ApiThis, ...args: unknown[]) => unknown }).httpHandler.call(this, req, res, next);
    },

    /** moleculer-web's answer writer, with streams written by {@link sendStream} (a hang-up never throws). */
    sendResponse(this: ApiThis, req: IncomingMessage, res: ServerResponse, data: unknown) {
      if (isReadable(data)) return sendStream(req, res, data, (msg) => this.logger.debug(msg));
      return (ApiGateway.methods as { sendResponse: (this: ApiThis, ...args: unknown[]) => unknown }).sendResponse.call(this, req, res, data);
    },

    url(this: ApiThis) {
      const address = this.server?.address() as AddressInfo | null;
      const host = this.settings.ip === '0.0.0.0' ? '127.0.0.1' : this.settings.ip;
      return `http://${host}:${address?.port ?? this.settings.port}/`;
    },
  },

  created(this: ApiThis) {
    const config = quorumConfig(this.broker);
    this.settings.port = config.port;
    this.settings.ip = config.host;
    this.access = new AccessGuard(config, this.logger);
    this.staticFiles = staticPaths(this.settings.assets.folder);
    (this as unknown as { createServer(): void }).createServer();
    this.server.on('error', (err) => this.logger.error(`HTTP server error: ${err.message}`));
  },

  async started(this: ApiThis) {
    await listenOrFail(this.server, this.settings.port, this.settings.ip);
    if (quorumConfig(this.broker).apiKeysFile) {
      this.reloadKeys = () => this.access.reload();
      process.on('SIGHUP', this.reloadKeys);
    }
    this.logger.info(`Quorum dashboard and API: ${this.url()}  (API under ${this.url()}api)`);
  },

  stopped(this: ApiThis) {
    if (this.reloadKeys) process.off('SIGHUP', this.reloadKeys);
    if (!this.server.listening) return undefined;
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  },
};

export default ApiService;
