/**
 * One mini-batch of backpropagation for a dense network, written out by hand: about three kernels
 * per layer instead of tfjs autograd's tape.
 *
 * Why by hand (measured on Letter, 64 hidden units, batch 64, wasm backend; see bench/mlp.ts):
 * `model.fit` spends most of its time outside the arithmetic — matmuls with a transpose flag take
 * a naive path on wasm (~90 µs vs ~15 µs for an explicit transpose then a plain matmul), the Slice
 * kernel copies the whole input tensor to JS to cut out one batch (1–2.6 ms per batch for a 16,000-row
 * tensor), `Sum` over the batch axis costs more than a matmul, and the Adam optimiser launches ~14
 * kernels per variable. Here the batch is assembled in JS, both `x` and `xᵀ` are uploaded (no
 * transpose kernel for the input; weights are transposed in JS), the residual and the bias
 * gradients (column sums) are computed in JS on values read back anyway, and the optimiser is one
 * typed-array pass (optimizers.ts).
 *
 * For the softmax / sigmoid / identity outputs with cross-entropy / cross-entropy / half squared
 * error, the gradient at the output is the residual `output − target`; the mean over the batch
 * (÷ rows) is left to the caller, which folds it into the optimiser step.
 */
import * as tf from '@tensorflow/tfjs';
import { applyOutput, dense, matMul, transpose } from './net';
import type { Activation, NetSpec, NetWeights } from './net-spec';
import { layerSizes } from './net-spec';

/** A mini-batch assembled in JS (see `assemble` in train.ts). */
export interface Batch {
  rows: number;
  /** Row-major `rows × inputs`. */
  x: Float32Array;
  /** The same values transposed, `inputs × rows` (for the first layer's weight gradient). */
  xT: Float32Array;
  /** Targets, `rows × outputs`: one-hot (softmax), 0/1 (sigmoid) or the scaled value (identity). */
  y: Float32Array;
  /** Dropout masks per hidden layer, `rows × units`, values 0 or 1/(1 − p); absent: no dropout. */
  masks?: Float32Array[];
}

export interface BatchGradients {
  /** Per layer, summed (not averaged) over the batch's rows; same layout as NetWeights. */
  w: Float32Array[];
  b: Float32Array[];
  /** `output − target`, `rows × outputs` (what losses and accuracies are computed from). */
  residual: Float32Array;
}

/** Adds the column sums of a `rows × cols` matrix to `into` (zeroed first). */
function columnSums(m: Float32Array, rows: number, cols: number, into: Float32Array): Float32Array {
  into.fill(0);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) into[c] += m[o + c];
  }
  return into;
}

/** `rows × cols` row-major → `cols × rows` (weights are small: cheaper than a Transpose kernel). */
function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
  return t;
}

/** dL/dz of a hidden layer from dL/da and the layer's activation output `h`. */
function activationGrad(dA: tf.Tensor3D, h: tf.Tensor3D, activation: Activation): tf.Tensor3D {
  switch (activation) {
    case 'relu':
      return tf.mul(dA, tf.step(h, 0));
    case 'elu':
      return tf.engine().runKernel(tf.EluGrad, { dy: dA, y: h }) as tf.Tensor3D;
    case 'sigmoid':
      return tf.mul(dA, tf.mul(h, tf.sub(1, h)));
    case 'tanh':
      return tf.mul(dA, tf.sub(1, tf.square(h)));
  }
}

/**
 * Gradients of the summed loss over one batch with respect to every weight and bias.
 * `out` (optional) receives them in place, so a training loop allocates the bias arrays once.
 */
export function batchGradients(spec: NetSpec, weights: NetWeights, batch: Batch, out?: BatchGradients): BatchGradients {
  const sizes = layerSizes(spec);
  const layers = sizes.length - 1;
  const n = batch.rows;
  const result: BatchGradients = out ?? {
    w: [],
    b: sizes.slice(1).map((u) => new Float32Array(u)),
    residual: new Float32Array(0),
  };
  tf.tidy(() => {
    const w = weights.w.map((a, l) => tf.tensor3d(a, [1, sizes[l], sizes[l + 1]]));
    const b = weights.b.map((a) => tf.tensor1d(a));
    const x = tf.tensor3d(batch.x.subarray(0, n * sizes[0]), [1, n, sizes[0]]);

    // Forward, keeping each hidden layer's activation `h` (for its derivative) and what the
    // next layer sees `a` (h after dropout).
    const h: tf.Tensor3D[] = [];
    const a: tf.Tensor3D[] = [x];
    const masks: tf.Tensor3D[] = [];
    for (let l = 0; l < layers - 1; l++) {
      const hl = dense(a[l], w[l], b[l], spec.activation);
      h.push(hl);
      const mask = batch.masks?.[l];
      if (mask) {
        const m = tf.tensor3d(mask.subarray(0, n * sizes[l + 1]), [1, n, sizes[l + 1]]);
        masks.push(m);
        a.push(tf.mul(hl, m));
      } else {
        a.push(hl);
      }
    }
    const outputs = applyOutput(dense(a[layers - 1], w[layers - 1], b[layers - 1], 'linear'), spec.output);

    // Backward: g is dL/dz of layer l (summed over rows). The residual is formed in JS on the
    // outputs read back anyway (one upload instead of a Sub kernel). Writing into the array
    // dataSync returned is safe: `outputs` is not used again (on the cpu backend that array is
    // the tensor's own storage; on wasm it is a copy).
    let gValues = outputs.dataSync() as Float32Array;
    for (let i = 0; i < gValues.length; i++) gValues[i] -= batch.y[i];
    let g = tf.tensor3d(gValues, [1, n, spec.outputs]);
    result.residual = gValues;
    for (let l = layers - 1; l >= 0; l--) {
      const aT = l === 0 ? tf.tensor3d(batch.xT.subarray(0, sizes[0] * n), [1, sizes[0], n]) : transpose(a[l]);
      result.w[l] = matMul(aT, g).dataSync() as Float32Array;
      columnSums(gValues, n, sizes[l + 1], result.b[l]);
      if (l === 0) break;
      let dA = matMul(g, tf.tensor3d(transposed(weights.w[l], sizes[l], sizes[l + 1]), [1, sizes[l + 1], sizes[l]]));
      if (masks[l - 1]) dA = tf.mul(dA, masks[l - 1]);
      g = activationGrad(dA, h[l - 1], spec.activation);
      gValues = g.dataSync() as Float32Array;
    }
  });
  return result;
}
