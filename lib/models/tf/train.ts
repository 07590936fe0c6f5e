/**
 * The training loop shared by `mlp` and `linear`: seeded shuffles, mini-batches assembled in JS,
 * hand-written backpropagation (backprop.ts), a typed-array optimiser (optimizers.ts), a learning
 * curve point per epoch, early stopping on validation loss (best weights restored), cancellation.
 */
import { QuorumError } from '../../errors';
import { Rng, deriveSeed } from '../../util/random';
import type { FitContext, Matrix } from '../model';
import type { Batch, BatchGradients } from './backprop';
import { batchGradients } from './backprop';
import { disposeDevice, forwardOutputs, uploadWeights } from './net';
import type { NetSpec, NetWeights } from './net-spec';
import { cloneWeights, layerSizes } from './net-spec';
import type { OptimizerName } from './optimizers';
import { makeOptimizer } from './optimizers';
import { emptyScore, finish, scoreOutputs, scoreResidual } from './scoring';

export interface EarlyStopping {
  /** Epochs without an improvement of the validation loss before stopping. */
  patience: number;
  /** Smallest decrease of the validation loss that counts as an improvement. */
  minDelta: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  optimizer: OptimizerName;
  /** Fraction of each hidden layer's units dropped per batch (0 = none). */
  dropout: number;
  earlyStopping: EarlyStopping | false;
  /** Held out for early stopping when the context brings no validation rows. */
  validationFraction: number;
}

/** A target already encoded for the network: class indices, or the value scaled to z-scores. */
export interface EncodedSet {
  x: Matrix;
  /** Class index (softmax, sigmoid) or scaled value (identity), one per row. */
  label: Float32Array;
}

export interface CurvePoint {
  epoch: number;
  loss: number;
  accuracy?: number;
  rmse?: number;
  valLoss?: number;
  valAccuracy?: number;
  valRmse?: number;
}

export interface TrainResult {
  weights: NetWeights;
  curve: CurvePoint[];
  epochsRun: number;
  /** Epoch whose weights were kept (the best validation loss under early stopping, else the last). */
  bestEpoch: number;
  stoppedEarly: boolean;
}

// Seed labels (SEED_INIT = 1 is in net-spec.ts): each random step draws from its own stream, so
// adding dropout does not change the shuffles and a different batch size does not change the
// initial weights.
const SEED_SHUFFLE = 2;
const SEED_DROPOUT = 3;
const SEED_HOLDOUT = 4;

/** Batches between two polls of `ctx.isCancelled` inside an epoch. */
const CANCEL_POLL_BATCHES = 256;

/** Copies the rows `idx[from..to)` of a matrix and their labels. */
export function takeRows(set: EncodedSet, idx: Int32Array, from: number, to: number): EncodedSet {
  const cols = set.x.cols;
  const data = new Float32Array((to - from) * cols);
  const label = new Float32Array(to - from);
  for (let i = from; i < to; i++) {
    const r = idx[i];
    data.set(set.x.data.subarray(r * cols, (r + 1) * cols), (i - from) * cols);
    label[i - from] = set.label[r];
  }
  return { x: { data, rows: to - from, cols }, label };
}

/** Fills the batch buffers with the rows `perm[start..start+rows)`. */
function assemble(spec: NetSpec, set: EncodedSet, perm: Int32Array, start: number, batch: Batch): void {
  const d = set.x.cols;
  const n = batch.rows;
  const k = spec.outputs;
  const { x, xT, y } = batch;
  const src = set.x.data;
  if (spec.output === 'softmax') y.fill(0, 0, n * k);
  for (let r = 0; r < n; r++) {
    const row = perm[start + r];
    const o = row * d;
    for (let c = 0; c < d; c++) {
      const v = src[o + c];
      x[r * d + c] = v;
      xT[c * n + r] = v;
    }
    if (spec.output === 'softmax') y[r * k + set.label[row]] = 1;
    else y[r] = set.label[row];
  }
}

function fillMasks(masks: Float32Array[], rows: number, sizes: number[], p: number, rng: Rng): void {
  const keep = 1 / (1 - p);
  masks.forEach((m, l) => {
    const n = rows * sizes[l + 1];
    for (let i = 0; i < n; i++) m[i] = rng.float() < p ? 0 : keep;
  });
}

/** Loss and metric of the current weights on a whole set (forward pass in chunks). */
export function evaluate(spec: NetSpec, weights: NetWeights, set: EncodedSet, targetStd: number): { loss: number; accuracy?: number; rmse?: number } {
  const dev = uploadWeights(spec, weights);
  try {
    const out = forwardOutputs(spec, dev, set.x);
    const score = emptyScore();
    scoreOutputs(score, spec.output, out, set.label, 0, set.x.rows, spec.outputs);
    return finish(score, spec.output, targetStd);
  } finally {
    disposeDevice(dev);
  }
}

/**
 * True when training has blown up: a non-finite loss or weight, or — for regression, trained on
 * z-scores where predicting the mean scores 1 — a mean squared error above 1e6.
 */
function diverged(spec: NetSpec, meanLoss: number, weights: NetWeights): boolean {
  if (!Number.isFinite(meanLoss) || (spec.output === 'identity' && meanLoss > 1e6)) return true;
  for (const a of [...weights.w, ...weights.b]) for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return true;
  return false;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Trains `weights` in place on `train`, reporting one curve point per epoch through
 * `ctx.onProgress`. `validation` drives early stopping and the `val*` numbers.
 */
export async function trainNet(
  spec: NetSpec,
  train: EncodedSet,
  validation: EncodedSet | undefined,
  weights: NetWeights,
  opts: TrainOptions,
  targetStd: number,
  ctx: FitContext,
): Promise<TrainResult> {
  const sizes = layerSizes(spec);
  const n = train.x.rows;
  const bs = Math.min(opts.batchSize, n);
  const shuffleRng = new Rng(deriveSeed(ctx.seed, SEED_SHUFFLE));
  const dropRng = new Rng(deriveSeed(ctx.seed, SEED_DROPOUT));
  const optimizer = makeOptimizer(opts.optimizer, weights, { learningRate: opts.learningRate, l2: opts.l2 });
  const full: Batch = {
    rows: bs,
    x: new Float32Array(bs * spec.inputs),
    xT: new Float32Array(bs * spec.inputs),
    y: new Float32Array(bs * spec.outputs),
    masks: opts.dropout > 0 ? spec.hidden.map((u) => new Float32Array(bs * u)) : undefined,
  };
  const grads: BatchGradients = { w: [], b: sizes.slice(1).map((u) => new Float32Array(u)), residual: new Float32Array(0) };
  const scratch = new Float32Array(bs * spec.outputs);
  const batchLabels = new Float32Array(bs);
  const curve: CurvePoint[] = [];
  let best = { loss: Infinity, epoch: 0, weights: undefined as NetWeights | undefined };
  let wait = 0;
  let stoppedEarly = false;
  let epoch = 0;

  const cancelled = (): QuorumError => new QuorumError('CANCELLED', `training cancelled after ${epoch} of ${opts.epochs} epochs`);
  while (epoch < opts.epochs) {
    if (ctx.isCancelled?.()) throw cancelled();
    const perm = shuffleRng.permutation(n);
    const score = emptyScore();
    for (let start = 0, b = 1; start < n; start += bs, b++) {
      // Large epochs are cancellable too (the flag is a shared-memory read: cheap to poll).
      if (b % CANCEL_POLL_BATCHES === 0 && ctx.isCancelled?.()) throw cancelled();
      const batch = start + bs <= n ? full : { ...full, rows: n - start };
      assemble(spec, train, perm, start, batch);
      if (batch.masks) fillMasks(batch.masks, batch.rows, sizes, opts.dropout, dropRng);
      batchGradients(spec, weights, batch, grads);
      for (let r = 0; r < batch.rows; r++) batchLabels[r] = train.label[perm[start + r]];
      scoreResidual(score, spec.output, grads.residual, batch.y, batchLabels, 0, batch.rows, spec.outputs, scratch);
      optimizer.step(weights, grads, batch.rows);
    }
    epoch++;
    const point: CurvePoint = { epoch, ...finish(score, spec.output, targetStd) };
    if (diverged(spec, score.lossSum / Math.max(1, score.rows), weights)) {
      throw new QuorumError('TRAINING_DIVERGED', `training diverged at epoch ${epoch} (loss ${point.loss}); lower learningRate (now ${opts.learningRate})`);
    }
    if (validation) {
      const v = evaluate(spec, weights, validation, targetStd);
      point.valLoss = v.loss;
      if (v.accuracy !== undefined) point.valAccuracy = v.accuracy;
      if (v.rmse !== undefined) point.valRmse = v.rmse;
    }
    curve.push(point);
    const { epoch: e, ...metrics } = point;
    ctx.onProgress?.({ fraction: epoch / opts.epochs, epoch: e, metrics: metrics as Record<string, number> });

    if (opts.earlyStopping && point.valLoss !== undefined) {
      if (point.valLoss < best.loss - opts.earlyStopping.minDelta) {
        best = { loss: point.valLoss, epoch, weights: cloneWeights(weights) };
        wait = 0;
      } else if (++wait >= opts.earlyStopping.patience) {
        stoppedEarly = true;
        break;
      }
    }
    await yieldToEventLoop(); // lets a worker receive a cancel message between epochs
  }

  if (stoppedEarly && best.weights) {
    for (let l = 0; l < weights.w.length; l++) {
      weights.w[l].set(best.weights.w[l]);
      weights.b[l].set(best.weights.b[l]);
    }
  }
  return { weights, curve, epochsRun: epoch, bestEpoch: stoppedEarly ? best.epoch : epoch, stoppedEarly };
}

/** Seeded split of `set` into (train, held-out) with `fraction` of the rows held out. */
export function holdOut(set: EncodedSet, fraction: number, seed: number): { train: EncodedSet; held: EncodedSet } {
  const n = set.x.rows;
  const held = Math.max(1, Math.min(n - 1, Math.round(n * fraction)));
  const perm = new Rng(deriveSeed(seed, SEED_HOLDOUT)).permutation(n);
  return { held: takeRows(set, perm, 0, held), train: takeRows(set, perm, held, n) };
}
