/**
 * A dense feed-forward network as plain data: the topology ({@link NetSpec}) and the weights as
 * Float32Arrays ({@link NetWeights}). No TensorFlow.js here, so the registry and the coordinator
 * can build, average and check networks without loading it.
 */
import { Rng } from '../../util/random';
import type { Task } from '../model';

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'elu';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'elu'];

/** Output layer: softmax over classes (≥ 3), one sigmoid unit (2 classes), identity (regression). */
export type OutputKind = 'softmax' | 'sigmoid' | 'identity';

export interface NetSpec {
  inputs: number;
  hidden: number[];
  outputs: number;
  activation: Activation;
  output: OutputKind;
}

/** `w[l]` is row-major `fanIn × fanOut` (input-major, like a tfjs dense kernel); `b[l]` has fanOut values. */
export interface NetWeights {
  w: Float32Array[];
  b: Float32Array[];
}

/** The output layer a task needs. */
export function outputFor(task: Task, nClasses: number): { outputs: number; output: OutputKind } {
  if (task === 'regression') return { outputs: 1, output: 'identity' };
  return nClasses === 2 ? { outputs: 1, output: 'sigmoid' } : { outputs: nClasses, output: 'softmax' };
}

/** Units per layer, input first: `[inputs, ...hidden, outputs]`. */
export function layerSizes(spec: NetSpec): number[] {
  return [spec.inputs, ...spec.hidden, spec.outputs];
}

export function countParams(spec: NetSpec): number {
  const s = layerSizes(spec);
  let n = 0;
  for (let l = 0; l + 1 < s.length; l++) n += s[l] * s[l + 1] + s[l + 1];
  return n;
}

/** Label of the initial weights' seed: `initWeights(spec, deriveSeed(seed, SEED_INIT))`. */
export const SEED_INIT = 1;

/**
 * Glorot-uniform weights (the default of Keras and scikit-learn), zero biases, drawn from `seed`:
 * the same seed and topology give the same network on every machine.
 */
export function initWeights(spec: NetSpec, seed: number): NetWeights {
  const rng = new Rng(seed);
  const s = layerSizes(spec);
  const w: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let l = 0; l + 1 < s.length; l++) {
    const limit = Math.sqrt(6 / (s[l] + s[l + 1]));
    const wl = new Float32Array(s[l] * s[l + 1]);
    for (let i = 0; i < wl.length; i++) wl[i] = (rng.float() * 2 - 1) * limit;
    w.push(wl);
    b.push(new Float32Array(s[l + 1]));
  }
  return { w, b };
}

export function cloneWeights(weights: NetWeights): NetWeights {
  return { w: weights.w.map((a) => a.slice()), b: weights.b.map((a) => a.slice()) };
}
