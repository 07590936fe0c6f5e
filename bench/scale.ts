/**
 * `npm run bench:scale`: one exact gbm model, faster with every core and every trainer? A real
 * cluster (nats-server on loopback, a core node, trainer processes) on the 1,000,000 × 20 binary
 * set of `gen:data` (written if absent) and on Letter (26 classes: 26 trees a round), gbm 100
 * rounds, depth 6, rate 0.1, side by side in one run with XGBoost `hist` on 1 and 2 threads:
 *
 * - one-node: mode `ensemble`, 1 shard, on a trainer with TRAINER_WORKERS=1, then =2 (one fit on a
 *   team of two threads, core/team.ts);
 * - data-parallel: 1 shard on 1 trainer, 2 shards on 2 trainers, 4 shards on 2 trainers, and 4
 *   shards on 4 trainer processes (more processes than cores: the shape of scaling out, not a
 *   speed-up this machine can show), every trainer TRAINER_WORKERS=1.
 *
 * Per row: fit and job wall time (medians of `--reps`), round trips, bytes per shard per round
 * (driver ↔ trainers and trainer ↔ trainer), the share of the fit spent communicating, accuracy on
 * the job's validation rows, and the artifact's SHA-256 (rows that train the same model must show
 * one). The machine's two-core capacity C (bench/lib/capacity.ts) is measured in the same run and
 * the speed-up targets are printed as shares of it. Writes bench/results/scale.json.
 *
 *   node dist/bench/scale.js [--reps 3] [--cases synth,letter] [--rounds 100] [--only one1,dp1,...]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os, { loadavg } from 'node:os';
import path from 'node:path';
import { Cluster } from '../fixtures/cluster';
import { NATS_INSTALL, natsServerBinary } from '../fixtures/nats';
import { ROOT, sharedFile } from '../fixtures/datasets';
import { measureCapacity, type Capacity } from './lib/capacity';
import { findSklearn, median, PYTHON, table, writeResults } from './lib/report';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** `--only dp1,dp2`: just these rows (keys of ROWS), without XGBoost — for looking into one case. */
const ONLY = arg('only', '').split(',').filter(Boolean);
const SYNTH = path.join(ROOT, 'var', 'data', 'synthetic-1000000x20-s1.csv');
const PY = path.join(ROOT, 'bench', 'python', 'gbm.py');

interface DataCase {
  name: string;
  title: string;
  file: string;
  target: string;
  task: 'binary' | 'multiclass';
  rows: number;
}

interface Job {
  id: string;
  status: string;
  version: string;
  error?: unknown;
  metrics: { accuracy: number };
  members: Array<{ fitMs: number; threads?: number; summary: { dataParallel?: Record<string, number> } }>;
}

interface Run {
  fitS: number;
  wallS: number;
  accuracy: number;
  sha: string;
  threads?: number;
  roundTrips?: number;
  /** Bytes per shard per round: driver ↔ trainers, trainer ↔ trainer. */
  driverBytes?: number;
  peerBytes?: number;
  commShare?: number;
  /** The member's whole cost summary (summary.dataParallel: round trips, bytes, times). */
  dataParallel?: Record<string, number>;
}

/** A configuration of the cluster's trainers, and the job to run on it. */
interface Row {
  key: string;
  label: string;
  trainers: Array<{ name: string; workers: number }>;
  mode: 'ensemble' | 'data-parallel';
  shards: number;
}

const ROWS: Row[] = [
  { key: 'one1', label: 'one-node, 1 thread', trainers: [{ name: 'ta', workers: 1 }], mode: 'ensemble', shards: 1 },
  { key: 'one2', label: 'one-node, 2 threads', trainers: [{ name: 'tw', workers: 2 }], mode: 'ensemble', shards: 1 },
  { key: 'dp1', label: 'data-parallel, 1 shard, 1 trainer', trainers: [{ name: 'ta', workers: 1 }], mode: 'data-parallel', shards: 1 },
  {
    key: 'dp2',
    label: 'data-parallel, 2 shards, 2 trainers',
    trainers: [
      { name: 'ta', workers: 1 },
      { name: 'tb', workers: 1 },
    ],
    mode: 'data-parallel',
    shards: 2,
  },
  {
    key: 'dp4on2',
    label: 'data-parallel, 4 shards, 2 trainers',
    trainers: [
      { name: 'ta', workers: 1 },
      { name: 'tb', workers: 1 },
    ],
    mode: 'data-parallel',
    shards: 4,
  },
  {
    key: 'dp4on4',
    label: 'data-parallel, 4 shards, 4 trainer processes',
    trainers: ['ta', 'tb', 'tc', 'td'].map((name) => ({ name, workers: 1 })),
    mode: 'data-parallel',
    shards: 4,
  },
];

async function clusterRuns(c: DataCase, rounds: number, reps: number): Promise<Record<string, Run[]>> {
  const cluster = await new Cluster().start();
  const env = { HEARTBEAT_INTERVAL: '2', HEARTBEAT_TIMEOUT: '8', REQUEST_TIMEOUT_MS: '30000' };
  const running = new Map<string, number>();
  const api = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const res = await cluster.api<T>(method, route, body);
    if (res.status >= 400) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  /** Exactly these trainers (name → TRAINER_WORKERS) online. */
  const trainers = async (want: Row['trainers']): Promise<void> => {
    for (const [name, workers] of running) {
      if (!want.some((t) => t.name === name && t.workers === workers)) {
        await cluster.kill(name, 'SIGTERM');
        running.delete(name);
      }
    }
    for (const t of want) {
      if (running.has(t.name)) continue;
      await cluster.node(t.name, 'trainer', { ...env, TRAINER_WORKERS: String(t.workers) });
      running.set(t.name, t.workers);
    }
    for (let i = 0; i < 600; i++) {
      const view = await api<{ trainers: Array<{ nodeID: string }> }>('GET', '/cluster');
      const ids = view.trainers.map((t) => t.nodeID).sort();
      if (
        ids.join() ===
        want
          .map((t) => t.name)
          .sort()
          .join()
      )
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`trainers ${want.map((t) => t.name).join(', ')} did not come online alone in 60 s`);
  };
  const out: Record<string, Run[]> = Object.fromEntries(ROWS.map((r) => [r.key, []]));
  try {
    await cluster.node('core', 'api,coordinator,registry,inference', { ...env, DATA_DIR: path.dirname(c.file) });
    await trainers(ROWS[0].trainers);
    await api('POST', '/datasets/ingest', { path: path.basename(c.file), name: c.name });
    for (let rep = 0; rep < reps; rep++) {
      for (const row of ROWS.filter((r) => ONLY.length === 0 || ONLY.includes(r.key))) {
        await trainers(row.trainers);
        const t = performance.now();
        const started = await api<{ id: string }>('POST', '/trainings', {
          dataset: c.name,
          target: c.target,
          mode: row.mode,
          shards: row.shards,
          seed: 1,
          model: { kind: 'gbm', params: { nEstimators: rounds, maxDepth: 6, learningRate: 0.1 } },
        });
        const done = (await cluster.finished(started.id, 1_800_000)) as Job;
        if (done.status !== 'completed') throw new Error(`${row.label}: job ${done.id} ${done.status}: ${JSON.stringify(done.error)}`);
        const wallS = (performance.now() - t) / 1000;
        const version = await api<{ members: Array<{ artifact: { sha256: string }; summary: { dataParallel?: Record<string, number> } }> }>(
          'GET',
          `/models/${done.version}`,
        );
        const m = done.members[0];
        const d = version.members[0].summary.dataParallel;
        const run: Run = { fitS: m.fitMs / 1000, wallS, accuracy: done.metrics.accuracy, sha: version.members[0].artifact.sha256, threads: m.threads };
        if (d) {
          const perShardRound = (bytes: number): number => bytes / row.shards / rounds;
          run.roundTrips = d.roundTrips;
          run.driverBytes = perShardRound(d.bytesIn + d.bytesOut);
          run.peerBytes = perShardRound(d.peerBytes ?? 0);
          run.commShare = d.commMs / m.fitMs;
          run.dataParallel = d;
        }
        out[row.key].push(run);
        console.log(`${c.name} rep ${rep + 1}/${reps}: ${row.label}: fit ${run.fitS.toFixed(2)} s, job ${wallS.toFixed(1)} s`);
      }
    }
  } finally {
    await cluster.stop();
  }
  return out;
}

/** XGBoost `hist` on the first 80 % / last 20 % of the rows, `threads` threads: fit seconds and accuracy. */
function xgboost(c: DataCase, rounds: number, threads: number): { fitS: number; accuracy: number } | null {
  if (!findSklearn(PY)) return null;
  const cut = Math.floor(c.rows * 0.8);
  const split = { train: Array.from({ length: cut }, (_, i) => i), test: Array.from({ length: c.rows - cut }, (_, i) => cut + i) };
  const splitFile = path.join(os.tmpdir(), `quorum-scale-split-${process.pid}.json`);
  writeFileSync(splitFile, JSON.stringify(split));
  try {
    const args = [PY, '--lib', 'xgboost', '--data', c.file, '--target', c.target, '--task', c.task, '--split', splitFile];
    args.push('--threads', String(threads), '--seed', '1', '--rounds', String(rounds), '--depth', '6', '--rate', '0.1');
    const r = JSON.parse(execFileSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, OMP_NUM_THREADS: String(threads) } }));
    return { fitS: r.fitS, accuracy: r.accuracy };
  } finally {
    rmSync(splitFile, { force: true });
  }
}

const f2 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(2));
const kb = (x: number | undefined): string => (x === undefined ? '' : (x / 1024).toFixed(0));

async function main(): Promise<void> {
  const reps = Number(arg('reps', '3'));
  const rounds = Number(arg('rounds', '100'));
  const cases = arg('cases', 'synth,letter').split(',');
  if (!natsServerBinary()) {
    console.log(`bench:scale needs nats-server: ${NATS_INSTALL}`);
    process.exitCode = 1;
    return;
  }
  if (cases.includes('synth') && !existsSync(SYNTH)) {
    console.log('writing the 1,000,000-row set with gen:data');
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'dist', 'bin', 'gen-data.js'), '--rows', '1e6', '--features', '20', '--classes', '2', '--seed', '1', '--out', SYNTH],
      { stdio: 'inherit' },
    );
  }
  const letterFile = sharedFile('letter-recognition.csv') ?? path.join(ROOT, 'data', 'letter-recognition.csv');
  const all: DataCase[] = [
    { name: 'synth', title: 'synthetic 1,000,000 × 20, binary', file: SYNTH, target: 'target', task: 'binary', rows: 1_000_000 },
    { name: 'letter', title: 'Letter 20,000 × 16, 26 classes', file: letterFile, target: 'lettr', task: 'multiclass', rows: 20_000 },
  ];
  const results: Record<string, unknown> = { rounds, reps, loadAtStart: loadavg(), node: process.version };
  const capBefore: Capacity = await measureCapacity();
  console.log(
    `two-core capacity C before: ${capBefore.capacity.toFixed(2)} (1 process ${capBefore.aloneS.toFixed(2)} s, 2 at once ${capBefore.togetherS.toFixed(2)} s)`,
  );
  const summaries: string[] = [];
  for (const c of all.filter((x) => cases.includes(x.name))) {
    if (!existsSync(c.file)) {
      console.log(`${c.name}: skipped: ${c.file} not found`);
      continue;
    }
    const xgb1 = ONLY.length ? null : xgboost(c, rounds, 1);
    const xgb2 = ONLY.length ? null : xgboost(c, rounds, 2);
    const runs = await clusterRuns(c, rounds, reps);
    const med = (key: string, f: (r: Run) => number | undefined): number | undefined => {
      const v = runs[key].map(f).filter((x): x is number => x !== undefined);
      return v.length ? median(v) : undefined;
    };
    const lines = [['case', 'fit s', 'job s', 'round trips', 'KB/shard/round driver', 'KB/shard/round peers', 'comm. share', 'accuracy', 'artifact']];
    if (xgb1) lines.push(['XGBoost hist, 1 thread (80/20 split)', f2(xgb1.fitS), '', '', '', '', '', `${(100 * xgb1.accuracy).toFixed(2)} %`, '']);
    if (xgb2) lines.push(['XGBoost hist, 2 threads', f2(xgb2.fitS), '', '', '', '', '', `${(100 * xgb2.accuracy).toFixed(2)} %`, '']);
    for (const row of ROWS) {
      const share = med(row.key, (r) => r.commShare);
      lines.push([
        row.label,
        f2(med(row.key, (r) => r.fitS)),
        f2(med(row.key, (r) => r.wallS)),
        row.mode === 'data-parallel' ? String(med(row.key, (r) => r.roundTrips) ?? '') : '',
        kb(med(row.key, (r) => r.driverBytes)),
        kb(med(row.key, (r) => r.peerBytes)),
        share === undefined ? '' : `${(100 * share).toFixed(1)} %`,
        `${(100 * (med(row.key, (r) => r.accuracy) ?? NaN)).toFixed(2)} %`,
        runs[row.key][0]?.sha.slice(0, 12) ?? '',
      ]);
    }
    const fit = (key: string): number => med(key, (r) => r.fitS) ?? NaN;
    const job = (key: string): number => med(key, (r) => r.wallS) ?? NaN;
    // Rows left out (--only) do not count; one row alone is trivially the same as itself.
    const same = (keys: string[]): boolean => new Set(keys.flatMap((k) => runs[k].map((r) => r.sha))).size <= 1;
    const dpRows = ['dp1', 'dp2', 'dp4on2', 'dp4on4'];
    const checks = {
      threadsSpeedup: fit('one1') / fit('one2'),
      vsXgboost2: xgb2 ? fit('one2') / xgb2.fitS : null,
      dp1VsOneNodeJob: job('dp1') / job('one1'),
      dp2SpeedupJob: job('one1') / job('dp2'),
      dp4on2VsDp2: fit('dp4on2') / fit('dp2'),
      commShareDp2: med('dp2', (r) => r.commShare),
      bytesPerShardRoundDp2: (med('dp2', (r) => r.driverBytes) ?? 0) + (med('dp2', (r) => r.peerBytes) ?? 0),
      oneNodeIdentical: same(['one1', 'one2']),
      dataParallelIdentical: same(dpRows),
    };
    console.log(`\n${c.title}, gbm ${rounds} rounds depth 6 rate 0.1, medians of ${reps} (load average ${loadavg()[0].toFixed(2)})\n`);
    console.log(table(lines));
    summaries.push(
      [
        `${c.name}: one-node 2 threads ${checks.threadsSpeedup.toFixed(2)}× faster than 1 (target ≥ 0.85·C)` +
          (checks.vsXgboost2 !== null ? `, ${checks.vsXgboost2.toFixed(2)}× XGBoost's 2-thread fit (target ≤ 1.0×)` : ''),
        `${c.name}: data-parallel 1 shard job ${checks.dp1VsOneNodeJob.toFixed(2)}× the one-node job (target ≤ 1.15×); 2 trainers ${checks.dp2SpeedupJob.toFixed(2)}× faster than one-node on one (target ≥ 0.8·C)`,
        `${c.name}: 4 shards on 2 trainers ${checks.dp4on2VsDp2.toFixed(2)}× the fit of 2 on 2 (target ≤ 1.10×); communication ${(100 * (checks.commShareDp2 ?? NaN)).toFixed(1)} % of the fit (target ≤ 15 %); ${(checks.bytesPerShardRoundDp2 / 1024).toFixed(0)} KB per shard per round (2.1 MB before)`,
        `${c.name}: artifacts identical — one-node 1/2 threads: ${checks.oneNodeIdentical}; data-parallel, every row: ${checks.dataParallelIdentical}`,
      ].join('\n'),
    );
    results[c.name] = { xgboost: { threads1: xgb1, threads2: xgb2 }, runs, checks };
    if (!checks.oneNodeIdentical || !checks.dataParallelIdentical) process.exitCode = 1;
  }
  const capAfter = await measureCapacity();
  results.capacity = { before: capBefore, after: capAfter };
  const C = Math.min(capBefore.capacity, capAfter.capacity);
  console.log(
    `\ntwo-core capacity C: ${capBefore.capacity.toFixed(2)} before, ${capAfter.capacity.toFixed(2)} after (targets below use C = ${C.toFixed(2)}: 0.85·C = ${(0.85 * C).toFixed(2)}, 0.8·C = ${(0.8 * C).toFixed(2)})`,
  );
  console.log(summaries.join('\n'));
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeResults(path.join(dir, 'scale.json'), results, ROOT);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
