/**
 * The `baseline` kind: predicts the training class frequencies (classification) or the training
 * mean (regression), whatever the features. It is the yardstick every other model must beat, and
 * the cheapest member to train when checking a cluster end to end.
 */
import { QuorumError } from '../errors';
import { paramsObject } from './param-check';
import { expectArtifact, type Artifact } from '../core/container';
import type { Matrix, ModelKind, Task, TrainedModel, TrainingSet } from './model';
import { KIND_INFO } from './kind-info';

const FORMAT_VERSION = 1;

class BaselineModel implements TrainedModel {
  readonly kind = 'baseline';
  constructor(
    readonly task: Task,
    readonly nFeatures: number,
    readonly nClasses: number,
    /** class frequencies, or [mean] for regression */
    private readonly output: Float32Array,
  ) {}

  predict(x: Matrix): Float32Array {
    const width = this.task === 'classification' ? this.nClasses : 1;
    const out = new Float32Array(x.rows * width);
    for (let r = 0; r < x.rows; r++) out.set(this.output, r * width);
    return out;
  }

  toArtifact(): Artifact {
    return {
      kind: this.kind,
      formatVersion: FORMAT_VERSION,
      header: { task: this.task, nFeatures: this.nFeatures, nClasses: this.nClasses },
      arrays: { output: this.output },
    };
  }

  summary(): Record<string, unknown> {
    return { output: Array.from(this.output) };
  }

  dispose(): void {}
}

export const baselineKind: ModelKind<Record<string, never>> = {
  ...KIND_INFO.baseline,

  params(raw: unknown) {
    paramsObject('baseline', raw, []);
    return {};
  },

  async fit(data: TrainingSet): Promise<TrainedModel> {
    const n = data.y.length;
    if (n === 0) throw new QuorumError('TOO_FEW_ROWS', 'cannot fit on 0 rows');
    let output: Float32Array;
    if (data.task === 'classification') {
      output = new Float32Array(data.nClasses);
      for (let i = 0; i < n; i++) output[data.y[i]] += 1 / n;
    } else {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += data.y[i];
      output = new Float32Array([sum / n]);
    }
    return new BaselineModel(data.task, data.x.cols, data.nClasses, output);
  },

  load(artifact: Artifact): TrainedModel {
    expectArtifact(artifact, 'baseline', FORMAT_VERSION, { output: 'f32' });
    const h = artifact.header as { task: Task; nFeatures: number; nClasses: number };
    const output = artifact.arrays.output as Float32Array;
    const width = h.task === 'classification' ? h.nClasses : 1;
    if (output.length !== width) {
      throw new QuorumError('BAD_ARTIFACT', `damaged model artifact: baseline output has ${output.length} values, expected ${width}`);
    }
    return new BaselineModel(h.task, h.nFeatures, h.nClasses, output);
  },
};
