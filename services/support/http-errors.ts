/**
 * The gateway's error writer: every error leaves as JSON `{name, message, code, type, data}` with
 * `code` the HTTP status and `type` a stable code. Body-parser errors are mapped into the catalogue
 * (BAD_JSON, PAYLOAD_TOO_LARGE); unexpected errors become a 500 without internals.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

interface AnyError {
  name?: string;
  message?: string;
  code?: unknown;
  status?: number;
  type?: string;
  data?: unknown;
}

export function httpError(err: unknown): { status: number; body: Record<string, unknown> } {
  const e = (err ?? {}) as AnyError;
  if (e.type === 'entity.parse.failed') {
    return { status: 400, body: { name: 'QuorumError', message: `the request body is not valid JSON: ${e.message}`, code: 400, type: 'BAD_JSON' } };
  }
  if (e.type === 'entity.too.large') {
    return { status: 413, body: { name: 'QuorumError', message: 'the JSON body is larger than 64 MB: send fewer rows per request', code: 413, type: 'PAYLOAD_TOO_LARGE' } };
  }
  const status = typeof e.code === 'number' && e.code >= 400 && e.code < 600 ? e.code : typeof e.status === 'number' ? e.status : 500;
  if (status >= 500 && !e.type) {
    return { status: 500, body: { name: 'InternalError', message: 'internal error: see the server log', code: 500, type: 'INTERNAL' } };
  }
  return { status, body: { name: e.name ?? 'Error', message: e.message ?? 'error', code: status, type: e.type ?? 'ERROR', data: e.data } };
}

export function writeHttpError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const { status, body } = httpError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  if (status === 503) res.setHeader('Retry-After', '5');
  res.writeHead(status);
  res.end(JSON.stringify(body));
}
