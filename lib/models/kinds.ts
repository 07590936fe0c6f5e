/**
 * Model kinds by name. Loaders are lazy so that a process that only fits forests never loads
 * TensorFlow.js; the catalogue facts (description, tasks) are registered beside each loader so
 * listing kinds loads nothing. Add a kind: one `registerModelKind` line at the bottom.
 */
import { QuorumError, listNames } from '../errors';
import type { ModelKind, Task } from './model';

type Loader = () => ModelKind<any>;

export interface KindInfo {
  name: string;
  description: string;
  tasks: readonly Task[];
  input: 'native' | 'dense';
}

const LOADERS = new Map<string, { loader: Loader; info: KindInfo }>();
const cache = new Map<string, ModelKind<any>>();

/** Registers a kind under its name (tests may register throwaway kinds). */
export function registerModelKind(info: KindInfo, loader: Loader): void {
  LOADERS.set(info.name, { loader, info });
  cache.delete(info.name);
}

/** The names a job may ask for. */
export function modelKindNames(): string[] {
  return [...LOADERS.keys()].sort();
}

/** Name, description and tasks of every kind, without loading any. */
export function modelKinds(): KindInfo[] {
  return modelKindNames().map((name) => LOADERS.get(name)!.info);
}

/** The kind called `name`; UNKNOWN_MODEL_KIND listing the valid names otherwise. */
export function resolveModelKind(name: string): ModelKind<any> {
  const hit = cache.get(name);
  if (hit) return hit;
  const entry = LOADERS.get(name);
  if (!entry) {
    throw new QuorumError('UNKNOWN_MODEL_KIND', `unknown model kind '${name}': use ${listNames(modelKindNames())}`, {
      kind: name,
      valid: modelKindNames(),
    });
  }
  const kind = entry.loader();
  cache.set(name, kind);
  return kind;
}

registerModelKind(
  { name: 'baseline', description: 'class frequencies or the mean: the yardstick other models must beat', tasks: ['classification', 'regression'], input: 'native' },
  () => require('./baseline').baselineKind,
);
registerModelKind(
  { name: 'forest', description: 'random forest / extra trees on histogram bins: missing values and categorical codes welcome', tasks: ['classification', 'regression'], input: 'native' },
  () => require('./forest').forestKind,
);
