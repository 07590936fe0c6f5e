/**
 * The state of a training job, as stored, returned by the API and shown by the dashboard.
 */
import type { DenseSpec } from '../data/preprocess';
import type { FeatureInfo, Task } from '../models/model';
import type { NormalisedRequest } from './request';

export type JobStatus = 'preparing' | 'waiting' | 'training' | 'evaluating' | 'completed' | 'failed' | 'cancelled';

export const FINISHED: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

export type MemberStatus = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

export interface BlobRef {
  id: string;
  size: number;
  sha256: string;
}

export interface MemberState {
  /** Member id inside the version: m0, m1, … (`baseline` for the one trained on all rows). */
  id: string;
  /** Shard index; -1 for the baseline member, trained on every training row. */
  shard: number;
  /** Trained on all rows for comparison; never votes. */
  baseline?: boolean;
  kind: string;
  params: Record<string, unknown>;
  rows: number;
  status: MemberStatus;
  /** 0..1 */
  progress: number;
  attempts: number;
  node?: string;
  fitMs?: number;
  threads?: number;
  /** Shard transfer to the trainer, MB/s (last attempt). */
  transferMBps?: number;
  artifact?: { size: number; sha256: string };
  summary?: Record<string, unknown>;
  /** Learning curve of iterative models (one point per epoch). */
  curve?: Record<string, number>[];
  /** Why the last attempt failed (kept when a retry succeeds: it is part of the story). */
  errors?: { node?: string; code: string; message: string }[];
}

/** What trainers need besides the shards, kept with the job so a restarted coordinator can resume. */
export interface JobPlan {
  features: FeatureInfo[];
  dense?: DenseSpec;
  /** Absent in `local` jobs: the validation rows stay on their nodes. */
  validation?: BlobRef & { rows: number };
  validationSample?: BlobRef & { rows: number };
  /** Regression: mean and std of the target over the training rows (scaling of averaged models). */
  targetStats?: { mean: number; std: number };
  /**
   * `data-parallel` jobs: the bins fitted once on all training rows and the settings every shard
   * session shares; the binned shards are `JobState.shards` (blobs a trainer opens a session from).
   */
  dataParallel?: { config: import('./data-parallel/shard').ShardConfig; edges: number[]; edgeStart: number[] };
}

export interface JobState {
  id: string;
  status: JobStatus;
  /** Human-readable detail of the status ("waiting for trainers", "round 3/10", …). */
  message?: string;
  request: NormalisedRequest;
  /** The role of the key that started the job (absent: the REPL or another node, inside the cluster). */
  startedBy?: import('../security/keys').Role;
  dataset: { id: string; name: string; rows: number };
  version?: string;
  name: string;
  task?: Task;
  classes?: string[];
  voting?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** When an inference node first answered with this job's version (after `completed`: activation loads it). */
  liveAt?: string;
  progress: number;
  /** Rows held out and trained on, rows dropped for a missing target, and the class balance. */
  split?: { train: number; validation: number; method: string; droppedRows: number; balance?: { label: string; count: number }[] };
  shards: { index: number; rows: number; blob: BlobRef; classes?: number[] }[];
  members: MemberState[];
  plan?: JobPlan;
  /** `local` jobs: every member evaluated on every node's own validation rows. */
  crossNode?: import('../registry/version').CrossNodeEvaluation;
  /** `average` mode: validation metrics after every round. */
  rounds?: { round: number; trainers: number; rows: number; metrics: Record<string, number | null>; ms: number }[];
  metrics?: Record<string, number | null>;
  warnings: string[];
  error?: { code: string; message: string };
  timings: { prepareMs?: number; trainMs?: number; evaluateMs?: number };
}
