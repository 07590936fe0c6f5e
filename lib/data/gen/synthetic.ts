/**
 * Seeded synthetic tabular data for scale tests: numeric and categorical features, missing values,
 * and a target that is learnable — a random "teacher" function of the features plus noise — so a
 * scale test can check accuracy, not only speed.
 *
 * The teacher (all drawn from the seed):
 * - numeric feature j is `mean_j + scale_j · z_j` with z_j ~ N(0, 1), written with 3 decimals;
 * - categorical feature k takes one of `levels` values, with unequal frequencies;
 * - class c's score is `Σ_j W[c][j]·z_j + Σ_k E[c][k][level_k] + V[c]·z_0·z_1` (an interaction a
 *   linear model cannot fully capture); the label is the argmax of score + `noise`·N(0, 1);
 * - a regression target is `Σ_j w_j·z_j + Σ_k e_k[level_k] + sin(2·z_0) + noise·N(0, 1)`.
 * The teacher sees the values before missing ones are blanked out, so missing cells are noise.
 *
 * Rows are produced as byte chunks (no string per value, never the whole file in memory); the same
 * options and seed give the same bytes.
 */
import { QuorumError } from '../../errors';
import { Rng, deriveSeed } from '../../util/random';
import type { Task } from '../table';

export interface SyntheticOptions {
  rows: number;
  /** Number of feature columns (numeric + categorical). */
  features: number;
  /** Classes of a classification target (≥ 2); ignored for regression. */
  classes: number;
  seed: number;
  /** How many of the features are categorical; default a fifth of them. */
  categorical?: number;
  /** Distinct values per categorical feature; default 8. */
  levels?: number;
  /** Probability that a feature cell is missing; default 0.02. Written as '' or 'NA'. */
  missing?: number;
  /** Default 'classification'. */
  task?: Task;
  /** Standard deviation of the noise added to the teacher's scores; default 0.5. */
  noise?: number;
}

export type ResolvedSynthetic = Required<SyntheticOptions>;

/** Validates and completes the options. */
export function resolveSynthetic(o: SyntheticOptions): ResolvedSynthetic {
  const int = (name: string, v: number, min: number): number => {
    if (!Number.isFinite(v) || v < min || Math.floor(v) !== v) {
      throw new QuorumError('BAD_REQUEST', `${name} must be a whole number ≥ ${min}; got ${v}`);
    }
    return v;
  };
  const features = int('features', o.features, 1);
  const categorical = int('categorical', o.categorical ?? Math.floor(features / 5), 0);
  if (categorical > features) throw new QuorumError('BAD_REQUEST', `categorical (${categorical}) cannot exceed features (${features})`);
  const task = o.task ?? 'classification';
  if (task !== 'classification' && task !== 'regression') throw new QuorumError('BAD_REQUEST', `task must be 'classification' or 'regression'; got '${String(task)}'`);
  const missing = o.missing ?? 0.02;
  if (!(missing >= 0 && missing < 1)) throw new QuorumError('BAD_REQUEST', `missing must be in [0, 1); got ${missing}`);
  const noise = o.noise ?? 0.5;
  if (!(noise >= 0)) throw new QuorumError('BAD_REQUEST', `noise must be ≥ 0; got ${noise}`);
  return {
    rows: int('rows', o.rows, 1),
    features,
    classes: task === 'classification' ? int('classes', o.classes, 2) : 0,
    seed: int('seed', o.seed, 0),
    categorical,
    levels: int('levels', o.levels ?? 8, 2),
    missing,
    task,
    noise,
  };
}

/** The random function behind the target; exposed so tests can measure how learnable it is. */
export class Teacher {
  readonly numeric: number;
  readonly categorical: number;
  readonly means: Float64Array;
  readonly scales: Float64Array;
  /** Cumulative level probabilities per categorical feature (levels per row). */
  readonly levelCdf: Float64Array[];
  private readonly weights: Float64Array; // outputs × numeric
  private readonly effects: Float64Array; // outputs × categorical × levels
  private readonly interaction: Float64Array; // outputs
  private readonly outputs: number;

  constructor(private readonly o: ResolvedSynthetic) {
    const rng = new Rng(deriveSeed(o.seed, 0));
    this.numeric = o.features - o.categorical;
    this.categorical = o.categorical;
    this.outputs = o.task === 'classification' ? o.classes : 1;
    this.means = Float64Array.from({ length: this.numeric }, () => Math.round((rng.float() * 20 - 10) * 10) / 10);
    this.scales = Float64Array.from({ length: this.numeric }, () => Math.round((0.5 + rng.float() * 9.5) * 10) / 10);
    this.levelCdf = Array.from({ length: this.categorical }, () => {
      const w = Float64Array.from({ length: o.levels }, () => 0.2 + rng.float());
      let total = 0;
      return w.map((x) => (total += x)).map((x) => x / total);
    });
    this.weights = Float64Array.from({ length: this.outputs * this.numeric }, () => rng.normal());
    this.effects = Float64Array.from({ length: this.outputs * this.categorical * o.levels }, () => rng.normal());
    this.interaction = Float64Array.from({ length: this.outputs }, () => rng.normal());
  }

  /** Noise-free score of output `k` for standardised numeric values `z` and category levels. */
  score(k: number, z: Float64Array, levels: Int32Array): number {
    const { numeric, categorical } = this;
    let s = 0;
    for (let j = 0; j < numeric; j++) s += this.weights[k * numeric + j] * z[j];
    for (let j = 0; j < categorical; j++) s += this.effects[(k * categorical + j) * this.o.levels + levels[j]];
    if (numeric >= 2) s += this.interaction[k] * z[0] * z[1];
    return this.o.task === 'regression' && numeric >= 1 ? s + Math.sin(2 * z[0]) : s;
  }

  /** The target for one row: a class index, or a regression value (noise included). */
  target(z: Float64Array, levels: Int32Array, rng: Rng): number {
    if (this.o.task === 'regression') return this.score(0, z, levels) + this.o.noise * rng.normal();
    let best = 0;
    let bestScore = -Infinity;
    for (let k = 0; k < this.outputs; k++) {
      const s = this.score(k, z, levels) + this.o.noise * rng.normal();
      if (s > bestScore) [best, bestScore] = [k, s];
    }
    return best;
  }
}

/** Column names: `x1…` numeric, `cat1…` categorical, then `target`. */
export function syntheticHeader(o: ResolvedSynthetic): string[] {
  const numeric = o.features - o.categorical;
  return [
    ...Array.from({ length: numeric }, (_, j) => `x${j + 1}`),
    ...Array.from({ length: o.categorical }, (_, j) => `cat${j + 1}`),
    'target',
  ];
}

/** Writes `v` rounded to `decimals` places as ASCII at `pos`; returns the new position. */
function writeFixed(buf: Buffer, pos: number, v: number, decimals: number): number {
  const factor = 10 ** decimals;
  let scaled = Math.round(v * factor);
  if (scaled < 0) {
    buf[pos++] = 45;
    scaled = -scaled;
  }
  let intPart = Math.floor(scaled / factor);
  let frac = scaled - intPart * factor;
  let digits = 1;
  for (let t = intPart; t >= 10; t = Math.floor(t / 10)) digits++;
  for (let d = digits - 1; d >= 0; d--) {
    buf[pos + d] = 48 + (intPart % 10);
    intPart = Math.floor(intPart / 10);
  }
  pos += digits;
  if (decimals > 0) {
    buf[pos++] = 46;
    for (let d = decimals - 1; d >= 0; d--) {
      buf[pos + d] = 48 + (frac % 10);
      frac = Math.floor(frac / 10);
    }
    pos += decimals;
  }
  return pos;
}

/**
 * The CSV as a sequence of byte chunks of about `chunkBytes` (header first). `onRows` is told
 * how many rows are done after each chunk.
 */
export function* syntheticCsv(options: SyntheticOptions, chunkBytes = 1 << 20, onRows?: (rows: number) => void): Generator<Buffer> {
  const o = resolveSynthetic(options);
  const teacher = new Teacher(o);
  const rng = new Rng(deriveSeed(o.seed, 1));
  const { numeric, categorical } = teacher;
  const levelNames = Array.from({ length: o.levels }, (_, l) => `v${l}`);
  const classNames = Array.from({ length: o.classes }, (_, c) => `class_${c}`);
  const z = new Float64Array(numeric);
  const levels = new Int32Array(categorical);
  // a row is at most ~24 bytes per value; keep room for one more row
  const rowMax = 32 * (o.features + 1) + 64;
  let buf = Buffer.allocUnsafe(chunkBytes + rowMax);
  let pos = buf.write(`${syntheticHeader(o).join(',')}\n`, 0, 'utf8');
  for (let r = 0; r < o.rows; r++) {
    for (let j = 0; j < numeric; j++) z[j] = rng.normal();
    for (let j = 0; j < categorical; j++) {
      const u = rng.float();
      const cdf = teacher.levelCdf[j];
      let l = 0;
      while (l < cdf.length - 1 && u > cdf[l]) l++;
      levels[j] = l;
    }
    const y = teacher.target(z, levels, rng);
    for (let j = 0; j < numeric + categorical; j++) {
      if (j > 0) buf[pos++] = 44;
      if (o.missing > 0 && rng.float() < o.missing) {
        if (rng.float() < 0.2) pos += buf.write('NA', pos, 'latin1');
        continue;
      }
      if (j < numeric) pos = writeFixed(buf, pos, teacher.means[j] + teacher.scales[j] * z[j], 3);
      else pos += buf.write(levelNames[levels[j - numeric]], pos, 'latin1');
    }
    buf[pos++] = 44;
    if (o.task === 'classification') pos += buf.write(classNames[y], pos, 'latin1');
    else pos = writeFixed(buf, pos, y, 4);
    buf[pos++] = 10;
    if (pos >= chunkBytes) {
      yield buf.subarray(0, pos);
      onRows?.(r + 1);
      buf = Buffer.allocUnsafe(chunkBytes + rowMax);
      pos = 0;
    }
  }
  if (pos > 0) yield buf.subarray(0, pos);
  onRows?.(o.rows);
}
