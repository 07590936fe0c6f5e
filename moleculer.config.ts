/**
 * Broker options from the validated Quorum configuration. Heartbeats, timeouts, retries and the
 * circuit breaker are explicit: Moleculer's default request timeout is 0 (wait forever).
 */
import type { BrokerOptions } from 'moleculer';
import { parseConfig, type QuorumConfig } from './lib/config';
import { FreeSlotsStrategy } from './services/strategies/free-slots';
import { StrictKeys } from './services/mixins/unknown-keys';

export function brokerOptions(config: Readonly<QuorumConfig>): BrokerOptions & { quorum: Readonly<QuorumConfig> } {
  return {
    namespace: config.namespace,
    nodeID: config.nodeID,
    transporter: transporterOptions(config),
    // Binary framing (MessagePack): stream chunks (shards, artifacts) travel as raw bytes, not as JSON arrays.
    serializer: 'Notepack',
    logger: {
      type: 'Console',
      options: {
        level: config.logLevel,
        formatter: config.logFormat === 'json' ? 'json' : 'short',
        colors: config.logFormat === 'text' && process.stdout.isTTY,
      },
    },
    requestTimeout: config.requestTimeoutMs,
    retryPolicy: { enabled: true, retries: 2, delay: 200, maxDelay: 2000, factor: 2, check: (err: Error & { retryable?: boolean }) => !!err.retryable },
    heartbeatInterval: config.heartbeatInterval,
    heartbeatTimeout: config.heartbeatTimeout,
    circuitBreaker: { enabled: true, threshold: 0.5, minRequestCount: 20, windowTime: 60, halfOpenTime: 10_000 },
    registry: {
      strategy: config.balancer === 'FreeSlots' ? FreeSlotsStrategy : config.balancer,
      preferLocal: false,
    },
    transit: { maxQueueSize: 50_000, disableReconnect: false, maxChunkSize: 256 * 1024 },
    validator: true,
    middlewares: [StrictKeys],
    // Collected without a reporter: the gateway gathers every node's list and serves it at /metrics.
    metrics: config.metrics ? { enabled: true, reporter: [] } : false,
    tracing: false,
    quorum: config,
  };
}

/** The NATS transporter with the credentials and TLS files of NATS_* (none: the URL alone). */
export function transporterOptions(config: Readonly<QuorumConfig>): BrokerOptions['transporter'] {
  if (!config.transporter) return undefined;
  const { user, password, token, tlsCa, tlsCert, tlsKey } = config.nats;
  const tls = tlsCa || tlsCert ? { ...(tlsCa ? { caFile: tlsCa } : {}), ...(tlsCert ? { certFile: tlsCert, keyFile: tlsKey } : {}) } : undefined;
  // `servers`, not `url`: from a URL, Moleculer would overwrite `user` and `pass` with the URL's own.
  const urls = config.transporter.split(',').map((u) => new URL(u.trim()));
  const fromUrl = urls.find((u) => u.username);
  return {
    type: 'NATS',
    options: {
      servers: urls.map((u) => u.host),
      ...(fromUrl ? { user: decodeURIComponent(fromUrl.username), pass: decodeURIComponent(fromUrl.password) } : {}),
      ...(user ? { user, pass: password } : {}),
      ...(token ? { token } : {}),
      ...(tls ? { tls } : {}),
    },
  };
}

/** `nats://user:secret@host:4222` → `nats://user:***@host:4222`, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]+):[^@/]*@/i, '$1:***@');
}

/** For tools that load this file by convention (moleculer-runner): options from the environment. */
export default (): BrokerOptions => brokerOptions(parseConfig(process.env));
