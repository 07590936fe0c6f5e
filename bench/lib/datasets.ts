/**
 * The datasets and fixed splits the forest benchmark and tests share, so both measure the same
 * rows. Letter ships in `data/`; the larger sets live in `../shared/data` and may be absent
 * (callers skip with a printed reason).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TrainingSet } from '../../lib/models/model';
import { Rng } from '../../lib/util/random';
import { loadSimpleCsv, toTrainingSet } from './simple-csv';

const up2 = path.resolve(__dirname, '..', '..');
/** The project root (this file runs from `bench/lib` under ts-jest and from `dist/bench/lib` built). */
export const ROOT = path.basename(up2) === 'dist' ? path.dirname(up2) : up2;
export const SHARED_DATA = path.resolve(ROOT, '..', 'shared', 'data');

/** Path of a larger shared dataset, or null when `../shared/data` does not have it. */
export function sharedFile(name: string): string | null {
  const file = path.join(SHARED_DATA, name);
  return existsSync(file) ? file : null;
}

export interface Split {
  train: TrainingSet;
  test: TrainingSet;
}

const range = (a: number, b: number): Int32Array => Int32Array.from({ length: b - a }, (_, i) => a + i);

/** Letter: the first 16,000 rows train, the last 4,000 test (the usual split of this set). */
export function letterSplit(file = sharedFile('letter-recognition.csv') ?? path.join(ROOT, 'data', 'letter-recognition.csv')): Split {
  const t = loadSimpleCsv(file);
  return { train: toTrainingSet(t, 'lettr', { rows: range(0, 16000) }), test: toTrainingSet(t, 'lettr', { rows: range(16000, t.nRows) }) };
}

/** Iris (from `data/`): a seeded 100 / 50 split (the file is sorted by class). */
export function irisSplit(): Split {
  const t = loadSimpleCsv(path.join(ROOT, 'data', 'iris.csv'));
  const perm = new Rng(7).permutation(t.nRows);
  return { train: toTrainingSet(t, 'class', { rows: perm.subarray(0, 100) }), test: toTrainingSet(t, 'class', { rows: perm.subarray(100) }) };
}

/** Row indices of the seeded 80/20 House Prices split (the Python side of the bench reads them). */
export function houseRows(nRows: number): { train: number[]; test: number[] } {
  const perm = Array.from(new Rng(20240).permutation(nRows));
  const cut = Math.round(nRows * 0.8);
  return { train: perm.slice(0, cut), test: perm.slice(cut) };
}

/** House Prices: target log(SalePrice), `Id` dropped, text columns as codes; null when absent. */
export function houseSplit(): Split | null {
  const file = sharedFile('house-prices-train.csv');
  if (!file) return null;
  const t = loadSimpleCsv(file);
  const rows = houseRows(t.nRows);
  const opts = { task: 'regression' as const, drop: ['Id'], transformTarget: Math.log };
  return { train: toTrainingSet(t, 'SalePrice', { ...opts, rows: rows.train }), test: toTrainingSet(t, 'SalePrice', { ...opts, rows: rows.test }) };
}
