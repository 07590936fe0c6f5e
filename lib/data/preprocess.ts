/**
 * The dense transform for neural and linear models, fitted on the training split only and stored
 * with the version: native features (NaN for missing, category codes) become finite, standardised
 * columns.
 *
 * - numeric: missing → the training median (or mean, or a constant, by option), then (v − mean) / std;
 * - categorical with ≤ `maxOneHot` categories seen in training: one-hot; missing → the most
 *   frequent category; a category unseen in training → all zeros (the "unseen bucket");
 * - categorical with more categories: frequency encoding (share of training rows), standardised;
 *   unseen → 0 share.
 */
import { QuorumError } from '../errors';
import type { FeatureInfo, Matrix } from '../core/types';
import { Rng } from '../util/random';

/** Numeric gaps: the training median, mean, or a constant (`fillValue`, default 0). */
export type Imputation = 'median' | 'mean' | 'constant';

export type DenseColumn =
  | { kind: 'numeric'; fill: number; mean: number; std: number }
  | { kind: 'onehot'; fill: number; codes: number[] }
  | { kind: 'frequency'; fill: number; share: Record<string, number>; mean: number; std: number };

export interface DenseSpec {
  version: 1;
  inputs: number;
  outputs: number;
  columns: DenseColumn[];
  names: string[];
}

export interface DenseOptions {
  imputation?: Imputation;
  /** The constant of `imputation: 'constant'`. Default 0. */
  fillValue?: number;
  /** Categorical columns with more training categories than this use frequency encoding. Default 32. */
  maxOneHot?: number;
  /** Rows sampled to compute medians on large sets. Default 100,000. */
  sampleRows?: number;
  seed?: number;
}

function columnValues(x: Matrix, c: number, rows: Int32Array | null): Float64Array {
  const n = rows ? rows.length : x.rows;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = x.data[(rows ? rows[i] : i) * x.cols + c];
  return out;
}

function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  let n = 0, sum = 0, sq = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    n++;
    sum += v;
    sq += v * v;
  }
  if (n === 0) return { mean: 0, std: 1 };
  const mean = sum / n;
  const variance = Math.max(0, sq / n - mean * mean);
  const std = Math.sqrt(variance);
  return { mean, std: std > 1e-12 ? std : 1 };
}

function median(values: Float64Array): number {
  const present = values.filter((v) => !Number.isNaN(v)).sort();
  if (present.length === 0) return 0;
  const mid = present.length >> 1;
  return present.length % 2 ? present[mid] : (present[mid - 1] + present[mid]) / 2;
}

/** Fits the transform on the (training) rows of a native feature matrix. */
export function fitDense(x: Matrix, features: FeatureInfo[], options: DenseOptions = {}): DenseSpec {
  if (features.length !== x.cols) throw new QuorumError('INTERNAL', `fitDense: ${features.length} features for ${x.cols} columns`);
  const maxOneHot = options.maxOneHot ?? 32;
  const sampleRows = options.sampleRows ?? 100_000;
  const sample = x.rows > sampleRows ? new Rng(options.seed ?? 0).permutation(x.rows).subarray(0, sampleRows) : null;
  const columns: DenseColumn[] = [];
  const names: string[] = [];
  features.forEach((f, c) => {
    const values = columnValues(x, c, sample);
    if (f.kind === 'categorical') {
      const counts = new Map<number, number>();
      let present = 0;
      for (const v of values) {
        if (Number.isNaN(v)) continue;
        counts.set(v, (counts.get(v) ?? 0) + 1);
        present++;
      }
      let fill = NaN, best = -1;
      for (const [code, count] of counts) if (count > best || (count === best && code < fill)) [fill, best] = [code, count];
      if (Number.isNaN(fill)) fill = 0;
      if (counts.size <= maxOneHot) {
        const codes = [...counts.keys()].sort((a, b) => a - b);
        columns.push({ kind: 'onehot', fill, codes });
        codes.forEach((code) => names.push(`${f.name}=${code}`));
      } else {
        const share: Record<string, number> = {};
        for (const [code, count] of counts) share[code] = count / Math.max(1, present);
        const encoded = Array.from(values, (v) => (Number.isNaN(v) ? share[fill] : share[v]));
        columns.push({ kind: 'frequency', fill, share, ...meanStd(encoded) });
        names.push(`${f.name}.frequency`);
      }
    } else {
      const imputation = options.imputation ?? 'median';
      const stats = meanStd(values);
      const fill = imputation === 'median' ? median(values) : imputation === 'mean' ? stats.mean : options.fillValue ?? 0;
      const filled = Array.from(values, (v) => (Number.isNaN(v) ? fill : v));
      columns.push({ kind: 'numeric', fill, ...meanStd(filled) });
      names.push(f.name);
    }
  });
  return { version: 1, inputs: x.cols, outputs: names.length, columns, names };
}

/** Dense feature descriptions (all numeric) for a model's TrainingSet. */
export function denseFeatures(spec: DenseSpec): FeatureInfo[] {
  return spec.names.map((name) => ({ name, kind: 'numeric' as const }));
}

/** Applies a fitted transform; the output has no NaN and no Infinity. */
export function applyDense(spec: DenseSpec, x: Matrix): Matrix {
  if (x.cols !== spec.inputs) throw new QuorumError('INTERNAL', `applyDense: expected ${spec.inputs} columns, got ${x.cols}`);
  const out = new Float32Array(x.rows * spec.outputs);
  const lookup = spec.columns.map((c) => (c.kind === 'onehot' ? new Map(c.codes.map((code, i) => [code, i])) : undefined));
  for (let r = 0; r < x.rows; r++) {
    let o = r * spec.outputs;
    const base = r * x.cols;
    for (let c = 0; c < spec.columns.length; c++) {
      const col = spec.columns[c];
      let v = x.data[base + c];
      if (!Number.isFinite(v)) v = Number.isNaN(v) ? col.fill : v;
      if (col.kind === 'numeric') {
        if (!Number.isFinite(v)) v = v > 0 ? col.mean + 10 * col.std : col.mean - 10 * col.std;
        out[o++] = (v - col.mean) / col.std;
      } else if (col.kind === 'onehot') {
        const at = lookup[c]!.get(v);
        if (at !== undefined) out[o + at] = 1;
        o += col.codes.length;
      } else {
        out[o++] = ((col.share[v] ?? 0) - col.mean) / col.std;
      }
    }
  }
  return { data: out, rows: x.rows, cols: spec.outputs };
}
