/**
 * Model kinds by name. Loaders are lazy so that a process that only fits forests never loads
 * TensorFlow.js. Add a kind: one line in LOADERS pointing at a module that exports a ModelKind.
 */
import { QuorumError, listNames } from '../errors';
import type { ModelKind } from './model';

type Loader = () => ModelKind<any>;

const LOADERS: Record<string, Loader> = {};
const cache = new Map<string, ModelKind<any>>();

/** Registers a kind under its name (used by tests for throwaway kinds, and by LOADERS below). */
export function registerModelKind(name: string, loader: Loader): void {
  LOADERS[name] = loader;
  cache.delete(name);
}

/** The names a job may ask for. */
export function modelKindNames(): string[] {
  return Object.keys(LOADERS).sort();
}

/** The kind called `name`; UNKNOWN_MODEL_KIND listing the valid names otherwise. */
export function resolveModelKind(name: string): ModelKind<any> {
  const hit = cache.get(name);
  if (hit) return hit;
  const loader = Object.prototype.hasOwnProperty.call(LOADERS, name) ? LOADERS[name] : undefined;
  if (!loader) {
    throw new QuorumError('UNKNOWN_MODEL_KIND', `unknown model kind '${name}': use ${listNames(modelKindNames())}`, {
      kind: name,
      valid: modelKindNames(),
    });
  }
  const kind = loader();
  cache.set(name, kind);
  return kind;
}

registerModelKind('baseline', () => require('./baseline').baselineKind);
registerModelKind('forest', () => require('./forest').forestKind);
