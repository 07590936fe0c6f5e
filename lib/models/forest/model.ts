/**
 * A fitted forest: the flat trees (nodes.ts), the bin edges that turn split bins back into value
 * thresholds, and the facts the registry shows (importances, out-of-bag score).
 *
 * Prediction never bins the input (walk.ts): on first use every split becomes a node record with
 * a value threshold, and a batch walks every row of a chunk through one tree before the next tree,
 * so that tree stays in cache.
 */
import type { Artifact } from '../../core/container';
import type { Matrix } from '../model';
import type { ForestParams } from './params';
import { encodeForest } from './artifact';
import { chunkRows, normalised, TreeEnsembleModel, type TreeState } from '../trees/model';
import { addClassLeaves, addValueLeaves, fillRows, rowWidth, walkTree } from '../trees/walk';

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

export interface ForestState extends TreeState {
  /** Parameters of the whole forest (a part's own are in `treeOffset` / `nEstimators`). */
  params: ForestParams;
  /**
   * Impurity importances per tree (trees × features), normalised to 1 per tree. Kept per tree,
   * not summed, so that a merged forest sums them in the same order as a single fit.
   */
  treeImportance: Float32Array;
  oobScore: number | null;
  /** Only in parts of a parallel fit. */
  oob: OobSums | null;
}

export class ForestModel extends TreeEnsembleModel<ForestState> {
  readonly kind = 'forest';

  /** Class probabilities (rows × nClasses) or values (rows), averaged over the trees. */
  predict(x: Matrix): Float32Array {
    this.checkWidth(x);
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
    return normalised(sum);
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
    const { nTrees, totalNodes, meanDepth, byName } = this.baseSummary();
    return { nTrees, totalNodes, meanDepth, oobScore: this.state.oobScore, ...this.importanceSummary(byName) };
  }
}
