/**
 * `npm run bench:data-parallel`: one exact model over all shards (mode data-parallel) against the
 * one-node fit and today's per-shard ensemble, and what it costs. Cases (`--cases`, default all):
 *
 * - forest: Letter (first 16,000 rows train, last 4,000 test), default forest (100 trees), in one
 *   process: one shard, a 4-shard ensemble (a forest per shard, votes averaged), 4 shards
 *   data-parallel over the bytes port (every request and reply through the wire format).
 * - gbm: the same for gbm (100 rounds, depth 6) over HostPorts (the trainer's wire format).
 * - cluster: a real cluster (nats-server on loopback, a core node and trainer processes with
 *   TRAINER_WORKERS=1): the 1,000,000-row synthetic binary set of `gen:data` (written if absent),
 *   gbm 100 rounds depth 6 in data-parallel mode on one trainer, then on two (the speed-up), and 4
 *   shards on two (identity); the fit's time split into the sessions' compute on the critical path,
 *   communication and the driver; XGBoost `hist` with 2 threads on 800,000 rows beside it.
 *
 * Prints tables and writes bench/results/data-parallel.json. Exit code 1 when the artifacts of
 * different shard counts differ.
 *
 *   node dist/bench/data-parallel.js [--cases forest,gbm,cluster] [--trees 100] [--shards 4] [--rounds 100]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os, { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { defaultVoting, resolveVoting } from '../lib/ensemble';
import { forestKind } from '../lib/models/forest';
import type { ForestModel } from '../lib/models/forest';
import { accuracy } from '../lib/models/forest/oob';
import { encodeArtifact } from '../lib/core/container';
import type { TrainingSet } from '../lib/models/model';
import { gbmKind, type GbmModel } from '../lib/models/gbm';
import { fitGbmInProcess, fitInProcess, type DriverCost } from '../lib/jobs/data-parallel';
import { Cluster } from '../fixtures/cluster';
import { NATS_INSTALL, natsServerBinary } from '../fixtures/nats';
import { letterSplit, ROOT } from '../fixtures/datasets';
import { findSklearn, PYTHON, table } from './lib/report';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function rowsOf(data: TrainingSet, a: number, b: number): TrainingSet {
  const c = data.x.cols;
  return { ...data, x: { data: data.x.data.slice(a * c, b * c), rows: b - a, cols: c }, y: data.y.slice(a, b) };
}

const pct = (a: number): string => `${(100 * a).toFixed(2)} %`;
const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const v = await fn();
  return [v, (performance.now() - t) / 1000];
};
const results: Record<string, unknown> = { loadAtStart: loadavg() };
let allIdentical = true;

function costLine(c: DriverCost, units: number, unit: string, shards: number): string {
  const per = (c.bytesIn + c.bytesOut) / units;
  return (
    `${c.roundTrips} round trips (${(c.roundTrips / units).toFixed(2)} per ${unit}), ${(c.bytesIn / 1e6).toFixed(1)} MB in + ${(c.bytesOut / 1e6).toFixed(2)} MB out ` +
    `(${(per / 1e6).toFixed(3)} MB per ${unit}, ${(per / shards / 1e6).toFixed(3)} MB per ${unit} per shard); waiting for ports ${(c.portMs / 1000).toFixed(2)} s, ` +
    `of which the sessions' compute ${(c.sessionMs / 1000).toFixed(2)} s; driver ${(c.driverMs / 1000).toFixed(2)} s`
  );
}

async function forestCase(trees: number, shards: number): Promise<void> {
  const { train, test } = letterSplit();
  const p = forestKind.params({ nEstimators: trees });
  const K = train.nClasses;
  const n = train.x.rows;
  const [one, oneS] = await time(async () => (await forestKind.fit(train, p, { seed: 1 })) as ForestModel);
  const accOne = accuracy(one.predict(test.x), test.y, K);
  const [members, ensS] = await time(async () => {
    const out: ForestModel[] = [];
    for (let s = 0; s < shards; s++) {
      const part = rowsOf(train, Math.floor((s * n) / shards), Math.floor(((s + 1) * n) / shards));
      out.push((await forestKind.fit(part, p, { seed: 1 + s })) as ForestModel);
    }
    return out;
  });
  const rule = resolveVoting(defaultVoting('classification'), 'classification');
  const accEns = accuracy(
    rule.combine(
      members.map((m) => ({ output: m.predict(test.x), weight: 1 })),
      test.x.rows,
      K,
    ),
    test.y,
    K,
  );
  const [dp, dpS] = await time(() => fitInProcess(train, p, 1, shards, { bytes: true }));
  const accDp = accuracy(dp.model.predict(test.x), test.y, K);
  const [dp1, dp1S] = await time(() => fitInProcess(train, p, 1, 1));
  const identical = encodeArtifact(dp1.model.toArtifact()).equals(encodeArtifact(dp.model.toArtifact()));
  allIdentical &&= identical;
  const pts = (a: number): string => `${a >= accOne ? '+' : ''}${(100 * (a - accOne)).toFixed(2)}`;
  console.log(`\nforest: Letter, ${trees} trees, ${shards} shards (load average ${loadavg()[0].toFixed(2)} on ${cpus().length} cores)\n`);
  console.log(
    table([
      ['case', 'accuracy', 'vs one shard (points)', 'fit s'],
      ['one shard (one-node fit)', pct(accOne), '', oneS.toFixed(2)],
      [`${shards}-shard ensemble (existing path)`, pct(accEns), pts(accEns), ensS.toFixed(2)],
      [`${shards}-shard data-parallel (bytes port)`, pct(accDp), pts(accDp), dpS.toFixed(2)],
      ['1-shard data-parallel', pct(accuracy(dp1.model.predict(test.x), test.y, K)), '', dp1S.toFixed(2)],
    ]),
  );
  console.log(
    `\ndata-parallel cost (${shards} shards, ${dp.cost.treesPerBatch} trees per batch, ${dp.cost.levels} levels): ${costLine(dp.cost, trees, 'tree', shards)}`,
  );
  console.log(`1- and ${shards}-shard data-parallel artifacts byte-identical: ${identical}`);
  results.forest = {
    trees,
    shards,
    accuracy: { one: accOne, ensemble: accEns, dataParallel: accDp },
    fitS: { one: oneS, ensemble: ensS, dataParallel: dpS, dataParallel1: dp1S },
    cost: dp.cost,
    identical,
  };
}

async function gbmCase(rounds: number, shards: number): Promise<void> {
  const { train, test } = letterSplit();
  const p = gbmKind.params({ nEstimators: rounds });
  const K = train.nClasses;
  const n = train.x.rows;
  const [one, oneS] = await time(async () => (await gbmKind.fit(train, p, { seed: 1 })) as GbmModel);
  const accOne = accuracy(one.predict(test.x), test.y, K);
  const [members, ensS] = await time(async () => {
    const out: GbmModel[] = [];
    for (let s = 0; s < shards; s++)
      out.push((await gbmKind.fit(rowsOf(train, Math.floor((s * n) / shards), Math.floor(((s + 1) * n) / shards)), p, { seed: 1 + s })) as GbmModel);
    return out;
  });
  const rule = resolveVoting(defaultVoting('classification'), 'classification');
  const accEns = accuracy(
    rule.combine(
      members.map((m) => ({ output: m.predict(test.x), weight: 1 })),
      test.x.rows,
      K,
    ),
    test.y,
    K,
  );
  const [dp, dpS] = await time(() => fitGbmInProcess(train, p, 1, shards));
  const accDp = accuracy(dp.model.predict(test.x), test.y, K);
  const ref = encodeArtifact(dp.model.toArtifact());
  const others = await Promise.all([1, 2].map((k) => fitGbmInProcess(train, p, 1, k)));
  const identical = others.every((o) => encodeArtifact(o.model.toArtifact()).equals(ref));
  allIdentical &&= identical;
  const pts = (a: number): string => `${a >= accOne ? '+' : ''}${(100 * (a - accOne)).toFixed(2)}`;
  console.log(`\ngbm: Letter, ${rounds} rounds (26 trees each), depth 6, ${shards} shards\n`);
  console.log(
    table([
      ['case', 'accuracy', 'vs one node (points)', 'fit s'],
      ['one node (gbm fit)', pct(accOne), '', oneS.toFixed(2)],
      [`${shards}-shard ensemble (a gbm per shard)`, pct(accEns), pts(accEns), ensS.toFixed(2)],
      [`${shards}-shard data-parallel (host ports)`, pct(accDp), pts(accDp), dpS.toFixed(2)],
    ]),
  );
  console.log(`\ndata-parallel cost (${shards} shards, ${dp.cost.levels} levels): ${costLine(dp.cost, rounds, 'round', shards)}`);
  console.log(`1-, 2- and ${shards}-shard data-parallel artifacts byte-identical: ${identical}`);
  results.gbm = {
    rounds,
    shards,
    accuracy: { one: accOne, ensemble: accEns, dataParallel: accDp },
    fitS: { one: oneS, ensemble: ensS, dataParallel: dpS },
    cost: dp.cost,
    identical,
  };
}

const SYNTH = path.join(ROOT, 'var', 'data', 'synthetic-1000000x20-s1.csv');

interface Job {
  id: string;
  status: string;
  version: string;
  error?: unknown;
  metrics: { accuracy: number; auc?: number };
  members: Array<{ fitMs: number; summary: { dataParallel: Record<string, number> } }>;
}

async function clusterCase(rounds: number): Promise<void> {
  if (!natsServerBinary()) {
    console.log(`\ncluster: skipped: nats-server not found (${NATS_INSTALL})`);
    return;
  }
  if (!existsSync(SYNTH)) {
    console.log('cluster: writing the 1,000,000-row set with gen:data');
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'dist', 'bin', 'gen-data.js'), '--rows', '1e6', '--features', '20', '--classes', '2', '--seed', '1', '--out', SYNTH],
      { stdio: 'inherit' },
    );
  }
  const cluster = await new Cluster().start();
  const base = cluster.base;
  // The defaults of a node, not the shorter ones of the integration tests.
  const node = (name: string, services: string, env: Record<string, string> = {}) =>
    cluster.node(name, services, { HEARTBEAT_INTERVAL: '2', HEARTBEAT_TIMEOUT: '8', REQUEST_TIMEOUT_MS: '30000', ...env });
  const api = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const out = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(out)}`);
    return out;
  };
  const trainers = async (n: number): Promise<void> => {
    for (let i = 0; i < 600; i++) {
      const c = await api<{ trainers: unknown[] }>('GET', '/cluster');
      if (c.trainers.length >= n) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${n} trainers did not join in 60 s`);
  };
  const runJob = async (shards: number): Promise<{ job: Job; sha: string; wallS: number }> => {
    const t = performance.now();
    const started = await api<{ id: string }>('POST', '/trainings', {
      dataset: 'synth',
      target: 'target',
      mode: 'data-parallel',
      shards,
      seed: 1,
      model: { kind: 'gbm', params: { nEstimators: rounds } },
    });
    for (;;) {
      const job = await api<Job>('GET', `/trainings/${started.id}`);
      if (['completed', 'failed', 'cancelled'].includes(job.status)) {
        if (job.status !== 'completed') throw new Error(`job ${job.id} ${job.status}: ${JSON.stringify(job.error)}`);
        const v = await api<{ members: Array<{ artifact: { sha256: string } }> }>('GET', `/models/${job.version}`);
        return { job, sha: v.members[0].artifact.sha256, wallS: (performance.now() - t) / 1000 };
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  try {
    await node('core', 'api,coordinator,registry,inference', { DATA_DIR: path.dirname(SYNTH) });
    await node('trainer-a', 'trainer');
    await trainers(1);
    const [, ingestS] = await time(() => api('POST', '/datasets/ingest', { path: path.basename(SYNTH), name: 'synth' }));
    console.log(`\ncluster: ingested ${path.basename(SYNTH)} in ${ingestS.toFixed(1)} s; training on one trainer`);
    const one = await runJob(1);
    await node('trainer-b', 'trainer');
    await trainers(2);
    console.log('cluster: training on two trainers');
    const two = await runJob(2);
    const four = await runJob(4);
    const identical = one.sha === two.sha && two.sha === four.sha;
    allIdentical &&= identical;
    const split = { train: Array.from({ length: 800_000 }, (_, i) => i), test: Array.from({ length: 200_000 }, (_, i) => 800_000 + i) };
    const splitFile = path.join(os.tmpdir(), `quorum-dp-split-${process.pid}.json`);
    writeFileSync(splitFile, JSON.stringify(split));
    const py = path.join(ROOT, 'bench', 'python', 'gbm.py');
    let xgb: { fitS: number; accuracy: number; auc: number } | null = null;
    if (findSklearn(py)) {
      const args = [
        py,
        '--lib',
        'xgboost',
        '--data',
        SYNTH,
        '--target',
        'target',
        '--task',
        'binary',
        '--split',
        splitFile,
        '--threads',
        '2',
        '--seed',
        '1',
        '--rounds',
        String(rounds),
        '--depth',
        '6',
        '--rate',
        '0.1',
      ];
      xgb = JSON.parse(execFileSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, OMP_NUM_THREADS: '2' } }));
    }
    rmSync(splitFile, { force: true });
    const row = (name: string, r: { job: Job; wallS: number }): string[] => {
      const m = r.job.members[0];
      const d = m.summary.dataParallel;
      const comm = Math.max(0, d.portMs - d.sessionMs);
      return [
        name,
        (m.fitMs / 1000).toFixed(2),
        (d.sessionMs / 1000).toFixed(2),
        `${(comm / 1000).toFixed(2)} (${((100 * comm) / m.fitMs).toFixed(1)} %)`,
        (d.driverMs / 1000).toFixed(2),
        String(d.roundTrips),
        ((d.bytesIn + d.bytesOut) / 1e6).toFixed(1),
        pct(r.job.metrics.accuracy),
        r.wallS.toFixed(1),
      ];
    };
    console.log(
      `\ncluster: synthetic 1,000,000 × 20 binary, gbm ${rounds} rounds depth 6, mode data-parallel, NATS on loopback, TRAINER_WORKERS=1 (load average ${loadavg()[0].toFixed(2)})\n`,
    );
    console.log(
      table([
        ['case', 'fit s', 'sessions s', 'communication s', 'driver s', 'round trips', 'MB moved', 'accuracy', 'job wall s'],
        row('1 shard, 1 trainer', one),
        row('2 shards, 2 trainers', two),
        row('4 shards, 2 trainers', four),
        ...(xgb ? [['XGBoost hist, 2 threads (800,000 rows)', xgb.fitS.toFixed(2), '', '', '', '', '', pct(xgb.accuracy), '']] : []),
      ]),
    );
    const speedup = one.job.members[0].fitMs / two.job.members[0].fitMs;
    console.log(`\nspeed-up of the fit, 2 trainers vs 1: ${speedup.toFixed(2)}× (target ≥ 1.6×); artifacts of 1, 2 and 4 shards byte-identical: ${identical}`);
    if (xgb) console.log(`Quorum on 2 trainers / XGBoost 2 threads: ${(two.job.members[0].fitMs / 1000 / xgb.fitS).toFixed(2)}×`);
    results.cluster = {
      rounds,
      ingestS,
      one: one.job.members[0],
      two: two.job.members[0],
      four: four.job.members[0],
      accuracy: one.job.metrics.accuracy,
      speedup,
      identical,
      xgboost: xgb,
    };
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const cases = arg('cases', 'forest,gbm,cluster').split(',');
  const shards = Number(arg('shards', '4'));
  for (const c of cases) if (!['forest', 'gbm', 'cluster'].includes(c)) throw new Error(`unknown case '${c}': use forest, gbm, cluster`);
  if (cases.includes('forest')) await forestCase(Number(arg('trees', '100')), shards);
  if (cases.includes('gbm')) await gbmCase(Number(arg('rounds', '100')), shards);
  if (cases.includes('cluster')) await clusterCase(Number(arg('rounds', '100')));
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'data-parallel.json');
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\nwrote ${path.relative(ROOT, file)}`);
  if (!allIdentical) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
