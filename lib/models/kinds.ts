/**
 * Model kinds by name. Loaders are lazy so that a process that only fits forests never loads
 * TensorFlow.js; the catalogue facts (description, tasks) are registered beside each loader so
 * listing kinds loads nothing. Add a kind: one `registerModelKind` line at the bottom.
 */
import { QuorumError, listNames } from '../errors';
import type { DataShape, FitPlan, ModelKind, Task } from './model';

// Kinds of every parameter type share one registry: each kind checks its own params.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKind = ModelKind<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyPlan = (params: any, shape: DataShape) => FitPlan;
type Loader = () => AnyKind;

export interface KindInfo {
  name: string;
  description: string;
  tasks: readonly Task[];
  input: 'native' | 'dense';
}

/**
 * Loads just the parameter validator (and the optional {@link ModelKind.plan}) of a kind whose
 * full code is heavy, so a coordinator can check a request without loading TensorFlow.js.
 */
type ParamsLoader = () => ((raw: unknown) => unknown) | { params: (raw: unknown) => unknown; plan?: AnyPlan };

const LOADERS = new Map<string, { loader: Loader; info: KindInfo; params?: ParamsLoader }>();
const cache = new Map<string, AnyKind>();

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

function lightweight(name: string): { params: (raw: unknown) => unknown; plan?: AnyPlan } {
  const entry = entryOf(name);
  if (!entry.params) return resolveModelKind(name);
  const loaded = entry.params();
  return typeof loaded === 'function' ? { params: loaded } : loaded;
}

/** Validates parameters of a kind (BAD_MODEL_PARAMS), loading as little as possible. */
export function validateModelParams(name: string, raw: unknown): unknown {
  return lightweight(name).params(raw);
}

/**
 * Validates a kind's parameters and runs its data-shape checks ({@link ModelKind.plan}) for one
 * member, loading as little as possible; a kind without `plan` estimates nothing (0 bytes).
 */
export function planModelFit(name: string, raw: unknown, shape: DataShape): FitPlan {
  const kind = lightweight(name);
  const params = kind.params(raw);
  return kind.plan ? kind.plan(params, shape) : { memoryBytes: 0 };
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
export function resolveModelKind(name: string): AnyKind {
  const hit = cache.get(name);
  if (hit) return hit;
  const kind = entryOf(name).loader();
  cache.set(name, kind);
  return kind;
}

registerModelKind(
  {
    name: 'baseline',
    description: 'class frequencies or the mean: the yardstick other models must beat',
    tasks: ['classification', 'regression'],
    input: 'native',
  },
  () => require('./baseline').baselineKind,
);
registerModelKind(
  {
    name: 'mlp',
    description: 'dense neural network (TensorFlow.js): hidden layers, dropout, Adam, early stopping',
    tasks: ['classification', 'regression'],
    input: 'dense',
  },
  () => require('./tf/mlp').mlpKind,
  () => ({ params: require('./tf/params').mlpParams, plan: require('./tf/plan').mlpPlan }),
);
registerModelKind(
  {
    name: 'linear',
    description: 'logistic / linear regression with L2 (TensorFlow.js), mini-batch Adam',
    tasks: ['classification', 'regression'],
    input: 'dense',
  },
  () => require('./tf/linear').linearKind,
  () => ({ params: require('./tf/params').linearParams, plan: require('./tf/plan').linearPlan }),
);
registerModelKind(
  {
    name: 'forest',
    description: 'random forest / extra trees on histogram bins: missing values and categorical codes welcome',
    tasks: ['classification', 'regression'],
    input: 'native',
  },
  () => require('./forest').forestKind,
);
registerModelKind(
  {
    name: 'gbm',
    description: 'gradient-boosted trees on histogram bins (XGBoost-style second-order splits): missing values and categorical codes welcome',
    tasks: ['classification', 'regression'],
    input: 'native',
  },
  () => require('./gbm').gbmKind,
  () => require('./gbm/params').gbmParamsCheck,
);
registerModelKind(
  {
    name: 'knn',
    description: 'k-nearest neighbours (k-d tree or brute force; euclidean, manhattan, cosine): the model holds its shard’s rows',
    tasks: ['classification', 'regression'],
    input: 'dense',
  },
  () => require('./knn').knnKind,
  () => require('./knn/params').knnParamsCheck,
);
registerModelKind(
  {
    name: 'svm',
    description: 'linear support vector machine (dual coordinate descent), rbf through random Fourier features; one-vs-rest, Platt probabilities',
    tasks: ['classification', 'regression'],
    input: 'dense',
  },
  () => require('./svm').svmKind,
  () => require('./svm/params').svmParamsCheck,
);
