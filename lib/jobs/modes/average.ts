/**
 * `average`: one shared neural or linear model improved in rounds of parameter averaging
 * (lib/jobs/averaging.ts); the registry holds the global weights as member `global`.
 */
import { headline } from '../../metrics';
import { encodeArtifact } from '../../core/container';
import type { MemberMeta } from '../../registry/version';
import { trainByAveraging, type AveragingPorts } from '../averaging';
import { AVERAGE_KINDS } from '../request';
import { completeVersion, fitMember, fitParams, memberSeed, prepareJob, runnerOptions, runnerPorts, type Mode } from './mode';

export const averageMode: Mode = {
  name: 'average',
  kinds: () => [...AVERAGE_KINDS],
  keepsStoredMembers: false,
  prepare: prepareJob,
  async train({ job, env, signal }) {
    const spec = job.request.models[0];
    const version = job.version!;
    const existing = await env.cluster.version(version);
    if (!existing.members.some((m) => m.id === 'global')) {
      // Round 0: every shard starts from the same seeded weights (and, for regression, one target scaling).
      const { initialArtifact } = require('../../models/tf/initial') as typeof import('../../models/tf/initial');
      const plan = job.plan!;
      const artifact = initialArtifact(
        spec.kind as 'mlp' | 'linear',
        {
          task: job.task!,
          nFeatures: plan.dense!.outputs,
          nClasses: job.classes?.length ?? 0,
          classes: job.classes,
          features: plan.dense!.names,
          target: plan.targetStats,
        },
        spec.params,
        job.request.seed,
      );
      const global: MemberMeta = { id: 'global', kind: spec.kind, params: spec.params, input: 'dense', shard: -1, rows: 0, classes: job.classes };
      await env.cluster.putMember(version, global, encodeArtifact(artifact));
    }
    const ports: AveragingPorts = {
      ...runnerPorts(env),
      fitRound: async (shard, round, s) => {
        const member = `r${round}-${shard.id}`;
        const params = fitParams(env, job, shard, { member, seed: memberSeed(job, 1000 * round + shard.shard), initial: { version, member: 'global' } });
        const reply = await fitMember(env, job, params, s);
        return { member, rows: reply.rows, node: reply.node, fitMs: reply.fitMs };
      },
      average: (_round, parts) =>
        env.cluster.average(
          version,
          'global',
          parts.map((p) => ({ member: p.member, rows: p.rows })),
        ),
      evaluate: async () => headline((await env.cluster.evaluate(version, ['global'])).report),
    };
    await trainByAveraging(job, ports, { ...runnerOptions(env), rounds: job.request.rounds, minTrainers: job.request.minTrainers }, signal);
  },
  complete: (run) => completeVersion(run, ['global']),
};
