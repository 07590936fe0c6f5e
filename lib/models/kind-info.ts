/**
 * What every model kind is, in one table: its name, a one-line description (GET /api/options and
 * the dashboard show it), the tasks it takes and the encoding it reads ('native': NaN and
 * categorical codes; 'dense': imputed, one-hot, scaled). The registry (kinds.ts) and each kind's own
 * object read it from here, so no description is written twice.
 */
import type { Task } from '../core/types';

export interface KindInfo {
  name: string;
  description: string;
  tasks: readonly Task[];
  input: 'native' | 'dense';
}

const BOTH: readonly Task[] = ['classification', 'regression'];

export const KIND_INFO = {
  baseline: { name: 'baseline', description: 'class frequencies or the mean: the yardstick other models must beat', tasks: BOTH, input: 'native' },
  mlp: { name: 'mlp', description: 'dense neural network (TensorFlow.js): hidden layers, dropout, Adam, early stopping', tasks: BOTH, input: 'dense' },
  linear: { name: 'linear', description: 'logistic / linear regression with L2 (TensorFlow.js), mini-batch Adam', tasks: BOTH, input: 'dense' },
  forest: {
    name: 'forest',
    description: 'random forest / extra trees on histogram bins: missing values and categorical codes welcome',
    tasks: BOTH,
    input: 'native',
  },
  gbm: {
    name: 'gbm',
    description: 'gradient-boosted trees on histogram bins (XGBoost-style second-order splits): missing values and categorical codes welcome',
    tasks: BOTH,
    input: 'native',
  },
  knn: {
    name: 'knn',
    description: 'k-nearest neighbours (k-d tree or brute force; euclidean, manhattan, cosine): the model holds its shard’s rows',
    tasks: BOTH,
    input: 'dense',
  },
  svm: {
    name: 'svm',
    description: 'linear support vector machine (dual coordinate descent), rbf through random Fourier features; one-vs-rest, Platt probabilities',
    tasks: BOTH,
    input: 'dense',
  },
} as const satisfies Record<string, KindInfo>;
