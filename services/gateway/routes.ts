/**
 * The gateway's routes: REST aliases to the services' actions, streamed uploads and predictions
 * (their bodies go to the services unparsed), and the Prometheus text at /metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Service } from 'moleculer';
import { MAX_JSON_REQUEST_BYTES } from '../../lib/limits';
import { checkJsonDepth } from '../../lib/util/json-guard';
import { refuseUnknownKeys } from '../mixins/unknown-keys';
import { evaluateFileRoute, predictCsvRoute, predictJsonRoute } from './predict-http';
import { parseImportOptions, streamUpload } from './upload';
import { ROUTE_MATCHING } from './request-target';

type GatewayRequest = IncomingMessage & { $ctx: Context; $params: Record<string, string>; $service: Service };
/** The gateway service as route handlers see it (moleculer-web's methods). */
type ApiThis = Service & {
  sendResponse(req: IncomingMessage, res: ServerResponse, data: unknown): void;
  sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void;
};

/**
 * Before an action is called: unknown keys (query, body) are refused against the action's declared
 * params, not ignored; the caller's role (set by the access guard) travels in `ctx.meta.role`, for
 * the actions whose effect depends on it (a training job's right to take over a model name).
 */
function beforeCall(
  ctx: Context<unknown, { role?: string }>,
  _route: unknown,
  req: GatewayRequest & { originalUrl?: string; $role?: string; $action?: { params?: Record<string, unknown> } },
): void {
  if (req.$action) refuseUnknownKeys(req.$action.params, req.$params, `${req.method} ${(req.originalUrl ?? req.url ?? '').split('?')[0]}`);
  ctx.meta.role = req.$role;
}

export function gatewayRoutes(): unknown[] {
  return [
    {
      name: 'api',
      path: '/api',
      mappingPolicy: 'restrict',
      autoAliases: false,
      pathToRegexpOptions: ROUTE_MATCHING,
      onBeforeCall: beforeCall,
      bodyParsers: {
        // The depth and prototype-key checks run over the raw bytes before JSON.parse (lib/util/json-guard.ts).
        json: { strict: true, limit: MAX_JSON_REQUEST_BYTES, verify: (_req: IncomingMessage, _res: ServerResponse, buf: Buffer) => checkJsonDepth(buf) },
        urlencoded: false,
      },
      aliases: {
        'GET health': 'api.health',
        'GET cluster': 'api.cluster',
        'GET events': 'api.events',

        'POST datasets'(this: ApiThis, req: GatewayRequest, res: ServerResponse) {
          streamUpload(this, req, res, 'coordinator.upload');
        },
        'POST datasets/ingest': 'coordinator.ingest',
        'GET files': 'coordinator.files',
        'GET options': 'coordinator.options',
        'GET datasets': 'coordinator.datasets',
        'GET datasets/:id': 'coordinator.dataset',
        'DELETE datasets/:id': 'coordinator.removeDataset',

        'POST trainings': 'coordinator.train',
        'GET trainings': 'coordinator.jobs',
        'GET trainings/:id': 'coordinator.job',
        'DELETE trainings/:id': 'coordinator.cancel',

        'GET models': 'registry.list',
        'GET models/active': 'registry.active',
        'GET models/activations': 'registry.activations',
        'POST models/import'(this: ApiThis, req: GatewayRequest, res: ServerResponse) {
          streamUpload(this, req, res, 'registry.import', { parse: parseImportOptions, location: (v) => `/api/models/${encodeURIComponent(v.id ?? '')}` });
        },
        'GET models/:version': 'registry.get',
        'GET models/:version/metrics': 'api.metrics',
        'GET models/:version/export': 'registry.export',
        'POST models/:version/activate': 'registry.activate',
        'DELETE models/:version': 'registry.remove',
      },
    },
    {
      // Prometheus text of every node's metrics (role read once keys exist).
      name: 'metrics',
      path: '/metrics',
      mappingPolicy: 'restrict',
      autoAliases: false,
      pathToRegexpOptions: ROUTE_MATCHING,
      bodyParsers: false,
      onBeforeCall: beforeCall,
      aliases: { 'GET /': 'api.prometheus' },
    },
    {
      // Predictions and evaluations whose bodies stream to the inference service unparsed.
      name: 'api-streams',
      path: '/api',
      mappingPolicy: 'restrict',
      autoAliases: false,
      pathToRegexpOptions: ROUTE_MATCHING,
      bodyParsers: false,
      aliases: {
        'POST predict'(this: ApiThis, req: GatewayRequest, res: ServerResponse) {
          predictJsonRoute(this, req, res);
        },
        'POST predict/csv'(this: ApiThis, req: GatewayRequest, res: ServerResponse) {
          predictCsvRoute(this, req, res);
        },
        'POST models/:version/evaluate'(this: ApiThis, req: GatewayRequest, res: ServerResponse) {
          evaluateFileRoute(this, req, res);
        },
      },
    },
  ];
}
