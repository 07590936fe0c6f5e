/**
 * What a request addresses, decided once per request before any check runs: a route (the alias
 * moleculer-web itself resolves the path to — its matcher, case-sensitive, so the guard and the
 * router cannot disagree), a file of the dashboard (exact, case-sensitive names listed at start),
 * or nothing (refused: 404). Access, rate limits, stream caps and the router all act on this one
 * answer; no other reading of the path exists.
 */
import { readdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { accessOf, pathProblem, routeKey } from '../../lib/security/access';
import type { Access } from '../../lib/security/keys';

export type RequestTarget =
  { kind: 'route'; key: string; access: Access } | { kind: 'static' } | { kind: 'unknown'; method: string; path: string } | { kind: 'bad'; problem: string };

/** The part of moleculer-web's gateway this module uses: its alias matcher. */
export interface AliasResolver {
  resolveAlias(url: string, method: string): false | { alias: { method: string; path: string; route: { path: string } } };
}

/** The options every gateway route passes to path-to-regexp: case-sensitive (the default is not). */
export const ROUTE_MATCHING = { sensitive: true } as const;

/** Every file under `folder` as a URL path (`/js/app.js`), and `/` for the index page. */
export function staticPaths(folder: string): Set<string> {
  const out = new Set<string>(['/']);
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      else if (entry.isFile()) out.add(`${prefix}${entry.name}`);
    }
  };
  walk(folder, '/');
  return out;
}

/** The request's path as moleculer-web reads it: before the first `?` (from index 1), one trailing slash trimmed. */
export function routedPath(url: string): string {
  const q = url.indexOf('?', 1);
  const p = q === -1 ? url : url.slice(0, q);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

export function requestTarget(req: IncomingMessage, router: AliasResolver, files: ReadonlySet<string>): RequestTarget {
  const url = req.url ?? '/';
  const q = url.indexOf('?', 1);
  const problem = pathProblem(q === -1 ? url : url.slice(0, q));
  if (problem) return { kind: 'bad', problem };
  const p = routedPath(url);
  const method = (req.method ?? 'GET').toUpperCase();
  const found = router.resolveAlias(p, method === 'HEAD' ? 'GET' : method);
  if (found) {
    const key = routeKey(found.alias.route.path, found.alias.method, found.alias.path);
    return { kind: 'route', key, access: accessOf(key) };
  }
  if ((method === 'GET' || method === 'HEAD') && files.has(p)) return { kind: 'static' };
  return { kind: 'unknown', method, path: p };
}
