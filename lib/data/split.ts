/**
 * Train / validation split of the rows that have a target. Stratified for classes (every class
 * keeps its share in both parts), random for regression, or time-ordered (the last rows by a time
 * column validate: no peeking into the future).
 */
import { QuorumError } from '../errors';
import { Rng } from '../util/random';

export type SplitMethod = 'stratified' | 'random' | 'time';

export interface SplitOptions {
  /** Share of rows held out, in (0, 0.9]. Default 0.2. */
  validationFraction?: number;
  seed: number;
  method: SplitMethod;
  /** Class index per table row (stratified). */
  classOf?: Float32Array;
  /** Time value per table row (time-ordered). */
  timeOf?: Float64Array;
}

export interface Split {
  train: Int32Array;
  validation: Int32Array;
}

/** Splits `rows` (table row ids). Both parts are returned in ascending row order. */
export function splitRows(rows: Int32Array, options: SplitOptions): Split {
  const fraction = options.validationFraction ?? 0.2;
  if (!(fraction > 0 && fraction <= 0.9)) {
    throw new QuorumError('BAD_REQUEST', `validationFraction must be in (0, 0.9], got ${fraction}`);
  }
  if (rows.length < 2) throw new QuorumError('TOO_FEW_ROWS', `${rows.length} row(s) with a target: need at least 2 to hold one out for validation`);
  const rng = new Rng(options.seed);
  const held: number[] = [];
  if (options.method === 'stratified') {
    if (!options.classOf) throw new QuorumError('INTERNAL', 'stratified split needs classOf');
    const byClass = new Map<number, number[]>();
    for (const r of rows) {
      const k = options.classOf[r];
      if (!byClass.has(k)) byClass.set(k, []);
      byClass.get(k)!.push(r);
    }
    for (const k of [...byClass.keys()].sort((a, b) => a - b)) {
      const members = rng.shuffle(byClass.get(k)!);
      // A class with one row stays in training; otherwise at least one row validates it.
      const take = members.length < 2 ? 0 : Math.max(1, Math.round(members.length * fraction));
      held.push(...members.slice(0, Math.min(take, members.length - 1)));
    }
  } else if (options.method === 'time') {
    if (!options.timeOf) throw new QuorumError('INTERNAL', 'time split needs timeOf');
    const t = options.timeOf;
    const ordered = Array.from(rows).sort((a, b) => (t[a] - t[b]) || a - b);
    held.push(...ordered.slice(ordered.length - Math.max(1, Math.round(ordered.length * fraction))));
  } else {
    const shuffled = rng.shuffle(Array.from(rows));
    held.push(...shuffled.slice(0, Math.max(1, Math.round(shuffled.length * fraction))));
  }
  const isHeld = new Set(held);
  const train = Int32Array.from(Array.from(rows).filter((r) => !isHeld.has(r)));
  const validation = Int32Array.from(held).sort();
  if (train.length === 0) throw new QuorumError('TOO_FEW_ROWS', 'no rows left for training after the validation split: lower validationFraction');
  return { train, validation };
}
