/**
 * A trained dense network as a {@link TrainedModel} (artifact layout: net-artifact.ts).
 */
import { QuorumError } from '../../errors';
import type { Artifact } from '../../core/container';
import { expectArtifact } from '../../core/container';
import type { Matrix, Task, TrainedModel } from '../model';
import { ensureBackendSync } from './backend';
import type { DeviceWeights } from './net';
import { disposeDevice, forwardOutputs, uploadWeights } from './net';
import type { NetMeta } from './net-artifact';
import { NET_FORMAT_VERSION, metaOf, netArtifact, specOf, weightsOf } from './net-artifact';
import type { NetSpec, NetWeights } from './net-spec';
import { countParams, layerSizes } from './net-spec';

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
    return netArtifact(this.kind, this.spec, this.weights, this.meta);
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

/** Rebuilds a network model from its artifact, checking every array against the topology. */
export function loadNetModel(artifact: Artifact, kind: string): NetModel {
  expectArtifact(artifact, kind, NET_FORMAT_VERSION);
  const spec = specOf(artifact, kind);
  return new NetModel(kind, spec, weightsOf(artifact, spec, kind), metaOf(artifact, spec, kind));
}
