/**
 * Model kinds by name. Loaders are lazy so that a process that only fits forests never loads
 * TensorFlow.js; the catalogue facts (description, tasks) are registered beside each loader so
 * listing kinds loads nothing. Add a kind: one `registerModelKind` line at the bottom.
 */
import { QuorumError, listNames } from '../errors';
import type { DataShape, FitPlan, ModelKind } from './model';
import { KIND_INFO, type KindInfo } from './kind-info';

// Kinds of every parameter type share one registry: each kind checks its own params.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKind = ModelKind<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyPlan = (params: any, shape: DataShape) => FitPlan;
type Loader = () => AnyKind;

export type { KindInfo };

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

registerModelKind(KIND_INFO.baseline, () => require('./baseline').baselineKind);
registerModelKind(
  KIND_INFO.mlp,
  () => require('./tf/mlp').mlpKind,
  () => ({ params: require('./tf/params').mlpParams, plan: require('./tf/plan').mlpPlan }),
);
registerModelKind(
  KIND_INFO.linear,
  () => require('./tf/linear').linearKind,
  () => ({ params: require('./tf/params').linearParams, plan: require('./tf/plan').linearPlan }),
);
registerModelKind(KIND_INFO.forest, () => require('./forest').forestKind);
registerModelKind(
  KIND_INFO.gbm,
  () => require('./gbm').gbmKind,
  () => require('./gbm/params').gbmParamsCheck,
);
registerModelKind(
  KIND_INFO.knn,
  () => require('./knn').knnKind,
  () => require('./knn/params').knnParamsCheck,
);
registerModelKind(
  KIND_INFO.svm,
  () => require('./svm').svmKind,
  () => require('./svm/params').svmParamsCheck,
);
