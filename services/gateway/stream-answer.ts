/**
 * Streamed answers (exports, CSV predictions, large JSON predictions, event streams, metrics) are
 * written here instead of by moleculer-web, whose stream path dereferences the route's action in its
 * error callback: a client that hangs up mid-answer on a route without an action (the streaming
 * predict routes) threw from that callback and ended the process. Here a stream that ends early —
 * the client gone, the source failed — only destroys both ends and logs at debug.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, type Readable } from 'node:stream';

interface AnswerMeta {
  $statusCode?: number;
  $responseType?: string;
  $responseHeaders?: Record<string, string>;
}

export type AnsweredRequest = IncomingMessage & { $ctx?: { meta?: AnswerMeta }; $head?: boolean };

export function isReadable(data: unknown): data is Readable {
  const s = data as Readable | null;
  return (
    s !== null &&
    typeof s === 'object' &&
    typeof s.pipe === 'function' &&
    s.readable !== false &&
    typeof (s as unknown as { _read?: unknown })._read === 'function'
  );
}

/** Writes `data` (a readable stream) as the answer, with the status and headers the action set in its meta. */
export function sendStream(req: AnsweredRequest, res: ServerResponse, data: Readable, debug: (msg: string) => void): void {
  if (res.headersSent || res.destroyed) {
    data.destroy();
    return;
  }
  const meta = req.$ctx?.meta ?? {};
  if (meta.$statusCode) res.statusCode = meta.$statusCode;
  let type = meta.$responseType;
  for (const [key, value] of Object.entries(meta.$responseHeaders ?? {})) {
    if (key.toLowerCase() === 'content-type') type ??= value;
    else {
      try {
        res.setHeader(key, value);
      } catch {
        res.setHeader(key, encodeURI(value));
      }
    }
  }
  res.setHeader('Content-Type', type ?? 'application/octet-stream');
  if (req.$head) {
    data.destroy();
    res.end();
    return;
  }
  pipeline(data, res, (err) => {
    if (err)
      debug(`${req.method} ${(req.url ?? '').split('?')[0].slice(0, 200)}: answer stream ended early (${(err as NodeJS.ErrnoException).code ?? err.message})`);
  });
}
