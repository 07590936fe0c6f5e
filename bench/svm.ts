/**
 * `npm run bench:svm` — Quorum's `svm` against scikit-learn (one thread) on Letter, 16,000 / 4,000
 * rows, standardised: the linear SVM (squared hinge, C = 1, tol 1e-3, at most 1,000 passes)
 * against LinearSVC on all training rows, and the rbf SVM (gamma 'scale', C = 1, 1,000 and 3,000
 * random Fourier features) against SVC's exact kernel on the first `--subsample` (4,000) training
 * rows, where SVC's cost grows with the square of the rows. Accuracy on the 4,000 test rows.
 * Options: --reps 3 --subsample 4000. Prints a table; writes bench/results/svm.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { svmKind } from '../lib/models/svm';
import type { TrainingSet } from '../lib/models/model';
import { accuracy, dataPath, letterSplit, subset } from '../fixtures/tf-data';

const PYTHON = '/usr/bin/python3';
const ROOT = join(__dirname, '..', '..');
const arg = (name: string, fallback: number): number =>
  process.argv.includes(`--${name}`) ? Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) : fallback;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Run {
  fitMs: number;
  predictMs: number;
  accuracy: number;
  note?: string;
}

function sklearn(subsample: number): { version: string; linear: Run; rbf: Run } | string {
  const out = spawnSync(PYTHON, [join(ROOT, 'bench/python/svm.py'), dataPath('letter-recognition.csv'), '--subsample', String(subsample)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  if (out.error || out.status !== 0) return `scikit-learn not run: ${out.error?.message ?? out.stderr.trim()} (apt-get install -y python3-sklearn)`;
  const parsed = JSON.parse(out.stdout.trim().split('\n').pop()!);
  return parsed.error ? `scikit-learn not run: ${parsed.error}` : { version: parsed.sklearn, linear: parsed.linear, rbf: parsed.rbf };
}

async function quorum(train: TrainingSet, test: TrainingSet, raw: Record<string, unknown>, seed: number): Promise<Run> {
  const params = svmKind.params(raw);
  let t = performance.now();
  const model = await svmKind.fit(train, params, { seed });
  const fitMs = performance.now() - t;
  t = performance.now();
  const probs = model.predict(test.x);
  const predictMs = performance.now() - t;
  const s = model.summary();
  return {
    fitMs,
    predictMs,
    accuracy: accuracy(probs, test.y, train.nClasses),
    note: `${s.passes} passes${s.notConverged ? `, ${s.notConverged} of 26 not converged` : ''}`,
  };
}

async function main(): Promise<void> {
  const reps = arg('reps', 3);
  const subsample = arg('subsample', 4000);
  const { train, test } = letterSplit();
  const small = subset(
    train,
    Int32Array.from({ length: subsample }, (_, i) => i),
  );
  const results: Record<string, Run[]> = {};
  const add = (name: string, r: Run) => (results[name] ??= []).push(r);
  const ratios: Record<string, number[]> = { 'linear fit vs LinearSVC': [], 'rbf (1,000 features) fit vs SVC': [] };
  const gaps: Record<string, number[]> = { 'linear accuracy − LinearSVC': [], 'rbf (3,000 features) accuracy − SVC': [] };
  const notes: string[] = [];
  let version = '';
  for (let i = 1; i <= reps; i++) {
    const sk = sklearn(subsample);
    const linear = await quorum(train, test, { kernel: 'linear' }, i);
    const rbf1 = await quorum(small, test, { kernel: 'rbf', nComponents: 1000 }, i);
    const rbf3 = await quorum(small, test, { kernel: 'rbf', nComponents: 3000 }, i);
    add('Quorum svm linear, 16,000 rows', linear);
    add(`Quorum svm rbf, 1,000 Fourier features, ${subsample} rows`, rbf1);
    add(`Quorum svm rbf, 3,000 Fourier features, ${subsample} rows`, rbf3);
    if (typeof sk === 'string') {
      if (i === 1) notes.push(sk);
      continue;
    }
    version = sk.version;
    add('scikit-learn LinearSVC, 16,000 rows', sk.linear);
    add(`scikit-learn SVC rbf (exact kernel), ${subsample} rows`, sk.rbf);
    ratios['linear fit vs LinearSVC'].push(linear.fitMs / sk.linear.fitMs);
    ratios['rbf (1,000 features) fit vs SVC'].push(rbf1.fitMs / sk.rbf.fitMs);
    gaps['linear accuracy − LinearSVC'].push(linear.accuracy - sk.linear.accuracy);
    gaps['rbf (3,000 features) accuracy − SVC'].push(rbf3.accuracy - sk.rbf.accuracy);
  }
  const header = ['configuration', 'runs', 'fit ms (median)', 'predict 4,000 rows, ms', 'test accuracy (median)', 'note'];
  const lines = Object.entries(results).map(([name, rs]) => [
    name,
    String(rs.length),
    median(rs.map((r) => r.fitMs)).toFixed(0),
    median(rs.map((r) => r.predictMs)).toFixed(0),
    median(rs.map((r) => r.accuracy)).toFixed(4),
    rs[0].note ?? '',
  ]);
  const table = [header, header.map(() => '---'), ...lines].map((c) => `| ${c.join(' | ')} |`).join('\n');
  process.stdout.write(`\nLetter 16,000 / 4,000, 16 standardised features, C = 1, one thread${version ? `, scikit-learn ${version}` : ''}\n\n${table}\n`);
  for (const [name, rs] of Object.entries(ratios))
    if (rs.length) notes.push(`${name}, paired: ${rs.map((x) => x.toFixed(2)).join(', ')} → median ${median(rs).toFixed(2)}`);
  for (const [name, rs] of Object.entries(gaps))
    if (rs.length) notes.push(`${name}, paired: ${rs.map((x) => (100 * x).toFixed(2)).join(', ')} points → median ${(100 * median(rs)).toFixed(2)}`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'svm.json'), JSON.stringify({ date: new Date().toISOString(), reps, subsample, results, ratios, gaps, notes }, null, 2));
  process.stdout.write(`\nwrote ${join(dir, 'svm.json')}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
