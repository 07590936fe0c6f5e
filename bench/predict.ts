/**
 * `npm run bench:predict`: prediction latency and throughput of a real cluster — a `nats-server`, a
 * core node (gateway, coordinator, registry, inference) and two trainer processes — serving an
 * ensemble of 4 forests (25 trees each) trained on Letter, under HTTP load from autocannon on
 * loopback. For `local` and `broadcast` voting:
 *
 * - single-row latency p50 / p99 at 100, 500 and 2,000 requests/s, and the highest rate (of a
 *   ramp) still served in full with p99 under 20 ms;
 * - batch throughput for 10,000-row batches: JSON rows in and out, and a CSV in and out;
 * - where a single-row request spends its time (the gateway's floor, the compute parts measured
 *   in this process on the same version);
 * - the reference: scikit-learn soft-voting four 25-tree forests in-process (no HTTP).
 *
 * Each repetition measures both modes back to back; cells are medians over the repetitions.
 *
 *   node dist/bench/predict.js [--reps 3] [--seconds 5] [--modes local,broadcast]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { loadEnsemble } from '../lib/inference/ensemble';
import { PredictPool } from '../lib/inference/predict-pool';
import { predictionJson } from '../lib/inference/result';
import { decodeExport } from '../lib/registry/portable';
import { Cluster } from '../fixtures/cluster';
import { NATS_INSTALL, natsServerBinary } from '../fixtures/nats';
import { ROOT } from '../fixtures/datasets';
import { loadAtRate, request, sequential, type RateResult } from './lib/load';
import { findSklearn, median, PYTHON, table } from './lib/report';

const RESULTS = path.join(ROOT, 'bench', 'results');
const PY_SCRIPT = path.join(ROOT, 'bench', 'python', 'predict.py');
const FIXED_RATES = [100, 500, 2000];
const RAMP = [100, 500, 1000, 2000, 3000, 4000, 6000, 8000, 12000];
const P99_LIMIT_MS = 20;
/** Prediction threads of the in-process comparison (the core node uses INFERENCE_WORKERS, by default the cores, at most 4). */
const THREADS = Math.min(4, availableParallelism());

type Mode = 'local' | 'broadcast';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');

async function json(url: string, init?: RequestInit): Promise<any> {
  const res = await fetch(url, init);
  const body = await res.json();
  if (res.status >= 400) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Median of `fn`'s time in ms over `n` calls (after a warm-up). */
function timeIt(n: number, fn: () => unknown): number {
  for (let i = 0; i < Math.min(n, 500); i++) fn();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

interface ModeRun {
  rates: RateResult[];
  maxRate: number;
  batchJsonRowsPerS: number;
  batchCsvRowsPerS: number;
}

async function measureMode(base: string, mode: Mode, one: string, batch: string, csv: string, seconds: number): Promise<ModeRun> {
  const body = JSON.stringify({ ...JSON.parse(one), mode });
  await sequential(`${base}/api/predict`, body, 300);
  const rates: RateResult[] = [];
  let maxRate = 0;
  for (const rate of RAMP) {
    const r = await loadAtRate(`${base}/api/predict`, body, rate, seconds);
    rates.push(r);
    const held = r.errors === 0 && r.achievedRate >= 0.95 * rate && r.p99 < P99_LIMIT_MS;
    if (held) maxRate = rate;
    console.log(
      `  ${mode} ${String(rate).padStart(5)} req/s: served ${r.achievedRate.toFixed(0)}/s, p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, errors ${r.errors}${held ? '' : '  (not held)'}`,
    );
    if (!held && rate >= Math.max(...FIXED_RATES)) break;
  }
  const batchBody = JSON.stringify({ ...JSON.parse(batch), mode });
  await sequential(`${base}/api/predict`, batchBody, 2);
  const batchMs = median(await sequential(`${base}/api/predict`, batchBody, 10));
  const csvUrl = `${base}/api/predict/csv?mode=${mode}`;
  await sequential(csvUrl, csv, 1, 'text/csv');
  const csvMs = median(await sequential(csvUrl, csv, 5, 'text/csv'));
  console.log(`  ${mode} batch of 10,000: JSON ${batchMs.toFixed(0)} ms, CSV ${csvMs.toFixed(0)} ms`);
  return { rates, maxRate, batchJsonRowsPerS: 10000 / (batchMs / 1000), batchCsvRowsPerS: 10000 / (csvMs / 1000) };
}

async function main(): Promise<void> {
  const reps = Number(arg('reps', '3'));
  const seconds = Number(arg('seconds', '5'));
  const modes = arg('modes', 'local,broadcast').split(',') as Mode[];
  if (!natsServerBinary()) {
    console.log(`nats-server not found: install it with ${NATS_INSTALL}. The benchmark needs a real cluster.`);
    process.exit(1);
  }
  const dataFile = path.join(ROOT, 'data', 'letter-recognition.csv');
  const lines = readFileSync(dataFile, 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',');
  const rowOf = (line: string) =>
    Object.fromEntries(
      line
        .split(',')
        .map((v, i) => [header[i], Number(v)] as const)
        .filter(([h]) => h !== 'lettr'),
    );
  const test = lines.slice(16001);
  const one = JSON.stringify({ rows: [rowOf(test[0])] });
  const batchRows = Array.from({ length: 10000 }, (_, i) => rowOf(test[i % test.length]));
  const batch = JSON.stringify({ rows: batchRows });
  const csv =
    [header.filter((h) => h !== 'lettr').join(','), ...Array.from({ length: 10000 }, (_, i) => test[i % test.length].split(',').slice(1).join(','))].join(
      '\n',
    ) + '\n';

  const cluster = new Cluster();
  const stop = () => cluster.stop().catch(() => undefined);
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    await cluster.start();
    const base = cluster.base.replace(/\/api$/, '');
    // The defaults of a node, not the shorter ones of the integration tests.
    const defaults = { HEARTBEAT_INTERVAL: '2', HEARTBEAT_TIMEOUT: '8', REQUEST_TIMEOUT_MS: '30000' };
    await Promise.all([
      cluster.node('core', 'api,coordinator,registry,inference', defaults),
      cluster.node('trainer-1', 'trainer', defaults),
      cluster.node('trainer-2', 'trainer', defaults),
    ]);
    await cluster.trainers(2);
    const dataset = await json(`${base}/api/datasets/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'letter-recognition.csv' }),
    });
    const started = await json(`${base}/api/trainings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: dataset.id, target: 'lettr', shards: 4, seed: 1, model: { kind: 'forest', params: { nEstimators: 25 } } }),
    });
    let job: any;
    for (;;) {
      job = await json(`${base}/api/trainings/${started.id}`);
      if (['completed', 'failed', 'cancelled'].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (job.status !== 'completed') throw new Error(`training ${job.status}: ${JSON.stringify(job.error)}`);
    console.log(
      `version ${job.version}: 4 forests × 25 trees on ${job.members.map((m: any) => m.node).join(', ')}; validation accuracy ${job.metrics.accuracy.toFixed(4)}`,
    );

    // Where a single-row request spends its time.
    const health = median(
      await (async () => {
        const times: number[] = [];
        for (let i = 0; i < 2000; i++) {
          const t = process.hrtime.bigint();
          await request(`${base}/api/health`);
          times.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
        return times;
      })(),
    );
    const single: Record<Mode, number> = { local: NaN, broadcast: NaN };
    for (const mode of modes) {
      const body = JSON.stringify({ ...JSON.parse(one), mode });
      await sequential(`${base}/api/predict`, body, 300);
      single[mode] = median(await sequential(`${base}/api/predict`, body, 2000));
    }
    const exported = decodeExport(Buffer.from(await (await fetch(`${base}/api/models/${job.version}/export`)).arrayBuffer()));
    const ensemble = await loadEnsemble(exported.meta, async (id) => exported.members.get(id)!, { keepArtifacts: true });
    const params = JSON.parse(one);
    const parseMs = timeIt(5000, () => JSON.parse(one));
    const encodeMs = timeIt(5000, () => ensemble.encodeRows(params.rows));
    const x = ensemble.encodeRows(params.rows).x;
    const treesMs = timeIt(5000, () => ensemble.votes(x));
    const votes = ensemble.votes(x);
    const combined = ensemble.combine(votes, 1, 'soft');
    const answerMs = timeIt(5000, () =>
      predictionJson({ view: ensemble, voting: 'soft', mode: 'local', rows: 1, combined, votes, missing: [], warnings: [], withMembers: false }),
    );
    // The same parts for a batch of 10,000 rows (on this process's event loop, no threads).
    const batchParams = JSON.parse(batch);
    const batchParseMs = timeIt(5, () => JSON.parse(batch));
    const batchEncodeMs = timeIt(5, () => ensemble.encodeRows(batchParams.rows));
    const bx = ensemble.encodeRows(batchParams.rows).x;
    const batchTreesMs = timeIt(5, () => ensemble.votes(bx));
    const bvotes = ensemble.votes(bx);
    const bcombined = ensemble.combine(bvotes, bx.rows, 'soft');
    const batchAnswerMs = timeIt(5, () =>
      predictionJson({
        view: ensemble,
        voting: 'soft',
        mode: 'local',
        rows: bx.rows,
        combined: bcombined,
        votes: bvotes,
        missing: [],
        warnings: [],
        withMembers: false,
      }),
    );
    // The trees on prediction threads (as the inference node runs large batches), alternating with
    // the single-thread measurement so both see the same machine.
    const pool = new PredictPool(THREADS);
    await pool.votes(ensemble, bx, 'voters');
    const inline: number[] = [];
    const threaded: number[] = [];
    for (let i = 0; i < 7; i++) {
      let t = process.hrtime.bigint();
      ensemble.votes(bx);
      inline.push(Number(process.hrtime.bigint() - t) / 1e6);
      t = process.hrtime.bigint();
      await pool.votes(ensemble, bx, 'voters');
      threaded.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    await pool.close();
    const batchTreesThreadsMs = median(threaded);
    const batchTreesInlineMs = median(inline);
    ensemble.dispose();

    const runs: Record<Mode, ModeRun[]> = { local: [], broadcast: [] };
    for (let rep = 0; rep < reps; rep++) {
      console.log(
        `repetition ${rep + 1} of ${reps} (load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')})`,
      );
      for (const mode of modes) runs[mode].push(await measureMode(base, mode, one, batch, csv, seconds));
    }

    let reference: Record<string, number> | null = null;
    const versions = findSklearn(PY_SCRIPT);
    if (versions)
      reference = JSON.parse(execFileSync(PYTHON, [PY_SCRIPT, '--data', dataFile], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } }));

    const cell = (mode: Mode, rate: number, q: 'p50' | 'p99') => median(runs[mode].map((r) => r.rates.find((x) => x.targetRate === rate)?.[q] ?? NaN));
    const rows: string[][] = [
      [
        'voting',
        ...FIXED_RATES.map((r) => `${r.toLocaleString('en-US')} req/s p50 / p99 (ms)`),
        `highest rate, p99 < ${P99_LIMIT_MS} ms`,
        'batch 10,000 JSON (rows/s)',
        'batch 10,000 CSV (rows/s)',
      ],
    ];
    for (const mode of modes) {
      rows.push([
        `Quorum ${mode}`,
        ...FIXED_RATES.map((r) => `${ms(cell(mode, r, 'p50'))} / ${ms(cell(mode, r, 'p99'))}`),
        `${int(median(runs[mode].map((r) => r.maxRate)))} req/s`,
        int(median(runs[mode].map((r) => r.batchJsonRowsPerS))),
        int(median(runs[mode].map((r) => r.batchCsvRowsPerS))),
      ]);
    }
    if (reference) {
      rows.push([
        `scikit-learn ${versions!.sklearn}, in-process, no HTTP`,
        `${ms(reference.singleP50Ms)} / ${ms(reference.singleP99Ms)} (one call at a time)`,
        '',
        '',
        '',
        int(reference.batchRowsPerS),
        '',
      ]);
    }
    const breakdown: string[][] = [
      ['single row', 'ms (median)'],
      ['HTTP round trip of GET /api/health (gateway floor)', ms(health)],
      ['POST /api/predict, local, whole round trip', ms(single.local)],
      ['POST /api/predict, broadcast, whole round trip', ms(single.broadcast)],
      ['  JSON.parse of the body', ms(parseMs)],
      ['  encoding the row (by column name)', ms(encodeMs)],
      ['  4 forests × 25 trees, aligned', ms(treesMs)],
      ['  the JSON answer', ms(answerMs)],
      ['batch of 10,000 rows, parts on one thread', ''],
      ['  JSON.parse of the body', ms(batchParseMs)],
      ['  encoding the rows', ms(batchEncodeMs)],
      ['  4 forests × 25 trees, aligned', ms(batchTreesMs)],
      ['  the JSON answer', ms(batchAnswerMs)],
      [`  the trees again: one thread / ${THREADS} prediction threads (alternating)`, `${ms(batchTreesInlineMs)} / ${ms(batchTreesThreadsMs)}`],
    ];
    console.log(`\nPrediction, Letter, 4 forests × 25 trees, ${reps} repetition(s) of ${seconds} s per rate:\n`);
    console.log(table(rows));
    console.log(`\n${table(breakdown)}`);
    if (reference)
      console.log(
        `\nscikit-learn soft vote, test accuracy ${reference.accuracy.toFixed(4)} (first 16,000 rows train); Quorum validation accuracy ${job.metrics.accuracy.toFixed(4)} (seeded 20 % split)`,
      );
    const ratio = median(runs.local.map((r, i) => (runs.broadcast[i] ? r.batchJsonRowsPerS / runs.broadcast[i].batchJsonRowsPerS : NaN)));
    if (modes.length === 2) console.log(`batch JSON throughput local / broadcast (median of per-repetition ratios): ${ratio.toFixed(2)}`);
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(
      path.join(RESULTS, 'predict.json'),
      JSON.stringify(
        {
          date: new Date().toISOString(),
          reps,
          seconds,
          loadavg: loadavg(),
          version: job.version,
          accuracy: job.metrics.accuracy,
          runs,
          single,
          health,
          parts: { parseMs, encodeMs, treesMs, answerMs, batchParseMs, batchEncodeMs, batchTreesMs, batchAnswerMs, batchTreesInlineMs, batchTreesThreadsMs },
          reference,
        },
        null,
        2,
      ),
    );
    console.log(`\nwrote ${path.join(RESULTS, 'predict.json')}`);
  } finally {
    await stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
