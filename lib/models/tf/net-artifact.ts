/**
 * The artifact of a dense network (`kind` 'mlp' or 'linear', format 1), without TensorFlow.js.
 *
 * The header holds the topology (`spec`), the array shapes, the task and classes, the regression
 * target's scaling, the training parameters and the learning curve; the arrays are the weights,
 * `w0, b0, w1, b1, …` (Float32, `w_l` row-major fanIn × fanOut — a tfjs dense kernel's layout).
 * The weights are mapped directly rather than through a tfjs `io` handler: training does not use a
 * `tf.LayersModel` (see backprop.ts for why), so there is no layers topology to save, and an io
 * handler would only add a copy of the same Float32Arrays. (tfjs-io.ts goes the other way.)
 */
import { QuorumError } from '../../errors';
import type { Artifact } from '../../core/container';
import type { Task } from '../model';
import type { NetSpec, NetWeights } from './net-spec';
import { ACTIVATIONS, layerSizes } from './net-spec';
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

/** The artifact of a network: weights copied, shapes and facts in the header. */
export function netArtifact(kind: string, spec: NetSpec, weights: NetWeights, meta: NetMeta): Artifact {
  const arrays: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  const s = layerSizes(spec);
  weights.w.forEach((w, l) => {
    arrays[`w${l}`] = w.slice();
    arrays[`b${l}`] = weights.b[l].slice();
    shapes[`w${l}`] = [s[l], s[l + 1]];
    shapes[`b${l}`] = [s[l + 1]];
  });
  return { kind, formatVersion: NET_FORMAT_VERSION, header: { spec, shapes, ...meta }, arrays };
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

/** The non-weight facts of an artifact header, checked against the topology. */
export function metaOf(artifact: Artifact, spec: NetSpec, kind: string): NetMeta {
  const h = artifact.header as Record<string, unknown>;
  const target = h.target as { mean?: unknown; std?: unknown } | undefined;
  if (h.task !== 'classification' && h.task !== 'regression') throw damaged(kind, 'header.task must be classification or regression');
  if (!target || !Number.isFinite(target.mean) || !Number.isFinite(target.std)) throw damaged(kind, 'header.target is missing');
  const nClasses = Number(h.nClasses ?? 0);
  const expected = h.task === 'regression' ? 1 : nClasses === 2 ? 1 : nClasses;
  if (spec.outputs !== expected) throw damaged(kind, `${spec.outputs} output units for ${h.task} with ${nClasses} classes`);
  return {
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
}
