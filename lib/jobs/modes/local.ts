/**
 * `local`: the data stays on the trainers (TRAINER_DATA). Every node with data describes its file,
 * the schemas merge into one encoder, every node fits a member on its own rows (a member cannot
 * move: its data does not), and every node evaluates every member on its own validation rows.
 */
import { featureInfo } from '../../data/encode';
import { defaultVoting, resolveVoting } from '../../ensemble';
import { QuorumError } from '../../errors';
import { poolReports } from '../../node-data/pool';
import { mergeSchemas, type LocalSchema } from '../../node-data/schema';
import { headline, score } from '../../metrics';
import { modelKindNames } from '../../models/kinds';
import type { CrossNodeEvaluation } from '../../registry/version';
import type { LocalEvaluation, LocalFitParams } from '../../trainer/fit-contract';
import type { MemberState } from '../job';
import { trainMembers, type RunnerPorts } from '../runner';
import { finish, mayTakeOver, runnerOptions, runnerPorts, type Mode } from './mode';
import { jobEvaluating, jobTyped } from '../job-transitions';

/** Asks every node at once; keeps the answers and lets `warn` record each node that failed. */
async function askEach<T>(nodes: string[], ask: (node: string) => Promise<T>, warn: (node: string, err: Error) => void): Promise<T[]> {
  const answers = await Promise.allSettled(nodes.map(ask));
  const out: T[] = [];
  answers.forEach((a, i) => (a.status === 'fulfilled' ? out.push(a.value) : warn(nodes[i], a.reason as Error)));
  return out;
}

export const localMode: Mode = {
  name: 'local',
  kinds: modelKindNames,
  keepsStoredMembers: true,

  async prepare({ job, env }) {
    const started = Date.now();
    const request = job.request;
    const schemas: LocalSchema[] = await askEach(
      env.cluster.trainers(),
      (node) => env.cluster.localProfile(node, { target: request.target, task: request.task }),
      (node, err) => {
        if ((err as { type?: string }).type !== 'NOT_FOUND') job.warnings.push(`node ${node} could not describe its local data: ${err.message}`);
      },
    );
    const merged = mergeSchemas(schemas, request.target, { task: request.task, ignore: request.ignore });
    job.warnings.push(...merged.warnings);
    const voting = request.voting ?? defaultVoting(merged.task);
    resolveVoting(voting, merged.task);
    jobTyped(job, { task: merged.task, classes: merged.classes, voting });
    job.dataset.rows = schemas.reduce((a, s) => a + s.rows, 0);
    job.members = schemas.map((schema, i): MemberState => {
      const spec = request.models[i % request.models.length];
      return {
        id: `m${i}`,
        shard: i,
        kind: spec.kind,
        params: spec.params,
        rows: schema.rows,
        node: schema.nodeID,
        status: 'pending',
        progress: 0,
        attempts: 0,
      };
    });
    const features = featureInfo(merged.encoder);
    const version = await env.cluster.createVersion({
      name: job.name,
      job: job.id,
      dataset: { id: 'local', name: job.name, rows: job.dataset.rows, schemaHash: 'local' },
      target: request.target,
      task: merged.task,
      classes: merged.classes,
      mode: 'local',
      voting,
      encoder: merged.encoder,
      features,
      localSplit: { seed: request.seed, validationFraction: request.validationFraction },
    });
    job.version = version.id;
    job.plan = { features };
    job.timings.prepareMs = Date.now() - started;
    env.changed(job);
    await env.flush();
  },

  async train({ job, env, signal }) {
    const version = await env.cluster.version(job.version!);
    const ports: RunnerPorts = {
      ...runnerPorts(env),
      fit: (member, s, onProgress) => {
        const params: LocalFitParams = {
          job: job.id,
          version: job.version!,
          member: member.id,
          shard: member.shard,
          target: job.request.target,
          task: job.task!,
          classes: job.classes,
          encoder: version.encoder,
          kind: member.kind,
          params: member.params,
          seed: job.request.seed,
          validationFraction: job.request.validationFraction,
          timeBudgetMs: env.settings.fitTimeBudgetMs,
        };
        return env.cluster.fitLocal(member.node!, params, s, onProgress);
      },
    };
    await trainMembers(job, ports, runnerOptions(env), signal);
  },

  async complete({ job, env }) {
    jobEvaluating(job);
    env.changed(job);
    const started = Date.now();
    const version = job.version!;
    const nodes = [...new Set(job.members.filter((m) => m.status === 'done').map((m) => m.node!))];
    const evaluations: LocalEvaluation[] = await askEach(
      nodes,
      (node) => env.cluster.evaluateLocal(node, version),
      (node, err) => {
        job.warnings.push(`node ${node} could not evaluate: ${err.message}`);
      },
    );
    if (evaluations.length === 0) throw new QuorumError('QUORUM_NOT_REACHED', 'no node could evaluate the version on its own rows');
    const report = poolReports(evaluations.map((e) => e.report));
    const memberIds = evaluations[0].members.map((m) => m.id);
    const pooled = memberIds.map((id) => poolReports(evaluations.map((e) => e.members.find((m) => m.id === id)!.report)));
    const metric = job.task === 'classification' ? 'accuracy' : 'rmse';
    const crossNode: CrossNodeEvaluation = {
      nodes: evaluations.map((e) => ({ node: e.node, rows: e.rows, ensemble: headline(e.report) })),
      members: memberIds,
      metric,
      matrix: evaluations.map((e) => e.members.map((m) => (headline(m.report)[metric] ?? null) as number | null)),
    };
    const completion = await env.cluster.complete({
      version,
      report,
      members: memberIds.map((id, i) => ({ id, metrics: headline(pooled[i]), score: score(pooled[i]) })),
      crossNode,
      takeover: mayTakeOver(job),
    });
    job.crossNode = crossNode;
    job.timings.evaluateMs = Date.now() - started;
    finish(env, job, headline(report), completion);
  },
};
