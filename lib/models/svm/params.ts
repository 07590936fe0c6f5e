/**
 * Parameters of the `svm` kind (scikit-learn's LinearSVC / LinearSVR / SVC vocabulary), validated
 * at the boundary, and the task and memory checks run before a job is accepted.
 */
import { paramChecker, paramsObject } from '../param-check';
import type { DataShape, FitPlan, Task } from '../model';

export const SVM_LOSSES = ['hinge', 'squared_hinge', 'epsilon_insensitive', 'squared_epsilon_insensitive'] as const;
export type SvmLoss = (typeof SVM_LOSSES)[number];

export interface SvmParams {
  /** Inverse regularisation strength (the weight of the loss against ½‖w‖²), > 0. Default 1. */
  C: number;
  /** null: `squared_hinge` for classes, `epsilon_insensitive` for regression. */
  loss: SvmLoss | null;
  /** Regression: residuals within ε cost nothing (in the target's units). Default 0. */
  epsilon: number;
  /** 'linear', or 'rbf' through random Fourier features (scales with rows, unlike a kernel matrix). */
  kernel: 'linear' | 'rbf';
  /** rbf: exp(−γ‖x − x′‖²); 'scale' is 1 / (features · variance of the inputs), as scikit-learn. */
  gamma: 'scale' | number;
  /** rbf: random Fourier features approximating the kernel, 1..20,000. Default 1,000. */
  nComponents: number;
  /** Passes of dual coordinate descent over the rows, 1..100,000. Default 1,000. */
  maxIter: number;
  /** Stop when the largest projected-gradient violation of a pass is below this. Default 1e-3. */
  tol: number;
  /** Overrides the job's seed (row order, Fourier features); null: the job's. */
  seed: number | null;
}

export const SVM_DEFAULTS: Readonly<SvmParams> = Object.freeze({
  C: 1,
  loss: null,
  epsilon: 0,
  kernel: 'linear',
  gamma: 'scale',
  nComponents: 1000,
  maxIter: 1000,
  tol: 1e-3,
  seed: null,
});

const KEYS = Object.keys(SVM_DEFAULTS);
const CLASS_LOSSES: readonly SvmLoss[] = ['hinge', 'squared_hinge'];
const REGRESSION_LOSSES: readonly SvmLoss[] = ['epsilon_insensitive', 'squared_epsilon_insensitive'];

export function svmParams(raw: unknown): SvmParams {
  const given = paramsObject('svm', raw, KEYS);
  const check = paramChecker('svm');
  const p = { ...SVM_DEFAULTS, ...given } as SvmParams;
  return {
    C: check.num('C', p.C, 0, 1e6, { minExclusive: true }),
    loss: p.loss === null ? null : check.oneOf('loss', p.loss, SVM_LOSSES),
    epsilon: check.num('epsilon', p.epsilon, 0, 1e12),
    kernel: check.oneOf('kernel', p.kernel, ['linear', 'rbf'] as const),
    gamma:
      p.gamma === 'scale'
        ? 'scale'
        : typeof p.gamma === 'number'
          ? check.num('gamma', p.gamma, 0, 1e6, { minExclusive: true })
          : (() => {
              throw check.bad('gamma', p.gamma, "use 'scale' or a number above 0");
            })(),
    nComponents: check.int('nComponents', p.nComponents, 1, 20_000),
    maxIter: check.int('maxIter', p.maxIter, 1, 100_000),
    tol: check.num('tol', p.tol, 0, 1, { minExclusive: true }),
    seed: p.seed === null ? null : check.int('seed', p.seed, 0, 4294967295),
  };
}

/** The loss a fit uses on `task` (a loss of the other task is a 400, see {@link svmPlan}). */
export function lossFor(p: SvmParams, task: Task): SvmLoss {
  return p.loss ?? (task === 'classification' ? 'squared_hinge' : 'epsilon_insensitive');
}

export function svmPlan(p: SvmParams, shape: DataShape): FitPlan {
  const loss = lossFor(p, shape.task);
  const allowed = shape.task === 'classification' ? CLASS_LOSSES : REGRESSION_LOSSES;
  if (!allowed.includes(loss)) throw paramChecker('svm').bad('loss', loss, `a ${shape.task} target takes ${allowed.map((l) => `'${l}'`).join(' or ')}`);
  const width = p.kernel === 'rbf' ? p.nComponents : shape.features;
  const outputs = shape.task === 'classification' && shape.nClasses > 2 ? shape.nClasses : 1;
  // The (transformed) rows in float32, the dual variables, one weight vector per output.
  const model = outputs * (width + 1) * 8 + (p.kernel === 'rbf' ? width * (shape.features + 1) * 4 : 0);
  // Time: at most maxIter passes over every row of every one-vs-rest problem (Letter, 26 classes: 21 s measured).
  return {
    memoryBytes: shape.rows * width * 4 + shape.rows * 8 * 2 + model,
    modelBytes: model,
    loadedBytes: model * 2 + 1024 * 1024,
    seconds: p.maxIter * shape.rows * width * outputs * 3e-9,
  };
}

export const svmParamsCheck = { params: svmParams, plan: svmPlan };
