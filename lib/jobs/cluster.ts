/**
 * What a training job needs of the cluster, as ports: the modes (lib/jobs/modes) and the
 * executor run against these, never against a broker. The coordinator implements them on
 * Moleculer (services/ports/training-cluster.ts); tests can implement them in memory.
 */
import type { Readable } from 'node:stream';
import type { LoadedDataset } from '../data/catalog';
import type { LocalSchema } from '../node-data/schema';
import type { Report } from '../metrics';
import type { FitProgress, Task } from '../models/model';
import type { CrossNodeEvaluation, MemberMeta, VersionMeta } from '../registry/version';
import type { FitParams, FitReply, LocalEvaluation, LocalFitParams } from '../trainer/fit-contract';
import type { BoostLink, ShardPort } from './data-parallel';
import type { BlobRef, JobState } from './job';

export interface Completion {
  activated: boolean;
  reason: string;
}

export interface CompleteRequest {
  version: string;
  report: Report;
  members: unknown[];
  keep?: string[];
  crossNode?: CrossNodeEvaluation;
  /** The job may take over a name whose active version came from elsewhere (an admin's job; see lib/registry/activation.ts). */
  takeover?: boolean;
}

/** A data-parallel shard session on some trainer, that moves to another one when its trainer fails. */
export interface RemoteShard extends ShardPort {
  /** Where the session is now (null before the first call). */
  readonly nodeID: string | null;
  /** The sessions' compute time so far (ms), over every trainer that held the shard. */
  readonly computeMs: number;
  close(): Promise<void>;
}

export interface RemoteShardEvents {
  /** The shard's session (re)opened on `node` (`moved`: after a failure elsewhere). */
  opened(shard: number, node: string, moved: boolean, why?: string): void;
}

/** The cluster: trainers, the registry and inference, as one job sees them. */
export interface TrainingCluster {
  /** Trainer nodes online now, sorted. */
  trainers(): string[];
  createVersion(meta: Omit<VersionMeta, 'id' | 'status' | 'createdAt' | 'members'>): Promise<VersionMeta>;
  version(id: string): Promise<VersionMeta>;
  /** Hands the validation rows (a blob of this coordinator) to the registry. */
  putValidation(version: string, blob: BlobRef & { rows: number }): Promise<void>;
  putMember(version: string, member: MemberMeta, artifact: Uint8Array): Promise<MemberMeta>;
  /** Row-weighted mean of the parts' weights into member `into` (parameter averaging). */
  average(version: string, into: string, parts: { member: string; rows: number }[]): Promise<void>;
  /** The ensemble (or only `members`) and each member on the version's validation rows. */
  evaluate(version: string, members?: string[]): Promise<{ report: Report; members: unknown[] }>;
  complete(request: CompleteRequest): Promise<Completion>;
  discard(version: string): Promise<void>;
  /** One member fitted on a trainer the balancer picks. */
  fit(params: FitParams, signal: AbortSignal, onProgress?: (p: FitProgress) => void): Promise<FitReply>;
  /** One member fitted on `node`'s own data. */
  fitLocal(node: string, params: LocalFitParams, signal: AbortSignal, onProgress?: (p: FitProgress) => void): Promise<FitReply>;
  localProfile(node: string, query: { target: string; task?: Task }): Promise<LocalSchema>;
  evaluateLocal(node: string, version: string): Promise<LocalEvaluation>;
  /** A data-parallel session of one binned shard (a forest's), first on `preferred`. */
  openShard(job: string, shard: number, blob: BlobRef, preferred: string, events: RemoteShardEvents): RemoteShard;
  /**
   * The trainers of a boosted data-parallel job: shard i first on preferred[i % length], steps
   * reduced among the trainers by feature blocks (`valueBins`: the features' bins).
   */
  boostLink(
    job: string,
    shards: Array<{ index: number; blob: BlobRef }>,
    preferred: string[],
    valueBins: number[],
    events: RemoteShardEvents,
  ): BoostLink & { nodes(): string[] };
  /** Tells the cluster (dashboards, other services) what happened: `shard.trained`, `job.completed`, … */
  emit(event: string, payload: Record<string, unknown>): void;
}

/** The coordinator's own store of job blobs (shards, validation rows, checkpoints). */
export interface JobBlobs {
  put(id: string, data: Uint8Array): Promise<BlobRef>;
  read(id: string): Promise<Buffer>;
  stream(id: string): Promise<Readable>;
  has(id: string): Promise<boolean>;
  remove(idOrPrefix: string): Promise<void>;
}

export interface JobSettings {
  /** Attempts per member (and per data-parallel shard session). */
  fitAttempts: number;
  /** How long a job waits for a first trainer. */
  trainerWaitMs: number;
  fitTimeoutMs: number;
  requestTimeoutMs: number;
  /** Longest one member's fit may run (FIT_TIME_BUDGET_S); a data-parallel model's whole growth counts as one fit. */
  fitTimeBudgetMs: number;
}

/** Everything a job runs against. */
export interface JobEnv {
  /** The node that runs the job and serves its blobs. */
  nodeID: string;
  cluster: TrainingCluster;
  blobs: JobBlobs;
  datasets: { load(id: string): Promise<LoadedDataset> };
  settings: JobSettings;
  /** The job changed: persist and publish (throttled by the caller). */
  changed(job: JobState): void;
  /** Persists every changed job now. */
  flush(): Promise<void>;
  log: { info(message: string): void; warn(message: string): void };
  /** True while the coordinator shuts down: an interrupted job is left to resume, not failed. */
  stopping(): boolean;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}
