/**
 * The in-memory form of an ingested dataset: one typed array per column, no row objects.
 *
 * Physical storage is two kinds of array:
 * - `Float64Array` for numeric, boolean (0/1) and datetime (milliseconds since the epoch, UTC)
 *   columns, with NaN for a missing value;
 * - `Int32Array` codes into `categories` for categorical columns, with -1 for a missing value.
 */

export type LogicalType = 'numeric' | 'categorical' | 'boolean' | 'datetime';

/** Why a column is or is not used as a feature. */
export type ColumnRole = 'feature' | 'identifier' | 'constant' | 'ignored' | 'empty';

export interface NumericColumn {
  name: string;
  type: 'numeric' | 'boolean' | 'datetime';
  values: Float64Array;
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
  lineEnding: 'lf' | 'crlf';
  bom: boolean;
  gzip: boolean;
}

export interface ColumnProfile {
  name: string;
  type: LogicalType;
  role: ColumnRole;
  missing: number;
  distinct: number;
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
}

export function isCategorical(c: Column): c is CategoricalColumn {
  return c.type === 'categorical';
}

/** True when row `r` of column `c` is missing. */
export function isMissing(c: Column, r: number): boolean {
  return c.type === 'categorical' ? c.codes[r] < 0 : Number.isNaN(c.values[r]);
}

/** The column called `name`, or undefined. */
export function findColumn(table: Table, name: string): Column | undefined {
  return table.columns.find((c) => c.name === name);
}
