/**
 * Split search on summed histograms, with the forest's rules: features drawn without replacement
 * from the tree's generator until maxFeatures are seen and one is not constant (as the one-node
 * grower does), thresholds after each touched bin, missing values tried on both sides, minimum
 * leaf sizes from the row counts, and the threshold settled in the gap of untouched bins
 * ({@link BestSplit.settle}). Classification: Gini or entropy on weighted class counts;
 * regression: S_L²/W_L + S_R²/W_R.
 */
import type { Rng } from '../../../util/random';
import { BestSplit, drawFeature } from '../../../models/forest/grow-common';

export interface HistLayout {
  classification: boolean;
  nClasses: number;
  entropy: boolean;
  /** Values per bin (K + 1 or 3; the last is the row count). */
  S: number;
  /** Feature f's bins start at off[f] (in bins). */
  off: Int32Array;
  nBins: readonly number[];
  minLeaf: number;
}

/** Node totals read from one feature's bins (every row is in exactly one bin of every feature). */
export interface NodeTotals {
  /** Class weights (classification) or [Σw, Σw·y]. */
  T: Float64Array;
  W: number;
  n: number;
}

export function nodeTotals(L: HistLayout, h: Float64Array, base: number): NodeTotals {
  const { S } = L;
  const k = L.classification ? L.nClasses : 2;
  const T = new Float64Array(k);
  let n = 0;
  for (let b = 0; b <= L.nBins[0]; b++) {
    const o = base + b * S;
    for (let j = 0; j < k; j++) T[j] += h[o + j];
    n += h[o + S - 1];
  }
  let W = 0;
  if (L.classification) for (let j = 0; j < k; j++) W += T[j];
  else W = T[0];
  return { T, W, n };
}

/** The criterion proxy of a node that is not split (its gain baseline). */
export function parentProxy(L: HistLayout, t: NodeTotals): number {
  if (!L.classification) return (t.T[1] * t.T[1]) / t.W;
  let acc = 0;
  for (let k = 0; k < t.T.length; k++) {
    const v = t.T[k];
    if (v > 0) acc += L.entropy ? v * Math.log(v) : v * v;
  }
  return L.entropy ? acc - t.W * Math.log(t.W) : acc / t.W;
}

export class HistSplitter {
  readonly best = new BestSplit();
  /** Row count left of the best split. */
  bestNLeft = 0;
  private readonly touched: Int32Array;
  private readonly Lk: Float64Array;

  constructor(private readonly L: HistLayout) {
    let maxBins = 1;
    for (const nb of L.nBins) maxBins = Math.max(maxBins, nb + 1);
    this.touched = new Int32Array(maxBins);
    this.Lk = new Float64Array(Math.max(2, L.nClasses));
  }

  /** Draws features (mtry, then until one is informative) and scans them; true when a split was found. */
  find(h: Float64Array, base: number, t: NodeTotals, feats: Int32Array, mtry: number, rng: Rng): boolean {
    const cols = feats.length;
    this.best.reset();
    let j = 0;
    let informative = 0;
    while (j < cols && (j < mtry || informative === 0)) {
      const f = drawFeature(feats, j, rng);
      j++;
      if (this.scanFeature(h, base, t, f)) informative++;
    }
    return this.best.feature >= 0;
  }

  /** False when the feature is constant in the node. */
  private scanFeature(h: Float64Array, base: number, t: NodeTotals, f: number): boolean {
    const { S, off, nBins } = this.L;
    const nb = nBins[f];
    const fo = base + off[f] * S;
    const touched = this.touched;
    let nt = 0;
    for (let b = 0; b <= nb; b++) if (h[fo + b * S + S - 1] > 0) touched[nt++] = b;
    if (nt <= 1) return false;
    const missing = touched[nt - 1] === nb;
    const wMiss = missing ? this.weightOf(h, fo + nb * S) : 0;
    const nv = missing ? nt - 1 : nt;
    this.scan(h, fo, t, f, false, missing ? nv - 1 : nv - 2, nv, nb);
    if (missing) this.scan(h, fo, t, f, true, nv - 2, nv, nb);
    if (this.best.feature === f) this.best.settle(nb, false, wMiss);
    return true;
  }

  private weightOf(h: Float64Array, o: number): number {
    if (!this.L.classification) return h[o];
    let w = 0;
    for (let k = 0; k < this.L.nClasses; k++) w += h[o + k];
    return w;
  }

  private scan(h: Float64Array, fo: number, t: NodeTotals, f: number, missLeft: boolean, jLast: number, nv: number, nb: number): void {
    const { S, classification, entropy, minLeaf } = this.L;
    const K = classification ? this.L.nClasses : 2;
    const Lk = this.Lk;
    const touched = this.touched;
    const best = this.best;
    const T = t.T;
    const W = t.W;
    const mo = fo + nb * S;
    for (let k = 0; k < K; k++) Lk[k] = missLeft ? h[mo + k] : 0;
    let nL = missLeft ? h[mo + S - 1] : 0;
    for (let j = 0; j <= jLast; j++) {
      const o = fo + touched[j] * S;
      for (let k = 0; k < K; k++) Lk[k] += h[o + k];
      nL += h[o + S - 1];
      if (nL < minLeaf) continue;
      if (t.n - nL < minLeaf) break;
      let proxy: number;
      let WL: number;
      if (classification) {
        WL = 0;
        let aL = 0;
        let aR = 0;
        for (let k = 0; k < K; k++) {
          const l = Lk[k];
          const r = T[k] - l;
          WL += l;
          if (entropy) {
            if (l > 0) aL += l * Math.log(l);
            if (r > 0) aR += r * Math.log(r);
          } else {
            aL += l * l;
            aR += r * r;
          }
        }
        const WR = W - WL;
        if (!(WL > 0 && WR > 0)) continue;
        proxy = entropy ? aL + aR - WL * Math.log(WL) - WR * Math.log(WR) : aL / WL + aR / WR;
      } else {
        WL = Lk[0];
        const WR = W - WL;
        if (!(WL > 0 && WR > 0)) continue;
        const SL = Lk[1];
        const SR = T[1] - SL;
        proxy = (SL * SL) / WL + (SR * SR) / WR;
      }
      if (proxy > best.proxy) {
        best.set(proxy, f, touched[j], j + 1 < nv ? touched[j + 1] : -1, missLeft, WL, W - WL);
        this.bestNLeft = nL;
      }
    }
  }
}
