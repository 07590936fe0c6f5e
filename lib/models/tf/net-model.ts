/**
 * A trained dense network as a {@link TrainedModel}, and its artifact.
 *
 * Artifact (`kind` 'mlp' or 'linear', format 1): the header holds the topology, the task and
 * classes, the regression target's scaling, the training parameters and the learning curve; the
 * arrays are the weights, `w0, b0, w1, b1, …` (Float32, `w_l` row-major fanIn × fanOut), with their
 * shapes in `header.shapes`. The weights are mapped directly rather than through a tfjs `io`
 * handler: training does not use a `tf.LayersModel` (see backprop.ts for why), so there is no model
 * topology JSON to save, and an io handler would only add a copy of the same Float32Arrays.
 */
import { QuorumError } from '../../errors';
import type { Artifact } from '../format';
import { expectArtifact } from '../format';
import type { Matrix, Task, TrainedModel } from '../model';
import { ensureBackendSync } from './backend';
import type { DeviceWeights, NetSpec, NetWeights } from './net';
import { ACTIVATIONS, countParams, disposeDevice, forwardOutputs, layerSizes, uploadWeights } from './net';
import type { CurvePoint } from './train';

export const NET_FORMAT_VERSION = 1;

/** Everything about a fitted network that is not a weight. */
export interface NetMeta {
  task: Task;
  nClasses: number;
  classes?: string[];
  features?: string[];
  /** Regression: predictions are `mean + std · output`. Classification: {0, 1}. */
  target: { mean: number; std: number };
  params: Record<string, unknown>;
  curve: CurvePoint[];
  epochsRun: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Rows the weights were fitted on (the weight of this model in parameter averaging). */
  rows: number;
  backend?: string;
}

export class NetModel implements TrainedModel {
  readonly kind: string;
  readonly task: Task;
  readonly nFeatures: number;
  readonly nClasses: number;
  private device: DeviceWeights | undefined;
  private disposed = false;

  constructor(
    kind: string,
    readonly spec: NetSpec,
    readonly weights: NetWeights,
    readonly meta: NetMeta,
  ) {
    this.kind = kind;
    this.task = meta.task;
    this.nFeatures = spec.inputs;
    this.nClasses = meta.task === 'classification' ? meta.nClasses : 0;
  }

  /**
   * Probabilities `rows × nClasses` (classification) or values (regression). Synchronous; the
   * weights are uploaded on the first call and kept on the device until {@link dispose}.
   */
  predict(x: Matrix): Float32Array {
    if (this.disposed) throw new QuorumError('INTERNAL', `this ${this.kind} model was disposed; load it again from its artifact`);
    if (x.cols !== this.nFeatures) {
      throw new QuorumError('BAD_VALUE', `${this.kind} model expects ${this.nFeatures} features per row, got ${x.cols}`);
    }
    ensureBackendSync();
    this.device ??= uploadWeights(this.spec, this.weights);
    const out = forwardOutputs(this.spec, this.device, x);
    if (this.spec.output === 'softmax') return out;
    if (this.spec.output === 'sigmoid') {
      const probs = new Float32Array(x.rows * 2);
      for (let r = 0; r < x.rows; r++) {
        probs[2 * r] = 1 - out[r];
        probs[2 * r + 1] = out[r];
      }
      return probs;
    }
    const { mean, std } = this.meta.target;
    for (let r = 0; r < out.length; r++) out[r] = mean + std * out[r];
    return out;
  }

  toArtifact(): Artifact {
    const arrays: Record<string, Float32Array> = {};
    const shapes: Record<string, number[]> = {};
    const s = layerSizes(this.spec);
    this.weights.w.forEach((w, l) => {
      arrays[`w${l}`] = w.slice();
      arrays[`b${l}`] = this.weights.b[l].slice();
      shapes[`w${l}`] = [s[l], s[l + 1]];
      shapes[`b${l}`] = [s[l + 1]];
    });
    return {
      kind: this.kind,
      formatVersion: NET_FORMAT_VERSION,
      header: { spec: this.spec, shapes, ...this.meta },
      arrays,
    };
  }

  summary(): Record<string, unknown> {
    const last = this.meta.curve[this.meta.curve.length - 1];
    return {
      kind: this.kind,
      task: this.task,
      layers: layerSizes(this.spec),
      activation: this.spec.hidden.length > 0 ? this.spec.activation : undefined,
      output: this.spec.output,
      parameters: countParams(this.spec),
      rows: this.meta.rows,
      epochs: this.meta.epochsRun,
      bestEpoch: this.meta.bestEpoch,
      stoppedEarly: this.meta.stoppedEarly,
      backend: this.meta.backend,
      final: last,
      curve: this.meta.curve,
      params: this.meta.params,
    };
  }

  dispose(): void {
    if (this.device) disposeDevice(this.device);
    this.device = undefined;
    this.disposed = true;
  }
}

function damaged(kind: string, reason: string): QuorumError {
  return new QuorumError('BAD_ARTIFACT', `damaged '${kind}' artifact: ${reason}; export it again from its registry`);
}

const isCount = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/** Checks and returns the topology stored in an artifact header. */
export function specOf(artifact: Artifact, kind: string): NetSpec {
  const spec = artifact.header.spec as Partial<NetSpec> | undefined;
  if (
    !spec ||
    !isCount(spec.inputs, 1) ||
    !isCount(spec.outputs, 1) ||
    !Array.isArray(spec.hidden) ||
    !spec.hidden.every((u) => isCount(u, 1)) ||
    !ACTIVATIONS.includes(spec.activation as NetSpec['activation']) ||
    !['softmax', 'sigmoid', 'identity'].includes(spec.output as string)
  ) {
    throw damaged(kind, 'header.spec is missing or malformed');
  }
  return { inputs: spec.inputs, hidden: [...spec.hidden], outputs: spec.outputs, activation: spec.activation!, output: spec.output! };
}

/** Rebuilds a network model from its artifact, checking every array against the topology. */
export function loadNetModel(artifact: Artifact, kind: string): NetModel {
  expectArtifact(artifact, kind, NET_FORMAT_VERSION);
  const spec = specOf(artifact, kind);
  const weights = weightsOf(artifact, spec, kind);
  const h = artifact.header as Record<string, unknown>;
  const target = h.target as { mean?: unknown; std?: unknown } | undefined;
  if (h.task !== 'classification' && h.task !== 'regression') throw damaged(kind, 'header.task must be classification or regression');
  if (!target || !Number.isFinite(target.mean) || !Number.isFinite(target.std)) throw damaged(kind, 'header.target is missing');
  const nClasses = Number(h.nClasses ?? 0);
  const expected = h.task === 'regression' ? 1 : nClasses === 2 ? 1 : nClasses;
  if (spec.outputs !== expected) throw damaged(kind, `${spec.outputs} output units for ${h.task} with ${nClasses} classes`);
  const meta: NetMeta = {
    task: h.task,
    nClasses,
    classes: Array.isArray(h.classes) ? (h.classes as string[]) : undefined,
    features: Array.isArray(h.features) ? (h.features as string[]) : undefined,
    target: { mean: target.mean as number, std: target.std as number },
    params: (h.params as Record<string, unknown>) ?? {},
    curve: Array.isArray(h.curve) ? (h.curve as CurvePoint[]) : [],
    epochsRun: Number(h.epochsRun ?? 0),
    bestEpoch: Number(h.bestEpoch ?? 0),
    stoppedEarly: Boolean(h.stoppedEarly),
    rows: Number(h.rows ?? 0),
    backend: typeof h.backend === 'string' ? h.backend : undefined,
  };
  return new NetModel(kind, spec, weights, meta);
}

/** The weight arrays of an artifact, each checked against the size `spec` implies. */
export function weightsOf(artifact: Artifact, spec: NetSpec, kind: string): NetWeights {
  const s = layerSizes(spec);
  const w: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let l = 0; l + 1 < s.length; l++) {
    const wl = artifact.arrays[`w${l}`];
    const bl = artifact.arrays[`b${l}`];
    if (!(wl instanceof Float32Array) || !(bl instanceof Float32Array)) throw damaged(kind, `lacks Float32 arrays 'w${l}'/'b${l}'`);
    if (wl.length !== s[l] * s[l + 1] || bl.length !== s[l + 1]) {
      throw damaged(kind, `layer ${l} should be ${s[l]}×${s[l + 1]} + ${s[l + 1]}, found ${wl.length} + ${bl.length} values`);
    }
    w.push(wl.slice());
    b.push(bl.slice());
  }
  if (artifact.arrays[`w${s.length - 1}`]) throw damaged(kind, `has more layers than its spec (${s.length - 1})`);
  return { w, b };
}
