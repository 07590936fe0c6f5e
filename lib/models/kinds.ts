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

type ParamsLoader = () => (raw: unknown) => unknown;

const LOADERS = new Map<string, { loader: Loader; info: KindInfo; params?: ParamsLoader }>();
const cache = new Map<string, ModelKind<any>>();

/**
 * Registers a kind under its name. `params` optionally loads just the parameter validator, so a
 * coordinator can check a request without loading the kind's heavy code (TensorFlow.js).
 */
export function registerModelKind(info: KindInfo, loader: Loader, params?: ParamsLoader): void {
  LOADERS.set(info.name, { loader, info, params });
  cache.delete(info.name);
}

function entryOf(name: string) {
  const entry = LOADERS.get(name);
  if (!entry) {
    throw new QuorumError('UNKNOWN_MODEL_KIND', `unknown model kind '${name}': use ${listNames(modelKindNames())}`, {
      kind: name,
      valid: modelKindNames(),
    });
  }
  return entry;
}

/** Catalogue facts of one kind (UNKNOWN_MODEL_KIND otherwise), without loading it. */
export function modelKindInfo(name: string): KindInfo {
  return entryOf(name).info;
}

/** Validates parameters of a kind (BAD_MODEL_PARAMS), loading as little as possible. */
export function validateModelParams(name: string, raw: unknown): unknown {
  const entry = entryOf(name);
  return entry.params ? entry.params()(raw) : resolveModelKind(name).params(raw);
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
  const kind = entryOf(name).loader();
  cache.set(name, kind);
  return kind;
}

registerModelKind(
  { name: 'baseline', description: 'class frequencies or the mean: the yardstick other models must beat', tasks: ['classification', 'regression'], input: 'native' },
  () => require('./baseline').baselineKind,
);
registerModelKind(
  { name: 'mlp', description: 'dense neural network (TensorFlow.js): hidden layers, dropout, Adam, early stopping', tasks: ['classification', 'regression'], input: 'dense' },
  () => require('./tf/mlp').mlpKind,
  () => require('./tf/params').mlpParams,
);
registerModelKind(
  { name: 'linear', description: 'logistic / linear regression with L2 (TensorFlow.js), mini-batch Adam', tasks: ['classification', 'regression'], input: 'dense' },
  () => require('./tf/linear').linearKind,
  () => require('./tf/params').linearParams,
);
registerModelKind(
  { name: 'forest', description: 'random forest / extra trees on histogram bins: missing values and categorical codes welcome', tasks: ['classification', 'regression'], input: 'native' },
  () => require('./forest').forestKind,
);
