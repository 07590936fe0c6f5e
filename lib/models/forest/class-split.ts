/**
 * Split search for classification: per node, histograms bins × classes for a batch of drawn
 * features (only the classes present in the node, so deep nodes scan tiny histograms), filled in
 * one pass over the node's rows — their codes are row-major, so one row's features share a cache
 * line — then one incremental Gini or entropy scan per feature over the bins its rows touch,
 * twice when the node has missing values (missing left / missing right).
 */
import type { Rng } from '../../util/random';
import { BATCH, BestSplit, sortTouched, type BinnedSet } from './grow-common';

/** Finds the best classification split of a node among the features the grower draws. */
export class ClassSplitter {
  /** Histograms per batch slot: bins × classes present. */
  private readonly hist: Float64Array;
  /** Per slot and bin: weight, and row count (only when minSamplesLeaf > 1). */
  private readonly bw: Float64Array;
  private readonly cnt: Int32Array;
  /** Per batch slot q: the bins its feature's rows fall in (see sortTouched), and how many. */
  private readonly touched: Int32Array;
  private readonly nt = new Int32Array(BATCH);
  /** Features of the batch slots (the grower fills it). */
  readonly fq = new Int32Array(BATCH);
  /** Slot strides: histograms (bins × classes) and per-bin arrays (bins). */
  private readonly histSlot: number;
  private readonly binSlot: number;
  /** Class weights of the node (compact class order; the grower fills it), and a left side. */
  readonly T: Float64Array;
  private readonly L: Float64Array;
  readonly best = new BestSplit();

  constructor(
    private readonly data: BinnedSet,
    nClasses: number,
    private readonly minLeaf: number,
    private readonly extraTrees: boolean,
    private readonly entropy: boolean,
  ) {
    let maxBins = 1;
    for (let f = 0; f < data.cols; f++) maxBins = Math.max(maxBins, data.nBins[f] + 1);
    this.histSlot = maxBins * nClasses;
    this.binSlot = maxBins;
    this.hist = new Float64Array(BATCH * this.histSlot);
    this.bw = new Float64Array(BATCH * maxBins);
    this.cnt = new Int32Array(BATCH * maxBins);
    this.touched = new Int32Array(BATCH * maxBins);
    this.T = new Float64Array(nClasses);
    this.L = new Float64Array(nClasses);
  }

  /**
   * One pass over the node's rows (idx[s..e), with compact classes ly and weights lw by position)
   * fills the histograms of batch slots 0..nq, and the weight and
   * ascending list of the bins touched. Big nodes touch most bins: add up the histogram rows
   * afterwards. Small nodes touch few: note each bin as it is first hit, sort the short list later.
   */
  fill(nq: number, idx: Int32Array, ly: Int32Array, lw: Float64Array, s: number, e: number, kk: number): void {
    const { hist, bw, cnt, touched, nt, fq, histSlot, binSlot } = this;
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
    if (this.minLeaf > 1) {
      for (let q = 0; q < nq; q++) {
        const f = fq[q];
        for (let i = s; i < e; i++) cnt[q * binSlot + codes[idx[i] * cols + f]]++;
      }
    }
  }

  /** Scans slot q's histogram, then clears it. */
  evalSlot(q: number, n: number, kk: number, rng: Rng): void {
    const { hist, bw, cnt, touched, histSlot, binSlot } = this;
    const f = this.fq[q];
    const nb = this.data.nBins[f];
    const sorted = this.nt[q] < 0;
    const nt = sorted ? -this.nt[q] : this.nt[q];
    const to = q * binSlot;
    const ho = q * histSlot;
    const counts = this.minLeaf > 1;
    if (!sorted) sortTouched(touched, to, nt, bw, nb);
    const wMiss = bw[to + nb];
    const nv = wMiss > 0 ? nt - 1 : nt; // touched value bins (missing, if any, sorts last)
    if (this.extraTrees) {
      const first = touched[to];
      const last = touched[to + nv - 1];
      const b = first === last ? last : first + rng.int(last - first);
      this.tryThreshold(q, f, b, false, nb, nv, kk, wMiss, counts, n);
      if (wMiss > 0 && b < last) this.tryThreshold(q, f, b, true, nb, nv, kk, wMiss, counts, n);
    } else {
      this.scan(q, f, false, wMiss > 0 ? nv - 1 : nv - 2, nv, nb, kk, counts, n);
      if (wMiss > 0) this.scan(q, f, true, nv - 2, nv, nb, kk, counts, n);
    }
    if (this.best.feature === f) this.best.settle(nb, this.extraTrees, wMiss);
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
    const minLeaf = this.minLeaf;
    const best = this.best;
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
    let top = best.proxy;
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
      if (proxy > top) {
        top = proxy;
        best.set(proxy, f, b, j + 1 < nv ? touched[to + j + 1] : -1, missLeft, WL, WR);
      }
    }
  }

  /** Evaluates the single threshold b (extra trees). */
  private tryThreshold(
    q: number,
    f: number,
    b: number,
    missLeft: boolean,
    nb: number,
    nv: number,
    kk: number,
    wMiss: number,
    counts: boolean,
    n: number,
  ): void {
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
    if (counts && (nL < this.minLeaf || n - nL < this.minLeaf)) return;
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
    if (proxy > this.best.proxy) this.best.set(proxy, f, b, j < nv ? touched[to + j] : -1, missLeft, WL, WR);
  }
}
