/**
 * The `knn` kind: k-nearest neighbours on the dense (imputed, one-hot, standardised) columns of its
 * shard. The model is the shard's rows — its artifact is as large as the shard — and the search
 * index (k-d tree or brute force, see search.ts) is rebuilt from them on load, so the artifact holds
 * data only. Classification: the neighbours' class shares (or 1/distance-weighted shares) are the
 * probabilities; regression: their (weighted) mean.
 */
import { QuorumError } from '../../errors';
import { expectArtifact, type Artifact } from '../../core/container';
import type { Matrix, ModelKind, Task, TrainedModel, TrainingSet } from '../model';
import { knnParams, knnPlan, usesTree, type KnnParams } from './params';
import { KnnIndex } from './search';
import { KIND_INFO } from '../kind-info';

const FORMAT_VERSION = 1;

const damaged = (why: string) => new QuorumError('BAD_ARTIFACT', `damaged model artifact: knn ${why}`);

export class KnnModel implements TrainedModel {
  readonly kind = 'knn';
  readonly index: KnnIndex;

  constructor(
    readonly task: Task,
    readonly nFeatures: number,
    readonly nClasses: number,
    readonly params: KnnParams,
    /** Training rows, row-major, in their original order. */
    private readonly x: Float32Array,
    private readonly y: Float32Array,
  ) {
    this.index = new KnnIndex(x, y.length, nFeatures, params.metric, usesTree(params, nFeatures, y.length), params.leafSize);
  }

  get rows(): number {
    return this.y.length;
  }

  predict(m: Matrix): Float32Array {
    if (m.cols !== this.nFeatures) throw new QuorumError('BAD_REQUEST', `knn expects ${this.nFeatures} features, got ${m.cols}`);
    const k = Math.min(this.params.k, this.rows);
    const width = this.task === 'classification' ? this.nClasses : 1;
    const out = new Float32Array(m.rows * width);
    const idx = new Int32Array(k);
    const dist = new Float64Array(k);
    const w = new Float64Array(k);
    for (let r = 0; r < m.rows; r++) {
      this.index.query(m.data.subarray(r * m.cols, (r + 1) * m.cols), k, idx, dist);
      this.weights(dist, k, w);
      let total = 0;
      for (let j = 0; j < k; j++) total += w[j];
      if (this.task === 'classification') {
        for (let j = 0; j < k; j++) out[r * width + this.y[idx[j]]] += w[j] / total;
      } else {
        let s = 0;
        for (let j = 0; j < k; j++) s += w[j] * this.y[idx[j]];
        out[r] = s / total;
      }
    }
    return out;
  }

  /** 1 each, or 1/distance; when some neighbours are at distance 0, they alone count. */
  private weights(dist: Float64Array, k: number, w: Float64Array): void {
    if (this.params.weights === 'uniform') {
      w.fill(1, 0, k);
      return;
    }
    const exact = dist.subarray(0, k).some((d) => d === 0);
    for (let j = 0; j < k; j++) w[j] = exact ? (dist[j] === 0 ? 1 : 0) : 1 / dist[j];
  }

  toArtifact(): Artifact {
    return {
      kind: this.kind,
      formatVersion: FORMAT_VERSION,
      header: { task: this.task, nFeatures: this.nFeatures, nClasses: this.nClasses, rows: this.rows, params: { ...this.params } },
      arrays: { x: this.x, y: this.y },
    };
  }

  summary(): Record<string, unknown> {
    return {
      rows: this.rows,
      k: this.params.k,
      weights: this.params.weights,
      metric: this.params.metric,
      search: this.index.nodes ? `k-d tree of ${this.index.nodes} nodes` : 'brute force',
    };
  }

  dispose(): void {}
}

export const knnKind: ModelKind<KnnParams> = {
  ...KIND_INFO.knn,
  params: knnParams,
  plan: knnPlan,

  async fit(data: TrainingSet, params: KnnParams, ctx): Promise<TrainedModel> {
    const n = data.x.rows;
    if (n === 0) throw new QuorumError('TOO_FEW_ROWS', 'knn cannot fit on 0 rows');
    if (n > params.maxRows) throw knnPlanError(params, n);
    ctx.onProgress?.({ fraction: 0, message: `indexing ${n} rows` });
    const model = new KnnModel(
      data.task,
      data.x.cols,
      data.nClasses,
      params,
      Float32Array.from(data.x.data.subarray(0, n * data.x.cols)),
      Float32Array.from(data.y),
    );
    ctx.onProgress?.({ fraction: 1 });
    return model;
  },

  load(artifact: Artifact): TrainedModel {
    expectArtifact(artifact, 'knn', FORMAT_VERSION, { x: 'f32', y: 'f32' });
    const h = artifact.header as { task?: unknown; nFeatures?: unknown; nClasses?: unknown; rows?: unknown; params?: unknown };
    if (h.task !== 'classification' && h.task !== 'regression') throw damaged(`task '${String(h.task)}'`);
    const nFeatures = h.nFeatures;
    const nClasses = h.nClasses;
    const rows = h.rows;
    if (!Number.isInteger(nFeatures) || (nFeatures as number) < 1 || (nFeatures as number) > 1 << 20) throw damaged('feature count');
    if (!Number.isInteger(nClasses) || (nClasses as number) < 0 || (h.task === 'classification' && (nClasses as number) < 1)) throw damaged('class count');
    if (!Number.isInteger(rows) || (rows as number) < 1) throw damaged('row count');
    let params: KnnParams;
    try {
      params = knnParams(h.params);
    } catch (err) {
      throw damaged(`parameters (${(err as Error).message})`);
    }
    const x = artifact.arrays.x as Float32Array;
    const y = artifact.arrays.y as Float32Array;
    if (y.length !== rows || x.length !== (rows as number) * (nFeatures as number))
      throw damaged(`arrays: ${x.length} values and ${y.length} labels for ${rows} rows of ${nFeatures}`);
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) throw damaged(`row value ${i} is not finite`);
    for (let i = 0; i < y.length; i++) {
      const v = y[i];
      const ok = h.task === 'classification' ? Number.isInteger(v) && v >= 0 && v < (nClasses as number) : Number.isFinite(v);
      if (!ok) throw damaged(`label ${i} (${v})`);
    }
    return new KnnModel(h.task, nFeatures as number, nClasses as number, params, x, y);
  },
};

function knnPlanError(params: KnnParams, rows: number): QuorumError {
  try {
    knnPlan(params, { task: 'classification', rows, features: 1, nClasses: 0 });
  } catch (err) {
    return err as QuorumError;
  }
  return new QuorumError('BAD_MODEL_PARAMS', `knn shard of ${rows} rows is over maxRows ${params.maxRows}`);
}
