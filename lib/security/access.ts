/**
 * Which role each gateway route needs, and which request paths the gateway routes at all.
 *
 * One table, keyed exactly as the gateway's aliases are (`METHOD path` under /api, or from the root
 * when the path starts with `/`): a route the gateway serves without an entry here fails
 * `test/e2e/auth-roles.test.ts`, so no route is ever added without deciding who may call it.
 *
 *   read  — GET routes, predictions, evaluations;
 *   train — read + datasets and trainings;
 *   admin — everything: delete, activate, import, cancel.
 *
 * The gateway never decides access from its own reading of a path: it asks the router which alias a
 * request resolves to (moleculer-web's own matcher, made case-sensitive) and looks that alias up
 * here (services/gateway/request-target.ts). A path that is no alias and no file of the dashboard is
 * refused before anything else sees it, so there is no second spelling of a route that skips a check.
 */
import type { Access } from './keys';

export const ROUTE_ACCESS: Readonly<Record<string, Access>> = {
  'GET health': 'open',
  'GET cluster': 'read',
  'GET events': 'read',

  'POST datasets': 'train',
  'POST datasets/ingest': 'train',
  'GET files': 'read',
  'GET options': 'read',
  'GET datasets': 'read',
  'GET datasets/:id': 'read',
  'DELETE datasets/:id': 'admin',

  'POST trainings': 'train',
  'GET trainings': 'read',
  'GET trainings/:id': 'read',
  'DELETE trainings/:id': 'admin',

  'GET models': 'read',
  'GET models/active': 'read',
  'GET models/activations': 'read',
  'POST models/import': 'admin',
  'GET models/:version': 'read',
  'GET models/:version/metrics': 'read',
  'GET models/:version/export': 'read',
  'POST models/:version/activate': 'admin',
  'DELETE models/:version': 'admin',

  'POST predict': 'read',
  'POST predict/csv': 'read',
  'POST models/:version/evaluate': 'read',

  // Outside /api: a key starting with '/' is a path from the root.
  'GET /metrics': 'read',
};

/** The route under which keys are written without their prefix. */
export const API_PREFIX = '/api';

/**
 * The ROUTE_ACCESS key of a gateway alias: `GET models/:version` for an alias of the /api route,
 * `GET /metrics` for an alias of another route (`routePath` + `aliasPath`).
 */
export function routeKey(routePath: string, method: string, aliasPath: string): string {
  const rel = aliasPath.replace(/^\/+|\/+$/g, '');
  if (routePath === API_PREFIX) return `${method} ${rel}`;
  return `${method} ${routePath}${rel ? `/${rel}` : ''}`;
}

/** The role a resolved route needs; a route missing from the table needs admin (fail closed). */
export function accessOf(key: string): Access {
  return Object.prototype.hasOwnProperty.call(ROUTE_ACCESS, key) ? ROUTE_ACCESS[key] : 'admin';
}

/** Longest request path (without the query) the gateway reads. */
export const MAX_PATH_LENGTH = 2048;

/**
 * Why a raw request path (as sent, before the query string) is refused before any routing, or null
 * when it may be routed. Refused: paths that do not start with `/`, control characters, backslashes,
 * empty segments (`//`), dot segments (`.`, `..`, also percent-encoded), and segments whose escapes
 * do not decode or decode to a separator or a control character. A path like that names no route
 * and no file of the dashboard under any reading, so refusing it loses nothing.
 */
export function pathProblem(raw: string): string | null {
  if (!raw.startsWith('/')) return 'the path must start with /';
  if (raw.length > MAX_PATH_LENGTH) return `the path is longer than ${MAX_PATH_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return 'the path holds a control character or a backslash';
  const segments = raw.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (s === '' && i < segments.length - 1) return 'the path holds an empty segment (//)';
    let decoded: string;
    try {
      decoded = decodeURIComponent(s);
    } catch {
      return `the path segment '${s.slice(0, 60)}' holds an escape that does not decode`;
    }
    if (decoded === '.' || decoded === '..') return 'the path holds a dot segment (. or ..)';
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f/\\]/.test(decoded)) return `the path segment '${s.slice(0, 60)}' encodes a separator or a control character`;
  }
  return null;
}
