/**
 * The job runner's view of the cluster (lib/training/runner.ts RunnerPorts), made of Moleculer
 * calls: `trainer.fit` through the configured balancer, trainer discovery from the registry, and
 * cancellation by a `training.cancelled` broadcast.
 */
import { QuorumError } from '../../lib/errors';
import type { FitProgress } from '../../lib/models/model';
import type { JobState, MemberState } from '../../lib/training/job';
import type { Checked, Prepared } from '../../lib/training/prepare';
import type { FitOutcome, RunnerPorts } from '../../lib/training/runner';
import { deriveSeed } from '../../lib/util/random';
import type { CoordinatorThis } from '../coordinator.service';
import type { FitParams, FitReply } from '../trainer.service';
import { nodesWith } from './cluster';
import { quorumConfig } from './config';

interface RunningJobLike {
  progress: Map<string, (p: FitProgress) => void>;
}

/** Settles with the promise, or rejects with CANCELLED as soon as the signal aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new QuorumError('CANCELLED', 'cancelled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new QuorumError('CANCELLED', 'cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function jobRunnerPorts(svc: CoordinatorThis, job: JobState, run: RunningJobLike, prepared: Prepared, checked: Checked): RunnerPorts {
  const config = quorumConfig(svc.broker);
  const nodeID = svc.broker.nodeID;
  return {
    trainersOnline: () => nodesWith(svc.broker, 'trainer').length,

    async fit(member: MemberState, signal: AbortSignal, onProgress: (p: FitProgress) => void): Promise<FitOutcome> {
      const shard = prepared.shards.find((s) => s.index === member.shard)!;
      const params: FitParams = {
        job: job.id,
        version: job.version!,
        member: member.id,
        shard: member.shard,
        kind: member.kind,
        params: member.params,
        seed: deriveSeed(job.request.seed, 100 + member.shard),
        task: checked.task,
        classes: checked.target.classes,
        features: prepared.features,
        dense: prepared.dense,
        source: { ...shard.blob, nodeID },
        validation: { ...prepared.validationSample, nodeID },
      };
      run.progress.set(member.id, onProgress);
      try {
        const reply = await untilAborted(
          svc.broker.call<FitReply, FitParams>('trainer.fit', params, { timeout: config.fitTimeoutMs, retries: 0 }),
          signal,
        );
        svc.broker.emit('shard.trained', { job: job.id, member: member.id, node: reply.node, fitMs: reply.fitMs });
        return reply;
      } catch (err) {
        const e = err as Error & { type?: string; code?: unknown; retryable?: boolean; nodeID?: string };
        throw Object.assign(new Error(e.message), {
          code: typeof e.type === 'string' && e.type ? e.type : 'FIT_FAILED',
          retryable: e.retryable ?? false,
          node: e.nodeID,
        });
      } finally {
        run.progress.delete(member.id);
      }
    },

    changed: (changedJob) => svc.touch(changedJob),

    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      }),
  };
}
