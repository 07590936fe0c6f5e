/**
 * A training mode is a workflow in three phases that a restarted coordinator can re-enter:
 * `prepare` (sets `job.plan` and `job.version`), `train` and `complete`. Everything a later phase
 * needs is in the persisted job. The phases a mode shares live here: sharding a dataset into the
 * blob store, fitting one member, evaluating and completing the version.
 */
import { headline } from '../../metrics';
import type { FitProgress } from '../../models/model';
import type { FitParams, FitReply } from '../../trainer/fit-contract';
import { deriveSeed } from '../../util/random';
import type { JobEnv } from '../cluster';
import type { JobState, MemberState } from '../job';
import { prepare, type Checked } from '../prepare';
import type { TrainingMode } from '../request';
import type { RunnerOptions, RunnerPorts } from '../runner';
import { jobCompleted, jobEvaluating, jobPrepared } from '../job-transitions';

/** One run of a job's phase. `checked` is there when the job was just accepted (not on resume). */
export interface ModeRun {
  job: JobState;
  env: JobEnv;
  signal: AbortSignal;
  checked?: Checked;
}

export interface Mode {
  name: TrainingMode;
  /** Model kinds this mode trains (`GET /api/options` lists them). */
  kinds(): string[];
  /** After a restart, members already in the registry count as trained (not so for averaging rounds). */
  keepsStoredMembers: boolean;
  prepare(run: ModeRun): Promise<void>;
  train(run: ModeRun): Promise<void>;
  complete(run: ModeRun): Promise<void>;
}

/** The seed of a member (or round) of a job: derived from the job's seed, never the same twice. */
export function memberSeed(job: JobState, label: number): number {
  return deriveSeed(job.request.seed, 100 + label);
}

export function runnerPorts(env: JobEnv): Pick<RunnerPorts, 'trainersOnline' | 'changed' | 'sleep'> {
  return { trainersOnline: () => env.cluster.trainers().length, changed: (j) => env.changed(j), sleep: env.sleep };
}

export function runnerOptions(env: JobEnv): RunnerOptions {
  return { attempts: env.settings.fitAttempts, trainerWaitMs: env.settings.trainerWaitMs };
}

/** Phase 1 of the modes that train on a dataset: shards, validation rows, version. */
export async function prepareJob({ job, env, checked }: ModeRun): Promise<void> {
  if (!checked) throw new Error('prepareJob: a new job comes with its checked request');
  const started = Date.now();
  const dataset = await env.datasets.load(job.dataset.id);
  const prepared = await prepare(dataset.table, dataset.profile, job.request, checked, env.cluster.trainers().length, {
    put: (name, bytes) => env.blobs.put(`jobs/${job.id}/${name}`, bytes),
  });
  jobPrepared(job, prepared);
  job.warnings.push(...prepared.warnings);
  const version = await env.cluster.createVersion({
    name: job.name,
    job: job.id,
    dataset: { id: dataset.meta.id, name: dataset.meta.name, rows: dataset.meta.rows, schemaHash: dataset.meta.schemaHash },
    target: checked.target.name,
    task: checked.task,
    classes: checked.target.classes,
    mode: job.request.mode,
    voting: checked.voting,
    encoder: prepared.encoder,
    features: prepared.features,
    dense: prepared.dense,
  });
  job.version = version.id;
  await env.cluster.putValidation(version.id, prepared.validation);
  job.plan = {
    features: prepared.features,
    dense: prepared.dense,
    validation: prepared.validation,
    validationSample: prepared.validationSample,
    targetStats: prepared.targetStats,
    ...(prepared.dataParallel ? { dataParallel: prepared.dataParallel } : {}),
  };
  job.timings.prepareMs = Date.now() - started;
  env.changed(job);
  await env.flush();
}

/** `trainer.fit` of one member of a sharded job (`extra`: an averaging round's member id, seed, start weights). */
export function fitParams(env: JobEnv, job: JobState, member: MemberState, extra: Partial<FitParams> = {}): FitParams {
  const shard = job.shards.find((s) => s.index === member.shard)!;
  const nodeID = env.nodeID;
  return {
    job: job.id,
    version: job.version!,
    member: member.id,
    shard: member.shard,
    kind: member.kind,
    params: member.params,
    seed: memberSeed(job, member.shard),
    task: job.task!,
    classes: job.classes,
    features: job.plan!.features,
    dense: job.plan!.dense,
    source: { ...shard.blob, nodeID },
    validation: job.plan!.validationSample ? { ...job.plan!.validationSample, nodeID } : undefined,
    ...(member.baseline ? { baseline: true } : {}),
    timeBudgetMs: env.settings.fitTimeBudgetMs,
    ...extra,
  };
}

/** Fits and tells the cluster (`shard.trained`). */
export async function fitMember(env: JobEnv, job: JobState, params: FitParams, signal: AbortSignal, onProgress?: (p: FitProgress) => void): Promise<FitReply> {
  const reply = await env.cluster.fit(params, signal, onProgress);
  env.cluster.emit('shard.trained', { job: job.id, member: params.member, node: reply.node, fitMs: reply.fitMs });
  return reply;
}

/** Phase 3 of the sharded modes: evaluate the ensemble (or only `only`) and each member, record it, activate by policy. */
export async function completeVersion({ job, env }: ModeRun, only?: string[]): Promise<void> {
  jobEvaluating(job);
  env.changed(job);
  const started = Date.now();
  const version = job.version!;
  const evaluation = await env.cluster.evaluate(version, only);
  const completion = await env.cluster.complete({ version, report: evaluation.report, members: evaluation.members, keep: only, takeover: mayTakeOver(job) });
  job.timings.evaluateMs = Date.now() - started;
  finish(env, job, headline(evaluation.report), completion);
}

/** A job started by an admin (or inside the cluster, with no role) may take over an existing model name. */
export function mayTakeOver(job: JobState): boolean {
  return job.startedBy === undefined || job.startedBy === 'admin';
}

/** The job is completed: metrics, the activation's word, `job.completed`. */
export function finish(env: JobEnv, job: JobState, metrics: Record<string, number | null>, completion: { activated: boolean; reason: string }): void {
  jobCompleted(job, metrics, completion);
  env.changed(job);
  env.cluster.emit('job.completed', { job: job.id, version: job.version, metrics: job.metrics, activated: completion.activated });
}
