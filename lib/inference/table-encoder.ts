/**
 * An uploaded CSV (an ingested {@link Table}) encoded for a version by column name, for batch
 * predictions and for evaluations on a labelled file. The reader types the upload's columns on its
 * own, so a column may arrive with another type than in training (a category column whose values
 * all look like numbers, dates read as text): values are converted by their spelling with the same
 * rules as JSON rows, once per distinct category, and a value that cannot be read is a BAD_VALUE
 * naming the column, the line and the value — found before any output is written.
 */
import type { EncoderSpec, FeatureColumnSpec } from '../data/encode';
import type { Column, Table } from '../data/table';
import { missingTest, parseBooleanToken, parseDateToken, parseNumberToken } from '../data/values';
import { QuorumError, listNames } from '../errors';
import type { Matrix } from '../models/model';
import type { VersionMeta } from '../registry/version';

export interface EncodedTable {
  x: Matrix;
  warnings: string[];
}

const DATE_PARTS: Record<string, (d: Date) => number> = {
  year: (d) => d.getUTCFullYear(),
  month: (d) => d.getUTCMonth() + 1,
  day: (d) => d.getUTCDate(),
  weekday: (d) => d.getUTCDay(),
  hour: (d) => d.getUTCHours(),
  minute: (d) => d.getUTCMinutes(),
};

function width(spec: EncoderSpec): number {
  return spec.columns.reduce((n, c) => n + (c.type === 'datetime' ? c.parts.length : 1), 0);
}

/** The text of row r of a column, as the user wrote it (numbers as JavaScript prints them). */
export function cellText(column: Column, r: number): string | undefined {
  if (column.type === 'categorical') return column.codes[r] < 0 ? undefined : column.categories[column.codes[r]];
  const v = column.values[r];
  if (Number.isNaN(v)) return undefined;
  if (column.type === 'boolean') {
    const labels = (column as { labels?: [string, string] }).labels;
    return labels ? labels[v ? 1 : 0] : v ? 'true' : 'false';
  }
  if (column.type === 'datetime') return new Date(v).toISOString();
  return String(v);
}

function badValue(column: Column, rows: Int32Array | null, r: number, text: string, expected: string): QuorumError {
  const row = rows ? rows[r] : r;
  return new QuorumError('BAD_VALUE', `line ${row + 2}, column '${column.name}': '${text}' is not ${expected}`, {
    line: row + 2,
    column: column.name,
    value: text,
  });
}

/**
 * Reads one column as the spec's type: a number per row (NaN: missing), converting text once per
 * distinct value. `unseen` collects categories the model never saw (they become missing).
 */
function columnValues(c: FeatureColumnSpec, t: Column, rows: Int32Array | null, n: number, missing: (s: string) => boolean, unseen: Set<string>): Float64Array {
  const out = new Float64Array(n);
  const at = (i: number) => (rows ? rows[i] : i);
  const direct = t.type !== 'categorical' && (c.type === t.type || (c.type === 'numeric' && t.type === 'boolean'));
  if (direct) {
    for (let i = 0; i < n; i++) out[i] = (t as { values: Float64Array }).values[at(i)];
    if (c.type === 'boolean')
      for (let i = 0; i < n; i++) if (!Number.isNaN(out[i]) && out[i] !== 0 && out[i] !== 1) throw badValue(t, rows, i, String(out[i]), 'a boolean');
    return out;
  }
  // By spelling: every distinct text converted once.
  const lookup = c.type === 'categorical' ? new Map(c.categories.map((v, i) => [v, i])) : undefined;
  const cache = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const text = cellText(t, at(i));
    if (text === undefined) {
      out[i] = NaN;
      continue;
    }
    let v = cache.get(text);
    if (v === undefined) {
      const s = text.trim();
      if (missing(s)) v = NaN;
      else if (c.type === 'numeric') {
        v = parseNumberToken(s);
        if (Number.isNaN(v)) throw badValue(t, rows, i, text, 'a number');
      } else if (c.type === 'boolean') {
        const b = c.labels && s === c.labels[0] ? false : c.labels && s === c.labels[1] ? true : parseBooleanToken(s);
        if (b === undefined) throw badValue(t, rows, i, text, `a boolean (${c.labels ? c.labels.join('/') : 'true/false'})`);
        v = Number(b);
      } else if (c.type === 'datetime') {
        v = t.type === 'numeric' ? Number(s) : parseDateToken(s);
        if (Number.isNaN(v)) throw badValue(t, rows, i, text, 'a date (ISO 8601, e.g. 2017-06-25)');
      } else {
        v = lookup!.get(s) ?? NaN;
        if (Number.isNaN(v) && unseen.size < 5) unseen.add(s);
      }
      cache.set(text, v);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Native features of `table` (all rows, or the rows listed in `rows`) by the encoder's column
 * names. Absent columns are imputed (missing) and reported; columns the model does not know are
 * reported; with `strict` both are MISSING_COLUMNS errors. `ignore` lists columns not to report
 * (the target of a labelled file).
 */
export function encodeTable(spec: EncoderSpec, table: Table, options: { rows?: Int32Array; strict?: boolean; ignore?: string[] } = {}): EncodedTable {
  const rows = options.rows ?? null;
  const n = rows ? rows.length : table.nRows;
  const cols = width(spec);
  const data = new Float32Array(n * cols);
  // the same rule as ingestion and JSON rows: whole field, trimmed, ASCII case-insensitive
  const missing = missingTest(spec.missing);
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const known = new Set(spec.columns.map((c) => c.name));
  const absent = spec.columns.filter((c) => !byName.has(c.name)).map((c) => c.name);
  const unknown = table.columns.map((c) => c.name).filter((name) => !known.has(name) && !(options.ignore ?? []).includes(name));
  if (absent.length === spec.columns.length) {
    throw new QuorumError(
      'MISSING_COLUMNS',
      `the file has none of the model's columns: expected ${listNames(spec.columns.map((c) => c.name))}; it has ${listNames(table.columns.map((c) => c.name))}`,
      {
        expected: spec.columns.map((c) => c.name),
      },
    );
  }
  if (options.strict && (absent.length || unknown.length)) {
    throw new QuorumError(
      'MISSING_COLUMNS',
      `${[absent.length ? `missing columns: ${absent.join(', ')}` : '', unknown.length ? `unknown columns: ${unknown.join(', ')}` : ''].filter(Boolean).join('; ')} (strict mode: send exactly the model's columns)`,
      {
        missing: absent,
        unknown,
      },
    );
  }
  const warnings: string[] = [];
  let offset = 0;
  for (const c of spec.columns) {
    const t = byName.get(c.name);
    const parts = c.type === 'datetime' ? c.parts : [null];
    if (!t) {
      for (let p = 0; p < parts.length; p++, offset++) for (let i = 0; i < n; i++) data[i * cols + offset] = NaN;
      continue;
    }
    const unseen = new Set<string>();
    const values = columnValues(c, t, rows, n, missing, unseen);
    if (unseen.size) warnings.push(`column '${c.name}': unseen values treated as missing: ${[...unseen].join(', ')}`);
    if (c.type === 'datetime') {
      for (const part of c.parts) {
        const get = DATE_PARTS[part];
        for (let i = 0; i < n; i++) data[i * cols + offset] = Number.isNaN(values[i]) ? NaN : get(new Date(values[i]));
        offset++;
      }
    } else {
      for (let i = 0; i < n; i++) data[i * cols + offset] = values[i];
      offset++;
    }
  }
  if (absent.length) warnings.push(`missing columns imputed: ${absent.join(', ')}`);
  if (unknown.length) warnings.push(`unknown columns ignored: ${unknown.join(', ')}`);
  return { x: { data, rows: n, cols }, warnings };
}

export interface LabelledRows {
  /** Class indices (classification) or values, for the rows kept. */
  y: Float32Array;
  /** Table rows with a usable label, ascending. */
  rows: Int32Array;
  warnings: string[];
}

/**
 * The target column of a labelled file in the version's terms: class indices by label (a label the
 * version never learnt cannot be scored; such rows are left out and reported), or values.
 */
export function labelledRows(meta: VersionMeta, table: Table): LabelledRows {
  const column = table.columns.find((c) => c.name === meta.target);
  if (!column) {
    throw new QuorumError(
      'UNKNOWN_COLUMN',
      `the file has no column '${meta.target}' (the target of '${meta.id}'): evaluation needs the true values; it has ${listNames(table.columns.map((c) => c.name))}`,
      {
        column: meta.target,
      },
    );
  }
  const isMissing = missingTest(meta.encoder.missing);
  const seen = new Map<string, boolean>();
  const missingToken = (text: string) => {
    let m = seen.get(text);
    if (m === undefined) seen.set(text, (m = isMissing(text)));
    return m;
  };
  const index = new Map((meta.classes ?? []).map((label, i) => [label, i]));
  const y: number[] = [];
  const rows: number[] = [];
  let missing = 0;
  const unknown = new Map<string, number>();
  for (let r = 0; r < table.nRows; r++) {
    const text = cellText(column, r)?.trim();
    if (text === undefined || missingToken(text)) {
      missing++;
      continue;
    }
    let v: number | undefined;
    if (meta.task === 'classification') v = index.get(text);
    else v = column.type === 'categorical' ? parseNumberToken(text) : (column as { values: Float64Array }).values[r];
    if (v === undefined || Number.isNaN(v)) {
      unknown.set(text, (unknown.get(text) ?? 0) + 1);
      continue;
    }
    y.push(v);
    rows.push(r);
  }
  const warnings: string[] = [];
  if (missing) warnings.push(`${missing} row(s) without a value in '${meta.target}' left out`);
  if (unknown.size) {
    const what =
      meta.task === 'classification' ? `label(s) the model never learnt (${listNames(meta.classes ?? [])} are its classes)` : 'value(s) that are not numbers';
    const count = [...unknown.values()].reduce((a, b) => a + b, 0);
    warnings.push(`${count} row(s) with ${what} left out: ${[...unknown.keys()].slice(0, 5).join(', ')}`);
  }
  if (rows.length === 0)
    throw new QuorumError('TARGET_ALL_MISSING', `no row of the file has a usable value in '${meta.target}': ${warnings.join('; ')}`, { column: meta.target });
  return { y: Float32Array.from(y), rows: Int32Array.from(rows), warnings };
}
