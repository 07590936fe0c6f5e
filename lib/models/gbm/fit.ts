/**
 * Fitting a boosted model: bin the shard once (the forest's binning), then per round compute the
 * objective's derivatives at the current margins, draw the round's rows and the features, grow one
 * tree per output, and move the margins of training and validation rows by the new leaves.
 *
 * Randomness is counter-based where it touches rows: row r is in round i's sample when
 * hash(seed, i, r) < subsample, so the sample does not depend on how rows are spread over shards
 * (what data-parallel training needs). Feature sampling draws from a generator seeded per round.
 */
import { QuorumError } from '../../errors';
import { Rng, deriveSeed } from '../../util/random';
import { permutationImportance } from '../forest/importance';
import { binColumns, binCount, fitBins } from '../trees/binning';
import { NodeWriter, type TreeNodes } from '../trees/nodes';
import type { FitContext, TrainingSet } from '../model';
import { TreeGrower } from './grow';
import { histLayout } from './histogram';
import { GbmModel } from './model';
import { objectiveFor } from './objectives';
import { quantiseDerivatives } from './quantise';
import { type GbmParams, resolveObjective, startMargin } from './params';

/** Labels of the seeds of the binning sample, row sampling, feature sampling, permutation importance. */
const BIN_LABEL = 0x62696e;
const ROW_LABEL = 0x726f77;
const COL_LABEL = 0x636f6c;
const PERM_LABEL = 0x706572;
/** Learning-curve points per fit at most (every round up to this many rounds). */
const MAX_CURVE_POINTS = 1000;

function checkData(data: TrainingSet): void {
  const { x, y, task } = data;
  if (x.rows < 1) throw new QuorumError('TOO_FEW_ROWS', 'a gbm needs at least 1 training row, got 0');
  if (x.cols < 1) throw new QuorumError('NO_FEATURES', 'a gbm needs at least 1 feature column, got 0');
  if (x.data.length !== x.rows * x.cols) throw new QuorumError('BAD_VALUE', `x holds ${x.data.length} values, not rows × cols = ${x.rows} × ${x.cols}`);
  if (y.length !== x.rows) throw new QuorumError('BAD_VALUE', `${y.length} targets for ${x.rows} rows`);
  if (data.features.length !== x.cols) throw new QuorumError('BAD_VALUE', `${data.features.length} feature descriptions for ${x.cols} columns`);
  for (let i = 0; i < y.length; i++) {
    const c = y[i];
    if (task === 'classification' ? !(Number.isInteger(c) && c >= 0 && c < data.nClasses) : !Number.isFinite(c)) {
      const what =
        task === 'classification'
          ? `class index ${c} is not an integer in 0..${data.nClasses - 1}`
          : `regression target ${c} is not a finite number; drop or impute the row`;
      throw new QuorumError('BAD_VALUE', `row ${i}: ${what}`, { row: i });
    }
  }
}

/** `n / (classes present · count)` per row's class, as scikit-learn's class_weight='balanced'. */
function balancedRowWeights(y: Float32Array, K: number): Float64Array {
  const count = new Float64Array(K);
  for (let i = 0; i < y.length; i++) count[y[i]]++;
  const present = count.reduce((s, c) => s + (c > 0 ? 1 : 0), 0);
  const perClass = count.map((c) => (c > 0 ? y.length / (present * c) : 0));
  return Float64Array.from(y, (c) => perClass[c]);
}

/** The first `nTrees` trees of `nodes` (a prefix: nodes and implicitly numbered leaves). */
export function firstTrees(nodes: TreeNodes, nTrees: number): TreeNodes {
  const end = nodes.treeStart[nTrees];
  let leaves = 0;
  for (let i = 0; i < end; i++) if (nodes.feature[i] < 0) leaves++;
  return {
    treeStart: nodes.treeStart.slice(0, nTrees + 1),
    feature: nodes.feature.slice(0, end),
    thrBin: nodes.thrBin.slice(0, end),
    missLeft: nodes.missLeft.slice(0, end),
    right: nodes.right.slice(0, end),
    leafStart: null,
    leafClass: null,
    leafProb: null,
    leafValue: nodes.leafValue!.slice(0, leaves),
  };
}

/** Features a round's trees may split on (colsampleByTree). */
export function roundFeatureCount(p: GbmParams, cols: number): number {
  return Math.max(1, Math.round(p.colsampleByTree * cols));
}

/**
 * The round's features into `features[0 ..)`: all of them, or a seeded draw of `count` in
 * ascending order (ties in split search go to the lower); returns how many.
 */
export function drawRoundFeatures(seed: number, round: number, cols: number, count: number, features: Int32Array): number {
  if (count >= cols) return cols;
  features.set(new Rng(deriveSeed(seed, COL_LABEL, round)).permutation(cols).subarray(0, count).sort());
  return count;
}

/** Whether row r is in round i's sample (a counter-based draw: the same on any shard layout). */
export function rowInSample(seed: number, round: number, row: number, subsample: number): boolean {
  return deriveSeed(seed, ROW_LABEL, round, row) / 4294967296 < subsample;
}

/*
 * The loops over rows are functions of their own: fitGbm runs once, so its round loop is compiled
 * while it runs, and loops inlined into it were where that code fell back to the interpreter.
 */

/** Round `round`'s sample (rowInSample) into sample[0 ..) and inSample; returns its size. */
function drawRoundRows(seed: number, round: number, n: number, subsample: number, sample: Int32Array, inSample: Uint8Array): number {
  let m = 0;
  for (let r = 0; r < n; r++) {
    const keep = rowInSample(seed, round, r, subsample);
    inSample[r] = keep ? 1 : 0;
    if (keep) sample[m++] = r;
  }
  return m;
}

/** The current tree's values of the rows outside the round's sample. */
function outOfSampleValues(grower: TreeGrower, inSample: Uint8Array, out: Float64Array): void {
  for (let r = 0; r < out.length; r++) if (!inSample[r]) out[r] = grower.valueOf(grower.columns, out.length, r);
}

/** 0, 1, … n − 1. */
function rowNumbers(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) out[r] = r;
  return out;
}

/** Every row's margins set to `base` (one value per output). */
function fillRows(margin: Float64Array, base: Float64Array, n: number): void {
  const O = base.length;
  for (let r = 0; r < n; r++) for (let k = 0; k < O; k++) margin[r * O + k] = base[k];
}

/** margin[r · O + k] += values[r] for rows 0 .. n. */
function addColumn(margin: Float64Array, values: Float64Array, n: number, O: number, k: number): void {
  for (let r = 0; r < n; r++) margin[r * O + k] += values[r];
}

/** The current tree's values added to margin k of the validation rows (column-major codes). */
function validationValues(grower: TreeGrower, codes: Uint8Array, nv: number, vMargin: Float64Array, O: number, k: number): void {
  for (let r = 0; r < nv; r++) vMargin[r * O + k] += grower.valueOf(codes, nv, r);
}

export function fitGbm(data: TrainingSet, p: GbmParams, ctx: FitContext): GbmModel {
  checkData(data);
  const { x, y, task } = data;
  const n = x.rows;
  const cols = x.cols;
  const classification = task === 'classification';
  const K = classification ? data.nClasses : 0;
  const objectiveName = resolveObjective(p, task, K);
  const objective = objectiveFor(objectiveName, K, p.huberDelta);
  const O = objective.outputs;
  const seed = p.seed ?? ctx.seed;

  const bins = fitBins(x, p.maxBins, deriveSeed(seed, BIN_LABEL));
  const valueBins = new Int32Array(cols);
  for (let f = 0; f < cols; f++) valueBins[f] = binCount(bins, f);
  const layout = histLayout(valueBins);
  const grower = new TreeGrower(
    x,
    bins,
    layout,
    {
      maxDepth: p.maxDepth,
      maxLeaves: p.maxLeaves ?? 0,
      lambda: p.lambda,
      gamma: p.gamma,
      minChildWeight: p.minChildWeight,
      learningRate: p.learningRate,
    },
    O,
    classification && p.classWeight === 'balanced',
    ctx.team,
  );

  // The objective's arrays live beside the derivatives (the grower's buffers), where its kernel reads them.
  const rowWeight = classification && p.classWeight === 'balanced' ? balancedRowWeights(y, K) : null;
  const weight = grower.weight;
  if (rowWeight) weight!.set(rowWeight);
  const labels = grower.y;
  labels.set(y);
  const baseMargin = startMargin(p, objective, y, rowWeight);
  const margin = grower.margin;
  fillRows(margin, baseMargin, n);
  const v = ctx.validation && ctx.validation.x.rows > 0 ? ctx.validation : null;
  const nv = v ? v.x.rows : 0;
  const vCodes = v ? binColumns(v.x, bins) : null;
  const vMargin = new Float64Array(nv * O);
  fillRows(vMargin, baseMargin, nv);

  const { grad, hess } = grower;
  const treeOut = new Float64Array(n);
  const sample = rowNumbers(n);
  const inSample = new Uint8Array(n);
  const features = Int32Array.from({ length: cols }, (_, f) => f);
  const nColumns = roundFeatureCount(p, cols);
  const gain = new Float64Array(cols);
  let bestGain = new Float64Array(cols);
  const writer = new NodeWriter(false);
  const stopping = v !== null && p.earlyStopping !== null;
  let best = { round: 0, validLoss: Infinity, trainLoss: NaN };
  let round = 0;
  const curveEvery = Math.ceil(p.nEstimators / MAX_CURVE_POINTS);

  // Derivatives for the first round; each later round's come with the loss of the round before.
  // They are quantised (quantise.ts): every histogram sum is exact, in whatever parts it is built.
  objective.gradients(margin, labels, weight, grad, hess);
  quantiseDerivatives(grad, hess, O * n, n);
  while (round < p.nEstimators) {
    if (ctx.isCancelled?.()) throw new QuorumError('CANCELLED', `gbm fit cancelled after ${round} of ${p.nEstimators} rounds`);
    const m = p.subsample < 1 ? drawRoundRows(seed, round, n, p.subsample, sample, inSample) : n;
    const nf = drawRoundFeatures(seed, round, cols, nColumns, features);
    for (let k = 0; k < O; k++) {
      grower.index.set(sample.subarray(0, m));
      grower.grow(m, grad.subarray(k * n, (k + 1) * n), hess.subarray(k * n, (k + 1) * n), features, nf, gain);
      grower.emit(writer);
      if (O === 1 && m === n) grower.addRowValues(margin);
      else {
        grower.rowValues(treeOut);
        if (m < n) outOfSampleValues(grower, inSample, treeOut);
        addColumn(margin, treeOut, n, O, k);
      }
      if (nv) validationValues(grower, vCodes!, nv, vMargin, O, k);
    }
    round++;
    // The next round's derivatives and this round's loss in one pass (after the last round too: the
    // kernel's pass costs less than loss() alone, and every point of the curve is computed alike).
    const trainLoss = objective.gradients(margin, labels, weight, grad, hess);
    quantiseDerivatives(grad, hess, O * n, n);
    const validLoss = v ? objective.loss(vMargin, v.y, nv) : null;
    if (!Number.isFinite(trainLoss)) {
      throw new QuorumError(
        'TRAINING_DIVERGED',
        `gbm training diverged at round ${round} (loss ${trainLoss}); lower learningRate (now ${p.learningRate}) or raise lambda`,
      );
    }
    if (!stopping || validLoss! < best.validLoss) {
      best = { round, validLoss: validLoss ?? Infinity, trainLoss };
      if (stopping) bestGain = Float64Array.from(gain);
    }
    if (round % curveEvery === 0 || round === p.nEstimators) {
      const metrics: Record<string, number> = { loss: trainLoss };
      if (validLoss !== null) metrics.valLoss = validLoss;
      ctx.onProgress?.({ fraction: round / p.nEstimators, epoch: round, metrics, message: `${round} of ${p.nEstimators} rounds` });
    }
    if (stopping && round - best.round >= p.earlyStopping!) break;
  }

  let nodes = writer.finish();
  if (best.round < round) nodes = firstTrees(nodes, best.round * O);
  const model = new GbmModel({
    task,
    nFeatures: cols,
    nClasses: K,
    classes: data.classes,
    features: data.features,
    params: p,
    objective: objectiveName,
    outputs: O,
    baseMargin,
    bins,
    nodes,
    gainImportance: stopping ? bestGain : gain,
    roundsRun: round,
    bestRound: best.round,
    trainLoss: best.trainLoss,
    validLoss: v ? best.validLoss : null,
    permutationImportance: null,
  });
  if (p.importance === 'permutation' && v) {
    model.state.permutationImportance = Array.from(permutationImportance(model, v.x, v.y, deriveSeed(seed, PERM_LABEL)));
  }
  return model;
}
