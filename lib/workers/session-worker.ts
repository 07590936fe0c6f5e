/**
 * Entry point of a data-parallel session thread: a {@link SessionHost} off the trainer's event
 * loop, sweeping idle sessions every second (so a coordinator that died leaks nothing). Replies are
 * chunk lists; errors travel back as {code, message, data}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { QuorumError, isErrorCode } from '../errors';
import { SessionHost } from '../jobs/data-parallel/session/host';
import type { SessionThreadReply, SessionThreadRequest } from './session-thread';

const port = parentPort;
if (!port) throw new Error('session-worker must run in a worker thread');

const { idleMs, sweepMs } = workerData as { idleMs: number; sweepMs: number };
const host = new SessionHost(idleMs);
setInterval(() => {
  const closed = host.sweep();
  if (closed.length > 0) port.postMessage({ id: -1, ok: true, swept: closed } satisfies SessionThreadReply);
}, sweepMs).unref();

port.on('message', (req: SessionThreadRequest) => {
  try {
    let reply: SessionThreadReply;
    if (req.msg.op === 'closeJob') reply = { id: req.id, ok: true, closed: host.closeJob(req.msg.job) };
    else if (req.msg.op === 'status') reply = { id: req.id, ok: true, status: host.status() };
    else {
      // Chunks are views of one packed buffer: a single one covering it is transferred as it is.
      const parts = host.handle(req.msg);
      const whole = parts.length === 1 && parts[0].byteOffset === 0 && parts[0].byteLength === parts[0].buffer.byteLength;
      const chunks = whole ? parts : parts.map((c) => c.slice());
      reply = { id: req.id, ok: true, chunks };
      port.postMessage(
        reply,
        chunks.map((c) => c.buffer as ArrayBuffer),
      );
      return;
    }
    port.postMessage(reply);
  } catch (err) {
    const e = err as Error & { code?: unknown; data?: Record<string, unknown> };
    const code = err instanceof QuorumError || isErrorCode(e.code) ? String(e.code) : 'INTERNAL';
    port.postMessage({ id: req.id, ok: false, error: { code, message: e.message, data: e.data } } satisfies SessionThreadReply);
  }
});
