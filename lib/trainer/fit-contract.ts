/**
 * The one fit contract between a coordinator and a trainer: what a fit is ({@link FitSpec}), where
 * its data is ({@link FitParams}, {@link LocalFitParams}) and what comes back ({@link FitReply}).
 * `params` are the model's parameters as `normaliseRequest` parsed them (complete, defaults filled);
 * the trainer checks them again only because its action is a boundary other nodes can call.
 */
import { QuorumError } from '../errors';
import type { EncoderSpec } from '../data/encode';
import type { DenseSpec } from '../data/preprocess';
import type { Report } from '../metrics';
import type { FeatureInfo, Task } from '../models/model';
import type { BlobRef } from '../jobs/job';

/** What a fit is (the identity of the member it makes). */
export interface FitSpec {
  job: string;
  version: string;
  member: string;
  shard: number;
  kind: string;
  params: Record<string, unknown>;
  seed: number;
  task: Task;
  classes?: string[];
  /** The member trained on all rows for comparison (it does not vote). */
  baseline?: boolean;
  /** Longest the fit may run (FIT_TIME_BUDGET_S of the coordinator): past it the fit stops with FIT_TIME_EXCEEDED. */
  timeBudgetMs?: number;
}

/** `trainer.fit`: a member and where its data is. */
export interface FitParams extends FitSpec {
  features: FeatureInfo[];
  dense?: DenseSpec;
  /** Where the shard is: a blob of the coordinator on `nodeID`. */
  source: BlobRef & { nodeID: string };
  validation?: BlobRef & { nodeID: string };
  /** Start from these weights (parameter averaging): a member artifact in the registry. */
  initial?: { version: string; member: string };
}

/** `trainer.fitLocal`: a member fitted on the node's own rows with the job's common encoder. */
export interface LocalFitParams extends FitSpec {
  target: string;
  encoder: EncoderSpec;
  validationFraction: number;
}

export interface FitReply {
  node: string;
  rows: number;
  fitMs: number;
  threads: number;
  transferMBps: number;
  artifact: { size: number; sha256: string };
  summary: Record<string, unknown>;
}

/** `trainer.evaluateLocal`: every member of a version (and the ensemble) on a node's own validation rows. */
export interface LocalEvaluation {
  node: string;
  rows: number;
  report: Report;
  members: { id: string; kind: string; report: Report }[];
}

/** Validator schemas of the trainer's actions (the boundary other nodes call). */
export const BLOB_REF = { type: 'object', props: { id: 'string', size: 'number', sha256: 'string', nodeID: 'string' } };
export const TASK = { type: 'enum', values: ['classification', 'regression'] };
export const FIT_PARAMS = {
  job: 'string',
  version: 'string',
  member: 'string',
  shard: 'number',
  kind: 'string',
  params: { type: 'object', optional: true },
  seed: 'number',
  task: TASK,
  classes: { type: 'array', items: 'string', optional: true },
  features: { type: 'array', items: 'object' },
  dense: { type: 'object', optional: true },
  source: BLOB_REF,
  validation: { type: 'object', optional: true },
  initial: { type: 'object', optional: true, props: { version: 'string', member: 'string' } },
  baseline: { type: 'boolean', optional: true },
  timeBudgetMs: { type: 'number', integer: true, positive: true, optional: true },
};
export const LOCAL_FIT_PARAMS = {
  job: 'string',
  version: 'string',
  member: 'string',
  shard: 'number',
  target: 'string',
  task: TASK,
  classes: { type: 'array', items: 'string', optional: true },
  encoder: 'object',
  kind: 'string',
  params: { type: 'object', optional: true },
  seed: 'number',
  validationFraction: { type: 'number', gt: 0, lte: 0.9 },
  timeBudgetMs: { type: 'number', integer: true, positive: true, optional: true },
};

/** A fit stopped at its wall-time budget: a client error (the request asked too much), never retried. */
export function timeExceeded(budgetMs: number): QuorumError {
  return new QuorumError(
    'FIT_TIME_EXCEEDED',
    `the fit ran past its budget of ${Math.round(budgetMs / 1000)} s (FIT_TIME_BUDGET_S) and was stopped: use fewer trees, rounds or epochs, a smaller depth, or more shards`,
    { budgetSeconds: Math.round(budgetMs / 1000) },
  );
}
