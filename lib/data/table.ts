/**
 * The in-memory form of an ingested dataset: one typed array per column, no row objects.
 *
 * Physical storage is two kinds of array:
 * - `Float64Array` for numeric, boolean (0/1) and datetime (milliseconds since the epoch, UTC)
 *   columns, with NaN for a missing value;
 * - `Int32Array` codes into `categories` for categorical columns, with -1 for a missing value.
 *
 * An array may be a view of a slightly larger buffer (the reader reserves a column once from an
 * estimate and does not copy it to trim the slack): use `.length`, and `.byteOffset` /
 * `.byteLength` whenever you go through `.buffer`.
 */
import type { Task } from '../core/types';

export type { Task };

export type LogicalType = 'numeric' | 'categorical' | 'boolean' | 'datetime';

/** Why a column is or is not used as a feature. */
export type ColumnRole = 'feature' | 'identifier' | 'constant' | 'ignored' | 'empty';

export interface NumericColumn {
  name: string;
  type: 'numeric' | 'boolean' | 'datetime';
  values: Float64Array;
  /**
   * Boolean columns: the user's own spellings of false and true (e.g. `['No', 'Yes']`), so that
   * predictions can answer in the user's words. Absent for numeric and datetime columns.
   */
  labels?: [string, string];
}

export interface CategoricalColumn {
  name: string;
  type: 'categorical';
  codes: Int32Array;
  categories: string[];
}

export type Column = NumericColumn | CategoricalColumn;

export interface Table {
  nRows: number;
  columns: Column[];
}

export interface Dialect {
  delimiter: string;
  quote: string;
  header: boolean;
  /** The first line ending seen ('cr': old Mac files); every row may end in any of them. */
  lineEnding: 'lf' | 'crlf' | 'cr';
  bom: boolean;
  gzip: boolean;
}

export interface ColumnProfile {
  name: string;
  type: LogicalType;
  role: ColumnRole;
  missing: number;
  distinct: number;
  /** True when `distinct` is an estimate (large high-cardinality numeric columns; about ±1.6 %). */
  distinctApprox?: boolean;
  /** numeric / datetime / boolean columns */
  min?: number;
  max?: number;
  mean?: number;
  std?: number;
  /** categorical columns: the most frequent values, most frequent first */
  top?: { value: string; count: number }[];
  /** why the role is not 'feature', or anything else worth telling the user */
  note?: string;
}

export interface IngestResult {
  table: Table;
  dialect: Dialect;
  profile: ColumnProfile[];
  /** Human-readable notes: rows skipped, tokens read as missing, columns dropped… */
  warnings: string[];
  /** Bytes read from the source (compressed size for gzip input). */
  bytes: number;
  /** Present when a target was chosen (`IngestOptions.target` or `withTarget`). */
  target?: TargetSummary;
  /** Counters of the read itself. */
  stats?: IngestStats;
}

/**
 * The column to predict, as reported with an ingest (the full target, with its `y` vector, is
 * `resolveTarget` in target.ts, whose rules this follows).
 */
export interface TargetSummary {
  name: string;
  task: Task;
  /** True when `task` was inferred from the data rather than given. */
  inferred: boolean;
  /** Classification: every class with its row count, in class-index order (class balance). */
  classes?: { label: string; count: number }[];
  /** Rows dropped because the target was missing in them. */
  droppedRows: number;
}

export interface IngestStats {
  /** Decompressed bytes of CSV text (equals `bytes` for plain input). */
  textBytes: number;
  /** Physical lines read, header included. */
  lines: number;
  /** Empty or whitespace-only lines skipped. */
  blankLines: number;
  /** Cells read as missing, by the token that matched (`''` for empty fields). */
  missingTokens: Record<string, number>;
}


/** True when row `r` of column `c` is missing. */
export function isMissing(c: Column, r: number): boolean {
  return c.type === 'categorical' ? c.codes[r] < 0 : Number.isNaN(c.values[r]);
}

/**
 * A new table holding the rows where `keep[r]` is non-zero, in order. Categories and labels are
 * shared with the input (they are never mutated).
 */
export function filterRows(table: Table, keep: Uint8Array): Table {
  let n = 0;
  for (let r = 0; r < table.nRows; r++) if (keep[r]) n++;
  const columns = table.columns.map((c): Column => {
    if (c.type === 'categorical') {
      const codes = new Int32Array(n);
      for (let r = 0, k = 0; r < table.nRows; r++) if (keep[r]) codes[k++] = c.codes[r];
      return { ...c, codes };
    }
    const values = new Float64Array(n);
    for (let r = 0, k = 0; r < table.nRows; r++) if (keep[r]) values[k++] = c.values[r];
    return { ...c, values };
  });
  return { nRows: n, columns };
}

/** The column called `name`, or undefined. */
export function findColumn(table: Table, name: string): Column | undefined {
  return table.columns.find((c) => c.name === name);
}
