/**
 * `fit` of the tfjs kinds: checks the training set, encodes the target, starts from the seed or
 * from `ctx.initial` (parameter averaging), trains, and wraps the result as a {@link NetModel}.
 */
import { QuorumError } from '../../errors';
import { deriveSeed } from '../../util/random';
import type { FitContext, Matrix, TrainingSet } from '../model';
import { initBackend } from './backend';
import type { Activation, NetSpec, NetWeights } from './net-spec';
import { SEED_INIT, initWeights, outputFor } from './net-spec';
import type { NetMeta } from './net-artifact';
import { specOf, weightsOf } from './net-artifact';
import { NetModel } from './net-model';
import type { EncodedSet, TrainOptions } from './train';
import { holdOut, trainNet } from './train';

/** Throws BAD_VALUE at the first non-finite feature: dense kinds need imputed, scaled columns. */
function checkFinite(x: Matrix, what: string, names?: string[]): void {
  const { data, cols } = x;
  if (data.length !== x.rows * cols) {
    throw new QuorumError('BAD_VALUE', `${what} has ${data.length} values for ${x.rows} rows × ${cols} columns`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const c = i % cols;
      throw new QuorumError(
        'BAD_VALUE',
        `${what} row ${Math.floor(i / cols)}, column ${c}${names?.[c] ? ` ('${names[c]}')` : ''} is ${data[i]}: ` +
          'mlp and linear need finite, imputed, standardised features (fit the preprocessing first)',
      );
    }
  }
}

/** Class indices as labels (checked), or the regression target scaled by `target`. */
function encodeLabels(y: Float32Array, set: TrainingSet, target: { mean: number; std: number }, what: string): Float32Array {
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (set.task === 'classification') {
      if (!Number.isInteger(v) || v < 0 || v >= set.nClasses) {
        throw new QuorumError('BAD_VALUE', `${what} label ${i} is ${v}; class indices must be integers from 0 to ${set.nClasses - 1}`);
      }
      out[i] = v;
    } else {
      if (!Number.isFinite(v)) throw new QuorumError('BAD_VALUE', `${what} target ${i} is ${v}; drop rows without a target first`);
      out[i] = (v - target.mean) / target.std;
    }
  }
  return out;
}

function targetScale(set: TrainingSet): { mean: number; std: number } {
  if (set.task === 'classification') return { mean: 0, std: 1 };
  let mean = 0;
  for (let i = 0; i < set.y.length; i++) mean += set.y[i];
  mean /= Math.max(1, set.y.length);
  let v = 0;
  for (let i = 0; i < set.y.length; i++) v += (set.y[i] - mean) ** 2;
  const std = Math.sqrt(v / Math.max(1, set.y.length));
  return { mean, std: std > 0 && Number.isFinite(std) ? std : 1 };
}

/** Starting weights from `ctx.initial`, which must be the same kind, task and shape. */
function initialWeights(kind: string, spec: NetSpec, ctx: FitContext): { weights: NetWeights; target?: { mean: number; std: number } } | undefined {
  const initial = ctx.initial;
  if (!initial) return undefined;
  if (initial.kind !== kind) {
    throw new QuorumError('BAD_ARTIFACT', `initial weights are a '${initial.kind}' artifact; this fit is '${kind}'`);
  }
  const got = specOf(initial, kind);
  const same =
    got.inputs === spec.inputs &&
    got.outputs === spec.outputs &&
    got.output === spec.output &&
    got.activation === spec.activation &&
    got.hidden.length === spec.hidden.length &&
    got.hidden.every((u, i) => u === spec.hidden[i]);
  if (!same) {
    const show = (s: NetSpec): string => `${[s.inputs, ...s.hidden, s.outputs].join('-')} ${s.activation}/${s.output}`;
    throw new QuorumError(
      'BAD_ARTIFACT',
      `initial '${kind}' weights have shape ${show(got)} but this fit needs ${show(spec)}; start every trainer of a job from the same global model`,
    );
  }
  const t = initial.header.target as { mean?: number; std?: number } | undefined;
  const target = t && Number.isFinite(t.mean) && Number.isFinite(t.std) && (t.std as number) > 0 ? { mean: t.mean!, std: t.std! } : undefined;
  return { weights: weightsOf(initial, spec, kind), target };
}

/**
 * Fits a dense network of `hidden` layers (none for `linear`) on `data`.
 * Regression targets are trained as z-scores and scaled back on predict; a fit from
 * `ctx.initial` keeps the initial model's scaling, so all trainers of one job share it.
 */
export async function fitNet(
  kind: string,
  data: TrainingSet,
  hidden: number[],
  activation: Activation,
  opts: TrainOptions,
  params: Record<string, unknown>,
  ctx: FitContext,
): Promise<NetModel> {
  const backend = await initBackend();
  if (data.task === 'classification' && data.nClasses < 2) {
    throw new QuorumError('TARGET_ONE_CLASS', `${kind} needs at least 2 classes, got ${data.nClasses}`);
  }
  if (data.x.rows < 1) throw new QuorumError('TOO_FEW_ROWS', `${kind} got no training rows`);
  if (data.y.length !== data.x.rows) throw new QuorumError('BAD_VALUE', `${data.y.length} targets for ${data.x.rows} rows`);
  const names = data.features?.map((f) => f.name);
  checkFinite(data.x, 'training features', names);

  const spec: NetSpec = { inputs: data.x.cols, hidden, activation, ...outputFor(data.task, data.nClasses) };
  const start = initialWeights(kind, spec, ctx);
  const target = start?.target ?? targetScale(data);
  const weights = start?.weights ?? initWeights(spec, deriveSeed(ctx.seed, SEED_INIT));

  let train: EncodedSet = { x: data.x, label: encodeLabels(data.y, data, target, 'training') };
  let validation: EncodedSet | undefined;
  if (ctx.validation) {
    if (ctx.validation.x.cols !== spec.inputs) {
      throw new QuorumError('BAD_VALUE', `validation rows have ${ctx.validation.x.cols} features, training rows ${spec.inputs}`);
    }
    checkFinite(ctx.validation.x, 'validation features', names);
    validation = { x: ctx.validation.x, label: encodeLabels(ctx.validation.y, data, target, 'validation') };
  } else if (opts.earlyStopping && train.x.rows >= 10) {
    ({ train, held: validation } = holdOut(train, opts.validationFraction, ctx.seed));
  }

  const result = await trainNet(spec, train, validation, weights, opts, target.std, ctx);
  const meta: NetMeta = {
    task: data.task,
    nClasses: data.task === 'classification' ? data.nClasses : 0,
    classes: data.classes,
    features: names,
    target,
    params,
    curve: result.curve,
    epochsRun: result.epochsRun,
    bestEpoch: result.bestEpoch,
    stoppedEarly: result.stoppedEarly,
    rows: train.x.rows,
    backend: backend.name,
  };
  return new NetModel(kind, spec, result.weights, meta);
}
