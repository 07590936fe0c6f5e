/**
 * CSV ingestion: a stream of bytes (plain or gzip) in, a columnar {@link Table} with its profile
 * out, in one pass and without ever holding the text.
 *
 * Pipeline: `ChunkSource` (gunzip, limits) → sample → `detectDialect` → `Tokenizer` (bytes →
 * fields) → one `ColumnBuilder` per column (type inference, typed arrays, dictionaries) →
 * `profileTable` → optional `withTarget`.
 *
 * On malformed input it throws a {@link QuorumError} with a 4xx code, a message naming the problem,
 * the 1-based line and the fix, and `data.line` (and `data.column` where one applies). Reading stops
 * at the first error and the source stream is destroyed; nothing is left behind (ingestion holds
 * no global state, so concurrent ingests are independent). Values a column's type cannot hold are
 * the exception: they are refused at the end, in one STRAY_TEXT naming every such column.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { QuorumError, listNames } from '../errors';
import { DEFAULT_DICT_LIMIT, type RowContext } from './csv/column-builder';
import { ColumnFactory } from './csv/columns';
import { detectDialect, FirstLineWidth, sniffBinary, type DialectOptions } from './csv/dialect';
import { fmtBytes, fmtInt, showValue } from './csv/messages';
import { MissingMatcher } from './csv/missing';
import { ChunkSource, DEFAULT_MAX_RATIO, readFileChunks, type ByteSource } from './csv/source';
import { strayWarnings } from './csv/stray';
import { Tokenizer } from './csv/tokenizer';
import { profileTable, withTarget } from './profile';
import type { Column, IngestResult, LogicalType, Table, Task } from './table';
import { DEFAULT_MISSING } from './values';

export interface IngestOptions {
  /** ',' ';' '\t' '|' (or any other single ASCII character) — detected when absent. */
  delimiter?: string;
  /** Default '"' (or "'" when the file clearly uses it). */
  quote?: string;
  /** Detected when absent: a first row holding a number or an ISO date is data, not a header. */
  header?: boolean;
  /** Trim spaces around fields (tabs too, unless tab is the delimiter); default true. */
  trim?: boolean;
  /**
   * Missing-value tokens, replacing the default {@link DEFAULT_MISSING}. Matched on whole fields,
   * after trimming, ASCII case-insensitively, quoted or not. The empty field is always missing.
   */
  missing?: string[];
  /** Columns to drop from the features (role 'ignored'); unknown names → UNKNOWN_COLUMN. */
  ignore?: string[];
  /**
   * Forces a column's type; unknown names → UNKNOWN_COLUMN. A forced type is strict: values it
   * cannot hold → STRAY_TEXT at the end of the read, one error naming every such column.
   */
  types?: Record<string, LogicalType>;
  /** Default 2 GiB of CSV text (decompressed for gzip) → PAYLOAD_TOO_LARGE. */
  maxBytes?: number;
  /** Default 200: gzip text past this many bytes per compressed byte → PAYLOAD_TOO_LARGE (a decompression bomb). */
  maxRatio?: number;
  /** Default 1 MiB → FIELD_TOO_LARGE naming the line and column. */
  maxFieldBytes?: number;
  /** Default 10,000 → TOO_MANY_COLUMNS. */
  maxColumns?: number;
  /**
   * Expected bytes of CSV text (a file's size, an upload's Content-Length), if known. Only sizes
   * the column arrays up front (one write per value instead of two); a wrong hint costs speed,
   * never correctness.
   */
  sizeHint?: number;
  /** Called at most about four times a second, and once at the end. */
  onProgress?: (p: { bytes: number; rows: number }) => void;
  /** The column to predict: rows where it is missing are dropped and counted; see `withTarget`. */
  target?: string;
  /** Overrides the inferred task of `target`. */
  task?: Task;
}

export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
export const DEFAULT_MAX_FIELD_BYTES = 1024 ** 2;
export const DEFAULT_MAX_COLUMNS = 10_000;
/** Bytes read before the dialect is decided (more if the first line is longer). */
const SAMPLE_BYTES = 64 * 1024;
/** A first line longer than this is refused: no header is that wide. */
const SAMPLE_MAX_BYTES = 16 * 1024 * 1024;
const PROGRESS_MS = 250;
/** Longest stretch of synchronous parsing before giving the event loop a turn. */
const YIELD_MS = 50;
const LOGICAL_TYPES: readonly LogicalType[] = ['numeric', 'categorical', 'boolean', 'datetime'];

interface Resolved {
  dialect: DialectOptions;
  trim: boolean;
  missing: string[];
  ignore: string[];
  types: Record<string, LogicalType>;
  maxBytes: number;
  maxRatio: number;
  maxFieldBytes: number;
  maxColumns: number;
  sizeHint: number;
}

function checkChar(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length !== 1 || value.charCodeAt(0) > 127 || /[\r\n\s\w]/.test(value)) {
    if (value === '\t' && name === 'delimiter') return value;
    throw new QuorumError(
      'BAD_REQUEST',
      `${name} must be one ASCII character other than a letter, digit, space or line break; got ${showValue(String(value))}`,
    );
  }
  return value;
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) {
    throw new QuorumError('BAD_REQUEST', `${name} must be a positive number; got ${showValue(String(value))}`);
  }
  return Math.floor(value);
}

function names(value: unknown, option: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new QuorumError('BAD_REQUEST', `${option} must be a list of column names`);
  }
  return value;
}

/** Validates the options once, at the boundary, and merges the defaults. */
function resolveOptions(options: IngestOptions): Resolved {
  const delimiter = checkChar('delimiter', options.delimiter);
  const quote = checkChar('quote', options.quote);
  if (delimiter !== undefined && delimiter === (quote ?? '"')) {
    throw new QuorumError('BAD_REQUEST', `delimiter and quote must differ; both are ${showValue(delimiter)}`);
  }
  for (const flag of ['header', 'trim'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      throw new QuorumError('BAD_REQUEST', `${flag} must be true or false`);
    }
  }
  const types: Record<string, LogicalType> = {};
  for (const [column, type] of Object.entries(options.types ?? {})) {
    if (!LOGICAL_TYPES.includes(type)) {
      throw new QuorumError('BAD_REQUEST', `types: '${column}' has unknown type ${showValue(String(type))}; use ${listNames(LOGICAL_TYPES)}`, {
        column,
      });
    }
    types[column] = type;
  }
  return {
    dialect: { delimiter, quote, header: options.header },
    trim: options.trim ?? true,
    missing: options.missing === undefined ? [...DEFAULT_MISSING] : names(options.missing, 'missing'),
    ignore: names(options.ignore, 'ignore'),
    types,
    maxBytes: positive('maxBytes', options.maxBytes, DEFAULT_MAX_BYTES),
    maxRatio: positive('maxRatio', options.maxRatio, DEFAULT_MAX_RATIO),
    maxFieldBytes: positive('maxFieldBytes', options.maxFieldBytes, DEFAULT_MAX_FIELD_BYTES),
    maxColumns: positive('maxColumns', options.maxColumns, DEFAULT_MAX_COLUMNS),
    sizeHint: options.sizeHint === undefined ? 0 : positive('sizeHint', options.sizeHint, 0),
  };
}

/** Reads at least SAMPLE_BYTES and the whole first line (or everything, if shorter). */
async function readSample(source: ChunkSource, width: FirstLineWidth): Promise<{ sample: Buffer; complete: boolean }> {
  const parts: Buffer[] = [];
  let size = 0;
  let newline = false;
  for (;;) {
    const chunk = await source.next();
    if (chunk === null) return { sample: Buffer.concat(parts), complete: true };
    width.feed(chunk);
    parts.push(Buffer.from(chunk)); // a chunk is only valid until the next is read
    size += chunk.length;
    newline ||= chunk.includes(10) || chunk.includes(13);
    if (size >= SAMPLE_BYTES && newline) return { sample: Buffer.concat(parts), complete: false };
    if (size > SAMPLE_MAX_BYTES) {
      throw new QuorumError('CSV_PARSE_ERROR', `line 1 is longer than ${fmtBytes(SAMPLE_MAX_BYTES)} without a line break: this is not a CSV table`, {
        line: 1,
      });
    }
  }
}

/** Rows expected in `size` bytes, from the line density of the sample (a little over, never under on purpose). */
function estimateRows(sample: Buffer, complete: boolean, size: number): number {
  let lines = 0;
  for (let p = sample.indexOf(10); p >= 0; p = sample.indexOf(10, p + 1)) lines++;
  if (lines === 0) for (let p = sample.indexOf(13); p >= 0; p = sample.indexOf(13, p + 1)) lines++;
  if (complete) return lines + 1;
  if (lines === 0) return 0;
  return Math.min(Math.ceil(((size * lines) / sample.length) * 1.02) + 16, 1 << 28);
}

function isBlank(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b !== 32 && b !== 9 && b !== 10 && b !== 13) return false;
  }
  return true;
}

/**
 * Streams a CSV (plain or gzip, detected by magic bytes) into a Table. Never holds the whole text:
 * memory is the table's typed arrays, the dictionaries of text columns and a few chunks.
 */
export async function ingestCsv(source: ByteSource, options: IngestOptions = {}): Promise<IngestResult> {
  const opts = resolveOptions(options);
  const reader = new ChunkSource(source, opts.maxBytes, opts.maxRatio);
  try {
    return await ingest(reader, opts, options);
  } finally {
    await reader.close();
  }
}

async function ingest(reader: ChunkSource, opts: Resolved, options: IngestOptions): Promise<IngestResult> {
  const warnings: string[] = [];
  const first = await readSample(reader, new FirstLineWidth(opts.dialect.delimiter, opts.dialect.quote, opts.maxColumns));
  const complete = first.complete;
  let sample = first.sample;
  const bom = sample.length >= 3 && sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf;
  if (bom) sample = sample.subarray(3);
  if (sample.length === 0 || (complete && isBlank(sample))) {
    throw new QuorumError('EMPTY_FILE', `the file is empty${sample.length ? ' (only blank lines)' : ''}: upload a CSV with a header and data rows`);
  }
  sniffBinary(sample);

  const missing = new MissingMatcher(opts.missing);
  const detected = detectDialect(sample, complete, opts.dialect, missing);
  const expectedRows = reader.gzip || opts.sizeHint === 0 ? 0 : estimateRows(sample, complete, Math.min(opts.sizeHint, opts.maxBytes));
  const ctx: RowContext = { line: 1, missing, dictLimit: DEFAULT_DICT_LIMIT, expectedRows };
  const columns = new ColumnFactory(
    { ignore: opts.ignore, types: opts.types, headerGiven: opts.dialect.header !== undefined },
    detected.header,
    ctx,
    warnings,
  );
  const tokenizer = new Tokenizer(
    { delimiter: detected.delimiter, quote: detected.quote, trim: opts.trim, maxFieldBytes: opts.maxFieldBytes, maxColumns: opts.maxColumns },
    ctx,
    columns,
  );

  let lastProgress = Date.now();
  let lastYield = lastProgress;
  const progress = (force: boolean): void => {
    if (!options.onProgress) return;
    const now = Date.now();
    if (!force && now - lastProgress < PROGRESS_MS) return;
    lastProgress = now;
    options.onProgress({ bytes: reader.rawBytes, rows: tokenizer.rows });
  };

  tokenizer.push(sample);
  for (let chunk = await reader.next(); chunk !== null; chunk = await reader.next()) {
    tokenizer.push(chunk);
    progress(false);
    if (Date.now() - lastYield > YIELD_MS) {
      // an in-memory source never waits on I/O: let timers and other requests run now and then
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = Date.now();
    }
  }
  tokenizer.finish();
  progress(true);

  if (tokenizer.columnCount === 0) {
    throw new QuorumError('EMPTY_FILE', 'the file has only blank lines: upload a CSV with a header and data rows');
  }
  const nRows = tokenizer.rows;
  if (nRows === 0) {
    throw new QuorumError(
      'NO_DATA_ROWS',
      `the file has a header (${fmtInt(tokenizer.columnCount)} columns) but no data rows` +
        (detected.header && options.header === undefined ? '; if line 1 is data, pass header: false' : ''),
      { line: tokenizer.line },
    );
  }
  const finished = columns.finish(nRows);
  const table: Table = { nRows, columns: finished.map((f): Column => f.column) };

  if (tokenizer.blankLines > 0) warnings.push(`skipped ${fmtInt(tokenizer.blankLines)} blank line${tokenizer.blankLines === 1 ? '' : 's'}`);
  const tokens = missing.summary();
  const read = Object.entries(tokens).map(([t, n]) => `${t === '' ? 'empty' : `'${t}'`} ×${fmtInt(n)}`);
  if (read.length > 0) warnings.push(`read as missing: ${read.join(', ')}`);
  warnings.push(...strayWarnings(finished.flatMap((f) => (f.warning ? [{ column: f.column.name, warning: f.warning }] : []))));

  let result: IngestResult = {
    table,
    dialect: { ...detected, bom, gzip: reader.gzip },
    profile: profileTable(table, { ignore: opts.ignore, distinct: finished.map((f) => f.distinct) }),
    warnings,
    bytes: reader.rawBytes,
    stats: { textBytes: reader.textBytes, lines: tokenizer.lines, blankLines: tokenizer.blankLines, missingTokens: tokens },
  };
  for (const p of result.profile) if (p.role !== 'feature' && p.role !== 'ignored') warnings.push(`column '${p.name}' is not a feature: ${p.note}`);
  if (options.target !== undefined) result = withTarget(result, options.target, options.task);
  return result;
}

/**
 * Resolves `name` inside `dataDir`, refusing anything that could leave it: absolute paths, `..`,
 * NUL bytes, backslashes, and symbolic links pointing outside. Returns the real path of a regular file.
 */
export async function resolveDataFile(dataDir: string, name: string): Promise<string> {
  const refuse = (why: string): QuorumError =>
    new QuorumError('PATH_NOT_ALLOWED', `${showValue(String(name))}: ${why}; give a file name relative to the data directory`, { path: name });
  if (typeof name !== 'string' || name.trim() === '') throw refuse('not a file name');
  if (name.includes('\0') || name.includes('\\')) throw refuse('NUL bytes and backslashes are not allowed in paths');
  if (path.isAbsolute(name)) throw refuse('absolute paths are not allowed');
  if (name.split('/').includes('..')) throw refuse("'..' is not allowed in paths");
  let root: string;
  let real: string;
  try {
    root = await fs.realpath(dataDir);
  } catch {
    throw new QuorumError('FILE_NOT_FOUND', 'a data folder (DATA_DIR) of this node does not exist: create it or set DATA_DIR');
  }
  try {
    real = await fs.realpath(path.join(root, name));
  } catch {
    throw new QuorumError('FILE_NOT_FOUND', `no file ${showValue(name)} in the data directory`, { path: name });
  }
  const rel = path.relative(root, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw refuse('it leads outside the data directory');
  const stat = await fs.stat(real);
  if (!stat.isFile()) throw new QuorumError('BAD_REQUEST', `${showValue(name)} is not a regular file`, { path: name });
  return real;
}

/** Ingests the file `name` of `dataDir` (see {@link resolveDataFile} for what is refused). */
export async function ingestFile(dataDir: string, name: string, options: IngestOptions = {}): Promise<IngestResult> {
  const real = await resolveDataFile(dataDir, name);
  const { size } = await fs.stat(real);
  return ingestCsv(readFileChunks(real), { sizeHint: size, ...options });
}

export { withTarget } from './profile';
export { DEFAULT_MISSING } from './values';

/** The validator schema of the CSV reading options a dataset ingest takes (`coordinator.ingest`). */
export const INGEST_OPTION_PARAMS = {
  delimiter: { type: 'string', optional: true, min: 1, max: 1 },
  quote: { type: 'string', optional: true, min: 1, max: 1 },
  header: { type: 'boolean', optional: true, convert: true },
  missing: { type: 'array', items: 'string', optional: true, max: 100 },
  ignore: { type: 'array', items: 'string', optional: true, max: 10_000 },
  types: { type: 'record', key: 'string', value: { type: 'enum', values: ['numeric', 'categorical', 'boolean', 'datetime'] }, optional: true },
};
