/**
 * Which role each gateway route needs. One table, keyed exactly as the gateway's aliases are
 * (`METHOD path` under /api, or from the root when the path starts with `/`): a route the gateway serves without an entry here fails
 * `test/e2e/auth-roles.test.ts`, so no route is ever added without deciding who may call it.
 *
 *   read  — GET routes, predictions, evaluations;
 *   train — read + datasets and trainings;
 *   admin — everything: delete, activate, import, cancel.
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

interface Compiled {
  method: string;
  pattern: RegExp;
  access: Access;
  route: string;
}

const compiled: Compiled[] = Object.entries(ROUTE_ACCESS).map(([route, access]) => {
  const [method, path] = route.split(' ');
  const source = path
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  const root = path.startsWith('/') ? source : `/api/${source}`;
  return { method, pattern: new RegExp(`^${root}/?$`), access, route };
});
// Literal segments before parameters (`models/active` before `models/:version`).
compiled.sort((a, b) => a.pattern.source.split('[^/]+').length - b.pattern.source.split('[^/]+').length);

/**
 * What a request needs. Outside /api and the routes listed from the root (the dashboard's static files) nothing: the page must load to
 * ask for a key. An /api path no route matches needs `admin` (it answers 404 to those who have it,
 * and tells others nothing about what exists).
 */
export function accessFor(method: string, pathname: string): { access: Access; route: string | null } {
  const m = method === 'HEAD' ? 'GET' : method;
  const hit = compiled.find((c) => c.method === m && c.pattern.test(pathname));
  if (!hit && pathname !== '/api' && !pathname.startsWith('/api/')) return { access: 'open', route: null };
  return hit ? { access: hit.access, route: hit.route } : { access: 'admin', route: null };
}
