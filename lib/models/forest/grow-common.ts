/**
 * What the classification and regression growers share: the binned data they read, their
 * options, the explicit node stack and the feature draw.
 */
import type { Rng } from '../../util/random';
import type { OobTally } from './model';
import type { NodeWriter } from '../trees/nodes';

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

/**
 * Nodes waiting to be grown: in-bag row range [s, e) of `idx`, out-of-bag row range [os, oe) of
 * the out-of-bag index, depth, and the parent whose right child it is.
 */
export class Stack {
  private data = new Int32Array(6 * 64);
  size = 0;
  s = 0;
  e = 0;
  os = 0;
  oe = 0;
  depth = 0;

  push(s: number, e: number, os: number, oe: number, depth: number, parent: number): void {
    const o = 6 * this.size++;
    if (o + 6 > this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[o] = s;
    this.data[o + 1] = e;
    this.data[o + 2] = os;
    this.data[o + 3] = oe;
    this.data[o + 4] = depth;
    this.data[o + 5] = parent;
  }

  /** Pops into s / e / os / oe / depth; returns the parent (-1 for a left child or the root). */
  pop(): number {
    const o = 6 * --this.size;
    this.s = this.data[o];
    this.e = this.data[o + 1];
    this.os = this.data[o + 2];
    this.oe = this.data[o + 3];
    this.depth = this.data[o + 4];
    return this.data[o + 5];
  }
}

/**
 * Adds the newest leaf's prediction to the out-of-bag sums of rows oobIdx[s..e). Out-of-bag rows
 * are partitioned down the tree alongside the in-bag ones while it grows (a sequential pass per
 * level), which is several times cheaper than walking each of them through the finished tree.
 */
/**
 * A tree's start: the rows it grows on (weight > 0) into `idx`, the tracked out-of-bag rows (weight 0)
 * into `oobIdx`, every feature back in `feats`, and the root range pushed on `stack`.
 */
export function startTree(weight: Float64Array, oob: OobTally | null, idx: Int32Array, oobIdx: Int32Array, feats: Int32Array, stack: Stack): void {
  let m = 0;
  let mo = 0;
  for (let r = 0; r < weight.length; r++) {
    if (weight[r] > 0) idx[m++] = r;
    else if (oob && oob.slot[r] >= 0) oobIdx[mo++] = r;
  }
  for (let f = 0; f < feats.length; f++) feats[f] = f;
  stack.push(0, m, 0, mo, 0, -1);
}

/**
 * The features a node's split search looks at: `mtry` distinct draws (a batch of up to BATCH at a
 * time), skipping features constant in the node, then one by one until one is not constant (as
 * scikit-learn does). Each batch's features go into `fq`, and `evaluate(nq)` scores them.
 */
export function drawFeatures(
  feats: Int32Array,
  fq: Int32Array,
  codes: Uint8Array,
  cols: number,
  mtry: number,
  idx: Int32Array,
  s: number,
  e: number,
  rng: Rng,
  evaluate: (nq: number) => void,
): void {
  let j = 0;
  let informative = 0;
  while (j < cols && (j < mtry || informative === 0)) {
    const want = j < mtry ? Math.min(BATCH, mtry - j) : 1;
    let nq = 0;
    for (let t = 0; t < want && j < cols; t++, j++) {
      const f = drawFeature(feats, j, rng);
      if (!isConstant(codes, cols, f, idx, s, e)) fq[nq++] = f;
    }
    if (nq === 0) continue;
    informative += nq;
    evaluate(nq);
  }
}

export function addLeafVotes(out: NodeWriter, oobIdx: Int32Array, s: number, e: number, oob: OobTally, K: number): void {
  const leaf = out.leaves - 1;
  const { count, sum } = oob.sums;
  const slot = oob.slot;
  if (out.classification) {
    const { leafStart, leafClass, leafProb } = out;
    const a = leafStart[leaf];
    const b = leafStart[leaf + 1];
    for (let i = s; i < e; i++) {
      const r = slot[oobIdx[i]];
      const base = r * K;
      for (let j = a; j < b; j++) sum[base + leafClass[j]] += leafProb[j];
      count[r]++;
    }
  } else {
    const v = out.leafValue[leaf];
    for (let i = s; i < e; i++) {
      const r = slot[oobIdx[i]];
      sum[r] += v;
      count[r]++;
    }
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

/** The best split of a node so far. */
export class BestSplit {
  /** Criterion proxy: larger is better (its gain over the parent's is the impurity decrease). */
  proxy = -Infinity;
  /** -1 until a valid split is seen. */
  feature = -1;
  /** Values go left when their code ≤ bin. */
  bin = 0;
  /** The next bin the node touches after `bin`; -1 when `bin` already sends every value left. */
  next = -1;
  missLeft = false;
  wLeft = 0;
  wRight = 0;

  reset(): void {
    this.proxy = -Infinity;
    this.feature = -1;
  }

  set(proxy: number, feature: number, bin: number, next: number, missLeft: boolean, wLeft: number, wRight: number): void {
    this.proxy = proxy;
    this.feature = feature;
    this.bin = bin;
    this.next = next;
    this.missLeft = missLeft;
    this.wLeft = wLeft;
    this.wRight = wRight;
  }

  /**
   * Final threshold once this feature won: centred in the gap of bins the node does not touch
   * (unseen values split halfway, as scikit-learn's midpoint thresholds do), kept as drawn for
   * extra trees, the open last bin when every value goes left. With no missing value in the node,
   * future ones go where most of the weight went.
   */
  settle(nb: number, drawn: boolean, wMiss: number): void {
    this.bin = this.next < 0 ? nb - 1 : drawn ? this.bin : (this.bin + this.next - 1) >> 1;
    if (wMiss === 0) this.missLeft = this.wLeft >= this.wRight;
  }
}

/** Moves the rows of idx[s..e) going left to the front; returns where the right ones start. */
export function partition(data: BinnedSet, idx: Int32Array, s: number, e: number, f: number, b: number, missLeft: boolean): number {
  const { codes, cols } = data;
  const mc = data.nBins[f];
  let i = s;
  let j = e;
  while (i < j) {
    const r = idx[i];
    const c = codes[r * cols + f];
    if (c === mc ? missLeft : c <= b) {
      i++;
    } else {
      j--;
      idx[i] = idx[j];
      idx[j] = r;
    }
  }
  return i;
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
