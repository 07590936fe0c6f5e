/**
 * Grows one classification tree (CART, Gini or entropy) on binned data.
 *
 * Per node: class totals of its rows, then histograms bins × classes for the drawn features (only
 * the classes present in the node, so deep nodes scan tiny histograms; up to BATCH features filled
 * in one pass over the rows, whose codes are row-major so one row's features share a cache line),
 * and one incremental scan per feature over the bins its rows touch, twice when the node has
 * missing values (missing left / missing right).
 * Rows are partitioned in place in `idx`; the tree grows depth-first from an explicit stack, in
 * preorder, so that a left child is always the node after its parent. All buffers are allocated
 * once per grower and reused across nodes and trees.
 */
import type { Rng } from '../../util/random';
import type { BinnedSet, GrowOptions } from './grow-common';
import { BATCH, Stack, drawFeature, isConstant, sortTouched } from './grow-common';
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
  /** Per batch slot q: the bins its feature's rows fall in (see sortTouched), and how many. */
  private readonly touched: Int32Array;
  private readonly nt = new Int32Array(BATCH);
  /** Features of the batch slots. */
  private readonly fq = new Int32Array(BATCH);
  /** Slot strides: histograms (bins × classes) and per-bin arrays (bins). */
  private readonly histSlot: number;
  private readonly binSlot: number;
  /** Class of each row of the node, by position (gathered once per node). */
  private readonly gy: Int32Array;
  private readonly stack = new Stack();
  private readonly entropy: boolean;

  // The best split of the current node.
  private bestProxy = -Infinity;
  private bestF = -1;
  private bestB = 0;
  /** The next bin the node touches after bestB; -1 when bestB puts every value left. */
  private bestNext = -1;
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
    this.histSlot = maxBins * nClasses;
    this.binSlot = maxBins;
    this.hist = new Float64Array(BATCH * this.histSlot);
    this.bw = new Float64Array(BATCH * maxBins);
    this.cnt = new Int32Array(BATCH * maxBins);
    this.tot = new Float64Array(nClasses);
    this.T = new Float64Array(nClasses);
    this.L = new Float64Array(nClasses);
    this.loc = new Int32Array(nClasses);
    this.cls = new Int32Array(nClasses);
    this.feats = new Int32Array(data.cols);
    this.touched = new Int32Array(BATCH * maxBins);
    this.gy = new Int32Array(n);
    this.entropy = criterion === 'entropy';
  }

  /**
   * Grows a tree on the rows with weight > 0 (bootstrap counts × class weights) and appends it to
   * `out`. Adds each split's weighted impurity decrease to `imp[feature]`.
   */
  grow(weight: Float64Array, rng: Rng, out: NodeWriter, imp: Float64Array): void {
    const { idx, ly, lw, gy, tot, T, loc, cls, y, stack, opt } = this;
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
        const c = y[r];
        const w = weight[r];
        tot[c] += w;
        gy[i] = c;
        lw[i] = w;
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
        for (let i = s; i < e; i++) ly[i] = loc[gy[i]];
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
    const { feats, fq } = this;
    const { codes, cols } = this.data;
    const mtry = this.opt.mtry;
    this.bestProxy = -Infinity;
    this.bestF = -1;
    let j = 0;
    let informative = 0;
    while (j < cols && (j < mtry || informative === 0)) {
      // The draws still owed to maxFeatures, a batch at a time; then one by one until a feature
      // is not constant in this node (as scikit-learn does).
      const want = j < mtry ? Math.min(BATCH, mtry - j) : 1;
      let nq = 0;
      for (let t = 0; t < want && j < cols; t++, j++) {
        const f = drawFeature(feats, j, rng);
        if (!isConstant(codes, cols, f, this.idx, s, e)) fq[nq++] = f;
      }
      if (nq === 0) continue;
      informative += nq;
      this.fillHistograms(nq, s, e, kk);
      for (let q = 0; q < nq; q++) this.evalSlot(q, s, e, kk, rng);
    }
    return this.bestF >= 0;
  }

  /**
   * One pass over the node's rows fills the histograms of batch slots 0..nq, and the weight and
   * ascending list of the bins touched. Big nodes touch most bins: add up the histogram rows
   * afterwards. Small nodes touch few: note each bin as it is first hit, sort the short list later.
   */
  private fillHistograms(nq: number, s: number, e: number, kk: number): void {
    const { idx, ly, lw, hist, bw, cnt, touched, nt, fq, histSlot, binSlot } = this;
    const { codes, cols, nBins } = this.data;
    nt.fill(0);
    if ((e - s) * 2 >= binSlot * kk) {
      // Four slots per pass, unrolled (maxFeatures is often 4 or more); then the rest.
      let q0 = 0;
      for (; q0 + 4 <= nq; q0 += 4) {
        const f0 = fq[q0];
        const f1 = fq[q0 + 1];
        const f2 = fq[q0 + 2];
        const f3 = fq[q0 + 3];
        const h0 = q0 * histSlot;
        const h1 = h0 + histSlot;
        const h2 = h1 + histSlot;
        const h3 = h2 + histSlot;
        for (let i = s; i < e; i++) {
          const rb = idx[i] * cols;
          const w = lw[i];
          const k = ly[i];
          hist[h0 + codes[rb + f0] * kk + k] += w;
          hist[h1 + codes[rb + f1] * kk + k] += w;
          hist[h2 + codes[rb + f2] * kk + k] += w;
          hist[h3 + codes[rb + f3] * kk + k] += w;
        }
      }
      for (; q0 < nq; q0++) {
        const f = fq[q0];
        const h = q0 * histSlot;
        for (let i = s; i < e; i++) hist[h + codes[idx[i] * cols + f] * kk + ly[i]] += lw[i];
      }
      for (let q = 0; q < nq; q++) {
        const nb = nBins[fq[q]];
        const to = q * binSlot;
        let m = 0;
        for (let b = 0; b <= nb; b++) {
          const o = q * histSlot + b * kk;
          let w = 0;
          for (let k = 0; k < kk; k++) w += hist[o + k];
          if (w > 0) {
            bw[to + b] = w;
            touched[to + m++] = b;
          }
        }
        nt[q] = -m; // negative: already sorted
      }
    } else {
      for (let i = s; i < e; i++) {
        const rb = idx[i] * cols;
        const w = lw[i];
        const k = ly[i];
        for (let q = 0; q < nq; q++) {
          const c = codes[rb + fq[q]];
          const bo = q * binSlot + c;
          if (bw[bo] === 0) touched[q * binSlot + nt[q]++] = c;
          bw[bo] += w;
          hist[q * histSlot + c * kk + k] += w;
        }
      }
    }
    if (this.opt.minSamplesLeaf > 1) {
      for (let q = 0; q < nq; q++) {
        const f = fq[q];
        for (let i = s; i < e; i++) cnt[q * binSlot + codes[idx[i] * cols + f]]++;
      }
    }
  }

  /** Scans slot q's histogram, then clears it. */
  private evalSlot(q: number, s: number, e: number, kk: number, rng: Rng): void {
    const { hist, bw, cnt, touched, histSlot, binSlot } = this;
    const f = this.fq[q];
    const nb = this.data.nBins[f];
    const sorted = this.nt[q] < 0;
    const nt = sorted ? -this.nt[q] : this.nt[q];
    const to = q * binSlot;
    const ho = q * histSlot;
    const counts = this.opt.minSamplesLeaf > 1;
    if (!sorted) sortTouched(touched, to, nt, bw, nb);
    const wMiss = bw[to + nb];
    const nv = wMiss > 0 ? nt - 1 : nt; // touched value bins (missing, if any, sorts last)
    const n = e - s;
    if (this.opt.extraTrees) {
      const first = touched[to];
      const last = touched[to + nv - 1];
      const b = first === last ? last : first + rng.int(last - first);
      this.tryThreshold(q, f, b, false, nb, nv, kk, wMiss, counts, n);
      if (wMiss > 0 && b < last) this.tryThreshold(q, f, b, true, nb, nv, kk, wMiss, counts, n);
    } else {
      this.scan(q, f, false, wMiss > 0 ? nv - 1 : nv - 2, nv, nb, kk, counts, n);
      if (wMiss > 0) this.scan(q, f, true, nv - 2, nv, nb, kk, counts, n);
    }
    if (this.bestF === f) {
      // Centre the threshold in the gap of bins this node does not touch (unseen values split
      // halfway, as scikit-learn's midpoint thresholds do); all values left → the open last bin.
      const next = this.bestNext;
      this.bestB = next < 0 ? nb - 1 : this.opt.extraTrees ? this.bestB : (this.bestB + next - 1) >> 1;
      // No missing value reached this node: send future ones where most of the weight went.
      if (wMiss === 0) this.bestML = this.bestWL >= this.bestWR;
    }
    for (let t = 0; t < nt; t++) {
      const c = touched[to + t];
      bw[to + c] = 0;
      cnt[to + c] = 0;
      const o = ho + c * kk;
      for (let k = 0; k < kk; k++) hist[o + k] = 0;
    }
  }

  /**
   * Scans the thresholds after touched value bins 0..jLast (of nv) with missing values on one
   * side (jLast = nv - 1: all values left, the missing ones right).
   */
  private scan(q: number, f: number, missLeft: boolean, jLast: number, nv: number, nb: number, kk: number, counts: boolean, n: number): void {
    const { hist, bw, cnt, T, L, touched } = this;
    const to = q * this.binSlot;
    const ho = q * this.histSlot;
    const minLeaf = this.opt.minSamplesLeaf;
    const ent = this.entropy;
    let W = 0;
    for (let k = 0; k < kk; k++) W += T[k];
    let WL = 0;
    let nL = 0;
    let aL = 0; // gini: Σ L²; entropy: Σ L ln L
    let aR = 0; // gini: Σ R²; entropy: Σ R ln R
    const mo = ho + nb * kk;
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
      WL = bw[to + nb];
      nL = counts ? cnt[to + nb] : 0;
    }
    let best = this.bestProxy;
    for (let j = 0; j <= jLast; j++) {
      const b = touched[to + j];
      const o = ho + b * kk;
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
      WL += bw[to + b];
      const WR = W - WL;
      if (counts) {
        nL += cnt[to + b];
        if (nL < minLeaf) continue;
        if (n - nL < minLeaf) break;
      }
      const proxy = ent ? aL + aR - WL * Math.log(WL) - WR * Math.log(WR) : aL / WL + aR / WR;
      if (proxy > best) {
        best = proxy;
        this.bestProxy = proxy;
        this.bestF = f;
        this.bestB = b;
        this.bestNext = j + 1 < nv ? touched[to + j + 1] : -1;
        this.bestML = missLeft;
        this.bestWL = WL;
        this.bestWR = WR;
      }
    }
  }

  /** Evaluates the single threshold b (extra trees). */
  private tryThreshold(q: number, f: number, b: number, missLeft: boolean, nb: number, nv: number, kk: number, wMiss: number, counts: boolean, n: number): void {
    const { hist, bw, cnt, T, L, touched } = this;
    const to = q * this.binSlot;
    const ho = q * this.histSlot;
    let WL = missLeft ? wMiss : 0;
    let nL = counts && missLeft ? cnt[to + nb] : 0;
    for (let k = 0; k < kk; k++) L[k] = missLeft ? hist[ho + nb * kk + k] : 0;
    let j = 0;
    for (; j < nv && touched[to + j] <= b; j++) {
      const c = touched[to + j];
      for (let k = 0; k < kk; k++) L[k] += hist[ho + c * kk + k];
      WL += bw[to + c];
      nL += cnt[to + c];
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
      this.bestNext = j < nv ? touched[to + j] : -1;
      this.bestML = missLeft;
      this.bestWL = WL;
      this.bestWR = WR;
    }
  }

  /** Moves the node's rows going left to the front of idx[s..e); returns where the right ones start. */
  private partition(s: number, e: number, f: number, b: number, missLeft: boolean): number {
    const idx = this.idx;
    const { codes, cols } = this.data;
    const mc = this.data.nBins[f];
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
}
