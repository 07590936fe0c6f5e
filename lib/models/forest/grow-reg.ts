/**
 * Grows one regression tree (CART, squared error) on binned data. Same shape as the
 * classification grower (see grow-class.ts); a histogram bin holds (Σ w, Σ w·y), and a split
 * maximises S_L²/W_L + S_R²/W_R, the usual variance-reduction proxy.
 */
import type { Rng } from '../../util/random';
import type { BinnedSet, GrowOptions } from './grow-common';
import { Stack, drawFeature } from './grow-common';
import type { NodeWriter } from './nodes';

export class RegGrower {
  private readonly idx: Int32Array;
  private readonly lw: Float64Array;
  private readonly lwy: Float64Array;
  private readonly hist: Float64Array;
  private readonly cnt: Int32Array;
  private readonly feats: Int32Array;
  private readonly stack = new Stack();

  private bestProxy = -Infinity;
  private bestF = -1;
  private bestB = 0;
  private bestML = false;
  private bestWL = 0;
  private bestWR = 0;
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
    this.idx = new Int32Array(n);
    this.lw = new Float64Array(n);
    this.lwy = new Float64Array(n);
    this.hist = new Float64Array(2 * maxBins);
    this.cnt = new Int32Array(maxBins);
    this.feats = new Int32Array(data.cols);
  }

  /** Grows a tree on the rows with weight > 0; adds squared-error decreases to `imp[feature]`. */
  grow(weight: Float64Array, rng: Rng, out: NodeWriter, imp: Float64Array): void {
    const { idx, lw, lwy, y, stack, opt } = this;
    let m = 0;
    for (let r = 0; r < weight.length; r++) if (weight[r] > 0) idx[m++] = r;
    for (let f = 0; f < this.feats.length; f++) this.feats[f] = f;
    stack.push(0, m, 0, -1);
    while (stack.size > 0) {
      const parent = stack.pop();
      const s = stack.s;
      const e = stack.e;
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
      // A constant target needs no split (exact test: a variance computed in floating point
      // would rarely be exactly 0).
      const split =
        lo < hi && n >= opt.minSamplesSplit && n >= 2 * opt.minSamplesLeaf && depth < opt.maxDepth && this.findSplit(s, e, rng);
      let id: number;
      if (!split) {
        id = out.valueLeaf(S / W);
      } else {
        const f = this.bestF;
        imp[f] += this.bestProxy - (S * S) / W;
        id = out.split(f, this.bestB, this.bestML);
        const mid = this.partition(s, e, f, this.bestB, this.bestML);
        stack.push(mid, e, depth + 1, id);
        stack.push(s, mid, depth + 1, -1);
      }
      if (parent >= 0) out.setRight(parent, id);
    }
    out.endTree();
  }

  private findSplit(s: number, e: number, rng: Rng): boolean {
    const feats = this.feats;
    const nF = feats.length;
    this.bestProxy = -Infinity;
    this.bestF = -1;
    let visited = 0;
    let informative = 0;
    for (let j = 0; j < nF && (visited < this.opt.mtry || informative === 0); j++) {
      const f = drawFeature(feats, j, rng);
      visited++;
      if (this.evalFeature(f, s, e, rng)) informative++;
    }
    return this.bestF >= 0;
  }

  private evalFeature(f: number, s: number, e: number, rng: Rng): boolean {
    const { idx, lw, lwy, hist, cnt } = this;
    const { codes, rows } = this.data;
    const nb = this.data.nBins[f];
    const needCounts = this.opt.minSamplesLeaf > 1;
    hist.fill(0, 0, 2 * (nb + 1));
    const base = f * rows;
    for (let i = s; i < e; i++) {
      const c2 = codes[base + idx[i]] << 1;
      hist[c2] += lw[i];
      hist[c2 + 1] += lwy[i];
    }
    if (needCounts) {
      cnt.fill(0, 0, nb + 1);
      for (let i = s; i < e; i++) cnt[codes[base + idx[i]]]++;
    }
    let first = -1;
    let last = -1;
    for (let b = 0; b < nb; b++) {
      if (hist[2 * b] > 0) {
        if (first < 0) first = b;
        last = b;
      }
    }
    const wMiss = hist[2 * nb];
    if (first < 0 || (first === last && wMiss === 0)) return false;
    if (this.opt.extraTrees) {
      const b = first === last ? last : first + rng.int(last - first);
      this.scan(f, false, b, b, nb, needCounts, e - s, true);
      if (wMiss > 0 && b < last) this.scan(f, true, b, b, nb, needCounts, e - s, true);
    } else {
      this.scan(f, false, first, wMiss > 0 ? last : last - 1, nb, needCounts, e - s, false);
      if (wMiss > 0) this.scan(f, true, first, last - 1, nb, needCounts, e - s, false);
    }
    if (this.bestF === f) {
      const b = this.bestB;
      if (b === last) {
        this.bestB = nb - 1; // all values left, missing right
      } else if (!this.opt.extraTrees) {
        let next = b + 1;
        while (hist[2 * next] === 0) next++;
        this.bestB = (b + next - 1) >> 1;
      }
      if (wMiss === 0) this.bestML = this.bestWL >= this.bestWR;
    }
    return true;
  }

  /**
   * Scans thresholds from..to with missing values on one side. `only` evaluates just `to`, with
   * every bin up to it accumulated first (extra trees).
   */
  private scan(f: number, missLeft: boolean, from: number, to: number, nb: number, counts: boolean, n: number, only: boolean): void {
    const { hist, cnt } = this;
    const minLeaf = this.opt.minSamplesLeaf;
    const W = this.W;
    const S = this.S;
    let WL = missLeft ? hist[2 * nb] : 0;
    let SL = missLeft ? hist[2 * nb + 1] : 0;
    let nL = counts && missLeft ? cnt[nb] : 0;
    for (let b = only ? 0 : from; b <= to; b++) {
      const wb = hist[2 * b];
      if (wb !== 0) {
        WL += wb;
        SL += hist[2 * b + 1];
        if (counts) nL += cnt[b];
      } else if (!only) {
        continue; // same partition as the previous threshold
      }
      if (only && b < to) continue;
      if (counts) {
        if (nL < minLeaf) continue;
        if (n - nL < minLeaf) break;
      }
      const WR = W - WL;
      if (!(WR > 0)) break;
      const SR = S - SL;
      const proxy = (SL * SL) / WL + (SR * SR) / WR;
      if (proxy > this.bestProxy) {
        this.bestProxy = proxy;
        this.bestF = f;
        this.bestB = b;
        this.bestML = missLeft;
        this.bestWL = WL;
        this.bestWR = WR;
      }
    }
  }

  private partition(s: number, e: number, f: number, b: number, missLeft: boolean): number {
    const idx = this.idx;
    const { codes, rows } = this.data;
    const base = f * rows;
    const mc = this.data.nBins[f];
    let i = s;
    let j = e;
    while (i < j) {
      const r = idx[i];
      const c = codes[base + r];
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
}
