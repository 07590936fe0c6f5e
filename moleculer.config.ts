/**
 * Broker options from the validated Quorum configuration. Heartbeats, timeouts, retries and the
 * circuit breaker are explicit: Moleculer's default request timeout is 0 (wait forever).
 */
import type { BrokerOptions } from 'moleculer';
import { parseConfig, type QuorumConfig } from './lib/config';
import { FreeSlotsStrategy } from './services/strategies/free-slots';

export function brokerOptions(config: Readonly<QuorumConfig>): BrokerOptions & { quorum: Readonly<QuorumConfig> } {
  return {
    namespace: config.namespace,
    nodeID: config.nodeID,
    transporter: config.transporter ?? undefined,
    // Binary framing (MessagePack): stream chunks (shards, artifacts) travel as raw bytes, not as JSON arrays.
    serializer: 'Notepack',
    logger: { type: 'Console', options: { level: config.logLevel, formatter: 'short', colors: process.stdout.isTTY } },
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
    metrics: false,
    tracing: false,
    quorum: config,
  };
}

/** For tools that load this file by convention (moleculer-runner): options from the environment. */
export default (): BrokerOptions => brokerOptions(parseConfig(process.env));
