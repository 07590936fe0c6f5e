/**
 * `npm run bench:knn` — Quorum's `knn` against scikit-learn's KNeighborsClassifier (one thread) on
 * Letter: 16,000 training rows (standardised), k = 5, a batch of 10,000 query rows (the 4,000 test
 * rows, then 6,000 training rows), accuracy on the 4,000 test rows. Quorum with its k-d tree
 * (`algorithm: "auto"` on 16 features) and brute force; scikit-learn with `auto`, `brute` and
 * `kd_tree`. Runs are paired (scikit-learn, then Quorum, back to back) and the ratio is the median.
 * Options: --reps 5. Prints a table; writes bench/results/knn.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { knnKind } from '../lib/models/knn';
import type { Matrix } from '../lib/models/model';
import { accuracy, dataPath, letterSplit } from '../fixtures/tf-data';

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
}

function sklearn(): { version: string; runs: Record<string, Run & { chosen: string }> } | string {
  const out = spawnSync(PYTHON, [join(ROOT, 'bench/python/knn.py'), dataPath('letter-recognition.csv')], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  if (out.error || out.status !== 0) return `scikit-learn not run: ${out.error?.message ?? out.stderr.trim()} (apt-get install -y python3-sklearn)`;
  const parsed = JSON.parse(out.stdout.trim().split('\n').pop()!);
  return parsed.error ? `scikit-learn not run: ${parsed.error}` : { version: parsed.sklearn, runs: parsed.runs };
}

async function quorum(
  algorithm: 'auto' | 'brute',
  train: ReturnType<typeof letterSplit>['train'],
  test: ReturnType<typeof letterSplit>['test'],
  batch: Matrix,
): Promise<Run & { search: string }> {
  const params = knnKind.params({ k: 5, algorithm });
  let t = performance.now();
  const model = await knnKind.fit(train, params, { seed: 1 });
  const fitMs = performance.now() - t;
  t = performance.now();
  const probs = model.predict(batch);
  const predictMs = performance.now() - t;
  const acc = accuracy(probs.subarray(0, test.x.rows * 26), test.y, 26);
  return { fitMs, predictMs, accuracy: acc, search: String(model.summary().search) };
}

async function main(): Promise<void> {
  const reps = arg('reps', 5);
  const { train, test } = letterSplit();
  const d = train.x.cols;
  const batch: Matrix = { data: new Float32Array(10_000 * d), rows: 10_000, cols: d };
  batch.data.set(test.x.data);
  batch.data.set(train.x.data.subarray(0, (10_000 - test.x.rows) * d), test.x.rows * d);

  const results: Record<string, Run[]> = {};
  const add = (name: string, r: Run) => (results[name] ??= []).push(r);
  const ratios: Record<string, number[]> = { 'kd-tree vs sklearn auto': [], 'brute vs sklearn brute': [] };
  const notes: string[] = [];
  let version = '';
  let searches: Record<string, string> = {};
  for (let i = 0; i < reps; i++) {
    const sk = sklearn();
    const tree = await quorum('auto', train, test, batch);
    const brute = await quorum('brute', train, test, batch);
    searches = { auto: tree.search, brute: brute.search };
    add('Quorum knn, algorithm auto', tree);
    add('Quorum knn, algorithm brute', brute);
    if (typeof sk === 'string') {
      if (i === 0) notes.push(sk);
      continue;
    }
    version = sk.version;
    for (const [algo, r] of Object.entries(sk.runs)) add(`scikit-learn KNeighborsClassifier, algorithm ${algo}${algo === 'auto' ? ` (→ ${r.chosen})` : ''}`, r);
    ratios['kd-tree vs sklearn auto'].push(tree.predictMs / sk.runs.auto.predictMs);
    ratios['brute vs sklearn brute'].push(brute.predictMs / sk.runs.brute.predictMs);
  }
  const header = ['configuration', 'runs', 'fit ms (median)', 'predict 10,000 rows, ms (median)', 'test accuracy'];
  const lines = Object.entries(results).map(([name, rs]) => [
    name,
    String(rs.length),
    median(rs.map((r) => r.fitMs)).toFixed(1),
    median(rs.map((r) => r.predictMs)).toFixed(0),
    median(rs.map((r) => r.accuracy)).toFixed(4),
  ]);
  const table = [header, header.map(() => '---'), ...lines].map((c) => `| ${c.join(' | ')} |`).join('\n');
  process.stdout.write(
    `\nLetter: 16,000 training rows × ${d} standardised features, k = 5, one thread${version ? `, scikit-learn ${version}` : ''}\nQuorum search: auto → ${searches.auto}; brute → ${searches.brute}\n\n${table}\n`,
  );
  for (const [name, rs] of Object.entries(ratios))
    if (rs.length) notes.push(`predict time ${name}, paired: ${rs.map((x) => x.toFixed(2)).join(', ')} → median ${median(rs).toFixed(2)}`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'knn.json'), JSON.stringify({ date: new Date().toISOString(), reps, results, ratios, notes }, null, 2));
  process.stdout.write(`\nwrote ${join(dir, 'knn.json')}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
