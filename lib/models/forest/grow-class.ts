/**
 * Grows one classification tree (CART, Gini or entropy) on binned data.
 *
 * Per node: class totals of its rows, then for each drawn feature a histogram bins × classes
 * (only the classes present in the node, so deep nodes scan tiny histograms) and one incremental
 * scan over the bins, twice when the node has missing values (missing left / missing right).
 * Rows are partitioned in place in `idx`; the tree grows depth-first from an explicit stack, in
 * preorder, so that a left child is always the node after its parent. All buffers are allocated
 * once per grower and reused across nodes and trees.
 */
import type { Rng } from '../../util/random';
import type { BinnedSet, GrowOptions } from './grow-common';
import { Stack, drawFeature } from './grow-common';
import type { NodeWriter } from './nodes';

export class ClassGrower {
  private readonly idx: Int32Array;
  private readonly ly: Int32Array;
  private readonly lw: Float64Array;
  private readonly hist: Float64Array;
  private readonly bw: Float64Array;
  private readonly cnt: Int32Array;
  private readonly tot: Float64Array;
  private readonly T: Float64Array;
  private readonly L: Float64Array;
  private readonly loc: Int32Array;
  private readonly cls: Int32Array;
  private readonly feats: Int32Array;
  private readonly stack = new Stack();
  private readonly entropy: boolean;

  // The best split of the current node.
  private bestProxy = -Infinity;
  private bestF = -1;
  private bestB = 0;
  private bestML = false;
  private bestWL = 0;
  private bestWR = 0;

  constructor(
    private readonly data: BinnedSet,
    private readonly y: Int32Array,
    private readonly nClasses: number,
    private readonly opt: GrowOptions,
    criterion: 'gini' | 'entropy',
  ) {
    const n = data.rows;
    let maxBins = 1;
    for (let f = 0; f < data.cols; f++) maxBins = Math.max(maxBins, data.nBins[f] + 1);
    this.idx = new Int32Array(n);
    this.ly = new Int32Array(n);
    this.lw = new Float64Array(n);
    this.hist = new Float64Array(maxBins * nClasses);
    this.bw = new Float64Array(maxBins);
    this.cnt = new Int32Array(maxBins);
    this.tot = new Float64Array(nClasses);
    this.T = new Float64Array(nClasses);
    this.L = new Float64Array(nClasses);
    this.loc = new Int32Array(nClasses);
    this.cls = new Int32Array(nClasses);
    this.feats = new Int32Array(data.cols);
    this.entropy = criterion === 'entropy';
  }

  /**
   * Grows a tree on the rows with weight > 0 (bootstrap counts × class weights) and appends it to
   * `out`. Adds each split's weighted impurity decrease to `imp[feature]`.
   */
  grow(weight: Float64Array, rng: Rng, out: NodeWriter, imp: Float64Array): void {
    const { idx, ly, lw, tot, T, loc, cls, y, stack, opt } = this;
    const K = this.nClasses;
    let m = 0;
    for (let r = 0; r < weight.length; r++) if (weight[r] > 0) idx[m++] = r;
    for (let f = 0; f < this.feats.length; f++) this.feats[f] = f;
    stack.push(0, m, 0, -1);
    while (stack.size > 0) {
      const parent = stack.pop();
      const s = stack.s;
      const e = stack.e;
      const depth = stack.depth;
      tot.fill(0);
      for (let i = s; i < e; i++) {
        const r = idx[i];
        tot[y[r]] += weight[r];
      }
      // Compact the classes present: histograms are bins × kk, not bins × K.
      let kk = 0;
      for (let c = 0; c < K; c++) {
        const t = tot[c];
        if (t > 0) {
          loc[c] = kk;
          cls[kk] = c;
          T[kk++] = t;
        }
      }
      const n = e - s;
      let split = false;
      if (kk > 1 && n >= opt.minSamplesSplit && n >= 2 * opt.minSamplesLeaf && depth < opt.maxDepth) {
        for (let i = s; i < e; i++) {
          const r = idx[i];
          ly[i] = loc[y[r]];
          lw[i] = weight[r];
        }
        split = this.findSplit(s, e, kk, rng);
      }
      let id: number;
      if (!split) {
        id = out.classLeaf(cls, T, kk);
      } else {
        const f = this.bestF;
        imp[f] += this.bestProxy - this.parentProxy(kk);
        id = out.split(f, this.bestB, this.bestML);
        const mid = this.partition(s, e, f, this.bestB, this.bestML);
        stack.push(mid, e, depth + 1, id);
        stack.push(s, mid, depth + 1, -1);
      }
      if (parent >= 0) out.setRight(parent, id);
    }
    out.endTree();
  }

  private parentProxy(kk: number): number {
    const T = this.T;
    let W = 0;
    let acc = 0;
    for (let k = 0; k < kk; k++) {
      W += T[k];
      acc += this.entropy ? T[k] * Math.log(T[k]) : T[k] * T[k];
    }
    return this.entropy ? acc - W * Math.log(W) : acc / W;
  }

  /** Draws features until maxFeatures are seen and one was not constant; true when a split was found. */
  private findSplit(s: number, e: number, kk: number, rng: Rng): boolean {
    const feats = this.feats;
    const nF = feats.length;
    this.bestProxy = -Infinity;
    this.bestF = -1;
    let visited = 0;
    let informative = 0;
    for (let j = 0; j < nF && (visited < this.opt.mtry || informative === 0); j++) {
      const f = drawFeature(feats, j, rng);
      visited++;
      if (this.evalFeature(f, s, e, kk, rng)) informative++;
    }
    return this.bestF >= 0;
  }

  /** Builds feature f's histogram and scans it; false when f is constant in the node. */
  private evalFeature(f: number, s: number, e: number, kk: number, rng: Rng): boolean {
    const { idx, ly, lw, hist, bw, cnt } = this;
    const { codes, rows } = this.data;
    const nb = this.data.nBins[f];
    const needCounts = this.opt.minSamplesLeaf > 1;
    hist.fill(0, 0, (nb + 1) * kk);
    const base = f * rows;
    if (kk === 2) {
      // Two classes (binary targets, and most deep nodes): no multiply, better locality.
      for (let i = s; i < e; i++) hist[(codes[base + idx[i]] << 1) + ly[i]] += lw[i];
    } else {
      for (let i = s; i < e; i++) hist[codes[base + idx[i]] * kk + ly[i]] += lw[i];
    }
    if (needCounts) {
      cnt.fill(0, 0, nb + 1);
      for (let i = s; i < e; i++) cnt[codes[base + idx[i]]]++;
    }
    let first = -1;
    let last = -1;
    for (let b = 0; b < nb; b++) {
      let w = 0;
      const o = b * kk;
      for (let k = 0; k < kk; k++) w += hist[o + k];
      bw[b] = w;
      if (w > 0) {
        if (first < 0) first = b;
        last = b;
      }
    }
    let wMiss = 0;
    for (let k = 0; k < kk; k++) wMiss += hist[nb * kk + k];
    bw[nb] = wMiss;
    // Constant: a single value bin and nothing missing, or everything missing.
    if (first < 0 || (first === last && wMiss === 0)) return false;
    if (this.opt.extraTrees) {
      const b = first === last ? last : first + rng.int(last - first);
      this.tryThreshold(f, b, false, nb, kk, wMiss, needCounts, e - s);
      if (wMiss > 0 && b < last) this.tryThreshold(f, b, true, nb, kk, wMiss, needCounts, e - s);
    } else {
      this.scan(f, false, first, wMiss > 0 ? last : last - 1, nb, kk, needCounts, e - s);
      if (wMiss > 0) this.scan(f, true, first, last - 1, nb, kk, needCounts, e - s);
    }
    if (this.bestF === f) this.settle(nb, last, wMiss);
    return true;
  }

  /** After f became the best: centre the threshold in the gap of empty bins, pick a missing side. */
  private settle(nb: number, last: number, wMiss: number): void {
    const b = this.bestB;
    if (b === last) {
      this.bestB = nb - 1; // all values left, missing right: any value, even unseen, goes left
    } else if (!this.opt.extraTrees) {
      let next = b + 1;
      while (this.bw[next] === 0) next++;
      this.bestB = (b + next - 1) >> 1;
    }
    // No missing value reached this node: send future ones where most of the weight went.
    if (wMiss === 0) this.bestML = this.bestWL >= this.bestWR;
  }

  /** Scans thresholds first..last (inclusive) with missing values on one side. */
  private scan(f: number, missLeft: boolean, first: number, last: number, nb: number, kk: number, counts: boolean, n: number): void {
    const { hist, bw, cnt, T, L } = this;
    const minLeaf = this.opt.minSamplesLeaf;
    const ent = this.entropy;
    let W = 0;
    for (let k = 0; k < kk; k++) W += T[k];
    let WL = 0;
    let nL = 0;
    let aL = 0; // gini: Σ L²; entropy: Σ L ln L
    let aR = 0; // gini: Σ R²; entropy: Σ R ln R
    const mo = nb * kk;
    for (let k = 0; k < kk; k++) {
      const l = missLeft ? hist[mo + k] : 0;
      L[k] = l;
      const r = T[k] - l;
      if (ent) {
        if (l > 0) aL += l * Math.log(l);
        if (r > 0) aR += r * Math.log(r);
      } else {
        aL += l * l;
        aR += r * r;
      }
    }
    if (missLeft) {
      WL = bw[nb];
      nL = counts ? cnt[nb] : 0;
    }
    let best = this.bestProxy;
    for (let b = first; b <= last; b++) {
      const wb = bw[b];
      if (wb === 0) continue;
      const o = b * kk;
      if (!ent) {
        for (let k = 0; k < kk; k++) {
          const h = hist[o + k];
          if (h !== 0) {
            const l = L[k];
            aL += h * (2 * l + h);
            aR += h * (h - 2 * (T[k] - l));
            L[k] = l + h;
          }
        }
      } else {
        for (let k = 0; k < kk; k++) {
          const h = hist[o + k];
          if (h !== 0) {
            const l = L[k];
            const r = T[k] - l;
            const l2 = l + h;
            const r2 = r - h;
            aL += l2 * Math.log(l2) - (l > 0 ? l * Math.log(l) : 0);
            aR += (r2 > 0 ? r2 * Math.log(r2) : 0) - r * Math.log(r);
            L[k] = l2;
          }
        }
      }
      WL += wb;
      const WR = W - WL;
      if (counts) {
        nL += cnt[b];
        if (nL < minLeaf) continue;
        if (n - nL < minLeaf) break;
      }
      const proxy = ent ? aL + aR - WL * Math.log(WL) - WR * Math.log(WR) : aL / WL + aR / WR;
      if (proxy > best) {
        best = proxy;
        this.bestProxy = proxy;
        this.bestF = f;
        this.bestB = b;
        this.bestML = missLeft;
        this.bestWL = WL;
        this.bestWR = WR;
      }
    }
  }

  /** Evaluates the single threshold b (extra trees). */
  private tryThreshold(f: number, b: number, missLeft: boolean, nb: number, kk: number, wMiss: number, counts: boolean, n: number): void {
    const { hist, cnt, T, L } = this;
    let WL = missLeft ? wMiss : 0;
    let nL = counts && missLeft ? cnt[nb] : 0;
    for (let k = 0; k < kk; k++) L[k] = missLeft ? hist[nb * kk + k] : 0;
    for (let c = 0; c <= b; c++) {
      for (let k = 0; k < kk; k++) {
        const h = hist[c * kk + k];
        L[k] += h;
        WL += h;
      }
      if (counts) nL += cnt[c];
    }
    let W = 0;
    for (let k = 0; k < kk; k++) W += T[k];
    const WR = W - WL;
    if (!(WL > 0 && WR > 0)) return;
    if (counts && (nL < this.opt.minSamplesLeaf || n - nL < this.opt.minSamplesLeaf)) return;
    let proxy = 0;
    if (this.entropy) {
      for (let k = 0; k < kk; k++) {
        const l = L[k];
        const r = T[k] - l;
        if (l > 0) proxy += l * Math.log(l);
        if (r > 0) proxy += r * Math.log(r);
      }
      proxy -= WL * Math.log(WL) + WR * Math.log(WR);
    } else {
      let aL = 0;
      let aR = 0;
      for (let k = 0; k < kk; k++) {
        aL += L[k] * L[k];
        aR += (T[k] - L[k]) * (T[k] - L[k]);
      }
      proxy = aL / WL + aR / WR;
    }
    if (proxy > this.bestProxy) {
      this.bestProxy = proxy;
      this.bestF = f;
      this.bestB = b;
      this.bestML = missLeft;
      this.bestWL = WL;
      this.bestWR = WR;
    }
  }

  /** Moves the node's rows going left to the front of idx[s..e); returns where the right ones start. */
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
