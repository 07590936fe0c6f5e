import type { Task } from '../core/types';

/** One member's output for a batch, already aligned to the ensemble's classes. */
export interface Vote {
  /** Probabilities rows × width (classification) or values (width 1). */
  output: Float32Array;
  /** Validation score of the member (accuracy, or 1 / RMSE); used by `weighted`. */
  weight: number;
}

export interface VotingRule {
  readonly name: string;
  readonly description: string;
  readonly tasks: readonly Task[];
  /** Combines ≥ 1 votes into one output of the same shape. */
  combine(votes: Vote[], rows: number, width: number): Float32Array;
}
