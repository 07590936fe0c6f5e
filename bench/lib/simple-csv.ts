/**
 * A deliberately minimal CSV loader for tests and benchmarks, until the real ingestion
 * (`lib/data/csv.ts`) lands: comma split (no quoted fields), header row, CRLF and blank lines
 * tolerated, `NA` / empty → missing, a column is numeric when every present cell parses as a number,
 * otherwise categorical with codes in sorted label order.
 */
import { readFileSync } from 'node:fs';
import type { FeatureInfo, TrainingSet } from '../../lib/models/model';

export interface SimpleColumn {
  name: string;
  /** Numeric values, or categorical codes as floats; NaN when missing. */
  values: Float64Array;
  /** Sorted labels for categorical columns (codes index into them); undefined for numeric ones. */
  labels?: string[];
}

export interface SimpleTable {
  nRows: number;
  columns: SimpleColumn[];
}

const isMissing = (cell: string): boolean => cell === '' || cell === 'NA';

/** Parses CSV text (see the file comment for what is and is not supported). */
export function parseSimpleCsv(text: string): SimpleTable {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines.length === 0) throw new Error('empty CSV');
  const names = lines[0].split(',');
  const cells = lines.slice(1).map((line, i) => {
    const row = line.split(',');
    if (row.length !== names.length) throw new Error(`line ${i + 2}: ${row.length} fields, expected ${names.length}`);
    return row;
  });
  const columns = names.map((name, c): SimpleColumn => {
    const raw = cells.map((row) => row[c]);
    const numeric = raw.every((cell) => isMissing(cell) || Number.isFinite(Number(cell)));
    const values = new Float64Array(raw.length);
    if (numeric) {
      raw.forEach((cell, r) => (values[r] = isMissing(cell) ? NaN : Number(cell)));
      return { name, values };
    }
    const labels = [...new Set(raw.filter((cell) => !isMissing(cell)))].sort();
    const code = new Map(labels.map((label, i) => [label, i]));
    raw.forEach((cell, r) => (values[r] = isMissing(cell) ? NaN : code.get(cell)!));
    return { name, values, labels };
  });
  return { nRows: cells.length, columns };
}

/** Reads and parses a CSV file. */
export function loadSimpleCsv(path: string): SimpleTable {
  return parseSimpleCsv(readFileSync(path, 'utf8'));
}

export interface TrainingSetOptions {
  /** 'classification' when the target is text, else 'regression', unless given. */
  task?: 'classification' | 'regression';
  /** Columns left out of the features (identifiers, leaks). */
  drop?: string[];
  /** Maps the regression target (e.g. Math.log). */
  transformTarget?: (v: number) => number;
  /** Only these rows, in this order (a split). */
  rows?: ArrayLike<number>;
}

/**
 * Builds a {@link TrainingSet} for `target`: classes are the sorted target labels (numeric targets
 * of a classification are labelled by their value), features are all other columns.
 */
export function toTrainingSet(table: SimpleTable, target: string, options: TrainingSetOptions = {}): TrainingSet {
  const targetColumn = table.columns.find((c) => c.name === target);
  if (!targetColumn) throw new Error(`no column '${target}'`);
  const task = options.task ?? (targetColumn.labels ? 'classification' : 'regression');
  const drop = new Set([target, ...(options.drop ?? [])]);
  const featureColumns = table.columns.filter((c) => !drop.has(c.name));
  const rows = options.rows ?? Int32Array.from({ length: table.nRows }, (_, i) => i);
  const n = rows.length;
  const cols = featureColumns.length;
  const x = new Float32Array(n * cols);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    for (let c = 0; c < cols; c++) x[i * cols + c] = featureColumns[c].values[r];
  }
  const features: FeatureInfo[] = featureColumns.map((c) =>
    c.labels ? { name: c.name, kind: 'categorical', cardinality: c.labels.length } : { name: c.name, kind: 'numeric' },
  );
  const y = new Float32Array(n);
  if (task === 'regression') {
    const f = options.transformTarget ?? ((v: number) => v);
    for (let i = 0; i < n; i++) y[i] = f(targetColumn.values[rows[i]]);
    return { task, x: { data: x, rows: n, cols }, y, nClasses: 0, features };
  }
  // Codes follow sorted label order already, so sorting codes sorts labels; numeric targets (0/1)
  // are labelled by their value, in numeric order.
  const labelOf = (v: number): string => (targetColumn.labels ? targetColumn.labels[v] : String(v));
  const present = [...new Set(Array.from(rows, (r) => targetColumn.values[r]).filter((v) => !Number.isNaN(v)))];
  present.sort((a, b) => a - b);
  const index = new Map(present.map((v, i) => [v, i]));
  for (let i = 0; i < n; i++) {
    const v = targetColumn.values[rows[i]];
    if (Number.isNaN(v)) throw new Error(`row ${rows[i]}: missing target '${target}'`);
    y[i] = index.get(v)!;
  }
  return { task, x: { data: x, rows: n, cols }, y, nClasses: present.length, classes: present.map(labelOf), features };
}
