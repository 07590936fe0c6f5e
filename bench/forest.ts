/**
 * `npm run bench:forest`: Quorum's forest against scikit-learn's RandomForest, side by side in one
 * run, on Letter (first 16,000 rows train, last 4,000 test) and House Prices (log SalePrice, a
 * seeded 80/20 split whose row indices the Python side reads from a file).
 *
 * Every measurement runs in a fresh process (so peak RSS is that case's alone): Quorum on 1 thread,
 * Quorum on 2 threads (worker pool: spawning, shipping the data and merging are counted),
 * each fitted twice: first in the fresh process (every thread compiles the tree code while it runs),
 * then again in the same process and pool ("fit again": what a trainer that has fitted before pays),
 * scikit-learn with n_jobs=1 and n_jobs=2. Repetition r uses seed r on both sides; the table shows
 * medians over the repetitions (accuracy and RMSE: means), and ratios of those medians. A short
 * check first measures whether the machine's second core is actually free (see coreCheck).
 *
 *   node dist/bench/forest.js [--reps 5] [--cases letter,house] [--trees 100]
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { forestKind } from '../lib/models/forest';
import { decodeArtifact, encodeArtifact } from '../lib/core/container';
import type { TrainedModel } from '../lib/models/model';
import { WorkerPool } from '../lib/workers/pool';
import { findSklearn, mean, median, PYTHON, runEntry, table, timePredict, writeResults } from './lib/report';
import { houseRows, houseSplit, letterSplit, ROOT, SHARED_DATA, sharedFile, type Split } from '../fixtures/datasets';
import { loadSimpleCsv } from '../fixtures/simple-csv';

const RESULTS = path.join(ROOT, 'bench', 'results');
const PY_SCRIPT = path.join(ROOT, 'bench', 'python', 'forest.py');
const HOUSE_SPLIT = path.join(RESULTS, 'forest-house-split.json');
const PREDICT_CALLS = 5;

type CaseName = 'letter' | 'house';

interface Measure {
  fitS: number;
  /** The second fit in the same process (Quorum; its threads compiled): the steady state of a trainer. */
  warmFitS?: number;
  predictS: number;
  accuracy?: number;
  rmse?: number;
  artifactBytes: number;
  peakRssMb: number;
  nodes: number;
  /** Hash of the predictions: equal for the 1- and 2-thread forests of one seed. */
  digest?: string;
  oobScore?: number | null;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function dataPath(name: CaseName): string | null {
  if (name === 'letter') return sharedFile('letter-recognition.csv') ?? path.join(ROOT, 'data', 'letter-recognition.csv');
  return sharedFile('house-prices-train.csv');
}

function load(name: CaseName): Split {
  return name === 'letter' ? letterSplit(dataPath(name)!) : houseSplit()!;
}

/** One measurement in this (fresh) process. */
async function child(name: CaseName, threads: number, seed: number, trees: number): Promise<Measure> {
  const { train, test } = load(name);
  const params = forestKind.params({ nEstimators: trees });
  const job = {
    kind: 'forest',
    params,
    seed,
    task: train.task,
    nClasses: train.nClasses,
    classes: train.classes,
    features: train.features,
    train: { x: train.x.data, rows: train.x.rows, cols: train.x.cols, y: train.y },
  };
  const pool = threads > 1 ? new WorkerPool({ size: threads }) : null;
  // Spawning the threads, shipping the data and merging count; so does compiling: every thread of
  // a fresh process compiles the tree code itself while it runs.
  const fitOnce = async (): Promise<TrainedModel> =>
    pool ? forestKind.load(decodeArtifact((await pool.fit(job, { threads })).artifact)) : forestKind.fit(train, params, { seed });
  const t0 = performance.now();
  const model = await fitOnce();
  const fitS = (performance.now() - t0) / 1000;
  // The same fit again in the same process (threads): what a trainer that has fitted before pays.
  const t1 = performance.now();
  (await fitOnce()).dispose();
  const warmFitS = (performance.now() - t1) / 1000;
  await pool?.close();
  const { predictS, out } = timePredict(model, test.x, PREDICT_CALLS);
  const m: Measure = {
    fitS,
    warmFitS,
    predictS,
    artifactBytes: encodeArtifact(model.toArtifact()).length,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    nodes: model.summary().totalNodes as number,
    digest: createHash('sha256').update(out).digest('hex').slice(0, 16),
    oobScore: model.summary().oobScore as number | null,
  };
  if (name === 'letter') {
    let hit = 0;
    const K = model.nClasses;
    for (let r = 0; r < test.x.rows; r++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (out[r * K + k] > out[r * K + best]) best = k;
      if (best === test.y[r]) hit++;
    }
    m.accuracy = hit / test.x.rows;
  } else {
    let se = 0;
    for (let r = 0; r < test.x.rows; r++) se += (out[r] - test.y[r]) ** 2;
    m.rmse = Math.sqrt(se / test.x.rows);
  }
  return m;
}

/** Fits part `half` (of 2) of a Letter forest in this process: the core check's unit of work. */
async function halfForest(half: number, trees: number): Promise<number> {
  const { train } = letterSplit(dataPath('letter')!);
  const part = forestKind.parallel!.split(forestKind.params({ nEstimators: trees }), 2)[half];
  const t0 = performance.now();
  await forestKind.fit(train, part, { seed: 1 });
  return (performance.now() - t0) / 1000;
}

/**
 * How much a second core is worth right now: one process fitting half the Letter trees alone,
 * then two such processes at once. On an idle 2-core machine both take about as long; when other
 * work holds a core, the pair takes up to twice as long and no 2-thread fit can win.
 */
async function coreCheck(trees: number): Promise<{ aloneS: number; pairS: number; speedup: number }> {
  const run = (half: number): Promise<number> =>
    new Promise((resolve, reject) => {
      execFile(process.execPath, [__filename, '--half', String(half), '--trees', String(trees)], (err, out) => (err ? reject(err) : resolve(Number(out))));
    });
  const aloneS = await run(0);
  // Fit times only (both processes load the data first, then fit at the same time).
  const pairS = Math.max(...(await Promise.all([run(0), run(1)])));
  return { aloneS, pairS, speedup: (2 * aloneS) / pairS };
}

function runNode(name: CaseName, threads: number, seed: number, trees: number): Measure {
  const args = [__filename, '--child', name, '--threads', String(threads), '--seed', String(seed), '--trees', String(trees)];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 }));
}

function runPython(name: CaseName, nJobs: number, seed: number, trees: number): Measure {
  const args = [PY_SCRIPT, '--case', name, '--data', dataPath(name)!, '--n-jobs', String(nJobs), '--seed', String(seed), '--trees', String(trees)];
  if (name === 'house') args.push('--split', HOUSE_SPLIT);
  return JSON.parse(execFileSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 20 })) as Measure;
}

type Side = 'q1' | 'q2' | 's1' | 's2';

function summarise(name: CaseName, runs: Record<Side, Measure[]>, hasPython: boolean): { rows: string[][]; json: Record<string, unknown> } {
  const med = (side: Side, key: keyof Measure): number => median(runs[side].map((m) => m[key] as number));
  const avg = (side: Side, key: keyof Measure): number => mean(runs[side].map((m) => m[key] as number));
  const f = (v: number, digits = 3): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');
  const ratio = (a: number, b: number): string => (hasPython && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '–');
  const quality = name === 'letter' ? 'accuracy' : 'rmse';
  const qv = (side: Side): number => avg(side, quality);
  const rows = [
    ['', 'Quorum', 'scikit-learn', 'ratio'],
    ['fit, 1 thread (s)', f(med('q1', 'fitS')), f(med('s1', 'fitS')), ratio(med('q1', 'fitS'), med('s1', 'fitS'))],
    ['fit, 2 threads (s)', f(med('q2', 'fitS')), f(med('s2', 'fitS')), ratio(med('q2', 'fitS'), med('s2', 'fitS'))],
    ['fit again, 1 thread (s)', f(med('q1', 'warmFitS')), f(med('s1', 'fitS')), ratio(med('q1', 'warmFitS'), med('s1', 'fitS'))],
    ['fit again, 2 threads (s)', f(med('q2', 'warmFitS')), f(med('s2', 'fitS')), ratio(med('q2', 'warmFitS'), med('s2', 'fitS'))],
    [
      '2 threads over 1: first / again',
      `${(med('q1', 'fitS') / med('q2', 'fitS')).toFixed(2)}× / ${(med('q1', 'warmFitS') / med('q2', 'warmFitS')).toFixed(2)}×`,
      f(med('s1', 'fitS') / med('s2', 'fitS'), 2) + '×',
      '',
    ],
    [
      `predict ${name === 'letter' ? '4,000' : '292'} rows (ms)`,
      f(1000 * med('q1', 'predictS'), 1),
      f(1000 * med('s1', 'predictS'), 1),
      ratio(med('q1', 'predictS'), med('s1', 'predictS')),
    ],
    name === 'letter'
      ? ['accuracy (%)', f(100 * qv('q1'), 2), f(100 * qv('s1'), 2), hasPython ? `${(100 * (qv('q1') - qv('s1'))).toFixed(2)} pt` : '–']
      : ['RMSE (log SalePrice)', f(qv('q1'), 4), f(qv('s1'), 4), hasPython ? `${(100 * (qv('q1') / qv('s1') - 1)).toFixed(1)} %` : '–'],
    [
      'artifact (MB)',
      f(med('q1', 'artifactBytes') / 1e6, 2),
      f(med('s1', 'artifactBytes') / 1e6, 2),
      ratio(med('q1', 'artifactBytes'), med('s1', 'artifactBytes')),
    ],
    ['peak RSS, 1 thread (MB)', f(med('q1', 'peakRssMb'), 0), f(med('s1', 'peakRssMb'), 0), ratio(med('q1', 'peakRssMb'), med('s1', 'peakRssMb'))],
    ['peak RSS, 2 threads (MB)', f(med('q2', 'peakRssMb'), 0), f(med('s2', 'peakRssMb'), 0), ratio(med('q2', 'peakRssMb'), med('s2', 'peakRssMb'))],
    ['tree nodes', f(med('q1', 'nodes'), 0), f(med('s1', 'nodes'), 0), ratio(med('q1', 'nodes'), med('s1', 'nodes'))],
  ];
  const same = runs.q1.every((m, i) => m.digest === runs.q2[i]?.digest);
  return { rows, json: { runs, identicalOneAndTwoThreads: same } };
}

async function main(): Promise<void> {
  const reps = Number(arg('reps', '5'));
  const trees = Number(arg('trees', '100'));
  const cases = arg('cases', 'letter,house').split(',') as CaseName[];
  mkdirSync(RESULTS, { recursive: true });
  const versions = findSklearn(PY_SCRIPT);
  console.log(`forest bench: ${reps} repetitions, ${trees} trees, node ${process.version}, scikit-learn ${versions?.sklearn ?? 'absent'}`);
  console.log(
    `load average at start: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')} (other work on this machine makes timings noisy)`,
  );
  const results: Record<string, unknown> = { trees, reps, sklearn: versions, loadAtStart: loadavg() };
  const checks = [];
  for (let k = 0; k < 2; k++) checks.push(await coreCheck(trees));
  const check = checks.sort((a, b) => a.speedup - b.speedup)[1];
  console.log(
    `second-core check: half the Letter trees alone ${check.aloneS.toFixed(2)} s, two halves at once ${check.pairS.toFixed(2)} s ` +
      `→ two processes do ${check.speedup.toFixed(2)}× the work of one (2.00× on an idle machine; better of 2 tries)`,
  );
  results.coreCheck = checks;
  for (const name of cases) {
    const file = dataPath(name);
    if (!file) {
      console.log(`\n${name}: skipped: ${path.join(SHARED_DATA, 'house-prices-train.csv')} not found`);
      continue;
    }
    if (name === 'house') writeFileSync(HOUSE_SPLIT, JSON.stringify(houseRows(loadSimpleCsv(file).nRows)));
    const runs: Record<Side, Measure[]> = { q1: [], q2: [], s1: [], s2: [] };
    for (let r = 0; r < reps; r++) {
      // Alternate which side goes first, so slow spells of the shared machine hit both alike.
      const steps: Array<() => void> = [() => runs.q1.push(runNode(name, 1, r + 1, trees)), () => runs.q2.push(runNode(name, 2, r + 1, trees))];
      if (versions)
        steps.push(
          () => runs.s1.push(runPython(name, 1, r + 1, trees)),
          () => runs.s2.push(runPython(name, 2, r + 1, trees)),
        );
      if (r % 2 === 1) steps.reverse();
      for (const step of steps) step();
      process.stdout.write(`${name}: repetition ${r + 1}/${reps} done\n`);
    }
    const { rows, json } = summarise(name, runs, versions !== null);
    console.log(
      `\n${name === 'letter' ? 'Letter (16,000 train / 4,000 test, 26 classes)' : 'House Prices (1,168 train / 292 test, log SalePrice)'}, ${trees} trees, medians of ${reps}`,
    );
    console.log(table(rows));
    if (!json.identicalOneAndTwoThreads) console.log('WARNING: the 2-thread forest predicted differently from the 1-thread one');
    results[name] = { table: rows, ...json };
  }
  writeResults(path.join(RESULTS, 'forest.json'), results, ROOT);
}

if (process.argv.includes('--half')) {
  halfForest(Number(arg('half', '0')), Number(arg('trees', '100'))).then((s) => process.stdout.write(String(s)));
} else if (process.argv.includes('--child')) {
  runEntry(child(arg('child', 'letter') as CaseName, Number(arg('threads', '1')), Number(arg('seed', '1')), Number(arg('trees', '100'))), (m) =>
    process.stdout.write(JSON.stringify(m)),
  );
} else {
  runEntry(main());
}
