/**
 * `npm run gen:data -- --rows 1e6 --features 20 --classes 5 --seed 1 [--out path] [--categorical k]
 *  [--levels n] [--missing 0.02] [--noise 0.5] [--gzip] [--task regression]`
 *
 * Writes a seeded synthetic CSV (see lib/data/gen/synthetic.ts), streamed to disk, with progress on
 * stderr. Default output: var/data/synthetic-<rows>x<features>-s<seed>.csv[.gz].
 */
import * as path from 'node:path';
import { QuorumError } from '../lib/errors';
import type { SyntheticOptions } from '../lib/data/gen/synthetic';
import { writeSyntheticCsv } from '../lib/data/gen/write';

const USAGE =
  'usage: gen-data --rows 1e6 --features 20 --classes 5 --seed 1 [--out path] [--categorical k] [--levels n] ' +
  '[--missing 0.02] [--noise 0.5] [--gzip] [--task classification|regression]';

function parseArgs(argv: string[]): { options: SyntheticOptions; out?: string; gzip: boolean } {
  const flags = new Map<string, string>();
  let gzip = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--gzip') gzip = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a.startsWith('--') && i + 1 < argv.length) flags.set(a.slice(2), argv[++i]);
    else throw new QuorumError('BAD_REQUEST', `unexpected argument '${a}'\n${USAGE}`);
  }
  const known = new Set(['rows', 'features', 'classes', 'seed', 'out', 'categorical', 'levels', 'missing', 'noise', 'task']);
  for (const k of flags.keys()) if (!known.has(k)) throw new QuorumError('BAD_REQUEST', `unknown option --${k}\n${USAGE}`);
  const num = (k: string, fallback?: number): number | undefined => {
    const v = flags.get(k);
    if (v === undefined) return fallback;
    const n = Number(v); // accepts 1e6
    if (!Number.isFinite(n)) throw new QuorumError('BAD_REQUEST', `--${k} must be a number; got '${v}'`);
    return n;
  };
  const task = flags.get('task');
  if (task !== undefined && task !== 'classification' && task !== 'regression') {
    throw new QuorumError('BAD_REQUEST', `--task must be classification or regression; got '${task}'`);
  }
  const options: SyntheticOptions = {
    rows: num('rows', 100_000)!,
    features: num('features', 20)!,
    classes: num('classes', 5)!,
    seed: num('seed', 1)!,
    categorical: num('categorical'),
    levels: num('levels'),
    missing: num('missing'),
    noise: num('noise'),
    task,
  };
  return { options, out: flags.get('out'), gzip };
}

async function main(): Promise<void> {
  const { options, out, gzip } = parseArgs(process.argv.slice(2));
  const file = out ?? path.join('var', 'data', `synthetic-${options.rows}x${options.features}-s${options.seed}.csv${gzip ? '.gz' : ''}`);
  const started = Date.now();
  let lastReport = 0;
  const bytes = await writeSyntheticCsv(file, options, {
    gzip,
    onProgress: (rows, text) => {
      const now = Date.now();
      if (now - lastReport < 500 && rows < options.rows) return;
      lastReport = now;
      const pct = ((100 * rows) / options.rows).toFixed(1);
      process.stderr.write(`\r${rows.toLocaleString('en-US')} rows (${pct} %), ${(text / 1e6).toFixed(0)} MB of CSV   `);
    },
  });
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(`\nwrote ${file}: ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`gen-data: ${err.message}\n`);
  process.exit(err instanceof QuorumError ? 2 : 1);
});
