/**
 * The `svm` kind: linear support vector machines by dual coordinate descent (solver.ts) on the
 * dense columns — or on random Fourier features of them for `kernel: "rbf"` — with one-vs-rest for
 * more than two classes and Platt scaling for probabilities. The sigmoid is fitted on the member's
 * own training rows (no held-out split: cheap, and slightly overconfident on rows it fits well);
 * one-vs-rest probabilities are normalised to sum to 1. Regression: ε-insensitive, on the target
 * centred and scaled by its training mean and deviation (ε scaled alike), answered in its units.
 */
import { QuorumError } from '../../errors';
import { deriveSeed } from '../../util/random';
import { expectArtifact, type Artifact } from '../../core/container';
import type { Matrix, ModelKind, Task, TrainedModel, TrainingSet } from '../model';
import { lossFor, svmParams, svmPlan, type SvmParams } from './params';
import { decisions, fourierBasis, fourierTransform, plattFit, plattProbability, solveSvc, solveSvr, type Rows } from './solver';
import { KIND_INFO } from '../kind-info';

const FORMAT_VERSION = 1;
const damaged = (why: string) => new QuorumError('BAD_ARTIFACT', `damaged model artifact: svm ${why}`);

interface Basis {
  w: Float32Array;
  b: Float32Array;
}

export class SvmModel implements TrainedModel {
  readonly kind = 'svm';

  constructor(
    readonly task: Task,
    readonly nFeatures: number,
    readonly nClasses: number,
    readonly params: SvmParams,
    /** One row of (width + 1) weights per output (one per class in one-vs-rest, else one). */
    private readonly weights: Float32Array,
    /** Platt's (A, B) per output (classification). */
    private readonly platt: Float32Array,
    private readonly basis: Basis | null,
    /** Regression: the target's training mean and deviation. */
    private readonly yMean: number,
    private readonly yStd: number,
    private readonly facts: Record<string, unknown>,
  ) {}

  get outputs(): number {
    return this.platt.length / 2 || 1;
  }

  private features(m: Matrix): Rows {
    if (m.cols !== this.nFeatures) throw new QuorumError('BAD_REQUEST', `svm expects ${this.nFeatures} features, got ${m.cols}`);
    if (!this.basis) return { x: m.data, n: m.rows, d: m.cols };
    return { x: fourierTransform(m.data, m.rows, m.cols, this.basis), n: m.rows, d: this.basis.b.length };
  }

  predict(m: Matrix): Float32Array {
    const rows = this.features(m);
    const width = rows.d + 1;
    const outputs = this.weights.length / width;
    const f = Array.from({ length: outputs }, (_, k) => decisions(rows, Float64Array.from(this.weights.subarray(k * width, (k + 1) * width))));
    if (this.task === 'regression') return Float32Array.from(f[0], (v) => v * this.yStd + this.yMean);
    const K = this.nClasses;
    const out = new Float32Array(m.rows * K);
    for (let r = 0; r < m.rows; r++) {
      if (outputs === 1) {
        const p = plattProbability(f[0][r], this.platt[0], this.platt[1]);
        out[r * K] = 1 - p;
        if (K > 1) out[r * K + 1] = p;
        continue;
      }
      let total = 0;
      for (let k = 0; k < K; k++) total += out[r * K + k] = plattProbability(f[k][r], this.platt[2 * k], this.platt[2 * k + 1]);
      for (let k = 0; k < K; k++) out[r * K + k] = total > 0 ? out[r * K + k] / total : 1 / K;
    }
    return out;
  }

  toArtifact(): Artifact {
    return {
      kind: this.kind,
      formatVersion: FORMAT_VERSION,
      header: {
        task: this.task,
        nFeatures: this.nFeatures,
        nClasses: this.nClasses,
        params: { ...this.params },
        yMean: this.yMean,
        yStd: this.yStd,
        facts: this.facts,
      },
      arrays: { weights: this.weights, platt: this.platt, ...(this.basis ? { basisW: this.basis.w, basisB: this.basis.b } : {}) },
    };
  }

  summary(): Record<string, unknown> {
    return { kernel: this.params.kernel, ...this.facts };
  }

  dispose(): void {}
}

export const svmKind: ModelKind<SvmParams> = {
  ...KIND_INFO.svm,
  params: svmParams,
  plan: svmPlan,

  async fit(data: TrainingSet, params: SvmParams, ctx): Promise<TrainedModel> {
    const n = data.x.rows;
    if (n === 0) throw new QuorumError('TOO_FEW_ROWS', 'svm cannot fit on 0 rows');
    svmPlan(params, { task: data.task, rows: n, features: data.x.cols, nClasses: data.nClasses });
    const seed = params.seed ?? ctx.seed;
    const loss = lossFor(params, data.task);
    const squared = loss === 'squared_hinge' || loss === 'squared_epsilon_insensitive';
    let basis: Basis | null = null;
    let gamma: number | null = null;
    if (params.kernel === 'rbf') {
      gamma = params.gamma === 'scale' ? 1 / (data.x.cols * Math.max(1e-12, variance(data.x.data))) : params.gamma;
      basis = fourierBasis(data.x.cols, params.nComponents, gamma, deriveSeed(seed, 1));
    }
    const rows: Rows = basis ? { x: fourierTransform(data.x.data, n, data.x.cols, basis), n, d: params.nComponents } : { x: data.x.data, n, d: data.x.cols };
    const width = rows.d + 1;
    const solve = { C: params.C, squared, maxIter: params.maxIter, tol: params.tol, isCancelled: ctx.isCancelled };
    let passes = 0;
    let unconverged = 0;
    if (data.task === 'regression') {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += data.y[i] / n;
      let sd = 0;
      for (let i = 0; i < n; i++) sd += (data.y[i] - mean) ** 2 / n;
      const std = Math.sqrt(sd) || 1;
      const y = Float64Array.from(data.y, (v) => (v - mean) / std);
      const sol = solveSvr(rows, y, params.epsilon / std, { ...solve, seed: deriveSeed(seed, 2) });
      ctx.onProgress?.({ fraction: 1 });
      return new SvmModel('regression', data.x.cols, 0, params, Float32Array.from(sol.w), new Float32Array(0), basis, mean, std, {
        passes: sol.passes,
        converged: sol.converged,
        loss,
        ...(gamma !== null ? { gamma, nComponents: params.nComponents } : {}),
      });
    }
    const K = data.nClasses;
    const outputs = K > 2 ? K : 1;
    const weights = new Float32Array(outputs * width);
    const platt = new Float32Array(outputs * 2);
    for (let k = 0; k < outputs; k++) {
      const positive = outputs === 1 ? 1 : k;
      const y = Int8Array.from(data.y, (v) => (v === positive ? 1 : -1));
      const sol = solveSvc(rows, y, { ...solve, seed: deriveSeed(seed, 3, k) });
      if (ctx.isCancelled?.()) throw new QuorumError('CANCELLED', 'the fit was cancelled');
      passes = Math.max(passes, sol.passes);
      if (!sol.converged) unconverged++;
      weights.set(sol.w, k * width);
      const { a, b } = plattFit(decisions(rows, sol.w), y);
      platt[2 * k] = a;
      platt[2 * k + 1] = b;
      ctx.onProgress?.({ fraction: (k + 1) / outputs, message: `class ${k + 1} of ${outputs}` });
    }
    const facts = {
      loss,
      outputs,
      passes,
      ...(unconverged ? { notConverged: unconverged } : {}),
      ...(gamma !== null ? { gamma, nComponents: params.nComponents } : {}),
    };
    return new SvmModel('classification', data.x.cols, K, params, weights, platt, basis, 0, 1, facts);
  },

  load(artifact: Artifact): TrainedModel {
    expectArtifact(artifact, 'svm', FORMAT_VERSION, { weights: 'f32', platt: 'f32' });
    const h = artifact.header as Record<string, unknown>;
    if (h.task !== 'classification' && h.task !== 'regression') throw damaged(`task '${String(h.task)}'`);
    const nFeatures = h.nFeatures as number;
    const nClasses = h.nClasses as number;
    if (!Number.isInteger(nFeatures) || nFeatures < 1 || nFeatures > 1 << 20) throw damaged('feature count');
    if (!Number.isInteger(nClasses) || nClasses < 0 || nClasses > 1 << 16 || (h.task === 'classification' && nClasses < 1)) throw damaged('class count');
    const yMean = h.yMean as number;
    const yStd = h.yStd as number;
    if (!Number.isFinite(yMean) || !Number.isFinite(yStd)) throw damaged('target scale');
    let params: SvmParams;
    try {
      params = svmParams(h.params);
    } catch (err) {
      throw damaged(`parameters (${(err as Error).message})`);
    }
    const weights = artifact.arrays.weights as Float32Array;
    const platt = artifact.arrays.platt as Float32Array;
    let basis: Basis | null = null;
    if (params.kernel === 'rbf') {
      const w = artifact.arrays.basisW;
      const b = artifact.arrays.basisB;
      if (!(w instanceof Float32Array) || !(b instanceof Float32Array) || b.length !== params.nComponents || w.length !== b.length * nFeatures)
        throw damaged('Fourier basis');
      basis = { w, b };
    }
    const width = (basis ? params.nComponents : nFeatures) + 1;
    const outputs = h.task === 'classification' && nClasses > 2 ? nClasses : 1;
    if (weights.length !== outputs * width) throw damaged(`${weights.length} weights, expected ${outputs * width}`);
    if (platt.length !== (h.task === 'classification' ? 2 * outputs : 0)) throw damaged(`${platt.length} sigmoid values`);
    for (const a of [weights, platt, basis?.w, basis?.b]) if (a && !a.every(Number.isFinite)) throw damaged('non-finite values');
    const facts = h.facts !== null && typeof h.facts === 'object' && !Array.isArray(h.facts) ? (h.facts as Record<string, unknown>) : {};
    return new SvmModel(h.task, nFeatures, nClasses, params, weights, platt, basis, yMean, yStd, facts);
  },
};

function variance(x: Float32Array): number {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i] / x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - mean) ** 2 / x.length;
  return v;
}
