/**
 * Optimisers as one fused pass over typed arrays. tfjs's `tf.train.adam` launches about fourteen
 * kernels per variable per step (and uploads a scalar for each constant); for the small networks
 * trained here the launches cost more than the arithmetic, while this loop over ~3,000 parameters
 * takes a few microseconds.
 *
 * The optimiser state (moments, velocities) is not stored with the model: a fit that starts from
 * `ctx.initial` (a round of parameter averaging) starts its optimiser afresh, as federated
 * averaging does.
 */
import type { BatchGradients } from './backprop';
import type { NetWeights } from './net-spec';

export type OptimizerName = 'adam' | 'sgd';
export const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'sgd'];

export interface OptimizerOptions {
  learningRate: number;
  /** L2 penalty `l2/2 · Σ w²` added to the mean loss (weights only, not biases). */
  l2: number;
}

export interface Optimizer {
  /** Applies one step from gradients summed over `rows` rows. */
  step(weights: NetWeights, grads: BatchGradients, rows: number): void;
}

const zerosLike = (arrays: Float32Array[]): Float32Array[] => arrays.map((a) => new Float32Array(a.length));

/**
 * Adam (Kingma & Ba) with the bias correction folded into the step size, as scikit-learn and
 * Keras do: `lr_t = lr · √(1 − β2^t) / (1 − β1^t)`, `w -= lr_t · m / (√v + ε)`.
 */
export function adam(weights: NetWeights, opts: OptimizerOptions, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8): Optimizer {
  const m = { w: zerosLike(weights.w), b: zerosLike(weights.b) };
  const v = { w: zerosLike(weights.w), b: zerosLike(weights.b) };
  let t = 0;
  const update = (p: Float32Array, g: Float32Array, mm: Float32Array, vv: Float32Array, scale: number, decay: number, lrT: number): void => {
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] * scale + decay * p[i];
      const mi = beta1 * mm[i] + (1 - beta1) * gi;
      const vi = beta2 * vv[i] + (1 - beta2) * gi * gi;
      mm[i] = mi;
      vv[i] = vi;
      p[i] -= (lrT * mi) / (Math.sqrt(vi) + epsilon);
    }
  };
  return {
    step(params, grads, rows) {
      t++;
      const lrT = (opts.learningRate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
      const scale = 1 / rows;
      for (let l = 0; l < params.w.length; l++) {
        update(params.w[l], grads.w[l], m.w[l], v.w[l], scale, opts.l2, lrT);
        update(params.b[l], grads.b[l], m.b[l], v.b[l], scale, 0, lrT);
      }
    },
  };
}

/** Stochastic gradient descent with classical momentum. */
export function sgd(weights: NetWeights, opts: OptimizerOptions, momentum = 0.9): Optimizer {
  const vel = { w: zerosLike(weights.w), b: zerosLike(weights.b) };
  const update = (p: Float32Array, g: Float32Array, vv: Float32Array, scale: number, decay: number): void => {
    const lr = opts.learningRate;
    for (let i = 0; i < p.length; i++) {
      const vi = momentum * vv[i] - lr * (g[i] * scale + decay * p[i]);
      vv[i] = vi;
      p[i] += vi;
    }
  };
  return {
    step(params, grads, rows) {
      const scale = 1 / rows;
      for (let l = 0; l < params.w.length; l++) {
        update(params.w[l], grads.w[l], vel.w[l], scale, opts.l2);
        update(params.b[l], grads.b[l], vel.b[l], scale, 0);
      }
    },
  };
}

export function makeOptimizer(name: OptimizerName, weights: NetWeights, opts: OptimizerOptions): Optimizer {
  return name === 'sgd' ? sgd(weights, opts) : adam(weights, opts);
}
