/**
 * What every tree ensemble model (forest, gbm) shares: its counts, the walker its trees compile to
 * on first use (walk.ts), the width check of its input, and the facts of its summary (trees, nodes,
 * mean depth, importances by feature name). The kinds add how leaves become a prediction.
 */
import { QuorumError } from '../../errors';
import type { Artifact } from '../../core/container';
import type { FeatureInfo, Matrix, Task, TrainedModel } from '../model';
import type { Bins } from './binning';
import { treeDepths, type TreeNodes } from './nodes';
import { compileWalker, type Walker } from './walk';

/** What every tree model's state holds (a kind adds its own facts). */
export interface TreeState {
  task: Task;
  nFeatures: number;
  /** 0 for regression. */
  nClasses: number;
  classes?: string[];
  features: FeatureInfo[];
  params: object;
  bins: Bins;
  nodes: TreeNodes;
  /** Mean score drop per feature when it is shuffled in the validation set. */
  permutationImportance: number[] | null;
}

/**
 * Rows per prediction chunk (`outputs` accumulators a row). Every chunk streams all trees through
 * the cache once, so chunks should be long; the accumulators (rows × outputs doubles, up to 1 MB)
 * should stay in cache. Measured on Letter (26 classes, 100 trees) with the one-row-at-a-time walk:
 * 1,024 rows 62 ms per 4,000 rows, 4,096 rows 50 ms, 16,384 rows slower again. With the lock-step
 * walk (walk.ts) chunks of 1,024 to 8,192 rows time the same within noise (4 × 25 trees, 10,000
 * rows: 51–52 ms).
 */
export function chunkRows(outputs: number): number {
  return Math.min(8192, Math.max(256, Math.floor((1 << 17) / outputs)));
}

/** `values` scaled to sum to 1 (all 0 when they sum to 0): importances by feature. */
export function normalised(values: Float64Array): Float64Array {
  let total = 0;
  for (let f = 0; f < values.length; f++) total += values[f];
  return values.map((v) => (total > 0 ? v / total : 0));
}

export abstract class TreeEnsembleModel<S extends TreeState> implements TrainedModel {
  abstract readonly kind: string;
  readonly task: Task;
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly nTrees: number;
  /** Built on first use: parts of a parallel fit are only merged, never asked to predict. */
  private compiled: Walker | null = null;

  constructor(readonly state: S) {
    this.task = state.task;
    this.nFeatures = state.nFeatures;
    this.nClasses = state.nClasses;
    this.nTrees = state.nodes.treeStart.length - 1;
  }

  protected get walker(): Walker {
    if (!this.compiled) this.compiled = compileWalker(this.state.nodes, this.state.bins);
    return this.compiled;
  }

  /** BAD_VALUE unless `x` has the columns the model was fitted on. */
  protected checkWidth(x: Matrix): void {
    if (x.cols !== this.nFeatures) {
      throw new QuorumError('BAD_VALUE', `the ${this.kind} was fitted on ${this.nFeatures} features, got rows of ${x.cols}; send the training columns`);
    }
  }

  abstract predict(x: Matrix): Float32Array;
  /** Importances by feature, summing to 1 (all 0 when no tree split). */
  abstract importances(): Float64Array;
  abstract toArtifact(): Artifact;

  /** The summary's shared part; a kind spreads its own facts into it. */
  protected baseSummary(): { nTrees: number; totalNodes: number; meanDepth: number; byName: (values: ArrayLike<number>) => Record<string, number> } {
    const names = this.state.features.map((f) => f.name);
    const byName = (values: ArrayLike<number>): Record<string, number> => Object.fromEntries(names.map((name, i) => [name, Number(values[i].toPrecision(6))]));
    const depths = treeDepths(this.state.nodes);
    let depthSum = 0;
    for (let t = 0; t < this.nTrees; t++) depthSum += depths[t];
    return { nTrees: this.nTrees, totalNodes: this.state.nodes.feature.length, meanDepth: this.nTrees ? depthSum / this.nTrees : 0, byName };
  }

  /** Importances (and permutation importances when computed) by feature name, and the parameters. */
  protected importanceSummary(byName: (values: ArrayLike<number>) => Record<string, number>): Record<string, unknown> {
    return {
      featureImportances: byName(this.importances()),
      permutationImportances: this.state.permutationImportance ? byName(this.state.permutationImportance) : null,
      params: this.state.params,
    };
  }

  abstract summary(): Record<string, unknown>;

  dispose(): void {}
}
