/**
 * Fitting a forest (or one part of a parallel fit): bin the shard once, then per tree draw the
 * bootstrap, grow, and add the tree's out-of-bag votes. Tree i of the whole forest draws from
 * `deriveSeed(seed, i)` only, so any split of the tree range over threads gives the same trees.
 */
import { QuorumError } from '../../errors';
import { Rng, deriveSeed } from '../../util/random';
import type { FitContext, TrainingSet } from '../model';
import { binCount, binMatrix, fitBins, type Bins } from '../trees/binning';
import { ClassGrower } from './grow-class';
import type { BinnedSet, GrowOptions } from './grow-common';
import { RegGrower } from './grow-reg';
import { ForestModel, type OobTally } from './model';
import { NodeWriter } from '../trees/nodes';
import { oobScoreOf } from './oob';
import { type ForestParams, resolveCriterion, resolveMaxFeatures } from './params';
import { permutationImportance } from './importance';

/** Labels of the seeds of the binning sample and the out-of-bag sample (distinct from tree indices). */
const BIN_SEED_LABEL = 0x62696e;
const OOB_SEED_LABEL = 0x6f6f62;
/** Out-of-bag sums hold at most this many values (32 MB): larger shards track a seeded sample of rows. */
const OOB_MAX_VALUES = 4_000_000;

/**
 * The rows whose out-of-bag votes are tallied: all of them, or a seeded sample (the same in every
 * part of a parallel fit) when rows × classes exceeds `maxValues`.
 */
export function oobTally(data: TrainingSet, K: number, seed: number, maxValues = OOB_MAX_VALUES): OobTally {
  const n = data.x.rows;
  const m = Math.min(n, Math.max(1, Math.floor(maxValues / K)));
  const rows = m === n ? Int32Array.from({ length: n }, (_, i) => i) : new Rng(deriveSeed(seed, OOB_SEED_LABEL)).permutation(n).subarray(0, m).sort();
  const slot = new Int32Array(n).fill(-1);
  const y = new Float32Array(m);
  for (let j = 0; j < m; j++) {
    slot[rows[j]] = j;
    y[j] = data.y[rows[j]];
  }
  return { sums: { rows, sum: new Float64Array(m * K), count: new Uint32Array(m), y }, slot };
}

function checkData(data: TrainingSet, p: ForestParams): void {
  const { x, y, task } = data;
  if (x.rows < 1) throw new QuorumError('TOO_FEW_ROWS', 'a forest needs at least 1 training row, got 0');
  if (x.cols < 1) throw new QuorumError('NO_FEATURES', 'a forest needs at least 1 feature column, got 0');
  if (x.data.length !== x.rows * x.cols) {
    throw new QuorumError('BAD_VALUE', `x holds ${x.data.length} values, not rows × cols = ${x.rows} × ${x.cols}`);
  }
  if (y.length !== x.rows) throw new QuorumError('BAD_VALUE', `${y.length} targets for ${x.rows} rows`);
  if (data.features.length !== x.cols) throw new QuorumError('BAD_VALUE', `${data.features.length} feature descriptions for ${x.cols} columns`);
  if (task === 'classification') {
    if (!(Number.isInteger(data.nClasses) && data.nClasses >= 1)) {
      throw new QuorumError('BAD_VALUE', `a classification needs nClasses ≥ 1, got ${data.nClasses}`);
    }
    for (let i = 0; i < y.length; i++) {
      const c = y[i];
      if (!(Number.isInteger(c) && c >= 0 && c < data.nClasses)) {
        throw new QuorumError('BAD_VALUE', `row ${i}: class index ${c} is not an integer in 0..${data.nClasses - 1}`, { row: i });
      }
    }
  } else {
    if (p.classWeight !== null) {
      throw new QuorumError('BAD_MODEL_PARAMS', "forest parameter 'classWeight' is for classification; leave it null for a regression");
    }
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i])) {
        throw new QuorumError('BAD_VALUE', `row ${i}: regression target ${y[i]} is not a finite number; drop or impute the row`, { row: i });
      }
    }
  }
}

/** `n / (classes present · count)` per class, as scikit-learn's class_weight='balanced'. */
function balancedWeights(y: Int32Array, K: number): Float64Array {
  const count = new Float64Array(K);
  for (let i = 0; i < y.length; i++) count[y[i]]++;
  const present = count.reduce((s, c) => s + (c > 0 ? 1 : 0), 0);
  return count.map((c) => (c > 0 ? y.length / (present * c) : 0));
}

/** The shard binned: its bins and its codes (row-major, see binMatrix). */
export interface BinnedShard {
  bins: Bins;
  codes: Uint8Array;
}

function binShard(x: TrainingSet['x'], p: ForestParams, seed: number, codes?: Uint8Array): BinnedShard {
  const bins = fitBins(x, p.maxBins, deriveSeed(seed, BIN_SEED_LABEL));
  return { bins, codes: binMatrix(x, bins, codes) };
}

/**
 * The binning every part of a parallel fit would repeat, done once (`parallel.prepare`): the pool
 * runs it while the parts' threads start, and the parts read the codes from shared memory. Binning
 * in each part took 20–60 ms of a 0.7 s part on Letter (code not yet compiled, both threads at once).
 */
export function prepareForest(data: TrainingSet, p: ForestParams, seed: number): BinnedShard {
  checkData(data, p);
  const { rows, cols } = data.x;
  return binShard(data.x, p, seed, new Uint8Array(new SharedArrayBuffer(rows * cols)));
}

/** Fits `p.nEstimators` trees, numbered from `p.treeOffset` (on the shard `ctx.shared` binned, if given). */
export function fitForest(data: TrainingSet, p: ForestParams, ctx: FitContext): ForestModel {
  checkData(data, p);
  const { x, task } = data;
  const classification = task === 'classification';
  const criterion = resolveCriterion(p, task);
  const n = x.rows;
  const K = classification ? data.nClasses : 1;
  const { bins, codes } = (ctx.shared as BinnedShard | undefined) ?? binShard(x, p, ctx.seed);
  const nBins = new Int32Array(x.cols);
  for (let f = 0; f < x.cols; f++) nBins[f] = binCount(bins, f);
  const set: BinnedSet = { codes, rows: n, cols: x.cols, nBins };
  const opt: GrowOptions = {
    maxDepth: p.maxDepth ?? Infinity,
    minSamplesSplit: p.minSamplesSplit,
    minSamplesLeaf: p.minSamplesLeaf,
    mtry: resolveMaxFeatures(p, task, x.cols),
    extraTrees: p.extraTrees,
  };
  const yClass = classification ? Int32Array.from(data.y) : null;
  const grower = classification ? new ClassGrower(set, yClass!, K, opt, criterion as 'gini' | 'entropy') : new RegGrower(set, Float64Array.from(data.y), opt);
  const classWeight = classification && p.classWeight === 'balanced' ? balancedWeights(yClass!, K) : null;

  const writer = new NodeWriter(classification);
  const weight = new Float64Array(n);
  const treeImp = new Float64Array(x.cols);
  const treeImportance = new Float32Array(p.nEstimators * x.cols);
  const wantOob = p.oobScore && p.bootstrap;
  const oob = wantOob ? oobTally(data, K, ctx.seed) : null;
  const progressEvery = Math.max(1, Math.floor(p.nEstimators / 20));

  for (let i = 0; i < p.nEstimators; i++) {
    if (ctx.isCancelled?.()) {
      throw new QuorumError('CANCELLED', `forest fit cancelled after ${i} of ${p.nEstimators} trees`);
    }
    const rng = new Rng(deriveSeed(ctx.seed, p.treeOffset + i));
    if (p.bootstrap) {
      weight.fill(0);
      for (let k = 0; k < n; k++) weight[rng.int(n)]++;
    } else {
      weight.fill(1);
    }
    if (classWeight) for (let r = 0; r < n; r++) weight[r] *= classWeight[yClass![r]];
    treeImp.fill(0);
    grower.grow(weight, rng, writer, treeImp, oob);
    let total = 0;
    for (let f = 0; f < x.cols; f++) total += treeImp[f];
    if (total > 0) for (let f = 0; f < x.cols; f++) treeImportance[i * x.cols + f] = treeImp[f] / total;
    if ((i + 1) % progressEvery === 0 || i + 1 === p.nEstimators) {
      ctx.onProgress?.({ fraction: (i + 1) / p.nEstimators, message: `${i + 1} of ${p.nEstimators} trees` });
    }
  }

  const isPart = p.totalTrees !== null && p.nEstimators < p.totalTrees;
  const model = new ForestModel({
    task,
    nFeatures: x.cols,
    nClasses: classification ? data.nClasses : 0,
    classes: data.classes,
    features: data.features,
    params: p,
    bins,
    nodes: writer.finish(),
    treeImportance,
    oobScore: oob && !isPart ? oobScoreOf(oob.sums, task, K) : null,
    oob: isPart && oob ? oob.sums : null,
    permutationImportance: null,
  });
  if (!isPart && p.importance === 'permutation' && ctx.validation && ctx.validation.x.rows > 0) {
    const v = ctx.validation;
    model.state.permutationImportance = Array.from(permutationImportance(model, v.x, v.y, deriveSeed(ctx.seed, BIN_SEED_LABEL, 1)));
  }
  return model;
}
