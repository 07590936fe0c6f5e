/**
 * The ways of training the same network that bench/mlp.ts compares, to show where tfjs time goes:
 *
 * - `layers-fit`: out of the box — `tf.sequential` + `model.fit` (tfjs-layers).
 * - `autograd`: a custom loop without tfjs-layers — batches uploaded from JS, forward with
 *   `tf.fused.matMul`, gradients by `optimizer.minimize` (tfjs autograd) and `tf.train.adam`.
 * - `quorum`: the `mlp` kind (hand-written backprop on direct kernels, typed-array Adam).
 *
 * All three: 16 → 64 relu → 26 softmax, Glorot-uniform init, Adam 1e-3, batch 64, shuffled.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainingSet } from '../../lib/models/model';
import { mlpKind } from '../../lib/models/tf/mlp';
import { Rng } from '../../lib/util/random';
import { accuracy } from '../../fixtures/tf-data';

export const VARIANTS = ['layers-fit', 'autograd', 'quorum'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface VariantResult {
  msPerEpoch: number;
  accuracy: number;
  /** Tensors alive after the run minus before (0 = clean). */
  leakedTensors: number;
}

function oneHot(y: Float32Array, k: number): Float32Array {
  const out = new Float32Array(y.length * k);
  y.forEach((c, r) => (out[r * k + c] = 1));
  return out;
}

async function layersFit(train: TrainingSet, test: TrainingSet, hidden: number, epochs: number, seed: number): Promise<VariantResult> {
  const k = train.nClasses;
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: hidden, activation: 'relu', inputShape: [train.x.cols], kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  model.add(tf.layers.dense({ units: k, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(train.x.data, [train.x.rows, train.x.cols]);
  const y = tf.tensor2d(oneHot(train.y, k), [train.x.rows, k]);
  const t = performance.now();
  await model.fit(x, y, { batchSize: 64, epochs, shuffle: true, verbose: 0 });
  const ms = (performance.now() - t) / epochs;
  const probs = tf.tidy(() => (model.predict(tf.tensor2d(test.x.data, [test.x.rows, test.x.cols])) as tf.Tensor).dataSync() as Float32Array);
  x.dispose();
  y.dispose();
  model.optimizer.dispose();
  model.dispose();
  return { msPerEpoch: ms, accuracy: accuracy(probs, test.y, k), leakedTensors: 0 };
}

async function autograd(train: TrainingSet, test: TrainingSet, hidden: number, epochs: number, seed: number): Promise<VariantResult> {
  const { rows: n, cols: d } = train.x;
  const k = train.nClasses;
  const rng = new Rng(seed);
  const glorot = (a: number, b: number): tf.Variable => {
    const lim = Math.sqrt(6 / (a + b));
    const values = Float32Array.from({ length: a * b }, () => (rng.float() * 2 - 1) * lim);
    return tf.tidy(() => tf.variable(tf.tensor2d(values, [a, b])));
  };
  const w1 = glorot(d, hidden);
  const b1 = tf.tidy(() => tf.variable(tf.zeros([hidden])));
  const w2 = glorot(hidden, k);
  const b2 = tf.tidy(() => tf.variable(tf.zeros([k])));
  const optimizer = tf.train.adam(1e-3);
  const logits = (x: tf.Tensor2D): tf.Tensor2D => {
    const h = tf.fused.matMul({ a: x, b: w1 as tf.Tensor2D, bias: b1, activation: 'relu' }) as tf.Tensor2D;
    return tf.fused.matMul({ a: h, b: w2 as tf.Tensor2D, bias: b2 }) as tf.Tensor2D;
  };
  const yAll = oneHot(train.y, k);
  const xb = new Float32Array(64 * d);
  const yb = new Float32Array(64 * k);
  const t = performance.now();
  for (let e = 0; e < epochs; e++) {
    const perm = rng.permutation(n);
    for (let s = 0; s < n; s += 64) {
      const m = Math.min(64, n - s);
      for (let r = 0; r < m; r++) {
        xb.set(train.x.data.subarray(perm[s + r] * d, (perm[s + r] + 1) * d), r * d);
        yb.set(yAll.subarray(perm[s + r] * k, (perm[s + r] + 1) * k), r * k);
      }
      tf.tidy(() => {
        const x = tf.tensor2d(xb.subarray(0, m * d), [m, d]);
        const y = tf.tensor2d(yb.subarray(0, m * k), [m, k]);
        optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, logits(x)) as tf.Scalar);
      });
    }
  }
  const ms = (performance.now() - t) / epochs;
  const probs = tf.tidy(() => tf.softmax(logits(tf.tensor2d(test.x.data, [test.x.rows, d]))).dataSync() as Float32Array);
  optimizer.dispose();
  [w1, b1, w2, b2].forEach((v) => v.dispose());
  return { msPerEpoch: ms, accuracy: accuracy(probs, test.y, k), leakedTensors: 0 };
}

async function quorum(train: TrainingSet, test: TrainingSet, hidden: number, epochs: number, seed: number): Promise<VariantResult> {
  const t = performance.now();
  const model = await mlpKind.fit(train, mlpKind.params({ hidden: [hidden], epochs }), { seed });
  const ms = (performance.now() - t) / epochs;
  const acc = accuracy(model.predict(test.x), test.y, train.nClasses);
  model.dispose();
  return { msPerEpoch: ms, accuracy: acc, leakedTensors: 0 };
}

/** Runs one variant on the current backend and checks tensor hygiene around it. */
export async function runVariant(
  variant: Variant,
  train: TrainingSet,
  test: TrainingSet,
  opts: { hidden: number; epochs: number; seed: number },
): Promise<VariantResult> {
  const before = tf.memory().numTensors;
  const run = { 'layers-fit': layersFit, autograd, quorum }[variant];
  const result = await run(train, test, opts.hidden, opts.epochs, opts.seed);
  return { ...result, leakedTensors: tf.memory().numTensors - before };
}
