/**
 * The gateway's first check, before any routing: requests that a web page of another origin makes
 * a browser send never reach an action.
 *
 * - `OPTIONS` is answered here and never routed. moleculer-web resolves a preflight to the alias of
 *   the method it announces and would call that action (a preflight for DELETE deleted the dataset).
 *   A preflight from a listed origin (`CORS_ORIGINS`) gets the CORS headers; any other gets a 403.
 * - A request that can change state (anything but GET and HEAD) carrying an `Origin` that is neither
 *   the gateway's own nor listed is refused with 403, whatever its content type: plain HTML forms
 *   and `text/plain` fetches send no preflight. `Sec-Fetch-Site: cross-site` without an `Origin`
 *   (older browsers on some form posts) counts as foreign too.
 * Tools that are not browsers (curl, the REPL, other services) send no `Origin` and are not affected.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { QuorumError } from '../../lib/errors';
import { discardBody, writeHttpError } from './http-errors';

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const ALLOW_METHODS = 'GET, HEAD, POST, DELETE';
const ALLOW_HEADERS = 'Authorization, Content-Type, X-Request-Id';

function sameOrigin(origin: string, req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (!host) return false;
  try {
    const url = new URL(origin);
    return url.host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

function corsHeaders(res: ServerResponse, origin: string): void {
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Vary', 'Origin');
}

/**
 * Returns true when the request was answered here (a preflight, or a refused cross-origin write);
 * false when it may go on to the routes. `allowed` holds normalised origins (`URL.origin`).
 */
export function guardOrigin(req: IncomingMessage, res: ServerResponse, allowed: readonly string[]): boolean {
  const method = (req.method ?? 'GET').toUpperCase();
  const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
  const own = origin !== undefined && sameOrigin(origin, req);
  const listed = origin !== undefined && allowed.includes(origin);
  if (listed && !own) corsHeaders(res, origin);

  if (method === 'OPTIONS') {
    if (origin !== undefined && !own && !listed) {
      writeHttpError(
        req,
        res,
        new QuorumError(
          'CROSS_ORIGIN_FORBIDDEN',
          `the web page at '${origin.slice(0, 200)}' may not call this API: list that origin in CORS_ORIGINS to allow it`,
          { origin: origin.slice(0, 200) },
        ),
      );
      return true;
    }
    res.setHeader('Allow', ALLOW_METHODS);
    if (listed && !own) {
      res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
    }
    res.writeHead(204, { 'Content-Length': '0' });
    res.end();
    return true;
  }

  if (SAFE_METHODS.has(method)) return false;
  const foreign = origin !== undefined ? !own && !listed : req.headers['sec-fetch-site'] === 'cross-site';
  if (foreign) {
    discardBody(req, res);
    const who = origin !== undefined ? `the web page at '${origin.slice(0, 200)}'` : 'a page of another site';
    writeHttpError(
      req,
      res,
      new QuorumError(
        'CROSS_ORIGIN_FORBIDDEN',
        `${who} may not change anything here: use the dashboard served by this gateway, or list that origin in CORS_ORIGINS`,
        { origin: origin?.slice(0, 200) ?? null },
      ),
    );
    return true;
  }
  return false;
}
