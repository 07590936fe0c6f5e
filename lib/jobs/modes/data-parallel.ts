/**
 * `data-parallel`: one forest or boosted model over all shards. Each binned shard is opened as a
 * session on a trainer (shard i on trainer i mod n); the kind's driver (data-parallel/kinds.ts)
 * grows the trees here; a session whose trainer fails moves to another one. The driver's state is
 * checkpointed beside the job's shards, so a restarted coordinator resumes from it.
 */
import { decodeRowShard } from '../../data/shard-codec';
import { encodeArtifact } from '../../core/container';
import type { MemberMeta } from '../../registry/version';
import { readAll } from '../../store/streams';
import { remoteFailure } from '../../errors';
import { timeExceeded } from '../../trainer/fit-contract';
import type { JobBlobs } from '../cluster';
import { DATA_PARALLEL_KINDS, dataParallelKind } from '../data-parallel/kinds';
import type { JobState } from '../job';
import { waitForTrainer } from '../runner';
import { completeVersion, prepareJob, runnerOptions, runnerPorts, type Mode } from './mode';
import { jobNote, jobTraining, memberAttemptFailed, memberDone, memberFailed, memberPending, memberProgress, memberRunning } from '../job-transitions';

/** The driver's state every few trees or rounds, beside the job's shards. */
function checkpointStore(blobs: JobBlobs, job: JobState): { read<T>(): Promise<T | null>; save(state: unknown): Promise<void> } {
  const id = `jobs/${job.id}/dp-checkpoint`;
  return {
    read: async <T>() => ((await blobs.has(id)) ? (JSON.parse((await blobs.read(id)).toString('utf8')) as T) : null),
    save: async (state) => void (await blobs.put(id, Buffer.from(JSON.stringify(state)))),
  };
}

export const dataParallelMode: Mode = {
  name: 'data-parallel',
  kinds: () => [...DATA_PARALLEL_KINDS],
  keepsStoredMembers: true,
  prepare: prepareJob,

  async train({ job, env, signal }) {
    const member = job.members[0];
    const dp = job.plan!.dataParallel!;
    await waitForTrainer(job, runnerPorts(env), runnerOptions(env), signal);
    jobTraining(job, job.message);
    if (member.status !== 'pending') memberPending(job, member, false);
    memberRunning(job, member);
    env.changed(job);
    const trainers = env.cluster.trainers();
    const events = {
      opened: (shard: number, node: string, moved: boolean, why?: string) => {
        if (moved) {
          job.warnings.push(`shard ${shard} moved to trainer ${node} (${why}); the splits of its open trees were replayed`);
          env.log.warn(`job ${job.id}: shard ${shard} moved to ${node}: ${why}`);
        }
        env.changed(job);
      },
    };
    const started = Date.now();
    const input = {
      config: dp.config,
      bins: { edges: Float32Array.from(dp.edges), edgeStart: Int32Array.from(dp.edgeStart) },
      features: job.plan!.features,
      classes: job.classes,
    };
    // FIT_TIME_BUDGET_S bounds the model's whole growth (it is one fit spread over the sessions).
    const deadline = started + env.settings.fitTimeBudgetMs;
    const overBudget = (): boolean => !signal.aborted && Date.now() > deadline;
    const isCancelled = (): boolean => signal.aborted || overBudget();
    const progress = (fraction: number, message: string): void => {
      memberProgress(member, { fraction });
      jobNote(job, `${message}, over ${job.shards.length} shard(s)`, fraction);
      env.changed(job);
    };
    const kind = dataParallelKind(member.kind);
    const sample = job.plan!.validationSample;
    try {
      const {
        model,
        cost,
        trainers: nodes,
      } = await kind.fit({
        job: job.id,
        shards: job.shards.map((s) => ({ index: s.index, blob: s.blob })),
        trainers,
        cluster: env.cluster,
        events,
        input,
        params: member.params,
        validation: async () => (sample ? decodeRowShard(await readAll(await env.blobs.stream(sample.id))) : null),
        checkpoints: checkpointStore(env.blobs, job),
        isCancelled,
        progress,
        warn: (message) => job.warnings.push(message),
        curve: (member.curve = []),
      });
      const fitMs = Date.now() - started;
      const bytes = encodeArtifact(model.toArtifact());
      const summary = {
        ...model.summary(),
        dataParallel: {
          shards: job.shards.length,
          trainers: nodes,
          roundTrips: cost.roundTrips,
          bytesIn: cost.bytesIn,
          bytesOut: cost.bytesOut,
          portMs: Math.round(cost.portMs),
          sessionMs: Math.round(cost.sessionMs),
          commMs: Math.round(Math.max(0, cost.portMs - cost.sessionMs)),
          driverMs: Math.round(cost.driverMs),
          treesPerBatch: cost.treesPerBatch,
          levels: cost.levels,
          ...(kind.reduceSteps ? { peerBytes: cost.peerBytes ?? 0, rebuilds: cost.rebuilds ?? 0, trainerMs: Math.round(cost.trainerMs ?? 0) } : {}),
        },
      };
      const meta: MemberMeta = {
        id: member.id,
        kind: member.kind,
        params: member.params,
        input: 'native',
        shard: -1,
        rows: member.rows,
        node: nodes.join(','),
        fitMs,
        classes: job.classes,
        summary,
        ...(member.curve?.length ? { curve: member.curve } : {}),
      };
      const stored = await env.cluster.putMember(job.version!, meta, bytes);
      memberDone(job, member, { node: meta.node, fitMs, artifact: stored.artifact, summary });
      jobNote(job, undefined);
      env.changed(job);
    } catch (caught) {
      const err = overBudget() ? timeExceeded(env.settings.fitTimeBudgetMs) : caught;
      const e = remoteFailure(err);
      memberAttemptFailed(member, { code: e.code, message: e.message });
      memberFailed(job, member, signal.aborted);
      throw err;
    }
  },

  complete: (run) => completeVersion(run),
};
