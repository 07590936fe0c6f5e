/**
 * Quantile binning, done once per shard: every feature value becomes a `Uint8` code, so a tree
 * finds splits by scanning small histograms instead of sorting rows at every node.
 *
 * Feature f has `nBins(f)` value bins (1..maxBins) with ascending upper edges
 * `edges[edgeStart[f] .. edgeStart[f+1])` (nBins - 1 of them; the last bin is open above).
 * A value goes to the first bin whose edge is ≥ the value, so "code ≤ b" ⇔ "value ≤ edge b", which
 * is how a tree compares raw values at prediction time without binning them. Code `nBins(f)` marks
 * a missing value (NaN). -Infinity lands in the first bin and +Infinity in the last, like the most
 * extreme values seen in training. Categorical codes are binned like numbers (one bin per code
 * while there are at most maxBins of them).
 */
import { Rng } from '../../util/random';
import type { Matrix } from '../model';

export interface Bins {
  /** Upper edges of all features, concatenated (Float32 values, so comparisons match predict). */
  edges: Float32Array;
  /** Feature f's edges are edges[edgeStart[f] .. edgeStart[f + 1]); length nFeatures + 1. */
  edgeStart: Int32Array;
}

/** Values looked at per feature to place the edges; more rows are sampled down (seeded). */
const SAMPLE_ROWS = 200_000;

/** Value bins of feature f (its missing code is this number). */
export function binCount(bins: Bins, f: number): number {
  return bins.edgeStart[f + 1] - bins.edgeStart[f] + 1;
}

/**
 * Places at most `maxBins` bins per feature at quantiles of the finite values (one bin per distinct
 * value when there are few). Edges sit halfway between neighbouring values.
 */
export function fitBins(x: Matrix, maxBins: number, seed: number): Bins {
  const { rows, cols, data } = x;
  let sample: Int32Array | null = null;
  if (rows > SAMPLE_ROWS) {
    sample = new Rng(seed).permutation(rows).subarray(0, SAMPLE_ROWS);
    sample.sort();
  }
  const m = sample ? sample.length : rows;
  // Transposed once (one sequential pass), so each feature's values are one native copy + sort.
  const columns = new Float32Array(m * cols);
  for (let i = 0; i < m; i++) {
    const o = (sample ? sample[i] : i) * cols;
    for (let f = 0; f < cols; f++) columns[f * m + i] = data[o + f];
  }
  const values = new Float64Array(m);
  const perFeature: Float32Array[] = [];
  let total = 0;
  for (let f = 0; f < cols; f++) {
    const column = columns.subarray(f * m, (f + 1) * m);
    const edges = smallIntegerEdges(column, maxBins) ?? sortedEdges(column, values, maxBins);
    perFeature.push(edges);
    total += edges.length;
  }
  const edges = new Float32Array(total);
  const edgeStart = new Int32Array(cols + 1);
  for (let f = 0; f < cols; f++) {
    edges.set(perFeature[f], edgeStart[f]);
    edgeStart[f + 1] = edgeStart[f] + perFeature[f].length;
  }
  return { edges, edgeStart };
}

/** Largest value range counted instead of sorted (counts of a small integer column fit in 256 KB). */
const COUNT_RANGE = 1 << 16;

/**
 * Integer-valued columns with a small range (counts, codes, pixel values, years…) are counted,
 * not sorted: one pass, and the distinct values come out in order. Null for any other column.
 */
function smallIntegerEdges(column: Float32Array, maxBins: number): Float32Array | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (v !== v) continue; // missing
    if (v !== Math.floor(v)) return null; // fractional
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return new Float32Array(0); // all missing
  if (!(hi - lo < COUNT_RANGE)) return null; // wide, or ±Infinity present
  const counts = new Int32Array(hi - lo + 1);
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (v === v) counts[v - lo]++;
  }
  let k = 0;
  for (let j = 0; j < counts.length; j++) if (counts[j] > 0) k++;
  const distinct = new Float64Array(k);
  const count = new Float64Array(k);
  k = 0;
  for (let j = 0; j < counts.length; j++) {
    if (counts[j] > 0) {
      distinct[k] = lo + j;
      count[k++] = counts[j];
    }
  }
  return edgesOf(distinct, count, maxBins);
}

/** Any column: sort its finite values (NaN sorts last, ±Infinity sit at the ends). */
function sortedEdges(column: Float32Array, values: Float64Array, maxBins: number): Float32Array {
  values.set(column);
  values.sort();
  let lo = 0;
  let hi = column.length;
  while (hi > lo && !(values[hi - 1] < Infinity)) hi--; // NaN and +Infinity
  while (lo < hi && values[lo] === -Infinity) lo++;
  let k = 0;
  for (let i = lo; i < hi; i++) if (i === lo || values[i] !== values[i - 1]) k++;
  const distinct = new Float64Array(k);
  const count = new Float64Array(k);
  k = -1;
  for (let i = lo; i < hi; i++) {
    if (i === lo || values[i] !== values[i - 1]) distinct[++k] = values[i];
    count[k]++;
  }
  return edgesOf(distinct, count, maxBins);
}

/**
 * Edges for ascending distinct values with their counts: every value its own bin when there are
 * few; otherwise bin k starts at the first value with at least k·n/maxBins values below it, so heavy
 * ties stay within one bin and the bins hold about n/maxBins rows each.
 */
function edgesOf(distinct: Float64Array, count: Float64Array, maxBins: number): Float32Array {
  const k = distinct.length;
  let n = 0;
  for (let j = 0; j < k; j++) n += count[j];
  const out: number[] = [];
  let bin = 0;
  let below = count[0];
  for (let j = 1; j < k; j++) {
    const target = k <= maxBins ? bin + 1 : Math.floor((below * maxBins) / n);
    below += count[j];
    if (target <= bin || out.length >= maxBins - 1) continue;
    bin = target;
    out.push(edgeBetween(distinct[j - 1], distinct[j]));
  }
  return Float32Array.from(out);
}

/** Midpoint of a < b in Float32, kept strictly below b so that b stays in the upper bin. */
function edgeBetween(a: number, b: number): number {
  const mid = Math.fround(a + (b - a) / 2);
  return mid < b && mid >= a ? mid : Math.fround(a);
}

/**
 * Codes of all values, row-major like `x` (feature f of row r is `codes[r * cols + f]`): a node's
 * histograms for several features are filled in one pass over its rows, and one row's codes then
 * share a cache line.
 */
export function binMatrix(x: Matrix, bins: Bins): Uint8Array {
  const { rows, cols, data } = x;
  const codes = new Uint8Array(rows * cols);
  const { edges, edgeStart } = bins;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let f = 0; f < cols; f++) {
      const v = data[o + f];
      const lo = edgeStart[f];
      const hi = edgeStart[f + 1];
      if (v !== v) {
        codes[o + f] = hi - lo + 1; // missing
        continue;
      }
      // First edge ≥ v (binary search); past the last edge → the open last bin.
      let a = lo;
      let b = hi;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (edges[mid] < v) a = mid + 1;
        else b = mid;
      }
      codes[o + f] = a - lo;
    }
  }
  return codes;
}
