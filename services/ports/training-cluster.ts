/**
 * {@link TrainingCluster} on the Moleculer broker: the registry, inference and the trainers as
 * actions. Progress of a fit reaches the callback its caller gave through `shard.progress` events,
 * which the coordinator hands to {@link BrokerTrainingCluster.progressed}.
 */
import type { ServiceBroker } from 'moleculer';
import type { LocalSchema } from '../../lib/node-data/schema';
import type { Report } from '../../lib/metrics';
import type { FitProgress } from '../../lib/models/model';
import type { MemberMeta, VersionMeta } from '../../lib/registry/version';
import type { JobBlobs, CompleteRequest, Completion, RemoteShardEvents, TrainingCluster } from '../../lib/jobs/cluster';
import { QuorumError } from '../../lib/errors';
import type { BlobRef } from '../../lib/jobs/job';
import type { FitParams, FitReply, LocalEvaluation, LocalFitParams } from '../../lib/trainer/fit-contract';
import { callService, nodesWith, storeMember } from './cluster';
import { quorumConfig } from './config';
import { ClusterShardPort } from './shard-port';
import { ClusterBoostLink } from './boost-link';

/** Settles with the promise, or rejects with CANCELLED as soon as the signal aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new QuorumError('CANCELLED', 'cancelled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new QuorumError('CANCELLED', 'cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

export class BrokerTrainingCluster implements TrainingCluster {
  /** `job/member` → the progress callback of the fit in flight. */
  private readonly routes = new Map<string, (p: FitProgress) => void>();

  constructor(
    private readonly broker: ServiceBroker,
    private readonly blobs: JobBlobs,
  ) {}

  private get config() {
    return quorumConfig(this.broker);
  }

  /** A `shard.progress` event: to the fit that asked for it, if it is still in flight here. */
  progressed(p: { job: string; member: string } & FitProgress): void {
    this.routes.get(`${p.job}/${p.member}`)?.(p);
  }

  trainers(): string[] {
    return nodesWith(this.broker, 'trainer').sort();
  }

  createVersion(meta: Omit<VersionMeta, 'id' | 'status' | 'createdAt' | 'members'>): Promise<VersionMeta> {
    return callService<VersionMeta>(this.broker, 'registry.create', { meta });
  }

  version(id: string): Promise<VersionMeta> {
    return callService<VersionMeta>(this.broker, 'registry.get', { version: id });
  }

  async putValidation(version: string, blob: BlobRef & { rows: number }): Promise<void> {
    await callService(this.broker, 'registry.putValidation', await this.blobs.stream(blob.id), {
      meta: { version, rows: blob.rows, sha256: blob.sha256 },
      timeout: 0,
    });
  }

  putMember(version: string, member: MemberMeta, artifact: Uint8Array): Promise<MemberMeta> {
    return storeMember(this.broker, version, member, artifact);
  }

  async average(version: string, into: string, parts: { member: string; rows: number }[]): Promise<void> {
    await callService(this.broker, 'registry.average', { version, into, parts }, { timeout: 0 });
  }

  evaluate(version: string, members?: string[]): Promise<{ report: Report; members: unknown[] }> {
    return callService(this.broker, 'inference.evaluate', { version, members }, { timeout: 0 });
  }

  complete(request: CompleteRequest): Promise<Completion> {
    return callService<Completion>(this.broker, 'registry.complete', request);
  }

  async discard(version: string): Promise<void> {
    await callService(this.broker, 'registry.discard', { version });
  }

  private tracked(job: string, member: string, call: Promise<FitReply>, signal: AbortSignal, onProgress?: (p: FitProgress) => void): Promise<FitReply> {
    const key = `${job}/${member}`;
    if (onProgress) this.routes.set(key, onProgress);
    return untilAborted(call, signal).finally(() => {
      if (this.routes.get(key) === onProgress) this.routes.delete(key);
    });
  }

  fit(params: FitParams, signal: AbortSignal, onProgress?: (p: FitProgress) => void): Promise<FitReply> {
    const call = this.broker.call<FitReply, FitParams>('trainer.fit', params, { timeout: this.config.fitTimeoutMs, retries: 0 });
    return this.tracked(params.job, params.member, call, signal, onProgress);
  }

  fitLocal(node: string, params: LocalFitParams, signal: AbortSignal, onProgress?: (p: FitProgress) => void): Promise<FitReply> {
    const call = this.broker.call<FitReply, LocalFitParams>('trainer.fitLocal', params, { nodeID: node, timeout: this.config.fitTimeoutMs, retries: 0 });
    return this.tracked(params.job, params.member, call, signal, onProgress);
  }

  localProfile(node: string, query: { target: string; task?: 'classification' | 'regression' }): Promise<LocalSchema> {
    return this.broker.call<LocalSchema, unknown>('trainer.localProfile', query, { nodeID: node, timeout: this.config.requestTimeoutMs, retries: 0 });
  }

  evaluateLocal(node: string, version: string): Promise<LocalEvaluation> {
    return this.broker.call<LocalEvaluation, unknown>('trainer.evaluateLocal', { version }, { nodeID: node, timeout: this.config.fitTimeoutMs, retries: 0 });
  }

  openShard(job: string, shard: number, blob: BlobRef, preferred: string, events: RemoteShardEvents): ClusterShardPort {
    return new ClusterShardPort(
      this.broker,
      job,
      shard,
      { ...blob, nodeID: this.broker.nodeID },
      preferred,
      this.config.fitAttempts,
      this.config.fitTimeoutMs,
      this.config.requestTimeoutMs,
      events,
    );
  }

  boostLink(
    job: string,
    shards: Array<{ index: number; blob: BlobRef }>,
    preferred: string[],
    valueBins: number[],
    events: RemoteShardEvents,
  ): ClusterBoostLink {
    return new ClusterBoostLink(this.broker, {
      job,
      shards,
      preferred,
      valueBins,
      attempts: this.config.fitAttempts,
      timeoutMs: this.config.fitTimeoutMs,
      idleMs: this.config.requestTimeoutMs,
      events,
    });
  }

  emit(event: string, payload: Record<string, unknown>): void {
    void this.broker.emit(event, payload);
  }
}
