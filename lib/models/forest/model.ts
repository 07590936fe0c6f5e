/**
 * A fitted forest: the flat trees (nodes.ts), the bin edges that turn split bins back into value
 * thresholds, and the facts the registry shows (importances, out-of-bag score).
 *
 * Prediction never bins the input (walk.ts): on first use every split becomes a node record with
 * a value threshold, and a batch walks every row of a chunk through one tree before the next tree,
 * so that tree stays in cache.
 */
import { QuorumError } from '../../errors';
import type { Artifact } from '../../core/container';
import type { FeatureInfo, Matrix, Task, TrainedModel } from '../model';
import type { Bins } from './binning';
import type { ForestNodes } from './nodes';
import type { ForestParams } from './params';
import { encodeForest } from './artifact';
import { addClassLeaves, addValueLeaves, compileWalker, fillRows, rowWidth, walkTree, type Walker } from './walk';

/**
 * Out-of-bag sums over the tracked training rows (all of them, or a seeded sample of a large
 * shard so the sums stay under a few tens of MB). A part of a parallel fit carries them so that
 * the merge can score the whole forest.
 */
export interface OobSums {
  /** Tracked training rows, ascending. */
  rows: Int32Array;
  /** Σ over trees that did not see the row: class probabilities (tracked rows × nClasses) or values. */
  sum: Float64Array;
  /** Trees that did not see the row. */
  count: Uint32Array;
  /** The training target of the tracked rows, to score against. */
  y: Float32Array;
}

/** While fitting: the sums, and where each training row's sums are (-1: not tracked). */
export interface OobTally {
  sums: OobSums;
  slot: Int32Array;
}

export interface ForestState {
  task: Task;
  nFeatures: number;
  nClasses: number;
  classes?: string[];
  features: FeatureInfo[];
  /** Parameters of the whole forest (a part's own are in `treeOffset` / `nEstimators`). */
  params: ForestParams;
  bins: Bins;
  nodes: ForestNodes;
  /**
   * Impurity importances per tree (trees × features), normalised to 1 per tree. Kept per tree,
   * not summed, so that a merged forest sums them in the same order as a single fit.
   */
  treeImportance: Float32Array;
  oobScore: number | null;
  /** Only in parts of a parallel fit. */
  oob: OobSums | null;
  /** Mean score drop per feature when it is shuffled in the validation set. */
  permutationImportance: number[] | null;
}

/**
 * Rows per prediction chunk. Every chunk streams all trees through the cache once, so chunks
 * should be long; the accumulator (rows × classes doubles, up to 1 MB here) should stay in cache.
 * Measured on Letter (26 classes, 100 trees) with the one-row-at-a-time walk: 1,024 rows 62 ms per
 * 4,000 rows, 4,096 rows 50 ms, 16,384 rows slower again. With the lock-step walk (walk.ts) chunks
 * of 1,024 to 8,192 rows time the same within noise (4 × 25 trees, 10,000 rows: 51–52 ms).
 */
function chunkRows(K: number): number {
  return Math.min(8192, Math.max(256, Math.floor((1 << 17) / K)));
}

export class ForestModel implements TrainedModel {
  readonly kind = 'forest';
  readonly task: Task;
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly nTrees: number;
  /** Built on first use: parts of a parallel fit are only merged, never asked to predict. */
  private compiled: Walker | null = null;

  constructor(readonly state: ForestState) {
    this.task = state.task;
    this.nFeatures = state.nFeatures;
    this.nClasses = state.nClasses;
    this.nTrees = state.nodes.treeStart.length - 1;
  }

  private get walker(): Walker {
    if (!this.compiled) this.compiled = compileWalker(this.state.nodes, this.state.bins);
    return this.compiled;
  }

  /** Class probabilities (rows × nClasses) or values (rows), averaged over the trees. */
  predict(x: Matrix): Float32Array {
    if (x.cols !== this.nFeatures) {
      throw new QuorumError('BAD_VALUE', `the forest was fitted on ${this.nFeatures} features, got rows of ${x.cols}; send the training columns`);
    }
    const walker = this.walker;
    const { leafStart, leafClass, leafProb, leafValue } = this.state.nodes;
    const classification = this.task === 'classification';
    const K = classification ? this.nClasses : 1;
    const out = new Float32Array(x.rows * K);
    const chunk = Math.min(x.rows, chunkRows(K));
    const acc = new Float64Array(chunk * K);
    const rows = new Float32Array(chunk * rowWidth(walker));
    const leaves = new Int32Array(chunk);
    const inv = 1 / this.nTrees;
    for (let start = 0; start < x.rows; start += chunk) {
      const n = Math.min(x.rows - start, chunk);
      fillRows(x, start, start + n, rows);
      acc.fill(0);
      for (let t = 0; t < this.nTrees; t++) {
        walkTree(walker, t, rows, n, leaves);
        if (classification) addClassLeaves(leaves, n, leafStart!, leafClass!, leafProb!, K, acc);
        else addValueLeaves(leaves, n, leafValue!, acc);
      }
      const o = start * K;
      for (let i = 0; i < n * K; i++) out[o + i] = acc[i] * inv;
    }
    return out;
  }

  /** Impurity importances by feature, summing to 1 (all 0 when no tree split). */
  importances(): Float64Array {
    const per = this.state.treeImportance;
    const nF = this.nFeatures;
    const sum = new Float64Array(nF);
    for (let i = 0; i < per.length; i++) sum[i % nF] += per[i];
    let total = 0;
    for (let f = 0; f < sum.length; f++) total += sum[f];
    return sum.map((v) => (total > 0 ? v / total : 0));
  }

  /** The portable form (see artifact.ts); `forestKind.load` of it predicts identically. */
  toArtifact(): Artifact {
    return encodeForest(this.state);
  }

  /**
   * Trees, total nodes, mean tree depth, out-of-bag score, impurity importances (and permutation
   * importances when computed) by feature name, and the parameters.
   */
  summary(): Record<string, unknown> {
    const { state } = this;
    const names = state.features.map((f) => f.name);
    const byName = (values: ArrayLike<number>): Record<string, number> => Object.fromEntries(names.map((name, i) => [name, Number(values[i].toPrecision(6))]));
    const depths = this.walker.depths;
    let depthSum = 0;
    for (let t = 0; t < this.nTrees; t++) depthSum += depths[t];
    return {
      nTrees: this.nTrees,
      totalNodes: state.nodes.feature.length,
      meanDepth: this.nTrees ? depthSum / this.nTrees : 0,
      oobScore: state.oobScore,
      featureImportances: byName(this.importances()),
      permutationImportances: state.permutationImportance ? byName(state.permutationImportance) : null,
      params: state.params,
    };
  }

  dispose(): void {}
}
