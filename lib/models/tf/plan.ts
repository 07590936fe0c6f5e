/**
 * Memory estimates of the TensorFlow.js kinds before a fit starts ({@link ModelKind.plan}):
 * parameters (weights, gradients and two Adam moments: 4 copies), a batch's activations
 * (forward, backward, dropout mask: 3 copies of every layer's units), and the dense training
 * matrix (a Float32 copy and its tensor). Float32 throughout.
 */
import type { DataShape, FitPlan } from '../model';
import type { LinearParams, MlpParams } from './params';

/** Seconds per row × parameter × epoch (forward and backward; Letter, one hidden layer of 64, 5 epochs: 0.5 s measured). */
const ROW_PARAM_S = 2.5e-9;

function netPlan(layers: number[], batchSize: number, epochs: number, shape: DataShape): FitPlan {
  const outputs = shape.task === 'classification' && shape.nClasses > 2 ? shape.nClasses : 1;
  const sizes = [shape.features, ...layers, outputs];
  let parameters = 0;
  let units = 0;
  for (let i = 1; i < sizes.length; i++) {
    parameters += (sizes[i - 1] + 1) * sizes[i];
    units += sizes[i];
  }
  const batch = Math.min(batchSize, Math.max(1, shape.rows));
  const floats = 4 * parameters + 3 * batch * units + 2 * shape.rows * (shape.features + 1);
  // The artifact holds the weights (Float32); loaded, the weights and a backend's copy.
  return {
    memoryBytes: floats * 4,
    modelBytes: parameters * 4,
    loadedBytes: parameters * 4 * 3 + 1024 * 1024,
    seconds: epochs * shape.rows * parameters * ROW_PARAM_S,
  };
}

export function mlpPlan(params: MlpParams, shape: DataShape): FitPlan {
  return netPlan(params.hidden, params.batchSize, params.epochs, shape);
}

export function linearPlan(params: LinearParams, shape: DataShape): FitPlan {
  return netPlan([], params.batchSize, params.epochs, shape);
}
