/**
 * The CSV state machine: finds field and row boundaries on bytes and hands each field's bytes
 * (trimmed, unescaped) to its column builder. No string per field, no array per row.
 *
 * Chunk boundaries: a chunk may end anywhere — inside a quoted field, between CR and LF, inside a
 * UTF-8 character. Fields are only handed on once complete, so at the end of a chunk the bytes of
 * the unfinished field are kept and scanning resumes at that field's start when the next chunk
 * arrives. What is kept is at most one field (bounded by `maxFieldBytes`), never a whole row.
 *
 * Dialect handled here: any one-byte delimiter; a quote character with RFC 4180 doubling (`""`);
 * LF, CRLF and lone CR line endings, mixed freely; blank and whitespace-only lines skipped;
 * spaces around fields (and around quoted fields) trimmed unless `trim: false`. A quote inside an
 * unquoted field is kept as a literal character (`5'11"` stays as written); text after a closing
 * quote is an error.
 */
import { QuorumError } from '../../errors';
import type { ColumnBuilder, RowContext } from './column-builder';
import { fmtBytes, fmtInt } from './messages';

const LF = 10;
const CR = 13;
const SP = 32;
const TAB = 9;
const EMPTY = Buffer.alloc(0);

export interface TokenizerOptions {
  delimiter: string;
  quote: string;
  /** Trim spaces (and tabs, unless tab is the delimiter) around fields; default true. */
  trim?: boolean;
  maxFieldBytes: number;
  maxColumns: number;
}

/**
 * What the owner does with the first non-blank row: build the columns, and say whether that row is
 * data. An object with a method rather than a closure: the call is then the same function in every
 * ingest, and the compiled tokenizer is not thrown away ("wrong call target") at each new file.
 */
export interface FirstRowHandler {
  firstRow(fields: Buffer[], line: number): { columns: ColumnBuilder[]; isData: boolean };
}

export class Tokenizer {
  /** Data rows completed so far. */
  rows = 0;
  blankLines = 0;
  /** Physical line being read (1-based). */
  line = 1;
  private readonly delim: number;
  private readonly quote: number;
  /** 1 for the bytes trimmed around fields: space, and tab unless it is the delimiter (none with trim off). */
  private readonly pad = new Uint8Array(256);
  private readonly maxFieldBytes: number;
  /** 1 for the bytes that end an unquoted field (delimiter, CR, LF): one load per byte in the hot loop. */
  private readonly stops = new Uint8Array(256);
  /** Empty until the first row is complete (then `nCols` > 0). Never null: see column-builder.ts on stable shapes. */
  private columns: ColumnBuilder[] = [];
  private nCols = 0;
  private first: Buffer[] = [];
  /** Index of the field being read within its row. */
  private col = 0;
  /** The unfinished field carried to the next chunk (empty when none). */
  private pending: Buffer = EMPTY;
  private skipLF = false;
  private scratch = Buffer.alloc(1024);
  private endsWithNewline = false;

  constructor(
    private readonly options: TokenizerOptions,
    private readonly ctx: RowContext,
    private readonly handler: FirstRowHandler,
  ) {
    this.delim = options.delimiter.charCodeAt(0);
    this.quote = options.quote.charCodeAt(0);
    if (options.trim ?? true) {
      this.pad[SP] = 1;
      if (this.delim !== TAB) this.pad[TAB] = 1;
    }
    this.maxFieldBytes = options.maxFieldBytes;
    this.stops[this.delim] = 1;
    this.stops[LF] = 1;
    this.stops[CR] = 1;
  }

  /** Physical lines read so far (a last line without a line break counts). */
  get lines(): number {
    return this.endsWithNewline ? this.line - 1 : this.line;
  }

  /** Number of columns (0 until the first row is complete). */
  get columnCount(): number {
    return this.nCols;
  }

  /** Feeds the next chunk of bytes. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.endsWithNewline = chunk[chunk.length - 1] === LF || chunk[chunk.length - 1] === CR;
    let from = 0;
    // Finish the field left over from the previous chunk on a small copy (the leftover plus the
    // head of this chunk), then scan the rest of the chunk in place: no copy of whole chunks.
    for (let take = 256; this.pending.length > 0; take *= 4) {
      const pending = this.pending;
      this.pending = EMPTY;
      const head = Math.min(take, chunk.length);
      const stop = this.scan(Buffer.concat([pending, chunk.subarray(0, head)]), 0, false, true);
      if (stop >= 0) {
        from = stop - pending.length;
        break;
      }
      if (head === chunk.length) return; // the whole chunk belongs to the unfinished field
      this.pending = pending;
    }
    this.scan(chunk, from, false, false);
  }

  /** Ends the input: completes the last row (a final newline is optional). */
  finish(): void {
    const buf = this.pending;
    this.pending = EMPTY;
    this.scan(buf, 0, true, false);
  }

  /**
   * Scans `buf` from `start`. With `once`, returns right after the first complete field and its
   * separator (the index where scanning would go on); otherwise, or when the field is unfinished
   * (kept in `pending`), returns -1.
   *
   * The loop body is the path of a plain unquoted field, kept short on purpose: everything rare
   * (quotes, padding, the end of a chunk) lives in other methods, so the optimising compiler sees
   * every branch of this loop early and does not have to throw its code away when a rare case
   * first turns up mid-file.
   */
  private scan(buf: Buffer, start: number, final: boolean, once: boolean): number {
    const n = buf.length;
    const delim = this.delim;
    const stops = this.stops;
    const pad = this.pad;
    let i = start;
    if (this.skipLF) {
      if (i >= n && !final) return -1;
      this.skipLF = false;
      if (buf[i] === LF) i++;
    }
    for (;;) {
      const col = this.col;
      if (col === 0) this.ctx.line = this.line;
      if (i >= n) return this.endOfBuffer(final);
      let j = i;
      if (pad[buf[j]] === 1) {
        while (j < n && pad[buf[j]] === 1) j++;
        if (j === n && !final) return this.carry(buf, i, false);
      }
      let k: number;
      if (j < n && buf[j] === this.quote) {
        k = this.quotedField(buf, i, j, final);
        if (k < 0) return -1;
      } else {
        k = j;
        while (k < n && stops[buf[k]] === 0) k++;
        if (k === n && !final) return this.carry(buf, i, false);
        if (k - j > this.maxFieldBytes) throw this.fieldTooLarge(false);
        let e = k;
        while (e > j && pad[buf[e - 1]] === 1) e--;
        if (col === 0 && e === j && (k === n || buf[k] !== delim)) {
          // blank or whitespace-only line: not a row
          if (k === n) return -1;
          this.blankLines++;
          i = this.newline(buf, k, final);
          if (once) return i;
          continue;
        }
        if (col < this.nCols) this.columns[col].add(buf, j, e);
        else this.emit(buf, j, e);
      }
      // k: the separator after the field (delimiter, CR, LF) or the end of the input
      if (k === n) {
        this.endRow();
        return -1;
      }
      if (buf[k] === delim) {
        this.col = col + 1;
        i = k + 1;
      } else {
        this.endRow();
        i = this.newline(buf, k, final);
      }
      if (once) return i;
    }
  }

  /** Scanning reached the end of `buf`: at the end of the input, a row ending in a delimiter has one more (empty) field. */
  private endOfBuffer(final: boolean): number {
    if (final && this.col > 0) {
      this.emit(EMPTY, 0, 0);
      this.endRow();
    }
    return -1;
  }

  /**
   * The quoted field opening at `open` (its padding started at `fieldStart`): hands it on and
   * returns the index of its separator, or -1 when it continues in the next chunk (kept).
   */
  private quotedField(buf: Buffer, fieldStart: number, open: number, final: boolean): number {
    const n = buf.length;
    const quote = this.quote;
    let k = open + 1;
    let escaped = false;
    let close = -1;
    for (;;) {
      const q = buf.indexOf(quote, k);
      if (q < 0) break;
      if (q + 1 < n) {
        if (buf[q + 1] === quote) {
          escaped = true;
          k = q + 2;
          continue;
        }
        close = q;
      } else if (final) {
        close = q;
      }
      break;
    }
    if (close < 0) {
      if (final) throw this.unclosedQuote();
      return this.carry(buf, fieldStart, true);
    }
    let sep = close + 1;
    while (sep < n && this.pad[buf[sep]] === 1) sep++;
    if (sep === n && !final) return this.carry(buf, fieldStart, true);
    if (sep < n && buf[sep] !== this.delim && buf[sep] !== LF && buf[sep] !== CR) throw this.textAfterQuote(buf, open, sep);
    if (close - open - 1 > this.maxFieldBytes) throw this.fieldTooLarge(true);
    const newlines = countLF(buf, open + 1, close);
    if (escaped) {
      const length = this.unescape(buf, open + 1, close);
      this.emit(this.scratch, 0, length);
    } else {
      this.emit(buf, open + 1, close);
    }
    this.line += newlines;
    return sep;
  }

  /** Steps over the line ending at `p` (CR, LF or CRLF); returns the next index. */
  private newline(buf: Buffer, p: number, final: boolean): number {
    this.line++;
    if (buf[p] === CR) {
      if (p + 1 < buf.length) return buf[p + 1] === LF ? p + 2 : p + 1;
      if (!final) this.skipLF = true;
      return buf.length;
    }
    return p + 1;
  }

  /** Keeps `buf[from..]` (the unfinished field) for the next chunk; returns -1 (scanning stops). */
  private carry(buf: Buffer, from: number, quoted: boolean): number {
    if (buf.length - from > this.maxFieldBytes + 64) throw this.fieldTooLarge(quoted);
    if (from < buf.length) this.pending = Buffer.from(buf.subarray(from));
    return -1;
  }

  /** Copies `buf[start, end)` into the scratch buffer with `""` turned into `"`; returns the length. */
  private unescape(buf: Buffer, start: number, end: number): number {
    if (this.scratch.length < end - start) this.scratch = Buffer.alloc(Math.max(end - start, this.scratch.length * 2));
    const out = this.scratch;
    let o = 0;
    for (let k = start; k < end; k++) {
      out[o++] = buf[k];
      if (buf[k] === this.quote) k++; // the second quote of a doubled pair
    }
    return o;
  }

  /** Hands a field to its column; fields of the first row are kept until the columns exist. */
  private emit(buf: Buffer, start: number, end: number): void {
    if (this.nCols > 0) {
      // beyond the last column: counted by endRow, which reports the ragged row
      if (this.col < this.nCols) this.columns[this.col].add(buf, start, end);
      return;
    }
    if (this.col >= this.options.maxColumns) {
      throw new QuorumError(
        'TOO_MANY_COLUMNS',
        `line ${fmtInt(this.ctx.line)} has more than ${fmtInt(this.options.maxColumns)} fields (maxColumns); ` +
          `check the delimiter, or raise maxColumns if the data really is that wide`,
        { line: this.ctx.line, limit: this.options.maxColumns },
      );
    }
    this.first.push(Buffer.from(buf.subarray(start, end)));
  }

  private endRow(): void {
    const fields = this.col + 1;
    this.col = 0;
    if (this.nCols === 0) {
      const first = this.first;
      this.first = [];
      const { columns, isData } = this.handler.firstRow(first, this.ctx.line);
      this.columns = columns;
      this.nCols = columns.length;
      if (isData) {
        first.forEach((f, c) => columns[c].add(f, 0, f.length));
        this.rows++;
      }
      return;
    }
    if (fields !== this.nCols) throw this.ragged(fields);
    this.rows++;
  }

  private columnName(): string {
    const c = this.columns?.[this.col];
    return c ? `column '${c.name}' (#${this.col + 1})` : `column #${this.col + 1}`;
  }

  private ragged(fields: number): QuorumError {
    const d = this.options.delimiter;
    const others = [',', ';', '\t', '|'].filter((x) => x !== d).map((x) => JSON.stringify(x));
    return new QuorumError(
      'RAGGED_ROW',
      `line ${fmtInt(this.ctx.line)} has ${fmtInt(fields)} field${fields === 1 ? '' : 's'} where the header has ${fmtInt(this.nCols)}: ` +
        `check the quoting (a value that contains ${JSON.stringify(d)} must be quoted) or the delimiter ` +
        `(pass delimiter: ${others.join(', ')})`,
      { line: this.ctx.line, fields, expected: this.nCols },
    );
  }

  private unclosedQuote(): QuorumError {
    return new QuorumError(
      'CSV_PARSE_ERROR',
      `line ${fmtInt(this.ctx.line)}, ${this.columnName()}: a quoted field starts here and is never closed; ` +
        `a closing quote is missing, or a quote inside the field is not doubled ("")`,
      { line: this.ctx.line, column: this.columns?.[this.col]?.name },
    );
  }

  private textAfterQuote(buf: Buffer, open: number, at: number): QuorumError {
    const shown = buf.toString('utf8', open, Math.min(at + 10, buf.length)).replace(/[\r\n].*$/s, '');
    return new QuorumError(
      'CSV_PARSE_ERROR',
      `line ${fmtInt(this.ctx.line)}, ${this.columnName()}: text after a closing quote (${JSON.stringify(shown)}); ` +
        `a quote inside a quoted field must be doubled ("")`,
      { line: this.ctx.line, column: this.columns?.[this.col]?.name },
    );
  }

  private fieldTooLarge(quoted: boolean): QuorumError {
    const limit = fmtBytes(this.maxFieldBytes);
    const why = quoted
      ? `a quoted field starts here and runs past ${limit} (maxFieldBytes): most likely its closing quote is missing; ` +
        `if the value really is that long, raise maxFieldBytes`
      : `a field longer than ${limit} (maxFieldBytes): check the delimiter and line endings, or raise maxFieldBytes ` +
        `if the value really is that long`;
    return new QuorumError('FIELD_TOO_LARGE', `line ${fmtInt(this.ctx.line)}, ${this.columnName()}: ${why}`, {
      line: this.ctx.line,
      column: this.columns?.[this.col]?.name,
      limit: this.maxFieldBytes,
    });
  }
}

function countLF(buf: Buffer, start: number, end: number): number {
  let count = 0;
  for (let p = buf.indexOf(LF, start); p >= 0 && p < end; p = buf.indexOf(LF, p + 1)) count++;
  return count;
}
