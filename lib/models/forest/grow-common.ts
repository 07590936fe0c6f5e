/**
 * What the classification and regression growers share: the binned data they read, their
 * options, the explicit node stack and the feature draw.
 */
import type { Rng } from '../../util/random';

/** A shard after binning (see binning.ts). */
export interface BinnedSet {
  /** Row-major codes: feature f of row r is codes[r * cols + f]. */
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

/** Features whose histograms one pass over a node's rows fills. */
export const BATCH = 8;

/** True when feature f has one code (value bin or missing) over idx[s..e). Exits at the first difference. */
export function isConstant(codes: Uint8Array, cols: number, f: number, idx: Int32Array, s: number, e: number): boolean {
  const c0 = codes[idx[s] * cols + f];
  for (let i = s + 1; i < e; i++) if (codes[idx[i] * cols + f] !== c0) return false;
  return true;
}

/**
 * Sorts the `nt` touched bins at touched[to..] ascending. Few (deep nodes): insertion sort.
 * Many: list the non-empty bins 0..nb (weight[to + b] ≠ 0) in order instead, nb + 1 reads.
 */
export function sortTouched(touched: Int32Array, to: number, nt: number, weight: Float64Array, nb: number): void {
  if (nt <= 24) {
    for (let i = to + 1; i < to + nt; i++) {
      const v = touched[i];
      let j = i - 1;
      while (j >= to && touched[j] > v) {
        touched[j + 1] = touched[j];
        j--;
      }
      touched[j + 1] = v;
    }
    return;
  }
  let k = to;
  for (let b = 0; b <= nb; b++) if (weight[to + b] !== 0) touched[k++] = b;
}
