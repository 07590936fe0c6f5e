/**
 * The binned shard a trainer keeps resident for a data-parallel fit: bin codes fitted once on all
 * training rows (so every shard speaks the same bins), the target and each row's global index,
 * encodable to bytes for the blob store. Also the per-row bootstrap weight, a pure function of
 * (seed, tree, global row index), so no shard's randomness depends on how the rows were split.
 */
import { QuorumError } from '../../errors';
import { binCount, binMatrix, fitBins, type Bins } from '../../models/trees/binning';
import type { TrainingSet } from '../../models/model';
import { deriveSeed } from '../../util/random';
import type { BoostConfig } from './session/boost';

/** Seed label of the binning sample: the same as a one-node forest fit uses (fit.ts). */
const BIN_SEED_LABEL = 0x62696e;
/** Seed label of the bootstrap weights. */
const BOOT_SEED_LABEL = 0x626f6f74;

/** What every session of a job shares (small; JSON). */
export interface ShardConfig {
  task: 'classification' | 'regression';
  /** Classes (classification) or 1. */
  nClasses: number;
  cols: number;
  /** Training rows over all shards (the driver sizes its batches of trees from it). */
  totalRows: number;
  /** Value bins per feature (code nBins[f] = missing). */
  nBins: number[];
  seed: number;
  bootstrap: boolean;
  /**
   * Regression: targets are held as integers y·2^yShift (exact in float64 sums of any order), so
   * that sums over shards are identical whatever the split. 0 for classification.
   */
  yShift: number;
  /** Boosting (gbm): the objective, starting margins and gradient quantisation; absent for a forest. */
  boost?: BoostConfig;
}

/** One shard: column-major codes (feature f of local row r at codes[f * rows + r]). */
export interface BinnedShard {
  config: ShardConfig;
  rows: number;
  codes: Uint8Array;
  /** Class index, or the quantised regression target y·2^yShift (an integer). */
  y: Float64Array;
  /** Global row index of each local row (ascending within a shard is not required). */
  rowIndex: Int32Array;
}

/** Largest Poisson(1) bootstrap count (the probability of more is below 1e-9). */
export const MAX_WEIGHT = 12;

/** Bootstrap weight of a row in a tree: Poisson(1) from a counter-based hash; 1 without bootstrap. */
export function rowWeight(seed: number, tree: number, row: number, bootstrap: boolean): number {
  if (!bootstrap) return 1;
  const u = deriveSeed(seed, BOOT_SEED_LABEL, tree, row) / 4294967296;
  // Inverse CDF of Poisson(1): P(k) = e^-1 / k!.
  let p = Math.exp(-1);
  let cdf = p;
  let k = 0;
  while (u >= cdf && k < MAX_WEIGHT) {
    k++;
    p /= k;
    cdf += p;
  }
  return k;
}

/** Shift so that |y|·2^shift · rows · MAX_WEIGHT stays below 2^52 (exact integer sums). */
export function targetShift(y: Float32Array, rows: number): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs(y[i]));
  if (m === 0) return 0;
  return Math.floor(52 - Math.log2(m * Math.max(1, rows) * MAX_WEIGHT)) - 1;
}

export interface BinnedShards {
  bins: Bins;
  config: ShardConfig;
  shards: BinnedShard[];
}

/**
 * Fits the bins on all rows, then cuts the rows into shards: `assignment[r]` is the shard of row r
 * (any assignment; by default contiguous equal ranges).
 */
export function binShards(
  data: TrainingSet,
  maxBins: number,
  seed: number,
  nShards: number,
  bootstrap = true,
  assignment?: Int32Array,
  boost?: BoostConfig,
): BinnedShards {
  const { x } = data;
  if (!(Number.isInteger(nShards) && nShards >= 1)) throw new QuorumError('BAD_VALUE', `shards must be an integer ≥ 1, got ${nShards}`);
  checkRows(data);
  const bins = fitBins(x, maxBins, deriveSeed(seed, BIN_SEED_LABEL));
  const codes = binMatrix(x, bins);
  const classification = data.task === 'classification';
  const config: ShardConfig = {
    task: data.task,
    nClasses: classification ? data.nClasses : 1,
    cols: x.cols,
    totalRows: x.rows,
    nBins: Array.from({ length: x.cols }, (_, f) => binCount(bins, f)),
    seed,
    bootstrap,
    yShift: classification || boost ? 0 : targetShift(data.y, x.rows),
    ...(boost ? { boost } : {}),
  };
  const of = assignment ?? Int32Array.from({ length: x.rows }, (_, r) => Math.floor((r * nShards) / x.rows));
  const counts = new Int32Array(nShards);
  for (let r = 0; r < x.rows; r++) counts[of[r]]++;
  const shards: BinnedShard[] = Array.from({ length: nShards }, (_, s) => ({
    config,
    rows: counts[s],
    codes: new Uint8Array(counts[s] * x.cols),
    y: new Float64Array(counts[s]),
    rowIndex: new Int32Array(counts[s]),
  }));
  const fill = new Int32Array(nShards);
  const scale = 2 ** config.yShift;
  for (let r = 0; r < x.rows; r++) {
    const sh = shards[of[r]];
    const i = fill[of[r]]++;
    for (let f = 0; f < x.cols; f++) sh.codes[f * sh.rows + i] = codes[r * x.cols + f];
    sh.y[i] = classification || boost ? data.y[r] : Math.round(data.y[r] * scale);
    sh.rowIndex[i] = r;
  }
  return { bins, config, shards };
}

/** The checks of a one-node forest fit that binning needs (rows, classes, finite targets). */
function checkRows(data: TrainingSet): void {
  const { x, y } = data;
  if (x.rows < 1 || x.cols < 1) throw new QuorumError('TOO_FEW_ROWS', `a data-parallel fit needs at least 1 row and 1 feature, got ${x.rows} × ${x.cols}`);
  if (y.length !== x.rows) throw new QuorumError('BAD_VALUE', `${y.length} targets for ${x.rows} rows`);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (data.task === 'classification' ? !(Number.isInteger(v) && v >= 0 && v < data.nClasses) : !Number.isFinite(v)) {
      const want = data.task === 'classification' ? `a class index in 0..${data.nClasses - 1}` : 'a finite number; drop or impute the row';
      throw new QuorumError('BAD_VALUE', `row ${i}: target ${v} is not ${want}`, { row: i });
    }
  }
}

/** Bytes of a shard: u32 header length, JSON header, then codes, y (f64), rowIndex (i32). */
export function encodeBinnedShard(shard: BinnedShard): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ config: shard.config, rows: shard.rows }));
  const n = shard.rows;
  const out = new Uint8Array(4 + header.length + shard.codes.length + 8 * n + 4 * n);
  new DataView(out.buffer).setUint32(0, header.length, true);
  let o = 4;
  out.set(header, o);
  o += header.length;
  out.set(shard.codes, o);
  o += shard.codes.length;
  out.set(new Uint8Array(shard.y.buffer, shard.y.byteOffset, 8 * n), o);
  o += 8 * n;
  out.set(new Uint8Array(shard.rowIndex.buffer, shard.rowIndex.byteOffset, 4 * n), o);
  return out;
}

export function decodeBinnedShard(bytes: Uint8Array): BinnedShard {
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + len))) as { config: ShardConfig; rows: number };
  const n = head.rows;
  const nc = n * head.config.cols;
  let o = 4 + len;
  if (bytes.length !== o + nc + 12 * n)
    throw new QuorumError('BAD_VALUE', `a binned shard of ${n} rows has ${bytes.length} bytes, expected ${o + nc + 12 * n}`);
  const codes = bytes.slice(o, o + nc);
  o += nc;
  const y = new Float64Array(bytes.slice(o, o + 8 * n).buffer);
  o += 8 * n;
  const rowIndex = new Int32Array(bytes.slice(o, o + 4 * n).buffer);
  return { config: head.config, rows: n, codes, y, rowIndex };
}
