/**
 * `npm run bench:mlp` — Quorum's `mlp` against scikit-learn's MLPClassifier on Letter
 * (16,000 / 4,000 split, 64 relu units, batch 64, Adam 1e-3, 20 epochs), side by side in one run,
 * plus the two stock ways of training the same network with TensorFlow.js (see
 * bench/lib/tf-variants.ts) to show where the time goes.
 *
 * Every Node configuration runs in its own child process (a tfjs engine holds one backend).
 * Options: --epochs 20 --reps 3 --hidden 64 --quick (1 rep, cpu rows skipped).
 * Prints a table; writes bench/results/mlp.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../lib/models/tf/backend';
import type { BackendName } from '../lib/models/tf/backend';
import { dataPath, letterSplit } from './lib/tf-data';
import type { Variant, VariantResult } from './lib/tf-variants';
import { VARIANTS, runVariant } from './lib/tf-variants';

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
  const out = spawnSync(process.execPath, [__filename, '--child', variant, '--backend', backend, '--epochs', String(epochs), '--seed', String(seed), '--hidden', String(hidden)], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const line = out.stdout.trim().split('\n').pop() ?? '';
  if (out.status !== 0 || !line.startsWith('{')) throw new Error(`${variant}/${backend} failed: ${out.stderr}`);
  return JSON.parse(line);
}

function sklearn(threads: string | undefined, epochs: number, reps: number, hidden: number): Row | string {
  const env = { ...process.env };
  if (threads) env.OMP_NUM_THREADS = threads;
  else delete env.OMP_NUM_THREADS;
  const out = spawnSync(PYTHON, [join(ROOT, 'bench/python/mlp.py'), dataPath('letter-recognition.csv'), '--epochs', String(epochs), '--reps', String(reps), '--hidden', String(hidden)], {
    encoding: 'utf8',
    env,
  });
  if (out.error || out.status !== 0) return `scikit-learn not run: ${out.error?.message ?? out.stderr.trim()} (apt-get install -y python3-sklearn)`;
  const parsed = JSON.parse(out.stdout.trim().split('\n').pop()!);
  if (parsed.error) return `scikit-learn not run: ${parsed.error}`;
  const runs = parsed.runs as { msPerEpoch: number; accuracy: number }[];
  return {
    name: `scikit-learn ${parsed.sklearn} MLPClassifier`,
    backend: threads ? `numpy, OMP_NUM_THREADS=${threads}` : 'numpy, default threads',
    epochs,
    msPerEpoch: runs.map((r) => r.msPerEpoch),
    accuracy: runs.map((r) => r.accuracy),
  };
}

async function main(): Promise<void> {
  const quick = flag('quick');
  const epochs = arg('epochs', 20);
  const reps = quick ? 1 : arg('reps', 3);
  const hidden = arg('hidden', 64);
  const rows: Row[] = [];
  const notes: string[] = [];

  // Interleaved: scikit-learn first and last, so that load from other processes on the machine
  // hits both sides alike; medians over all runs.
  const skSingle = sklearn('1', epochs, reps, hidden);
  const skDefault = sklearn(undefined, epochs, reps, hidden);
  const nodeRuns: { variant: Variant; backend: BackendName; epochs: number; reps: number; note?: string }[] = [
    { variant: 'quorum', backend: 'wasm', epochs, reps },
    { variant: 'autograd', backend: 'wasm', epochs, reps: 1 },
    { variant: 'layers-fit', backend: 'wasm', epochs, reps: 1 },
  ];
  if (!quick) {
    // The cpu backend is 10–30× slower: time a few epochs only (accuracy is then not comparable).
    nodeRuns.push({ variant: 'quorum', backend: 'cpu', epochs: 3, reps: 1, note: '3 epochs (timing only)' });
    nodeRuns.push({ variant: 'layers-fit', backend: 'cpu', epochs: 3, reps: 1, note: '3 epochs (timing only)' });
  }
  for (const r of nodeRuns) {
    const results = Array.from({ length: r.reps }, (_, i) => runChild(r.variant, r.backend, r.epochs, i + 1, hidden));
    if (results.some((x) => x.leakedTensors !== 0)) notes.push(`${r.variant}/${r.backend} leaked tensors: ${results.map((x) => x.leakedTensors)}`);
    const label = { quorum: 'Quorum mlp (hand-written backprop)', autograd: 'tfjs custom loop (autograd + tf.train.adam)', 'layers-fit': 'tfjs tf.sequential + model.fit' }[r.variant];
    const b = results[0].backend === 'wasm' ? `wasm${results[0].simd ? ' SIMD' : ''}` : results[0].backend;
    rows.push({ name: label, backend: b, epochs: r.epochs, msPerEpoch: results.map((x) => x.msPerEpoch), accuracy: results.map((x) => x.accuracy), note: r.note });
  }
  const skSingle2 = sklearn('1', epochs, reps, hidden);
  for (const sk of [skSingle, skDefault]) {
    if (typeof sk === 'string') notes.push(sk);
    else rows.unshift(sk);
  }
  if (typeof skSingle === 'object' && typeof skSingle2 === 'object') {
    skSingle.msPerEpoch.push(...skSingle2.msPerEpoch);
    skSingle.accuracy.push(...skSingle2.accuracy);
  }

  const reference = typeof skSingle === 'object' ? median(skSingle.msPerEpoch) : undefined;
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
  writeFileSync(join(dir, 'mlp.json'), JSON.stringify({ date: new Date().toISOString(), epochs, hidden, rows, notes }, null, 2));
  process.stdout.write(`\nwrote ${join(dir, 'mlp.json')}\n`);
}

(flag('child') ? child() : main()).catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
