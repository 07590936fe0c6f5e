/**
 * The one interface every model kind implements (forest, mlp, linear, …). A kind is looked up by
 * name in `lib/models/kinds.ts`; it validates its own parameters, fits on a {@link TrainingSet}
 * and loads itself back from an {@link Artifact}. Nothing here knows about Moleculer or threads:
 * the trainer runs `fit` inside a worker thread and moves the artifact as bytes.
 */
import type { Artifact } from '../core/container';
import type { ThreadTeam } from '../core/team';
import type { FeatureInfo, Matrix, Task } from '../core/types';

export type { FeatureInfo, FeatureKind, Matrix, Task } from '../core/types';

/**
 * What a model is fitted on. For classification `y` holds class indices 0..nClasses-1 (as floats)
 * and `classes` their labels; for regression `y` holds the target values and `nClasses` is 0.
 *
 * Kinds with `input: 'native'` (trees) receive NaN for missing values and categorical codes;
 * kinds with `input: 'dense'` receive finite, imputed, one-hot encoded, standardised columns.
 */
export interface TrainingSet {
  task: Task;
  x: Matrix;
  y: Float32Array;
  nClasses: number;
  classes?: string[];
  features: FeatureInfo[];
}

export interface FitProgress {
  /** 0..1 of the whole fit. */
  fraction: number;
  message?: string;
  /** Learning-curve point for iterative models (one per epoch or round). */
  epoch?: number;
  metrics?: Record<string, number>;
}

export interface FitContext {
  /** Seed of every random step of this fit. */
  seed: number;
  /** Held-out rows for early stopping and learning curves (same encoding as the training set). */
  validation?: { x: Matrix; y: Float32Array };
  /** Called now and then (at most a few times per second is enough). */
  onProgress?: (progress: FitProgress) => void;
  /** Polled between units of work (trees, epochs); when true the fit throws CANCELLED. */
  isCancelled?: () => boolean;
  /**
   * Starting weights for iterative models (training by parameter averaging): the artifact of
   * the current global model, or undefined to initialise from the seed.
   */
  initial?: Artifact;
  /** Threads lent to this fit (kinds with `team`); absent: the fit runs on its own thread. */
  team?: ThreadTeam | null;
  /** A part of a parallel fit: what `parallel.prepare` computed once for every part. */
  shared?: unknown;
}

export interface TrainedModel {
  readonly kind: string;
  readonly task: Task;
  readonly nFeatures: number;
  /** 0 for regression. */
  readonly nClasses: number;
  /**
   * Classification: class probabilities, row-major `rows × nClasses`, each row summing to 1.
   * Regression: one value per row.
   */
  predict(x: Matrix): Float32Array;
  /** The portable, versioned form (the container of `lib/core/container.ts`); `kind.load(toArtifact())` predicts identically. */
  toArtifact(): Artifact;
  /** Small JSON facts for the registry and the dashboard (sizes, importances, learning curve…). */
  summary(): Record<string, unknown>;
  /** Frees native memory (tensors); the model must not be used afterwards. */
  dispose(): void;
}

/** The size of what one member will be fitted on, known before the job is accepted. */
export interface DataShape {
  task: Task;
  /** Training rows of the member (its shard). */
  rows: number;
  /** Feature columns as the kind receives them (after one-hot encoding for 'dense' kinds). */
  features: number;
  /** 0 for regression. */
  nClasses: number;
}

/**
 * What a kind says about a fit before it starts: estimates from the data shape and the parameters
 * (coefficients measured on this project's benchmarks, see README's "Limits"), used to refuse a job
 * before its 202 rather than let it take a node's memory or a worker for hours.
 */
export interface FitPlan {
  /** Estimated peak memory of the fit, in bytes (data the kind allocates, not the shard itself). */
  memoryBytes: number;
  /** Estimated size of the fitted model's artifact, in bytes. */
  modelBytes?: number;
  /** Estimated resident memory of the model loaded for prediction (inference, broadcast voting), in bytes. */
  loadedBytes?: number;
  /** Estimated wall time of the fit on one thread, in seconds. */
  seconds?: number;
}

export interface ModelKind<P = Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  readonly tasks: readonly Task[];
  /** 'native': NaN and categorical codes welcome. 'dense': needs imputation, one-hot, scaling. */
  readonly input: 'native' | 'dense';
  /**
   * Merges defaults into user parameters and validates them once, at the boundary.
   * Throws QuorumError('BAD_MODEL_PARAMS') naming the parameter and the allowed range.
   */
  params(raw: unknown): P;
  /**
   * Optional: the checks that need the data's shape or task (a parameter that does not fit the task,
   * a shard over a size limit), run by the coordinator before it accepts a job, so they are a 4xx
   * before the 202 rather than a failed job later; and the fit's memory estimate, which the
   * coordinator holds against its budget. Throws a client error (BAD_MODEL_PARAMS, …) naming the
   * parameter and the fix. Must be cheap and must not load heavy code.
   */
  plan?(params: P, shape: DataShape): FitPlan;
  fit(data: TrainingSet, params: P, ctx: FitContext): Promise<TrainedModel>;
  /** Rebuilds a model; throws BAD_ARTIFACT / UNSUPPORTED_FORMAT_VERSION on a damaged or newer artifact. */
  load(artifact: Artifact): TrainedModel;
  /**
   * Optional asynchronous set-up of this thread before the first fit, load or predict (TensorFlow.js
   * kinds start their backend here; `backend` is the configured preference, 'auto' by default).
   * Returns a description of what was set up, e.g. `{ backend: 'wasm', simd: true }`.
   */
  init?(options: { backend?: string }): Promise<Record<string, unknown> | void>;
  /**
   * Optional: how one fit is spread over several threads of one node (forests: trees split across
   * workers, then merged). The split must not change the result: part i covers fixed work items.
   */
  parallel?: {
    /** Parameters of up to `parts` parts; one part means the fit does not split (it runs whole). */
    split(params: P, parts: number): P[];
    /**
     * Optional: work every part would repeat (forests: binning the shard), done once by the pool
     * on its own thread while the parts' threads start. Each part's fit gets it as
     * `FitContext.shared`; big arrays should sit in SharedArrayBuffers, so every part reads one copy.
     */
    prepare?(data: TrainingSet, params: P, seed: number): unknown;
    /**
     * A fitted part as plain data (objects and typed arrays) for the trip from its thread to the
     * merge. Its buffers are moved, not copied, and the model is not used afterwards: unlike an
     * artifact, nothing is packed, checked or unpacked on the way.
     */
    part(model: TrainedModel): unknown;
    /** The parts' data (in any order) merged into the model one thread would have fitted. */
    merge(parts: unknown[]): TrainedModel;
  };
  /**
   * One fit spread over a team of threads on one shared memory (core/team.ts): the pool lends the
   * fit that many threads and passes the team in `FitContext.team`. The team must not change the
   * result (gbm: each histogram bin is summed by one thread, in row order).
   */
  team?: boolean;
}
