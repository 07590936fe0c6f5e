/**
 * The feature encoder: which columns are features and how each becomes numbers. It is fitted once
 * per training job, stored with the model version, and applied twice: to the table when training
 * (typed arrays in, typed arrays out) and to JSON rows by column name at predict time, with the
 * same rules for missing tokens, booleans and dates that ingestion used.
 *
 * Output ("native" features, what trees consume): a row-major Float32 matrix with NaN for missing;
 * categorical columns become their category code; booleans 0/1; datetimes expand into parts.
 */
import { previewValue, QuorumError } from '../errors';
import type { FeatureInfo, Matrix } from '../core/types';
import type { ColumnProfile, NumericColumn, Table } from './table';
import { DEFAULT_MISSING, missingTest, parseBooleanToken, parseDateToken, parseNumberToken } from './values';

export type DatePart = 'year' | 'month' | 'day' | 'weekday' | 'hour' | 'minute';

export type FeatureColumnSpec =
  | { name: string; type: 'numeric' }
  | { name: string; type: 'boolean'; labels?: [string, string] }
  | { name: string; type: 'datetime'; parts: DatePart[] }
  | { name: string; type: 'categorical'; categories: string[] };

export interface EncoderSpec {
  version: 1;
  columns: FeatureColumnSpec[];
  /** Tokens read as missing at predict time (the dataset's ingestion tokens). */
  missing: string[];
}

export interface EncoderOptions {
  /** Columns never used as features (besides the target). */
  exclude?: string[];
  missing?: readonly string[];
}

function dateParts(values: Float64Array): DatePart[] {
  let hasTime = false;
  let hasMinutes = false;
  for (let i = 0; i < values.length && !hasMinutes; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    const d = new Date(v);
    if (d.getUTCHours() !== 0) hasTime = true;
    if (d.getUTCMinutes() !== 0) hasTime = hasMinutes = true;
  }
  const parts: DatePart[] = ['year', 'month', 'day', 'weekday'];
  if (hasTime) parts.push('hour');
  if (hasMinutes) parts.push('minute');
  return parts;
}

/** Chooses the feature columns (profile role 'feature', not the target) and records their encoding. */
export function fitEncoder(table: Table, profile: ColumnProfile[] | undefined, target: string, options: EncoderOptions = {}): EncoderSpec {
  const exclude = new Set([target, ...(options.exclude ?? [])]);
  const columns: FeatureColumnSpec[] = [];
  for (const column of table.columns) {
    if (exclude.has(column.name)) continue;
    const role = profile?.find((p) => p.name === column.name)?.role ?? 'feature';
    if (role !== 'feature') continue;
    if (column.type === 'categorical') columns.push({ name: column.name, type: 'categorical', categories: column.categories.slice() });
    else if (column.type === 'datetime') columns.push({ name: column.name, type: 'datetime', parts: dateParts(column.values) });
    else if (column.type === 'boolean') {
      const labels = (column as NumericColumn & { labels?: [string, string] }).labels;
      columns.push(labels ? { name: column.name, type: 'boolean', labels } : { name: column.name, type: 'boolean' });
    } else columns.push({ name: column.name, type: 'numeric' });
  }
  if (columns.length === 0) {
    throw new QuorumError('NO_FEATURES', `no feature columns left besides target '${target}' (identifier, constant, empty and ignored columns are not features)`, {
      target,
    });
  }
  return { version: 1, columns, missing: [...(options.missing ?? DEFAULT_MISSING)] };
}

/** Names and kinds of the encoded features, in matrix column order. */
export function featureInfo(spec: EncoderSpec): FeatureInfo[] {
  const out: FeatureInfo[] = [];
  for (const c of spec.columns) {
    if (c.type === 'datetime') for (const p of c.parts) out.push({ name: `${c.name}.${p}`, kind: 'numeric' });
    else if (c.type === 'categorical') out.push({ name: c.name, kind: 'categorical', cardinality: c.categories.length });
    else out.push({ name: c.name, kind: 'numeric' });
  }
  return out;
}

function datePart(ms: number, part: DatePart): number {
  if (Number.isNaN(ms)) return NaN;
  const d = new Date(ms);
  switch (part) {
    case 'year': return d.getUTCFullYear();
    case 'month': return d.getUTCMonth() + 1;
    case 'day': return d.getUTCDate();
    case 'weekday': return d.getUTCDay();
    case 'hour': return d.getUTCHours();
    case 'minute': return d.getUTCMinutes();
  }
}

/** Table code → encoder code by label (NaN for a label the encoder does not know); null when identical. */
function categoryMap(from: readonly string[], to: readonly string[]): Float32Array | null {
  if (from.length <= to.length && from.every((label, i) => label === to[i])) return null;
  const index = new Map(to.map((label, i) => [label, i]));
  return Float32Array.from(from, (label) => index.get(label) ?? NaN);
}

/** Encodes the given table rows (training and validation) into a native feature matrix. */
export function encodeTable(spec: EncoderSpec, table: Table, rows: Int32Array): Matrix {
  const cols = featureInfo(spec).length;
  const data = new Float32Array(rows.length * cols);
  let offset = 0;
  for (const c of spec.columns) {
    const column = table.columns.find((t) => t.name === c.name);
    if (!column) throw new QuorumError('UNKNOWN_COLUMN', `column '${c.name}' is not in the table`);
    if (c.type === 'categorical') {
      if (column.type !== 'categorical') throw new QuorumError('INTERNAL', `column '${c.name}' changed type`);
      const codes = column.codes;
      // Another table (a node's own data) numbers its categories its own way: map them by label.
      const map = categoryMap(column.categories, c.categories);
      for (let i = 0; i < rows.length; i++) {
        const code = codes[rows[i]];
        data[i * cols + offset] = code < 0 ? NaN : map ? map[code] : code;
      }
      offset++;
    } else if (column.type === 'categorical') {
      throw new QuorumError('INTERNAL', `column '${c.name}' changed type`);
    } else if (c.type === 'datetime') {
      for (const part of c.parts) {
        for (let i = 0; i < rows.length; i++) data[i * cols + offset] = datePart(column.values[rows[i]], part);
        offset++;
      }
    } else {
      const values = column.values;
      for (let i = 0; i < rows.length; i++) data[i * cols + offset] = values[rows[i]];
      offset++;
    }
  }
  return { data, rows: rows.length, cols };
}

/** Most unknown columns or unseen values one encoding remembers for its warnings. */
const MAX_NAMED = 20;

interface EncodeRun {
  data: Float32Array;
  rows: number;
  absent: Map<string, number>;
  unknown: Set<string>;
  unseen: Map<string, Set<string>>;
  ignore: Set<string>;
}

export interface EncodedRows {
  x: Matrix;
  /** Notes for the caller: columns ignored or imputed, unseen categories. */
  warnings: string[];
}

/**
 * Encodes JSON rows by column name at predict time. Values may be numbers, strings, booleans or
 * null. Missing columns are imputed (every model kind handles missing values) and reported; unknown
 * columns are ignored and reported; with `strict` both are errors. A value that cannot be read for
 * its column's type is a BAD_VALUE error naming the row, the column and the value.
 */
export class RowEncoder {
  readonly width: number;
  private readonly missingToken: (s: string) => boolean;
  private readonly known: Set<string>;
  private readonly lookups: (Map<string, number> | undefined)[];

  constructor(readonly spec: EncoderSpec) {
    this.width = featureInfo(spec).length;
    this.missingToken = missingTest(spec.missing);
    this.known = new Set(spec.columns.map((c) => c.name));
    this.lookups = spec.columns.map((c) => (c.type === 'categorical' ? new Map(c.categories.map((v, i) => [v, i])) : undefined));
  }

  encode(rows: readonly Record<string, unknown>[], options: { strict?: boolean; ignore?: string[] } = {}): EncodedRows {
    const run = this.begin(rows.length, options);
    this.encodeRange(rows, 0, rows.length, run);
    return this.finish(run, options);
  }

  /**
   * {@link encode}, `sliceRows` rows at a time with `pause()` awaited between slices: a batch of
   * 100,000 rows never holds the event loop for its whole length. Same result, same errors.
   */
  async encodeInSlices(rows: readonly Record<string, unknown>[], options: { strict?: boolean; ignore?: string[] }, pause: () => Promise<void>, sliceRows = 8192): Promise<EncodedRows> {
    const run = this.begin(rows.length, options);
    for (let r = 0; r < rows.length; r += sliceRows) {
      if (r > 0) await pause();
      this.encodeRange(rows, r, Math.min(rows.length, r + sliceRows), run);
    }
    return this.finish(run, options);
  }

  private begin(rows: number, options: { ignore?: string[] }): EncodeRun {
    return { data: new Float32Array(rows * this.width), rows, absent: new Map(), unknown: new Set(), unseen: new Map(), ignore: new Set(options.ignore ?? []) };
  }

  private encodeRange(rows: readonly Record<string, unknown>[], from: number, to: number, run: EncodeRun): void {
    const width = this.width;
    const { data, absent, unknown, unseen, ignore } = run;
    for (let r = from; r < to; r++) {
      const row = rows[r];
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        throw new QuorumError('BAD_VALUE', `row ${r} is not an object of column → value`, { row: r });
      }
      let seen = 0;
      for (const key in row) {
        if (this.known.has(key)) seen++;
        else if (!ignore.has(key) && unknown.size < MAX_NAMED) unknown.add(key);
      }
      if (seen === 0 && this.spec.columns.length > 0) {
        throw new QuorumError('MISSING_COLUMNS', `row ${r} has none of the model's columns: expected ${this.spec.columns.map((c) => `'${c.name}'`).join(', ')}`, {
          row: r,
          expected: this.spec.columns.map((c) => c.name),
        });
      }
      let offset = r * width;
      this.spec.columns.forEach((c, ci) => {
        const has = Object.prototype.hasOwnProperty.call(row, c.name);
        if (!has) absent.set(c.name, (absent.get(c.name) ?? 0) + 1);
        const raw = has ? row[c.name] : null;
        offset = this.encodeValue(c, ci, raw, r, data, offset, unseen);
      });
    }
  }

  private finish(run: EncodeRun, options: { strict?: boolean }): EncodedRows {
    const { absent, unknown, unseen } = run;
    const absentNames = [...absent.keys()];
    const names = (list: string[]) => list.map((n) => (n.length > 60 ? `${n.slice(0, 60)}…` : n));
    if (options.strict && (absentNames.length || unknown.size)) {
      throw new QuorumError(
        'MISSING_COLUMNS',
        [absentNames.length ? `missing columns: ${names(absentNames).join(', ')}` : '', unknown.size ? `unknown columns: ${names([...unknown]).join(', ')}` : '']
          .filter(Boolean)
          .join('; ') + ' (strict mode: send exactly the model\'s columns)',
        { missing: names(absentNames), unknown: names([...unknown]) },
      );
    }
    const warnings: string[] = [];
    if (absentNames.length) warnings.push(`missing columns imputed: ${absentNames.map((n) => `${n} (${absent.get(n)} rows)`).join(', ')}`);
    if (unknown.size) warnings.push(`unknown columns ignored: ${names([...unknown]).join(', ')}${unknown.size >= MAX_NAMED ? ', …' : ''}`);
    for (const [name, values] of unseen) warnings.push(`column '${name}': unseen values treated as missing: ${names([...values].slice(0, 5)).join(', ')}`);
    return { x: { data: run.data, rows: run.rows, cols: this.width }, warnings };
  }

  private isMissing(raw: unknown): boolean {
    return raw === null || raw === undefined || (typeof raw === 'string' && this.missingToken(raw));
  }

  private bad(r: number, column: string, raw: unknown, expected: string): QuorumError {
    return new QuorumError('BAD_VALUE', `row ${r}, column '${column}': ${previewValue(raw)} is not ${expected}`, { row: r, column, value: previewValue(raw) });
  }

  private encodeValue(c: FeatureColumnSpec, ci: number, raw: unknown, r: number, out: Float32Array, offset: number, unseen: Map<string, Set<string>>): number {
    const missing = this.isMissing(raw);
    switch (c.type) {
      case 'numeric': {
        let v = NaN;
        if (!missing) {
          v = typeof raw === 'number' ? raw : typeof raw === 'boolean' ? Number(raw) : typeof raw === 'string' ? parseNumberToken(raw) : NaN;
          if (!Number.isFinite(v)) throw this.bad(r, c.name, raw, 'a number');
        }
        out[offset] = v;
        return offset + 1;
      }
      case 'boolean': {
        let v = NaN;
        if (!missing) {
          if (typeof raw === 'boolean') v = Number(raw);
          else if (raw === 0 || raw === 1) v = raw;
          else if (typeof raw === 'string') {
            const t = raw.trim();
            if (c.labels && t === c.labels[0]) v = 0;
            else if (c.labels && t === c.labels[1]) v = 1;
            else {
              const b = parseBooleanToken(t);
              v = b === undefined ? NaN : Number(b);
            }
          }
          if (Number.isNaN(v)) throw this.bad(r, c.name, raw, `a boolean (${c.labels ? c.labels.join('/') : 'true/false'})`);
        }
        out[offset] = v;
        return offset + 1;
      }
      case 'datetime': {
        let ms = NaN;
        if (!missing) {
          ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDateToken(raw) : NaN;
          if (!Number.isFinite(ms)) throw this.bad(r, c.name, raw, 'a date (ISO 8601, e.g. 2017-06-25)');
        }
        for (const part of c.parts) out[offset++] = datePart(ms, part);
        return offset;
      }
      case 'categorical': {
        let v = NaN;
        if (!missing) {
          if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') throw this.bad(r, c.name, raw, 'a category');
          const key = typeof raw === 'string' ? raw.trim() : String(raw);
          const code = this.lookups[ci]!.get(key);
          if (code === undefined) {
            if (!unseen.has(c.name)) unseen.set(c.name, new Set());
            const seen = unseen.get(c.name)!;
            if (seen.size < MAX_NAMED) seen.add(key);
          } else v = code;
        }
        out[offset] = v;
        return offset + 1;
      }
    }
  }
}
