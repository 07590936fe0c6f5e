/**
 * Unknown keys refused at the boundary: a request's parameters are compared with the params schema
 * its action declares (fastest-validator shorthand or objects, nested `props` followed), and a key
 * the schema does not name is a 400 naming the key, where it is, and the keys that are valid there.
 * A misspelt option (`nEstimator`, `shard`) is never silently ignored.
 */
import type { ActionHandler, ActionSchema, Context, Middleware } from 'moleculer';
import { QuorumError } from '../../lib/errors';
import { findPrototypeKey } from '../../lib/util/json-guard';

type Schema = Record<string, unknown>;

const isPlain = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The first unknown key of `params` under `schema`, as a path (`preprocess.bogus`), or null. */
export function findUnknownKey(schema: Schema | undefined, params: unknown, at = ''): { path: string; valid: string[] } | null {
  if (!isPlain(params)) return null;
  const valid = Object.keys(schema ?? {}).filter((k) => !k.startsWith('$$'));
  for (const key of Object.keys(params)) {
    if (!valid.includes(key)) return { path: at ? `${at}.${key}` : key, valid };
    const rule = schema![key];
    if (isPlain(rule) && rule.type === 'object' && isPlain(rule.props)) {
      const inner = findUnknownKey(rule.props as Schema, params[key], at ? `${at}.${key}` : key);
      if (inner) return inner;
    }
  }
  return null;
}

/** Throws a 400 UNKNOWN_KEY when `params` has a key `schema` does not declare. */
export function refuseUnknownKeys(schema: Schema | undefined, params: unknown, what: string): void {
  const hit = findUnknownKey(schema, params);
  if (!hit) return;
  const where = hit.path.includes('.') ? ` in '${hit.path.slice(0, hit.path.lastIndexOf('.'))}'` : '';
  const key = hit.path.slice(hit.path.lastIndexOf('.') + 1).slice(0, 100);
  const message = hit.valid.length
    ? `unknown key '${key}'${where} for ${what}: valid keys${where}: ${hit.valid.join(', ')}`
    : `unknown key '${key}': ${what} takes no parameters`;
  throw new QuorumError('UNKNOWN_KEY', message, { key, path: hit.path.slice(0, 200), valid: hit.valid });
}

/**
 * The actions users reach (HTTP routes, the REPL's `call`): their parameters are checked for
 * unknown keys on the node that runs them, whoever calls — the gateway checks HTTP requests
 * before the call as well (with the route in the message); this covers the REPL and other nodes.
 */
export const USER_ACTIONS: ReadonlySet<string> = new Set([
  'coordinator.ingest',
  'coordinator.train',
  'coordinator.job',
  'coordinator.cancel',
  'coordinator.dataset',
  'coordinator.removeDataset',
  'registry.get',
  'registry.activate',
  'registry.remove',
  'registry.export',
  'inference.predict',
  'inference.evaluate',
]);

/** Broker middleware: {@link USER_ACTIONS} refuse unknown keys (400 UNKNOWN_KEY naming the key). */
export const StrictKeys: Middleware = {
  localAction(next: ActionHandler, action: ActionSchema) {
    if (!action.name || !USER_ACTIONS.has(action.name) || !action.params) return next;
    const schema = action.params as Schema;
    const name = action.name;
    return (ctx: Context) => {
      const proto = findPrototypeKey(ctx.params);
      if (proto)
        throw new QuorumError(
          'PROTOTYPE_KEY',
          `action ${name}: the key '${proto.slice(0, 200)}' is not allowed (such keys reach an object's prototype); remove it`,
          { key: proto.slice(0, 200) },
        );
      refuseUnknownKeys(schema, ctx.params, `action ${name}`);
      return next(ctx);
    };
  },
};
