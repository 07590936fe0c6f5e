/**
 * Running a training job on the cluster, in phases that a restarted coordinator can re-enter:
 * prepare (split, encode, shard into the blob store, create the version) → train (one model per
 * shard, or rounds of parameter averaging) → evaluate and complete (inference, registry).
 * Everything a later phase needs is in the persisted job (its plan and shard blobs).
 */
import type { ServiceBroker } from 'moleculer';
import { encodeArtifact } from '../../lib/models/format';
import { headline, type Report } from '../../lib/metrics';
import type { MemberMeta, VersionMeta } from '../../lib/registry/version';
import { bufferStream, sha256 } from '../../lib/store/streams';
import { trainByAveraging, type AveragingPorts } from '../../lib/training/averaging';
import type { JobState, MemberState } from '../../lib/training/job';
import { prepare, type Checked } from '../../lib/training/prepare';
import { trainMembers, type RunnerPorts } from '../../lib/training/runner';
import { QuorumError } from '../../lib/errors';
import { featureInfo } from '../../lib/data/encode';
import { defaultVoting, resolveVoting } from '../../lib/ensemble';
import { poolReports } from '../../lib/local/pool';
import type { LocalSchema } from '../../lib/local/schema';
import { mergeSchemas } from '../../lib/local/schema';
import { score } from '../../lib/metrics';
import type { CrossNodeEvaluation } from '../../lib/registry/version';
import type { LocalEvaluation, LocalFitParams } from './local-data';
import type { CoordinatorThis, RunningJob } from '../coordinator.service';
import type { FitParams, FitReply } from '../trainer.service';
import { callService, nodesWith } from './cluster';
import { quorumConfig } from './config';
import { trainDataParallel } from './data-parallel';

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

/** A remote error as the runner sees it: catalogue code (Moleculer `type`), retryable, node. */
function asFailure(err: unknown): Error {
  const e = err as Error & { type?: string; retryable?: boolean; nodeID?: string; data?: { nodeID?: string } };
  return Object.assign(new Error(e.message), {
    code: typeof e.type === 'string' && e.type ? e.type : 'FIT_FAILED',
    retryable: e.retryable ?? false,
    node: e.data?.nodeID ?? e.nodeID,
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** Phase 1: shards, validation rows, version. Sets `job.plan` and `job.version`. */
async function prepareJob(svc: CoordinatorThis, job: JobState, checked: Checked): Promise<void> {
  const started = Date.now();
  const dataset = await svc.catalog.load(job.dataset.id);
  const prepared = await prepare(dataset.table, dataset.profile, job.request, checked, nodesWith(svc.broker, 'trainer').length, {
    put: (name, bytes) => svc.blobs.put(`jobs/${job.id}/${name}`, bytes),
  });
  Object.assign(job, { shards: prepared.shards, members: prepared.members, split: prepared.split });
  job.warnings.push(...prepared.warnings);
  const version = await callService<VersionMeta>(svc.broker, 'registry.create', {
    meta: {
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
    },
  });
  job.version = version.id;
  await callService(svc.broker, 'registry.putValidation', await svc.blobs.stream(prepared.validation.id), {
    meta: { version: version.id, rows: prepared.validation.rows, sha256: prepared.validation.sha256 },
    timeout: 0,
  });
  job.plan = {
    features: prepared.features,
    dense: prepared.dense,
    validation: prepared.validation,
    validationSample: prepared.validationSample,
    targetStats: prepared.targetStats,
    ...(prepared.dataParallel ? { dataParallel: prepared.dataParallel } : {}),
  };
  job.timings.prepareMs = Date.now() - started;
  svc.touch(job);
  await svc.flush();
}

function fitParams(svc: CoordinatorThis, job: JobState, member: MemberState, extra: Partial<FitParams> = {}): FitParams {
  const shard = job.shards.find((s) => s.index === member.shard)!;
  const nodeID = svc.broker.nodeID;
  return {
    job: job.id,
    version: job.version!,
    member: member.id,
    shard: member.shard,
    kind: member.kind,
    params: member.params,
    seed: svc.seedOf(job, member.shard),
    task: job.task!,
    classes: job.classes,
    features: job.plan!.features,
    dense: job.plan!.dense,
    source: { ...shard.blob, nodeID },
    validation: job.plan!.validationSample ? { ...job.plan!.validationSample, nodeID } : undefined,
    ...(member.baseline ? { baseline: true } : {}),
    ...extra,
  };
}

function callFit(svc: CoordinatorThis, job: JobState, run: RunningJob, params: FitParams, signal: AbortSignal, onProgress?: (p: { fraction: number }) => void) {
  const config = quorumConfig(svc.broker);
  if (onProgress) run.progress.set(params.member, onProgress);
  return untilAborted(svc.broker.call<FitReply, FitParams>('trainer.fit', params, { timeout: config.fitTimeoutMs, retries: 0 }), signal)
    .then((reply) => {
      svc.broker.emit('shard.trained', { job: job.id, member: params.member, node: reply.node, fitMs: reply.fitMs });
      return reply;
    })
    .catch((err) => {
      throw asFailure(err);
    })
    .finally(() => run.progress.delete(params.member));
}

function basePorts(svc: CoordinatorThis): Pick<RunnerPorts, 'trainersOnline' | 'changed' | 'sleep'> {
  return { trainersOnline: () => nodesWith(svc.broker, 'trainer').length, changed: (j) => svc.touch(j), sleep };
}

/** Phase 2a: one model per shard (and kind). */
async function trainEnsemble(svc: CoordinatorThis, job: JobState, run: RunningJob): Promise<void> {
  const config = quorumConfig(svc.broker);
  const ports: RunnerPorts = {
    ...basePorts(svc),
    fit: (member, signal, onProgress) => callFit(svc, job, run, fitParams(svc, job, member), signal, onProgress),
  };
  await trainMembers(job, ports, { attempts: config.fitAttempts, trainerWaitMs: config.trainerWaitMs }, run.abort.signal);
}

/** Phase 2b: parameter averaging in rounds; the registry holds the global weights as member 'global'. */
async function trainAverage(svc: CoordinatorThis, job: JobState, run: RunningJob): Promise<void> {
  const config = quorumConfig(svc.broker);
  const spec = job.request.models[0];
  const version = job.version!;
  const existing = await callService<VersionMeta>(svc.broker, 'registry.get', { version });
  if (!existing.members.some((m) => m.id === 'global')) {
    // Round 0: every shard starts from the same seeded weights (and, for regression, one target scaling).
    const { initialArtifact } = require('../../lib/models/tf/initial') as typeof import('../../lib/models/tf/initial');
    const plan = job.plan!;
    const artifact = initialArtifact(spec.kind as 'mlp' | 'linear', {
      task: job.task!,
      nFeatures: plan.dense!.outputs,
      nClasses: job.classes?.length ?? 0,
      classes: job.classes,
      features: plan.dense!.names,
      target: plan.targetStats,
    }, spec.params, job.request.seed);
    const bytes = encodeArtifact(artifact);
    const global: MemberMeta = { id: 'global', kind: spec.kind, params: spec.params, input: 'dense', shard: -1, rows: 0, classes: job.classes };
    await callService(svc.broker, 'registry.putMember', bufferStream(bytes), { meta: { version, member: global }, timeout: 0 });
  }
  const ports: AveragingPorts = {
    ...basePorts(svc),
    fitRound: async (shard, round, signal) => {
      const member = `r${round}-${shard.id}`;
      const params = fitParams(svc, job, shard, { member, seed: svc.seedOf(job, 1000 * round + shard.shard), initial: { version, member: 'global' } });
      const reply = await callFit(svc, job, run, params, signal);
      return { member, rows: reply.rows, node: reply.node, fitMs: reply.fitMs };
    },
    average: async (_round, parts) => {
      await callService(svc.broker, 'registry.average', { version, into: 'global', parts: parts.map((p) => ({ member: p.member, rows: p.rows })) }, { timeout: 0 });
    },
    evaluate: async () => {
      const evaluation = await callService<{ report: Report }>(svc.broker, 'inference.evaluate', { version, members: ['global'] }, { timeout: 0 });
      return headline(evaluation.report);
    },
  };
  await trainByAveraging(job, ports, {
    attempts: config.fitAttempts,
    trainerWaitMs: config.trainerWaitMs,
    rounds: job.request.rounds,
    minTrainers: job.request.minTrainers,
  }, run.abort.signal);
}

/** Phase 3: evaluate the ensemble and each member, record it, activate by policy. */
async function completeJob(svc: CoordinatorThis, job: JobState): Promise<void> {
  job.status = 'evaluating';
  svc.touch(job);
  const started = Date.now();
  const version = job.version!;
  const only = job.request.mode === 'average' ? ['global'] : undefined;
  const evaluation = await callService<{ report: Report; members: unknown[] }>(svc.broker, 'inference.evaluate', { version, members: only }, { timeout: 0 });
  const completion = await callService<{ activated: boolean; reason: string }>(svc.broker, 'registry.complete', {
    version,
    report: evaluation.report,
    members: evaluation.members,
    keep: only,
  });
  job.timings.evaluateMs = Date.now() - started;
  job.metrics = headline(evaluation.report);
  job.status = 'completed';
  job.message = completion.activated ? `active: ${completion.reason}` : `not activated: ${completion.reason}`;
  job.progress = 1;
  svc.broker.emit('job.completed', { job: job.id, version, metrics: job.metrics, activated: completion.activated });
}

/** Phase 1 of a `local` job: learn every local node's schema, merge, create the version. */
async function prepareLocal(svc: CoordinatorThis, job: JobState): Promise<void> {
  const started = Date.now();
  const request = job.request;
  const nodes = nodesWith(svc.broker, 'trainer');
  const answers = await Promise.allSettled(
    nodes.map((nodeID) => svc.broker.call<LocalSchema, unknown>('trainer.localProfile', { target: request.target, task: request.task }, { nodeID, timeout: quorumConfig(svc.broker).requestTimeoutMs, retries: 0 })),
  );
  const schemas: LocalSchema[] = [];
  answers.forEach((a, i) => {
    if (a.status === 'fulfilled') schemas.push(a.value);
    else if ((a.reason as { type?: string }).type !== 'NOT_FOUND') job.warnings.push(`node ${nodes[i]} could not describe its local data: ${(a.reason as Error).message}`);
  });
  const merged = mergeSchemas(schemas, request.target, { task: request.task, ignore: request.ignore });
  job.warnings.push(...merged.warnings);
  const voting = request.voting ?? defaultVoting(merged.task);
  resolveVoting(voting, merged.task);
  Object.assign(job, { task: merged.task, classes: merged.classes, voting });
  job.dataset.rows = schemas.reduce((a, s) => a + s.rows, 0);
  job.members = schemas.map((schema, i): MemberState => {
    const spec = request.models[i % request.models.length];
    return { id: `m${i}`, shard: i, kind: spec.kind, params: spec.params, rows: schema.rows, node: schema.nodeID, status: 'pending', progress: 0, attempts: 0 };
  });
  const features = featureInfo(merged.encoder);
  const version = await callService<VersionMeta>(svc.broker, 'registry.create', {
    meta: {
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
    },
  });
  job.version = version.id;
  job.plan = { features };
  job.timings.prepareMs = Date.now() - started;
  svc.touch(job);
  await svc.flush();
}

/** Phase 2 of a `local` job: every node fits on its own rows (a member cannot move: its data does not). */
async function trainLocal(svc: CoordinatorThis, job: JobState, run: RunningJob): Promise<void> {
  const config = quorumConfig(svc.broker);
  const version = await callService<VersionMeta>(svc.broker, 'registry.get', { version: job.version! });
  const ports: RunnerPorts = {
    ...basePorts(svc),
    fit: (member, signal, onProgress) => {
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
      };
      run.progress.set(member.id, onProgress);
      return untilAborted(svc.broker.call<FitReply, LocalFitParams>('trainer.fitLocal', params, { nodeID: member.node, timeout: config.fitTimeoutMs, retries: 0 }), signal)
        .catch((err) => {
          throw asFailure(err);
        })
        .finally(() => run.progress.delete(member.id));
    },
  };
  await trainMembers(job, ports, { attempts: config.fitAttempts, trainerWaitMs: config.trainerWaitMs }, run.abort.signal);
}

/** Phase 3 of a `local` job: every node evaluates every member on its own rows; the reports are pooled. */
async function completeLocal(svc: CoordinatorThis, job: JobState): Promise<void> {
  job.status = 'evaluating';
  svc.touch(job);
  const started = Date.now();
  const version = job.version!;
  const nodes = [...new Set(job.members.filter((m) => m.status === 'done').map((m) => m.node!))];
  const timeout = quorumConfig(svc.broker).fitTimeoutMs;
  const answers = await Promise.allSettled(nodes.map((nodeID) => svc.broker.call<LocalEvaluation, unknown>('trainer.evaluateLocal', { version }, { nodeID, timeout, retries: 0 })));
  const evaluations: LocalEvaluation[] = [];
  answers.forEach((a, i) => {
    if (a.status === 'fulfilled') evaluations.push(a.value);
    else job.warnings.push(`node ${nodes[i]} could not evaluate: ${(a.reason as Error).message}`);
  });
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
  const completion = await callService<{ activated: boolean; reason: string }>(svc.broker, 'registry.complete', {
    version,
    report,
    members: memberIds.map((id, i) => ({ id, metrics: headline(pooled[i]), score: score(pooled[i]) })),
    crossNode,
  });
  job.crossNode = crossNode;
  job.timings.evaluateMs = Date.now() - started;
  job.metrics = headline(report);
  job.status = 'completed';
  job.message = completion.activated ? `active: ${completion.reason}` : `not activated: ${completion.reason}`;
  job.progress = 1;
  svc.broker.emit('job.completed', { job: job.id, version, metrics: job.metrics, activated: completion.activated });
}

/** Runs (or resumes) a job to its end; never throws. */
export async function executeJob(svc: CoordinatorThis, job: JobState, run: RunningJob, checked?: Checked): Promise<void> {
  const signal = run.abort.signal;
  try {
    const local = job.request.mode === 'local';
    if (!job.plan) {
      if (local) await prepareLocal(svc, job);
      else if (checked) await prepareJob(svc, job, checked);
      else throw new QuorumError('INTERNAL', 'a job without a plan cannot resume');
    }
    const trainStarted = Date.now();
    if (local) await trainLocal(svc, job, run);
    else if (job.request.mode === 'average') await trainAverage(svc, job, run);
    else if (job.request.mode === 'data-parallel') await trainDataParallel(svc, job, run, basePorts(svc));
    else await trainEnsemble(svc, job, run);
    job.timings.trainMs = (job.timings.trainMs ?? 0) + Date.now() - trainStarted;
    if (local) await completeLocal(svc, job);
    else await completeJob(svc, job);
  } catch (err) {
    if (svc.stopping) {
      // The coordinator is shutting down, not the job: leave it as it stands, to resume on restart.
      svc.logger.info(`job ${job.id} paused by the shutdown; it resumes when the coordinator starts again`);
      svc.touch(job);
      await svc.flush();
      return;
    }
    const e = err as Error & { code?: string | number; type?: string };
    job.status = signal.aborted ? 'cancelled' : 'failed';
    const code = typeof e.type === 'string' ? e.type : typeof e.code === 'string' ? e.code : 'INTERNAL';
    job.error = { code: signal.aborted ? 'CANCELLED' : code, message: signal.aborted ? 'cancelled by request' : e.message };
    for (const m of job.members) if (m.status === 'pending' || m.status === 'running') m.status = 'cancelled';
    if (job.version) {
      await callService(svc.broker, 'registry.discard', { version: job.version }).catch((discardErr: Error) => {
        job.warnings.push(`version ${job.version} could not be discarded: ${discardErr.message}`);
      });
    }
    svc.logger.warn(`job ${job.id} ${job.status}: ${job.error.message}`);
    svc.broker.emit('job.failed', { job: job.id, status: job.status, error: job.error });
  }
  job.finishedAt = new Date().toISOString();
  await svc.blobs.remove(`jobs/${job.id}`).catch(() => undefined);
  svc.touch(job);
  await svc.flush();
}

/**
 * After a coordinator restart: a job that had its plan and version continues where it stopped
 * (members already in the registry are not trained again); one that was still preparing is
 * marked failed with the reason. Never silently lost.
 */
export async function resumableState(broker: ServiceBroker, svc: CoordinatorThis, job: JobState): Promise<string | undefined> {
  if (!job.plan || !job.version) return 'the coordinator stopped while preparing the job: start it again';
  for (const blob of [...job.shards.map((s) => s.blob), ...(job.plan.validationSample ? [job.plan.validationSample] : [])]) {
    if (!(await svc.blobs.has(blob.id))) return `shard data ${blob.id} is gone: start the job again`;
  }
  let version: VersionMeta;
  try {
    version = await callService<VersionMeta>(broker, 'registry.get', { version: job.version });
  } catch (err) {
    return `its version ${job.version} is not in the registry (${(err as Error).message})`;
  }
  if (version.status !== 'training') return `its version ${job.version} is ${version.status}`;
  const stored = new Map(version.members.map((m) => [m.id, m]));
  for (const m of job.members) {
    const have = stored.get(m.id);
    if (have?.artifact && job.request.mode !== 'average') {
      Object.assign(m, { status: 'done', progress: 1, node: have.node, fitMs: have.fitMs, artifact: have.artifact, summary: have.summary });
    } else if (m.status !== 'done' || !have) {
      Object.assign(m, { status: 'pending', progress: 0 });
    }
  }
  return undefined;
}
