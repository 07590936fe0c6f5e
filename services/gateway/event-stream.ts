/**
 * Server-sent events for the dashboard: job progress, finished jobs, activations, nodes joining and
 * leaving. Each connection gets its own readable stream fed by a local listener service-less hook.
 */
import { PassThrough } from 'node:stream';
import type { ServiceBroker } from 'moleculer';

type Listener = (event: string, payload: unknown) => void;
const listeners = new Map<ServiceBroker, Set<Listener>>();

/** Called by the api service's event handlers for every event it forwards. */
export function publish(broker: ServiceBroker, event: string, payload: unknown): void {
  for (const listener of listeners.get(broker) ?? []) listener(event, payload);
}

export function eventStream(broker: ServiceBroker): PassThrough {
  const out = new PassThrough();
  const send: Listener = (event, payload) => out.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
  if (!listeners.has(broker)) listeners.set(broker, new Set());
  listeners.get(broker)!.add(send);
  const ping = setInterval(() => out.write(': ping\n\n'), 15000);
  ping.unref();
  const close = () => {
    clearInterval(ping);
    listeners.get(broker)?.delete(send);
  };
  out.on('close', close);
  out.on('error', close);
  out.write(`event: hello\ndata: ${JSON.stringify({ node: broker.nodeID })}\n\n`);
  return out;
}
