/**
 * Readiness: until every service of this node has started, the gateway answers 503 with
 * `Retry-After` (and `GET /api/health` says `starting`) instead of letting a request reach a
 * service whose state is still loading.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceBroker } from 'moleculer';

export const RETRY_AFTER_S = 1;

/** True (and the answer written) while the node is still starting. */
export function notReady(broker: ServiceBroker, req: IncomingMessage, res: ServerResponse): boolean {
  if (broker.started) return false;
  const health = (req.url ?? '').split('?')[0] === '/api/health';
  const body = health
    ? { status: 'starting', node: broker.nodeID }
    : { name: 'QuorumError', message: 'the node is starting: retry in a moment', code: 503, type: 'STARTING' };
  res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': String(RETRY_AFTER_S) });
  res.end(JSON.stringify(body));
  return true;
}
