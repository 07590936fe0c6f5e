/**
 * The global model before round 1 of parameter averaging: untrained weights drawn from the job's
 * seed, in the artifact format of `mlp` / `linear`. Built without TensorFlow.js, so the registry or
 * the coordinator can create it without loading tfjs.
 *
 * Why: every trainer of a round must start from the same weights, and a regression model's target
 * scaling should be the same on every shard — given here from the whole training split (the
 * coordinator knows it), so that no shard scales by its own rows.
 */
import { QuorumError } from '../../errors';
import { deriveSeed } from '../../util/random';
import type { Artifact } from '../../core/container';
import type { Task } from '../model';
import { netArtifact } from './net-artifact';
import type { NetSpec } from './net-spec';
import { SEED_INIT, initWeights, outputFor } from './net-spec';
import { linearParams, mlpParams } from './params';

export interface InitialShape {
  task: Task;
  nFeatures: number;
  /** Classification: 2 or more. Regression: 0. */
  nClasses: number;
  classes?: string[];
  features?: string[];
  /** Regression: mean and std of the target over the training rows (default: 0 and 1). */
  target?: { mean: number; std: number };
}

/**
 * Untrained weights for `kind` with the topology `rawParams` asks for — the same weights a fit
 * without `ctx.initial` and with the same `seed` starts from. Throws BAD_MODEL_PARAMS on bad
 * parameters and BAD_REQUEST on a shape that no network fits.
 */
export function initialArtifact(kind: 'mlp' | 'linear', shape: InitialShape, rawParams: unknown, seed: number): Artifact {
  if (kind !== 'mlp' && kind !== 'linear') throw new QuorumError('BAD_REQUEST', `no initial weights for model kind '${String(kind)}': use 'mlp' or 'linear'`);
  const mlp = kind === 'mlp' ? mlpParams(rawParams) : undefined;
  const params = mlp ?? linearParams(rawParams);
  if (!(Number.isInteger(shape.nFeatures) && shape.nFeatures >= 1))
    throw new QuorumError('BAD_REQUEST', `nFeatures must be a positive integer, got ${shape.nFeatures}`);
  if (shape.task === 'classification' && !(Number.isInteger(shape.nClasses) && shape.nClasses >= 2)) {
    throw new QuorumError('BAD_REQUEST', `classification needs nClasses ≥ 2, got ${shape.nClasses}`);
  }
  const target = shape.task === 'regression' && shape.target ? shape.target : { mean: 0, std: 1 };
  if (!(Number.isFinite(target.mean) && Number.isFinite(target.std) && target.std > 0)) {
    throw new QuorumError('BAD_REQUEST', `target scaling needs a finite mean and a positive std, got ${JSON.stringify(target)}`);
  }
  const spec: NetSpec = {
    inputs: shape.nFeatures,
    hidden: mlp ? mlp.hidden : [],
    activation: mlp ? mlp.activation : 'relu',
    ...outputFor(shape.task, shape.nClasses),
  };
  return netArtifact(kind, spec, initWeights(spec, deriveSeed(seed, SEED_INIT)), {
    task: shape.task,
    nClasses: shape.task === 'classification' ? shape.nClasses : 0,
    classes: shape.classes,
    features: shape.features,
    target,
    params: { ...params },
    curve: [],
    epochsRun: 0,
    bestEpoch: 0,
    stoppedEarly: false,
    rows: 0,
  });
}
