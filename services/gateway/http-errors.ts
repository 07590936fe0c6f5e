/**
 * The gateway's error writer: every error leaves as JSON `{name, message, code, type, data}` with
 * `code` the HTTP status and `type` a stable code. Body-parser errors are mapped into the catalogue
 * (BAD_JSON, PAYLOAD_TOO_LARGE); unexpected errors become a 500 without internals.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERRORS, isErrorCode } from '../../lib/errors';
import { boundedData } from '../../lib/util/json-guard';
import { DISCARD_MAX_BYTES, MAX_JSON_BODY_BYTES, MAX_JSON_REQUEST_BYTES } from '../../lib/limits';

interface AnyError {
  name?: string;
  message?: string;
  code?: unknown;
  status?: number;
  type?: string;
  data?: unknown;
}

/** Moleculer's errors as a client sees them: no action or node names (they stay in the server's log). */
const MOLECULER_ERRORS: Record<string, { status: number; type: string; message: string }> = {
  // A service whose node has not joined (yet) or just left: retryable, not a missing route.
  SERVICE_NOT_FOUND: {
    status: 503,
    type: 'SERVICE_UNAVAILABLE',
    message: 'a service this request needs is not available: the node that runs it is not up (yet); retry in a moment',
  },
  SERVICE_NOT_AVAILABLE: {
    status: 503,
    type: 'SERVICE_UNAVAILABLE',
    message: 'a service this request needs is not available: the node that runs it is not up (yet); retry in a moment',
  },
  REQUEST_TIMEOUT: { status: 504, type: 'REQUEST_TIMEOUT', message: 'a node did not answer in time: retry, or raise REQUEST_TIMEOUT_MS' },
  REQUEST_REJECTED: { status: 503, type: 'SERVICE_UNAVAILABLE', message: 'the node that was to answer left the cluster: retry in a moment' },
  REQUEST_SKIPPED: { status: 503, type: 'SERVICE_UNAVAILABLE', message: 'the request ran out of time before a node took it: retry' },
  QUEUE_FULL: { status: 503, type: 'SERVICE_UNAVAILABLE', message: 'a node is too busy to take this request: retry in a moment' },
  MAX_CALL_LEVEL: { status: 500, type: 'INTERNAL', message: 'internal error: see the server log' },
};

export function httpError(err: unknown): { status: number; body: Record<string, unknown> } {
  const e = (err ?? {}) as AnyError;
  if (e.name === 'QuorumError' && isErrorCode(e.code)) {
    // A lib/ error that reached the gateway directly (a body-parser hook, a route handler).
    const status = ERRORS[e.code].status;
    return { status, body: { name: 'QuorumError', message: e.message ?? e.code, code: status, type: e.code, data: boundedData(e.data) } };
  }
  if (e.type === 'entity.parse.failed') {
    return { status: 400, body: { name: 'QuorumError', message: `the request body is not valid JSON: ${e.message}`, code: 400, type: 'BAD_JSON' } };
  }
  if (e.type === 'entity.verify.failed') {
    // The JSON body parser's `verify` hook (routes.ts): its QuorumError reaches here re-wrapped by
    // moleculer-web, with the catalogue code as `code` (JSON_TOO_DEEP, PROTOTYPE_KEY).
    const code = isErrorCode(e.code) ? e.code : 'JSON_TOO_DEEP';
    const status = ERRORS[code].status;
    return { status, body: { name: 'QuorumError', message: e.message ?? 'the request body nests too deep', code: status, type: code } };
  }
  if (e.type === 'entity.too.large') {
    const limit = typeof (e as { limit?: unknown }).limit === 'number' ? (e as { limit: number }).limit : MAX_JSON_REQUEST_BYTES;
    return {
      status: 413,
      body: {
        name: 'QuorumError',
        message: `the JSON body is larger than this route's ${limit / 1048576} MB: ${limit < MAX_JSON_BODY_BYTES ? 'no request of this kind needs that much' : 'send fewer rows per request'}`,
        code: 413,
        type: 'PAYLOAD_TOO_LARGE',
      },
    };
  }
  const internal = typeof e.type === 'string' ? MOLECULER_ERRORS[e.type] : undefined;
  if (internal) {
    // Moleculer's own errors name internal actions and node ids: the client gets what happened and what to do, the log the rest.
    return { status: internal.status, body: { name: 'QuorumError', message: internal.message, code: internal.status, type: internal.type } };
  }
  const status = typeof e.code === 'number' && e.code >= 400 && e.code < 600 ? e.code : typeof e.status === 'number' ? e.status : 500;
  if (e.type === 'VALIDATION_ERROR' && Array.isArray(e.data) && e.data.length) {
    // The validator's own message is 'Parameters validation error!': name each problem instead.
    const problems = (e.data as { message?: unknown }[])
      .slice(0, 5)
      .map((d) => String(d?.message ?? '').slice(0, 300))
      .filter(Boolean);
    if (problems.length)
      return {
        status,
        body: { name: e.name ?? 'ValidationError', message: `invalid request: ${problems.join(' ')}`, code: status, type: e.type, data: boundedData(e.data) },
      };
  }
  if (status >= 500 && !e.type) {
    return { status: 500, body: { name: 'InternalError', message: 'internal error: see the server log', code: 500, type: 'INTERNAL' } };
  }
  return { status, body: { name: e.name ?? 'Error', message: e.message ?? 'error', code: status, type: e.type ?? 'ERROR', data: boundedData(e.data) } };
}

/** Longest a refused request's body is read for, after the answer. */
const DISCARD_MAX_MS = 10_000;

/**
 * For an answer given before the request's body was read (a refusal): the rest of the body is read
 * and dropped, so the client, still sending, gets the answer and not a reset connection (closing a
 * socket with unread data resets it, and the client may lose the answer it was sent). Bounded: past
 * 64 MB or 10 s the connection is cut.
 */
export function discardBody(req: IncomingMessage, _res: ServerResponse): void {
  req.unpipe();
  if (req.complete) return;
  let bytes = 0;
  // Only the socket is cut: the answer may be written already (a header now would throw).
  // (and only while this request is unfinished: a kept-alive socket may be serving the next one).
  const cut = () => {
    if (!req.complete) req.socket?.destroy();
  };
  const timer = setTimeout(cut, DISCARD_MAX_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > DISCARD_MAX_BYTES) cut();
  });
  const done = () => clearTimeout(timer);
  req.once('end', done);
  req.once('close', done);
  req.resume();
}

/**
 * Writes the error. It cannot throw: the echoed `data` is bounded ({@link boundedData}), and if
 * anything still goes wrong the client gets a plain 500 and the connection is closed — an error
 * in the error path must never end the process.
 */
export function writeHttpError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  try {
    const { status, body } = httpError(err);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const text = JSON.stringify(body);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    if (status === 503) res.setHeader('Retry-After', '5');
    res.writeHead(status);
    res.end(text);
  } catch {
    try {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end('{"name":"InternalError","message":"internal error: see the server log","code":500,"type":"INTERNAL"}');
      } else {
        res.destroy();
      }
    } catch {
      res.destroy();
    }
  }
}
