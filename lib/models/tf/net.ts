/**
 * The forward pass of a dense network (net-spec.ts) on TensorFlow.js kernels.
 *
 * Why the weights live in JS and not in `tf.Variable`s: the optimiser step is one fused typed-array
 * pass (see optimizers.ts), averaging and serialisation are plain array math, and the forward pass
 * uploads them as fresh tensors (a copy of a few KB). `mlp` and `linear` are both this network;
 * `linear` has no hidden layer.
 *
 * Tensors are rank 3 (`[1, rows, cols]`) because that is what the matmul kernels take: calling
 * kernels directly (`tf.engine().runKernel`) skips the reshapes and the custom-gradient wrapper of
 * `tf.fused.matMul`, which cost more than the kernel itself at batch 64 (measured: 67 µs for the op
 * vs 26 µs for its kernel on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import type { Matrix } from '../model';
import type { Activation, NetSpec, NetWeights, OutputKind } from './net-spec';
import { layerSizes } from './net-spec';

/** Device copies of the weights for forward passes; dispose them when done. */
export interface DeviceWeights {
  w: tf.Tensor3D[];
  b: tf.Tensor1D[];
}

export function uploadWeights(spec: NetSpec, weights: NetWeights): DeviceWeights {
  const s = layerSizes(spec);
  return {
    w: weights.w.map((a, l) => tf.tensor3d(a, [1, s[l], s[l + 1]])),
    b: weights.b.map((a) => tf.tensor1d(a)),
  };
}

export function disposeDevice(dev: DeviceWeights): void {
  for (const t of dev.w) t.dispose();
  for (const t of dev.b) t.dispose();
}

const NO_TRANSPOSE = { transposeA: false, transposeB: false };

/** `act(a · w + b)` in one fused kernel (tanh has no fused form: a second kernel). */
export function dense(a: tf.Tensor3D, w: tf.Tensor3D, b: tf.Tensor1D, activation: Activation | 'linear'): tf.Tensor3D {
  const fused = activation === 'tanh' ? 'linear' : activation;
  const z = tf.engine().runKernel(tf._FusedMatMul, { a, b: w, bias: b }, { ...NO_TRANSPOSE, activation: fused }) as tf.Tensor3D;
  if (activation !== 'tanh') return z;
  return tf.engine().runKernel(tf.Tanh, { x: z }) as tf.Tensor3D;
}

export function matMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return tf.engine().runKernel(tf.BatchMatMul, { a, b }, NO_TRANSPOSE) as tf.Tensor3D;
}

/** Swaps the last two axes (the wasm matmul kernel is ~6× slower with its transpose flags set). */
export function transpose(x: tf.Tensor3D): tf.Tensor3D {
  return tf.engine().runKernel(tf.Transpose, { x }, { perm: [0, 2, 1] }) as tf.Tensor3D;
}

/** The output layer's probabilities (softmax, sigmoid) or values (identity). */
export function applyOutput(z: tf.Tensor3D, output: OutputKind): tf.Tensor3D {
  if (output === 'identity') return z;
  if (output === 'sigmoid') return tf.engine().runKernel(tf.Sigmoid, { x: z }) as tf.Tensor3D;
  return tf.engine().runKernel(tf.Softmax, { logits: z }, { dim: 2 }) as tf.Tensor3D;
}

/** Hidden layers then the output layer, without the output function. */
export function forwardLogits(spec: NetSpec, dev: DeviceWeights, x: tf.Tensor3D): tf.Tensor3D {
  let a = x;
  const last = dev.w.length - 1;
  for (let l = 0; l < last; l++) a = dense(a, dev.w[l], dev.b[l], spec.activation);
  return dense(a, dev.w[last], dev.b[last], 'linear');
}

/** Rows per forward chunk: bounds device memory for any input size (8192 × 512 floats = 16 MB). */
export const CHUNK_ROWS = 8192;

/**
 * Network outputs for every row of `x`, row-major `rows × spec.outputs`, computed in chunks.
 * Synchronous and tensor-clean: every tensor it makes is disposed before it returns.
 */
export function forwardOutputs(spec: NetSpec, dev: DeviceWeights, x: Matrix, chunkRows = CHUNK_ROWS): Float32Array {
  const out = new Float32Array(x.rows * spec.outputs);
  for (let start = 0; start < x.rows; start += chunkRows) {
    const n = Math.min(chunkRows, x.rows - start);
    const values = tf.tidy(() => {
      const xs = tf.tensor3d(x.data.subarray(start * x.cols, (start + n) * x.cols), [1, n, x.cols]);
      return applyOutput(forwardLogits(spec, dev, xs), spec.output).dataSync() as Float32Array;
    });
    out.set(values, start * spec.outputs);
  }
  return out;
}
