/**
 * What the classification and regression growers share: the binned data they read, their
 * options, the explicit node stack and the feature draw.
 */
import type { Rng } from '../../util/random';

/** A shard after binning (see binning.ts). */
export interface BinnedSet {
  /** Column-major codes: feature f of row r is codes[f * rows + r]. */
  codes: Uint8Array;
  rows: number;
  cols: number;
  /** Value bins per feature; the code equal to nBins[f] means missing. */
  nBins: Int32Array;
}

export interface GrowOptions {
  /** Infinity when unlimited. */
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  /** Features drawn per split. */
  mtry: number;
  extraTrees: boolean;
}

/** Nodes waiting to be grown: row range [s, e), depth, and the parent whose right child it is. */
export class Stack {
  private data = new Int32Array(4 * 64);
  size = 0;
  s = 0;
  e = 0;
  depth = 0;

  push(s: number, e: number, depth: number, parent: number): void {
    const o = 4 * this.size++;
    if (o + 4 > this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[o] = s;
    this.data[o + 1] = e;
    this.data[o + 2] = depth;
    this.data[o + 3] = parent;
  }

  /** Pops into s / e / depth; returns the parent (-1 for a left child or the root). */
  pop(): number {
    const o = 4 * --this.size;
    this.s = this.data[o];
    this.e = this.data[o + 1];
    this.depth = this.data[o + 2];
    return this.data[o + 3];
  }
}

/**
 * Draw number j of a node (a partial Fisher–Yates shuffle of `feats`): features are drawn without
 * replacement within a node; the order left in `feats` carries over to the next node harmlessly.
 */
export function drawFeature(feats: Int32Array, j: number, rng: Rng): number {
  const q = j + rng.int(feats.length - j);
  const f = feats[q];
  feats[q] = feats[j];
  feats[j] = f;
  return f;
}
