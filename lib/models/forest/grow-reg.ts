/**
 * Grows one regression tree (CART, squared error) on binned data. Same shape as the
 * classification grower (see grow-class.ts): batched histograms over touched bins, scans for both
 * sides of missing values, preorder depth-first growth. A bin holds (Σ w, Σ w·y) and a split
 * maximises S_L²/W_L + S_R²/W_R, the usual variance-reduction proxy.
 */
import type { Rng } from '../../util/random';
import type { BinnedSet, GrowOptions } from './grow-common';
import { BATCH, BestSplit, Stack, addLeafVotes, drawFeatures, partition, sortTouched, startTree } from './grow-common';
import type { OobTally } from './model';
import type { NodeWriter } from '../trees/nodes';

/** Grows regression trees on one binned shard; one grower serves every tree of a fit. */
export class RegGrower {
  private readonly idx: Int32Array;
  /** Rows the tree does not see, when the out-of-bag score is wanted. */
  private readonly oobIdx: Int32Array;
  private readonly lw: Float64Array;
  private readonly lwy: Float64Array;
  /** Per slot and bin: Σ w (bw) and Σ w·y (bs); row counts when minSamplesLeaf > 1. */
  private readonly bw: Float64Array;
  private readonly bs: Float64Array;
  private readonly cnt: Int32Array;
  private readonly touched: Int32Array;
  private readonly nt = new Int32Array(BATCH);
  private readonly fq = new Int32Array(BATCH);
  private readonly slot: number;
  private readonly feats: Int32Array;
  private readonly stack = new Stack();

  private readonly best = new BestSplit();
  // Node totals.
  private W = 0;
  private S = 0;

  constructor(
    private readonly data: BinnedSet,
    private readonly y: Float64Array,
    private readonly opt: GrowOptions,
  ) {
    const n = data.rows;
    let maxBins = 1;
    for (let f = 0; f < data.cols; f++) maxBins = Math.max(maxBins, data.nBins[f] + 1);
    this.slot = maxBins;
    this.idx = new Int32Array(n);
    this.oobIdx = new Int32Array(n);
    this.lw = new Float64Array(n);
    this.lwy = new Float64Array(n);
    this.bw = new Float64Array(BATCH * maxBins);
    this.bs = new Float64Array(BATCH * maxBins);
    this.cnt = new Int32Array(BATCH * maxBins);
    this.touched = new Int32Array(BATCH * maxBins);
    this.feats = new Int32Array(data.cols);
  }

  /**
   * Grows a tree on the rows with weight > 0; adds squared-error decreases to `imp[feature]`, and
   * leaf values to the out-of-bag sums of the rows with weight 0 (when `oob`).
   */
  grow(weight: Float64Array, rng: Rng, out: NodeWriter, imp: Float64Array, oob: OobTally | null): void {
    const { idx, lw, lwy, y, stack, opt } = this;
    const oobIdx = this.oobIdx;
    startTree(weight, oob, idx, oobIdx, this.feats, stack);
    while (stack.size > 0) {
      const parent = stack.pop();
      const s = stack.s;
      const e = stack.e;
      const os = stack.os;
      const oe = stack.oe;
      const depth = stack.depth;
      let W = 0;
      let S = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = s; i < e; i++) {
        const r = idx[i];
        const w = weight[r];
        const v = y[r];
        lw[i] = w;
        lwy[i] = w * v;
        W += w;
        S += w * v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      this.W = W;
      this.S = S;
      const n = e - s;
      // A constant target needs no split (an exact test: a variance computed in floating point
      // is rarely exactly 0).
      const split = lo < hi && n >= opt.minSamplesSplit && n >= 2 * opt.minSamplesLeaf && depth < opt.maxDepth && this.findSplit(s, e, rng);
      let id: number;
      if (!split) {
        id = out.valueLeaf(S / W);
        if (oe > os) addLeafVotes(out, oobIdx, os, oe, oob!, 1);
      } else {
        const { feature: f, bin, missLeft } = this.best;
        imp[f] += this.best.proxy - (S * S) / W;
        id = out.split(f, bin, missLeft);
        const mid = partition(this.data, idx, s, e, f, bin, missLeft);
        const omid = oe > os ? partition(this.data, oobIdx, os, oe, f, bin, missLeft) : os;
        stack.push(mid, e, omid, oe, depth + 1, id);
        stack.push(s, mid, os, omid, depth + 1, -1);
      }
      if (parent >= 0) out.setRight(parent, id);
    }
    out.endTree();
  }

  private findSplit(s: number, e: number, rng: Rng): boolean {
    this.best.reset();
    drawFeatures(this.feats, this.fq, this.data.codes, this.data.cols, this.opt.mtry, this.idx, s, e, rng, (nq) => {
      this.fillHistograms(nq, s, e);
      for (let q = 0; q < nq; q++) this.evalSlot(q, e - s, rng);
    });
    return this.best.feature >= 0;
  }

  private fillHistograms(nq: number, s: number, e: number): void {
    const { idx, lw, lwy, bw, bs, cnt, touched, nt, fq, slot } = this;
    const { codes, cols } = this.data;
    nt.fill(0);
    for (let i = s; i < e; i++) {
      const rb = idx[i] * cols;
      const w = lw[i];
      const wy = lwy[i];
      for (let q = 0; q < nq; q++) {
        const c = codes[rb + fq[q]];
        const bo = q * slot + c;
        if (bw[bo] === 0) touched[q * slot + nt[q]++] = c;
        bw[bo] += w;
        bs[bo] += wy;
      }
    }
    if (this.opt.minSamplesLeaf > 1) {
      for (let q = 0; q < nq; q++) {
        const f = fq[q];
        for (let i = s; i < e; i++) cnt[q * slot + codes[idx[i] * cols + f]]++;
      }
    }
  }

  private evalSlot(q: number, n: number, rng: Rng): void {
    const { bw, bs, cnt, touched } = this;
    const f = this.fq[q];
    const nb = this.data.nBins[f];
    const nt = this.nt[q];
    const to = q * this.slot;
    sortTouched(touched, to, nt, bw, nb);
    const wMiss = bw[to + nb];
    const nv = wMiss > 0 ? nt - 1 : nt;
    let drawn = -1;
    if (this.opt.extraTrees) {
      const first = touched[to];
      const last = touched[to + nv - 1];
      drawn = first === last ? last : first + rng.int(last - first);
      let jb = 0; // touched value bins ≤ the drawn threshold
      while (jb < nv && touched[to + jb] <= drawn) jb++;
      this.scan(q, f, false, jb - 1, jb - 1, nv, nb, n);
      if (wMiss > 0 && drawn < last) this.scan(q, f, true, jb - 1, jb - 1, nv, nb, n);
    } else {
      this.scan(q, f, false, 0, wMiss > 0 ? nv - 1 : nv - 2, nv, nb, n);
      if (wMiss > 0) this.scan(q, f, true, 0, nv - 2, nv, nb, n);
    }
    if (this.best.feature === f) {
      if (drawn >= 0) this.best.bin = drawn;
      this.best.settle(nb, drawn >= 0, wMiss);
    }
    for (let t = 0; t < nt; t++) {
      const c = to + touched[to + t];
      bw[c] = 0;
      bs[c] = 0;
      cnt[c] = 0;
    }
  }

  /**
   * Evaluates the thresholds after touched value bins jFrom..jLast (of nv), with missing values
   * on one side; every touched bin before jFrom is accumulated first (extra trees evaluate one
   * threshold: jFrom = jLast).
   */
  private scan(q: number, f: number, missLeft: boolean, jFrom: number, jLast: number, nv: number, nb: number, n: number): void {
    const { bw, bs, cnt, touched } = this;
    const to = q * this.slot;
    const counts = this.opt.minSamplesLeaf > 1;
    const minLeaf = this.opt.minSamplesLeaf;
    const W = this.W;
    const S = this.S;
    let WL = missLeft ? bw[to + nb] : 0;
    let SL = missLeft ? bs[to + nb] : 0;
    let nL = counts && missLeft ? cnt[to + nb] : 0;
    for (let j = 0; j <= jLast; j++) {
      const b = touched[to + j];
      WL += bw[to + b];
      SL += bs[to + b];
      if (counts) nL += cnt[to + b];
      if (j < jFrom) continue;
      if (counts) {
        if (nL < minLeaf) continue;
        if (n - nL < minLeaf) break;
      }
      const WR = W - WL;
      const SR = S - SL;
      const proxy = (SL * SL) / WL + (SR * SR) / WR;
      if (proxy > this.best.proxy) this.best.set(proxy, f, b, j + 1 < nv ? touched[to + j + 1] : -1, missLeft, WL, WR);
    }
  }
}
