/**
 * Issue 16: the modes and the executor run against the TrainingCluster port, with no broker: an
 * in-memory cluster and blob store, a real dataset (Iris from data/) and the real prepare phase.
 */
import { readFileChunks } from '../../../../lib/data/csv/source';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { ingestCsv } from '../../../../lib/data/ingest';
import type { LoadedDataset } from '../../../../lib/data/catalog';
import type { VersionMeta } from '../../../../lib/registry/version';
import { sha256 } from '../../../../lib/store/streams';
import type { FitParams, FitReply } from '../../../../lib/trainer/fit-contract';
import type { JobEnv, TrainingCluster } from '../../../../lib/jobs/cluster';
import { admitJob } from '../../../../lib/jobs/admission';
import { executeJob, resumableState } from '../../../../lib/jobs/executor';
import { modeNames, modeOptions, trainingMode } from '../../../../lib/jobs/modes';
import { normaliseRequest, TRAIN_PARAMS, type TrainRequest } from '../../../../lib/jobs/request';

const ROOT = path.resolve(__dirname, '../../../..');

async function iris(): Promise<LoadedDataset> {
  const result = await ingestCsv(readFileChunks(path.join(ROOT, 'data', 'iris.csv')));
  return {
    meta: { id: 'iris', name: 'iris', rows: result.table.nRows, schemaHash: 'h' },
    table: result.table,
    profile: result.profile,
  } as unknown as LoadedDataset;
}

/** A cluster of `trainers` in memory; `fit` decides what each fit does. */
function memoryEnv(dataset: LoadedDataset, fit: (p: FitParams) => Promise<FitReply>, options: { stopping?: () => boolean } = {}) {
  const blobs = new Map<string, Buffer>();
  const versions = new Map<string, VersionMeta>();
  const events: string[] = [];
  const discarded: string[] = [];
  const fits: FitParams[] = [];
  const cluster: TrainingCluster = {
    trainers: () => ['t1', 't2'],
    createVersion: async (meta) => {
      const v = { ...meta, id: `v${versions.size + 1}`, status: 'training', createdAt: '', members: [] } as unknown as VersionMeta;
      versions.set(v.id, v);
      return v;
    },
    version: async (id) => versions.get(id)!,
    putValidation: async () => undefined,
    putMember: async (version, member, bytes) => {
      const stored = { ...member, artifact: { size: bytes.length, sha256: sha256(bytes) } };
      versions.get(version)!.members.push(stored);
      return stored;
    },
    average: async () => undefined,
    evaluate: async () => ({ report: { task: 'classification', rows: 30, accuracy: 0.9 } as never, members: [] }),
    complete: async ({ version }) => ((versions.get(version)!.status = 'ready'), { activated: true, reason: 'first version' }),
    discard: async (version) => void discarded.push(version),
    fit: async (params) => {
      fits.push(params);
      const reply = await fit(params);
      const v = versions.get(params.version)!;
      v.members.push({
        id: params.member,
        kind: params.kind,
        params: params.params,
        input: 'native',
        shard: params.shard,
        rows: reply.rows,
        node: reply.node,
        artifact: reply.artifact,
      });
      return reply;
    },
    fitLocal: async () => Promise.reject(new Error('no local data here')),
    localProfile: async () => Promise.reject(new Error('no local data here')),
    evaluateLocal: async () => Promise.reject(new Error('no local data here')),
    openShard: () => {
      throw new Error('not used');
    },
    boostLink: () => {
      throw new Error('not used');
    },
    emit: (event) => void events.push(event),
  };
  const env: JobEnv = {
    nodeID: 'coordinator-1',
    cluster,
    blobs: {
      put: async (id, data) => (blobs.set(id, Buffer.from(data)), { id, size: data.length, sha256: sha256(data) }),
      read: async (id) => blobs.get(id)!,
      stream: async (id) => ReadableStream.from([blobs.get(id)!]) as Readable,
      has: async (id) => blobs.has(id),
      remove: async (prefix) => {
        for (const id of [...blobs.keys()]) if (id === prefix || id.startsWith(`${prefix}/`)) blobs.delete(id);
      },
    },
    datasets: { load: async () => dataset },
    settings: { fitAttempts: 2, trainerWaitMs: 100, fitTimeoutMs: 1000, requestTimeoutMs: 1000, fitTimeBudgetMs: 3_600_000 },
    changed: () => undefined,
    flush: async () => undefined,
    log: { info: () => undefined, warn: () => undefined },
    stopping: options.stopping ?? (() => false),
    sleep: async () => undefined,
  };
  return { env, events, discarded, fits, versions, blobs };
}

const reply = (p: FitParams): FitReply => ({
  node: p.shard % 2 ? 't2' : 't1',
  rows: 40,
  fitMs: 3,
  threads: 1,
  transferMBps: 0,
  artifact: { size: 4, sha256: 'x' },
  summary: {},
});

async function admitted(dataset: LoadedDataset, request: TrainRequest) {
  return admitJob(
    normaliseRequest(request),
    { load: async () => dataset },
    { fitMemoryBytes: 8 * 2 ** 30, maxMembers: 1000, fitTimeBudgetS: 3600, modelMemoryBytes: 2 ** 31 },
  );
}

describe('training modes against an in-memory cluster (issue 16)', () => {
  it('every mode the request schema names is a mode with the kinds it trains', () => {
    expect(modeNames().sort()).toEqual([...(TRAIN_PARAMS.mode as { values: string[] }).values].sort());
    const kinds = Object.fromEntries(modeOptions().map((m) => [m.name, m.kinds]));
    expect(kinds.average).toEqual(['mlp', 'linear']);
    expect(kinds['data-parallel']).toEqual(['forest', 'gbm']);
    expect(kinds.ensemble).toContain('gbm');
    expect(() => trainingMode('gossip')).toThrow(/unknown mode 'gossip'/);
  });

  it('an ensemble job: shards in the blob store, one fit per shard with the parsed params, completed, blobs removed', async () => {
    const dataset = await iris();
    const { env, events, fits, versions, blobs } = memoryEnv(dataset, async (p) => reply(p));
    const { job, checked } = await admitted(dataset, { dataset: 'iris', target: 'class', shards: 3, model: { kind: 'forest', params: { nEstimators: 7 } } });
    await executeJob(env, job, new AbortController().signal, checked);
    expect([job.status, job.error]).toEqual(['completed', undefined]);
    expect(job.members.map((m) => m.status)).toEqual(['done', 'done', 'done']);
    expect(fits.map((f) => f.shard).sort()).toEqual([0, 1, 2]);
    // Parsed once in normaliseRequest: the trainer gets the complete params, defaults filled.
    expect(fits[0].params).toMatchObject({ nEstimators: 7, bootstrap: true, maxBins: 255 });
    expect(fits[0].source.nodeID).toBe('coordinator-1');
    expect(versions.get(job.version!)!.mode).toBe('ensemble');
    expect(events.filter((e) => e === 'shard.trained')).toHaveLength(3);
    expect(events).toContain('job.completed');
    expect(job.message).toBe('active: first version');
    expect(blobs.size).toBe(0);
  });

  it('a fit that fails for good fails the job with the remote error code, and the version is discarded', async () => {
    const dataset = await iris();
    // As a Moleculer error arrives from another node: `type` is the code, `code` the HTTP status.
    const remote = Object.assign(new Error('forest parameter bad'), { type: 'BAD_MODEL_PARAMS', code: 400, retryable: false, data: { nodeID: 't2' } });
    const { env, events, discarded } = memoryEnv(dataset, async (p) => (p.shard === 1 ? Promise.reject(remote) : reply(p)));
    const { job, checked } = await admitted(dataset, { dataset: 'iris', target: 'class', shards: 2 });
    await executeJob(env, job, new AbortController().signal, checked);
    expect(job.status).toBe('failed');
    expect(job.members.find((m) => m.shard === 1)!.errors).toEqual([{ node: 't2', code: 'BAD_MODEL_PARAMS', message: 'forest parameter bad' }]);
    expect(discarded).toEqual([job.version]);
    expect(events).toContain('job.failed');
  });

  it('a job interrupted by the shutdown is left to resume, and resumes without refitting its stored members', async () => {
    const dataset = await iris();
    let stopping = false;
    let calls = 0;
    const { env, discarded, fits } = memoryEnv(
      dataset,
      async (p) => {
        calls++;
        if (calls === 2) {
          stopping = true;
          throw Object.assign(new Error('trainer t2 is shutting down'), { type: 'TRAINER_LEAVING', retryable: false });
        }
        return reply(p);
      },
      { stopping: () => stopping },
    );
    const { job, checked } = await admitted(dataset, { dataset: 'iris', target: 'class', shards: 2 });
    await executeJob(env, job, new AbortController().signal, checked);
    expect(job.status).not.toBe('failed');
    expect(job.error).toBeUndefined();
    expect(discarded).toEqual([]);
    // Restarted: the member already in the registry counts as trained, the other is fitted again.
    stopping = false;
    const before = fits.length;
    expect(await resumableState(env, job)).toBeUndefined();
    expect(job.members.map((m) => m.status).sort()).toEqual(['done', 'pending']);
    await executeJob(env, job, new AbortController().signal);
    expect(job.status).toBe('completed');
    expect(fits.length - before).toBe(1);
  });
});
