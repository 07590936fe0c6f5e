/**
 * A small CSV-to-matrix loader for the tfjs tests and the mlp benchmark, standing in until the
 * real ingestion (lib/data) lands: header row, comma split (surrounding quotes stripped; no
 * embedded commas), CRLF and blank lines tolerated, `NA` / empty → NaN, text columns one-hot
 * encoded (with `NA` as a category of its own), standardisation fitted on training rows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Matrix, Task, TrainingSet } from '../../lib/models/model';
import { Rng } from '../../lib/util/random';

export interface LoadOptions {
  target: string;
  task: Task;
  /** Columns left out (identifiers, leaks). */
  drop?: string[];
  /** Applied to a numeric target (e.g. Math.log for prices). */
  transform?: (v: number) => number;
}

const MISSING = new Set(['', 'NA', 'na', 'NaN', 'null']);

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** Header and rows of fields. */
export function readCsv(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0].split(',').map(unquote);
  return { header, rows: lines.slice(1).map((l) => l.split(',').map(unquote)) };
}

/** The whole file as a training set: features in file order, text columns expanded to one-hot. */
export function loadCsv(path: string, opts: LoadOptions): TrainingSet {
  const { header, rows } = readCsv(path);
  const t = header.indexOf(opts.target);
  if (t < 0) throw new Error(`no column '${opts.target}' in ${path}`);
  const drop = new Set(opts.drop ?? []);
  const columns: { name: string; values: Float64Array }[] = [];
  header.forEach((name, c) => {
    if (c === t || drop.has(name)) return;
    const raw = rows.map((r) => r[c] ?? '');
    const numeric = raw.every((v) => MISSING.has(v) || Number.isFinite(Number(v)));
    if (numeric) {
      columns.push({ name, values: Float64Array.from(raw, (v) => (MISSING.has(v) ? NaN : Number(v))) });
      return;
    }
    const levels = [...new Set(raw)].sort();
    for (const level of levels) columns.push({ name: `${name}=${level}`, values: Float64Array.from(raw, (v) => (v === level ? 1 : 0)) });
  });
  const n = rows.length;
  const d = columns.length;
  const data = new Float32Array(n * d);
  columns.forEach((col, c) => {
    for (let r = 0; r < n; r++) data[r * d + c] = col.values[r];
  });
  const targetRaw = rows.map((r) => r[t]);
  const y = new Float32Array(n);
  let classes: string[] | undefined;
  if (opts.task === 'classification') {
    classes = [...new Set(targetRaw)].sort();
    const index = new Map(classes.map((c, i) => [c, i]));
    targetRaw.forEach((v, i) => (y[i] = index.get(v)!));
  } else {
    targetRaw.forEach((v, i) => (y[i] = (opts.transform ?? ((x: number) => x))(Number(v))));
  }
  return {
    task: opts.task,
    x: { data, rows: n, cols: d },
    y,
    nClasses: classes?.length ?? 0,
    classes,
    features: columns.map((c) => ({ name: c.name, kind: 'numeric' as const })),
  };
}

/** Rows `idx` of a set (copied). */
export function subset(set: TrainingSet, idx: ArrayLike<number>): TrainingSet {
  const d = set.x.cols;
  const data = new Float32Array(idx.length * d);
  const y = new Float32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    data.set(set.x.data.subarray(idx[i] * d, (idx[i] + 1) * d), i * d);
    y[i] = set.y[idx[i]];
  }
  return { ...set, x: { data, rows: idx.length, cols: d }, y };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** First `nTrain` rows / the rest (the Letter convention: 16,000 / 4,000), or a seeded split. */
export function split(set: TrainingSet, nTrain: number, seed?: number): { train: TrainingSet; test: TrainingSet } {
  const order = seed === undefined ? Int32Array.from(range(0, set.x.rows)) : new Rng(seed).permutation(set.x.rows);
  return { train: subset(set, order.subarray(0, nTrain)), test: subset(set, order.subarray(nTrain)) };
}

/**
 * Standardises columns in place with the mean and std of `train` (NaN ignored), then replaces
 * NaN by 0 — mean imputation. Constant columns are centred only.
 */
export function standardize(train: Matrix, ...others: Matrix[]): { mean: Float64Array; std: Float64Array } {
  const d = train.cols;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  const count = new Float64Array(d);
  for (let r = 0; r < train.rows; r++) {
    for (let c = 0; c < d; c++) {
      const v = train.data[r * d + c];
      if (Number.isNaN(v)) continue;
      mean[c] += v;
      count[c]++;
    }
  }
  for (let c = 0; c < d; c++) mean[c] /= Math.max(1, count[c]);
  for (let r = 0; r < train.rows; r++) {
    for (let c = 0; c < d; c++) {
      const v = train.data[r * d + c];
      if (!Number.isNaN(v)) std[c] += (v - mean[c]) ** 2;
    }
  }
  for (let c = 0; c < d; c++) std[c] = Math.sqrt(std[c] / Math.max(1, count[c])) || 1;
  for (const m of [train, ...others]) {
    for (let i = 0; i < m.data.length; i++) {
      const c = i % d;
      const v = m.data[i];
      m.data[i] = Number.isNaN(v) ? 0 : (v - mean[c]) / std[c];
    }
  }
  return { mean, std };
}

/** Share of rows whose most probable class is the label. */
export function accuracy(probs: Float32Array, y: Float32Array, nClasses: number): number {
  let ok = 0;
  for (let r = 0; r < y.length; r++) {
    let best = 0;
    for (let k = 1; k < nClasses; k++) if (probs[r * nClasses + k] > probs[r * nClasses + best]) best = k;
    if (best === y[r]) ok++;
  }
  return ok / y.length;
}

export function rmse(pred: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i] - y[i]) ** 2;
  return Math.sqrt(s / y.length);
}

/** Where the sample and shared datasets live, from this file (works from bench/lib and dist/bench/lib). */
export function dataPath(name: string): string {
  for (const up of ['../..', '../../..']) {
    const p = join(__dirname, up, 'data', name);
    if (existsSync(p)) return p;
  }
  return join(__dirname, '../../data', name);
}

/** `../shared/data/<name>` beside the project when present (tests that need it skip with a printed reason otherwise). */
export function sharedDataPath(name: string): string | undefined {
  for (const dir of [join(__dirname, '../../../shared/data'), join(__dirname, '../../../../shared/data')]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Letter with the usual 16,000 / 4,000 split, standardised on the training rows. */
export function letterSplit(): { train: TrainingSet; test: TrainingSet } {
  const s = split(loadCsv(dataPath('letter-recognition.csv'), { target: 'lettr', task: 'classification' }), 16000);
  standardize(s.train.x, s.test.x);
  return s;
}

/** Iris, 100 training / 50 test rows (seeded split), standardised on the training rows. */
export function irisSplit(seed = 7): { train: TrainingSet; test: TrainingSet } {
  const s = split(loadCsv(dataPath('iris.csv'), { target: 'class', task: 'classification' }), 100, seed);
  standardize(s.train.x, s.test.x);
  return s;
}

/**
 * Seeded synthetic regression: `y = 3 + 2·x0 − x1 + 0.5·x2 + 1.5·x0·x1 + noise` on standard normal
 * features (with `interaction` false the product term is left out, making it exactly linear).
 */
export function syntheticRegression(rows: number, seed: number, noise = 0.1, interaction = true): TrainingSet {
  const rng = new Rng(seed);
  const d = 4;
  const data = new Float32Array(rows * d);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < d; c++) data[r * d + c] = rng.normal();
    const [x0, x1, x2] = [data[r * d], data[r * d + 1], data[r * d + 2]];
    y[r] = 3 + 2 * x0 - x1 + 0.5 * x2 + (interaction ? 1.5 * x0 * x1 : 0) + noise * rng.normal();
  }
  return {
    task: 'regression',
    x: { data, rows, cols: d },
    y,
    nClasses: 0,
    features: Array.from({ length: d }, (_, c) => ({ name: `x${c}`, kind: 'numeric' as const })),
  };
}

/** The first `rows` rows of a set (a view, not a copy). */
export function head(set: TrainingSet, rows: number): TrainingSet {
  return { ...set, x: { data: set.x.data.subarray(0, rows * set.x.cols), rows, cols: set.x.cols }, y: set.y.subarray(0, rows) };
}
