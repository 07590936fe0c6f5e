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
 *
 * The values are read where they are (row-major, `x.data[r · cols + f]`), never copied: a fresh
 * buffer costs its first touch, about 2.7 ms per MB on the machines measured here, and a column-major
 * copy of Bank marketing's rows was 2.6 MB. One pass over the rows finds every feature's range and
 * whether it holds only integers; a second counts the small-range integer features (most columns
 * of most tables); each remaining feature is counted in a hash table when it has few distinct
 * values, else sorted.
 */
export function fitBins(x: Matrix, maxBins: number, seed: number): Bins {
  const { rows, cols, data } = x;
  let sample: Int32Array | null = null;
  if (rows > SAMPLE_ROWS) {
    sample = new Rng(seed).permutation(rows).subarray(0, SAMPLE_ROWS);
    sample.sort();
  }
  const m = sample ? sample.length : rows;
  const lo = new Float64Array(cols).fill(Infinity);
  const hi = new Float64Array(cols).fill(-Infinity);
  const fractional = new Uint8Array(cols);
  scanRanges(data, cols, sample, m, lo, hi, fractional);
  const counted: (DistinctValues | null)[] = new Array(cols).fill(null);
  countSmallIntegers(x, sample, m, lo, hi, fractional, counted);
  const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
  const distinct = new DistinctCounter();
  const values = new Float64Array(m);
  const perFeature: Float32Array[] = [];
  let total = 0;
  for (let f = 0; f < cols; f++) {
    const c = counted[f] ?? distinct.values(bits, data, f, cols, sample, m);
    const edges = c ? edgesOf(c.distinct, c.count, maxBins) : sortedEdges(data, f, cols, sample, values, maxBins);
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

/*
 * The loops over every cell are functions of their own, with nothing after the loop: each runs
 * once per fit, so it is compiled while it runs (on-stack replacement), and code after a loop
 * compiled that way has no type feedback yet and falls back to the interpreter (measured: the
 * first fitBins of a process 25 ms, then 12, 15, 6 …).
 */

/** Each feature's smallest and largest non-missing value, and whether one is not an integer. */
function scanRanges(data: Float32Array, cols: number, sample: Int32Array | null, m: number, lo: Float64Array, hi: Float64Array, fractional: Uint8Array): void {
  for (let i = 0; i < m; i++) {
    const o = (sample ? sample[i] : i) * cols;
    for (let f = 0; f < cols; f++) {
      const v = data[o + f];
      if (v !== v) continue; // missing
      if (v !== Math.floor(v)) fractional[f] = 1;
      if (v < lo[f]) lo[f] = v;
      if (v > hi[f]) hi[f] = v;
    }
  }
}

/** counts[base[j] + v]++ for each non-missing value v of feature feats[j]. */
function countCells(data: Float32Array, cols: number, sample: Int32Array | null, m: number, feats: Int32Array, base: Float64Array, counts: Int32Array): void {
  for (let i = 0; i < m; i++) {
    const o = (sample ? sample[i] : i) * cols;
    for (let j = 0; j < feats.length; j++) {
      const v = data[o + feats[j]];
      if (v === v) counts[base[j] + v]++;
    }
  }
}

/** Distinct values in ascending order with their counts (what edgesOf takes). */
interface DistinctValues {
  distinct: Float64Array;
  count: Float64Array;
}

/** Largest value range counted instead of sorted (counts of a small integer column fit in 256 KB). */
const COUNT_RANGE = 1 << 16;

/**
 * Integer-valued features with a small range (counts, codes, pixel values, years…) are counted,
 * not sorted, all in one pass over the rows, and their distinct values come out in order: into
 * `counted[f]` for each such feature (a feature with no values at all gets none).
 */
function countSmallIntegers(
  x: Matrix,
  sample: Int32Array | null,
  m: number,
  lo: Float64Array,
  hi: Float64Array,
  fractional: Uint8Array,
  counted: (DistinctValues | null)[],
): void {
  const { cols, data } = x;
  const which: number[] = [];
  const offset: number[] = [];
  let size = 0;
  for (let f = 0; f < cols; f++) {
    if (fractional[f]) continue;
    if (lo[f] > hi[f])
      counted[f] = NONE; // all missing
    else if (hi[f] - lo[f] < COUNT_RANGE) {
      // (±Infinity present: the range is not finite, and the feature is sorted instead)
      which.push(f);
      offset.push(size - lo[f]);
      size += hi[f] - lo[f] + 1;
    }
  }
  if (!which.length) return;
  const feats = Int32Array.from(which);
  const base = Float64Array.from(offset);
  const counts = new Int32Array(size);
  countCells(data, cols, sample, m, feats, base, counts);
  for (let j = 0; j < feats.length; j++) {
    const f = feats[j];
    const start = base[j] + lo[f];
    const end = start + hi[f] - lo[f] + 1;
    let k = 0;
    for (let i = start; i < end; i++) if (counts[i] > 0) k++;
    const distinct = new Float64Array(k);
    const count = new Float64Array(k);
    k = 0;
    for (let i = start; i < end; i++) {
      if (counts[i] > 0) {
        distinct[k] = lo[f] + (i - start);
        count[k++] = counts[i];
      }
    }
    counted[f] = { distinct, count };
  }
}

/** No values (a column all missing): no edges. */
const NONE: DistinctValues = { distinct: new Float64Array(0), count: new Float64Array(0) };

/** Most distinct values a column may have to be counted in a hash table rather than sorted. */
const DISTINCT_LIMIT = 2048;
const HASH_SLOTS = 4096; // a power of two, twice the limit

/**
 * Feature f's finite values into the hash table (keys: Float32 bits, −0 as +0; linear probing);
 * how many distinct ones, or −1 past {@link DISTINCT_LIMIT}.
 */
function hashCells(
  bits: Int32Array,
  data: Float32Array,
  f: number,
  cols: number,
  sample: Int32Array | null,
  m: number,
  keys: Int32Array,
  counts: Float64Array,
  used: Uint8Array,
): number {
  let k = 0;
  for (let i = 0; i < m; i++) {
    const o = (sample ? sample[i] : i) * cols + f;
    const v = data[o];
    if (v - v !== 0) continue; // NaN and ±Infinity: not among the distinct values (sortedEdges leaves them out too)
    const key = v === 0 ? 0 : bits[o]; // −0 and +0 are one value
    let h = Math.imul(key, 0x9e3779b1) >>> 20;
    for (;;) {
      if (!used[h]) {
        if (++k > DISTINCT_LIMIT) return -1;
        used[h] = 1;
        keys[h] = key;
        counts[h] = 1;
        break;
      }
      if (keys[h] === key) {
        counts[h]++;
        break;
      }
      h = (h + 1) & (HASH_SLOTS - 1);
    }
  }
  return k;
}

/**
 * Columns with few distinct values that are not small integers (rates, indices, prices on a grid)
 * are counted in a hash table of their Float32 bit patterns: one pass, then a sort of the distinct
 * values alone. Null (the column is sorted instead) past {@link DISTINCT_LIMIT} distinct values.
 * The same distinct values and counts as sorting gives, so the same edges.
 */
class DistinctCounter {
  private readonly keys = new Int32Array(HASH_SLOTS);
  private readonly counts = new Float64Array(HASH_SLOTS);
  private readonly used = new Uint8Array(HASH_SLOTS);

  /** Feature f's values (column f of row-major `data`, rows `sample` or the first m), counted. */
  values(bits: Int32Array, data: Float32Array, f: number, cols: number, sample: Int32Array | null, m: number): DistinctValues | null {
    const { keys, counts, used } = this;
    used.fill(0);
    if (hashCells(bits, data, f, cols, sample, m, keys, counts, used) < 0) return null;
    const f32 = new Float32Array(new Int32Array(1).buffer);
    const i32 = new Int32Array(f32.buffer);
    const found: { v: number; c: number }[] = [];
    for (let h = 0; h < HASH_SLOTS; h++) {
      if (!used[h]) continue;
      i32[0] = keys[h];
      found.push({ v: f32[0], c: counts[h] });
    }
    found.sort((a, b) => a.v - b.v);
    return { distinct: Float64Array.from(found, (e) => e.v), count: Float64Array.from(found, (e) => e.c) };
  }
}

/** values[i] = feature f of row sample[i] (or i). */
function gatherColumn(data: Float32Array, f: number, cols: number, sample: Int32Array | null, values: Float64Array): void {
  for (let i = 0; i < values.length; i++) values[i] = data[(sample ? sample[i] : i) * cols + f];
}

/** Any feature: sort its finite values (NaN sorts last, ±Infinity sit at the ends). */
function sortedEdges(data: Float32Array, f: number, cols: number, sample: Int32Array | null, values: Float64Array, maxBins: number): Float32Array {
  const m = values.length;
  gatherColumn(data, f, cols, sample, values);
  values.sort();
  let lo = 0;
  let hi = m;
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

/** Widest run of integers a feature's code table covers (binMatrix); narrower than the rows, too. */
const TABLE_RANGE = 1 << 16;
/** Entries of the cache of searched values (a power of two). */
const CACHE_SLOTS = 4096;
/** A NaN's bits: never a key (missing values are coded before the cache is looked at). */
const NO_KEY = 0x7fc00001;

/**
 * Codes of all values, row-major like `x` (feature f of row r is `codes[r * cols + f]`): a node's
 * histograms for several features are filled in one pass over its rows, and one row's codes then
 * share a cache line. Written into `codes` when given (a buffer shared by several threads).
 *
 * Feature by feature: integer values within the feature's edges (counts, codes, years — most
 * columns of most tables) look their code up in a table of the integers there, when there are
 * fewer of those than rows; any other value takes the binary search that filled the table, through
 * a cache of the values searched before (by their Float32 bits: rates, indices and prices repeat),
 * so the codes are the search's either way.
 */
export function binMatrix(x: Matrix, bins: Bins, codes: Uint8Array = new Uint8Array(x.rows * x.cols)): Uint8Array {
  if (codes.length < x.rows * x.cols) throw new RangeError(`binMatrix: ${codes.length} bytes for ${x.rows} × ${x.cols} codes`);
  codeFeatures(x, bins, codes, false);
  return codes;
}

/**
 * The same codes column-major (feature f of row r is `out[f * rows + r]`: what a row partition
 * reads), written into `out` when given (a fit's own buffer: no fresh array, no transposition).
 */
export function binColumns(x: Matrix, bins: Bins, out: Uint8Array = new Uint8Array(x.rows * x.cols)): Uint8Array {
  if (out.length < x.rows * x.cols) throw new RangeError(`binColumns: ${out.length} bytes for ${x.rows} × ${x.cols} codes`);
  codeFeatures(x, bins, out, true);
  return out;
}

/** Every feature's codes into `codes`, row-major or column-major. */
function codeFeatures(x: Matrix, bins: Bins, codes: Uint8Array, byColumn: boolean): void {
  const { rows, cols, data } = x;
  const { edges, edgeStart } = bins;
  const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
  const table = new Uint8Array(TABLE_RANGE);
  const keys = new Int32Array(CACHE_SLOTS);
  const cached = new Uint8Array(CACHE_SLOTS);
  for (let f = 0; f < cols; f++) {
    const lo = edgeStart[f];
    const hi = edgeStart[f + 1];
    // The integers from just below the first edge to just above the last, if there are few.
    let base = 0;
    let range = 0;
    if (hi > lo) {
      base = Math.floor(edges[lo]);
      const top = Math.ceil(edges[hi - 1]);
      if (top - base < Math.min(TABLE_RANGE, rows)) {
        range = top - base + 1;
        for (let j = 0; j < range; j++) table[j] = searchCode(edges, lo, hi, base + j);
      }
    }
    keys.fill(NO_KEY);
    codeColumn(data, bits, f, rows, cols, edges, lo, hi, table, base, range, keys, cached, codes, byColumn ? f * rows : f, byColumn ? 1 : cols);
  }
}

/**
 * Feature f's codes into codes[at], codes[at + step] …: table[v − base] for integers in the
 * table's range, else the search, through the cache (keys: Float32 bits; cached: their codes).
 */
function codeColumn(
  data: Float32Array,
  bits: Int32Array,
  f: number,
  rows: number,
  cols: number,
  edges: Float32Array,
  lo: number,
  hi: number,
  table: Uint8Array,
  base: number,
  range: number,
  keys: Int32Array,
  cached: Uint8Array,
  codes: Uint8Array,
  at: number,
  step: number,
): void {
  const missing = hi - lo + 1;
  for (let r = 0, o = f, w = at; r < rows; r++, o += cols, w += step) {
    const v = data[o];
    const j = v - base;
    if (j >= 0 && j < range && j === Math.floor(j)) codes[w] = table[j];
    else if (v !== v) codes[w] = missing;
    else {
      const key = bits[o];
      const h = Math.imul(key, 0x9e3779b1) >>> 20;
      if (keys[h] !== key) {
        keys[h] = key;
        cached[h] = searchCode(edges, lo, hi, v);
      }
      codes[w] = cached[h];
    }
  }
}

/**
 * The code of value v (not NaN) of a feature with edges[lo .. hi): the number of edges below v
 * (the first edge ≥ v, or past the last edge the open last bin). The steps depend only on the
 * number of edges, and each moves by a mask of the comparison, not a branch: which side of an edge
 * a value falls is a coin flip to the CPU (255 edges: 64 → 34 ns per value measured).
 */
function searchCode(edges: Float32Array, lo: number, hi: number, v: number): number {
  let a = lo;
  let n = hi - lo;
  while (n > 1) {
    const half = n >>> 1;
    a += half & -(edges[a + half - 1] < v);
    n -= half;
  }
  return a - lo + (n === 1 && edges[a] < v ? 1 : 0);
}
