/**
 * `npm run bench:mlp` — Quorum's `mlp` against scikit-learn's MLPClassifier on Letter
 * (16,000 / 4,000 split, 64 relu units, batch 64, Adam 1e-3, 20 epochs), side by side in one run,
 * plus the two stock ways of training the same network with TensorFlow.js (see
 * bench/lib/tf-variants.ts) to show where the time goes.
 *
 * Every Node configuration runs in its own child process (a tfjs engine holds one backend).
 * Options: --epochs 20 --reps 5 --hidden 64 --quick (1 rep, cpu rows skipped).
 * Prints a table; writes bench/results/mlp.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../lib/models/tf/backend';
import type { BackendName } from '../lib/models/tf/backend';
import { dataPath, letterSplit } from '../fixtures/tf-data';
import type { Variant, VariantResult } from './lib/tf-variants';
import { runVariant } from './lib/tf-variants';

const PYTHON = '/usr/bin/python3';
const ROOT = join(__dirname, '..', '..');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Row {
  name: string;
  backend: string;
  epochs: number;
  msPerEpoch: number[];
  accuracy: number[];
  note?: string;
}

/** Child mode: one variant, one backend, one seed; prints JSON. */
async function child(): Promise<void> {
  const variant = process.argv[process.argv.indexOf('--child') + 1] as Variant;
  const backend = process.argv[process.argv.indexOf('--backend') + 1] as BackendName;
  const info = await initBackend(backend);
  const { train, test } = letterSplit();
  const result: VariantResult = await runVariant(variant, train, test, { hidden: arg('hidden', 64), epochs: arg('epochs', 20), seed: arg('seed', 1) });
  process.stdout.write(JSON.stringify({ ...result, backend: info.name, simd: info.simd }) + '\n');
}

function runChild(variant: Variant, backend: BackendName, epochs: number, seed: number, hidden: number): VariantResult & { backend: string; simd: boolean } {
  const out = spawnSync(
    process.execPath,
    [__filename, '--child', variant, '--backend', backend, '--epochs', String(epochs), '--seed', String(seed), '--hidden', String(hidden)],
    {
      encoding: 'utf8',
      maxBuffer: 16 << 20,
    },
  );
  const line = out.stdout.trim().split('\n').pop() ?? '';
  if (out.status !== 0 || !line.startsWith('{')) throw new Error(`${variant}/${backend} failed: ${out.stderr}`);
  return JSON.parse(line);
}

interface SkRun {
  version: string;
  msPerEpoch: number;
  accuracy: number;
}

/** One scikit-learn fit (seed `seed`), or why it could not run. */
function sklearn(threads: string | undefined, epochs: number, seed: number, hidden: number): SkRun | string {
  const env = { ...process.env };
  if (threads) env.OMP_NUM_THREADS = threads;
  else delete env.OMP_NUM_THREADS;
  const args = [
    join(ROOT, 'bench/python/mlp.py'),
    dataPath('letter-recognition.csv'),
    '--epochs',
    String(epochs),
    '--reps',
    '1',
    '--seed',
    String(seed),
    '--hidden',
    String(hidden),
  ];
  const out = spawnSync(PYTHON, args, { encoding: 'utf8', env });
  if (out.error || out.status !== 0) return `scikit-learn not run: ${out.error?.message ?? out.stderr.trim()} (apt-get install -y python3-sklearn)`;
  const parsed = JSON.parse(out.stdout.trim().split('\n').pop()!);
  if (parsed.error) return `scikit-learn not run: ${parsed.error}`;
  return { version: parsed.sklearn, ...(parsed.runs[0] as { msPerEpoch: number; accuracy: number }) };
}

async function main(): Promise<void> {
  const quick = flag('quick');
  const epochs = arg('epochs', 20);
  const reps = quick ? 1 : arg('reps', 5);
  const hidden = arg('hidden', 64);
  const rows: Row[] = [];
  const notes: string[] = [];
  const label: Record<Variant, string> = {
    quorum: 'Quorum mlp (hand-written backprop)',
    autograd: 'tfjs custom loop (autograd + tf.train.adam)',
    'layers-fit': 'tfjs tf.sequential + model.fit',
  };
  const backendLabel = (r: { backend: string; simd: boolean }): string => (r.backend === 'wasm' ? `wasm${r.simd ? ' SIMD' : ''}` : r.backend);

  // Paired runs: scikit-learn (1 thread) and Quorum back to back with the same seed, so that load
  // from other processes on the machine hits both alike; the ratio is the median of the pairs.
  const sk1: SkRun[] = [];
  const q: (VariantResult & { backend: string; simd: boolean })[] = [];
  const ratios: number[] = [];
  for (let i = 1; i <= reps; i++) {
    const sk = sklearn('1', epochs, i, hidden);
    const mine = runChild('quorum', 'wasm', epochs, i, hidden);
    q.push(mine);
    if (typeof sk === 'string') {
      if (i === 1) notes.push(sk);
      continue;
    }
    sk1.push(sk);
    ratios.push(mine.msPerEpoch / sk.msPerEpoch);
  }
  const skDefault = Array.from({ length: reps }, (_, i) => sklearn(undefined, epochs, i + 1, hidden)).filter((r): r is SkRun => typeof r !== 'string');
  if (sk1.length) {
    rows.push({
      name: `scikit-learn ${sk1[0].version} MLPClassifier`,
      backend: 'numpy, OMP_NUM_THREADS=1',
      epochs,
      msPerEpoch: sk1.map((r) => r.msPerEpoch),
      accuracy: sk1.map((r) => r.accuracy),
    });
  }
  if (skDefault.length) {
    rows.push({
      name: `scikit-learn ${skDefault[0].version} MLPClassifier`,
      backend: 'numpy, default threads',
      epochs,
      msPerEpoch: skDefault.map((r) => r.msPerEpoch),
      accuracy: skDefault.map((r) => r.accuracy),
    });
  }
  rows.push({ name: label.quorum, backend: backendLabel(q[0]), epochs, msPerEpoch: q.map((r) => r.msPerEpoch), accuracy: q.map((r) => r.accuracy) });
  if (q.some((r) => r.leakedTensors !== 0)) notes.push(`quorum leaked tensors: ${q.map((r) => r.leakedTensors)}`);

  const others: { variant: Variant; backend: BackendName; epochs: number; note?: string }[] = [
    { variant: 'autograd', backend: 'wasm', epochs },
    { variant: 'layers-fit', backend: 'wasm', epochs },
  ];
  if (!quick) {
    // The cpu backend is 10–30× slower: time a few epochs only (accuracy is then not comparable).
    others.push({ variant: 'quorum', backend: 'cpu', epochs: 3, note: '3 epochs, timing only' });
    others.push({ variant: 'layers-fit', backend: 'cpu', epochs: 3, note: '3 epochs, timing only' });
  }
  for (const r of others) {
    const res = runChild(r.variant, r.backend, r.epochs, 1, hidden);
    if (res.leakedTensors !== 0) notes.push(`${r.variant}/${r.backend} leaked ${res.leakedTensors} tensors`);
    rows.push({ name: label[r.variant], backend: backendLabel(res), epochs: r.epochs, msPerEpoch: [res.msPerEpoch], accuracy: [res.accuracy], note: r.note });
  }
  if (ratios.length)
    notes.push(`Quorum / scikit-learn (1 thread), paired runs: ${ratios.map((x) => x.toFixed(2)).join(', ')} → median ${median(ratios).toFixed(2)}`);

  const reference = sk1.length ? median(sk1.map((r) => r.msPerEpoch)) : undefined;
  const header = ['configuration', 'backend', 'epochs', 'runs', 'ms/epoch (median)', '× sklearn 1 thread', 'test accuracy (median)'];
  const lines = rows.map((r) => [
    r.name,
    r.backend,
    String(r.epochs),
    String(r.msPerEpoch.length),
    median(r.msPerEpoch).toFixed(1),
    reference ? (median(r.msPerEpoch) / reference).toFixed(2) : '—',
    r.note ? `— (${r.note})` : median(r.accuracy).toFixed(4),
  ]);
  const table = [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
  process.stdout.write(`\nLetter 16,000/4,000, ${hidden} relu units, batch 64, Adam 1e-3\n\n${table}\n`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);

  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'mlp.json'), JSON.stringify({ date: new Date().toISOString(), epochs, hidden, rows, pairedRatios: ratios, notes }, null, 2));
  process.stdout.write(`\nwrote ${join(dir, 'mlp.json')}\n`);
}

(flag('child') ? child() : main()).catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
