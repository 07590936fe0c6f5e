/**
 * One column of a CSV being read: stores each field as it arrives and infers the column's type
 * in the same pass (no second read of the file, no string per field).
 *
 * A column starts undecided; its first non-missing value puts it in one of three modes:
 * - NUMBER: values parsed from bytes into a Float64 block array;
 * - DATE: ISO dates as epoch milliseconds, likewise;
 * - TEXT: values dictionary-encoded on their bytes into Int32 codes.
 *
 * While a NUMBER or DATE column has at most `dictLimit` distinct spellings it keeps a dictionary
 * keyed on the field's bytes, with each spelling's parsed value: a repeated value then costs one
 * hash lookup instead of a parse, and if a text value turns up the column can become TEXT without
 * re-reading anything (the spellings become the categories; the rows so far get the code of the
 * first spelling of their value). Past `dictLimit` distinct spellings the column is committed: the
 * dictionary is dropped (a float column never holds a string per row) and a later text value is
 * stored as missing and counted; so is text in a column forced to numeric or datetime. Either is
 * refused once the whole file is read (`stray.ts`), so that one error names every such column.
 *
 * Booleans and "numbers with a few stray words" are decided at the end, from the dictionary of
 * a TEXT column (one pass over its codes, not over the text).
 */
import { QuorumError } from '../../errors';
import type { Column, LogicalType } from '../table';
import { Float64Blocks, Int32Blocks } from './blocks';
import { parseDateBytes } from './date';
import { ByteDictionary, FloatDictionary, hashBytes } from './dictionary';
import { fmtInt, showColumn, showValue, typesHint } from './messages';
import type { MissingMatcher } from './missing';
import { parseNumberBytes } from './number';
import { StrayValues, showExamples, type TypeConflict } from './stray';
import { decideText } from './text-types';

// Module constants rather than globals: a global lookup is slow inside a vm context (jest runs tests in one).
const MISSING = NaN;

const UNDECIDED = 0;
const NUMBER = 1;
const DATE = 2;
const TEXT = 3;

/** Distinct values a numeric or date column may show before it is committed to its type. */
export const DEFAULT_DICT_LIMIT = 4096;

/** What the builders share with the tokenizer: the line of the row being read, the tokens. */
export interface RowContext {
  /** 1-based physical line where the current row starts. */
  line: number;
  readonly missing: MissingMatcher;
  readonly dictLimit: number;
  /** Estimated number of data rows (0 when unknown): columns reserve that much once. */
  readonly expectedRows: number;
}

export interface FinishedColumn {
  column: Column;
  /** Exact distinct count when it came for free (dictionary still alive), else undefined. */
  distinct?: number;
  /** For `IngestResult.warnings`: a column of mostly numbers (or dates) read as categorical. */
  warning?: string;
  /** Values the column's type cannot hold: the read is refused (`ColumnFactory.finish`). */
  conflict?: TypeConflict;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Every field keeps one type for the builder's whole life (no `null` turning into an object):
 * V8 then never has to change the object's shape mid-read, which would throw away optimised code.
 */
export class ColumnBuilder {
  private mode = UNDECIDED;
  /** NUMBER and DATE: the parsed values (NaN when missing). Allocates nothing until used. */
  private values: Float64Blocks;
  /** TEXT: dictionary codes (-1 when missing). */
  private codes: Int32Blocks;
  /**
   * NUMBER and DATE: the spellings seen, while `dictAlive` (at most `dictLimit` of them).
   * TEXT: the categories (a NUMBER column that turns TEXT keeps its spellings as categories).
   */
  private dict = new ByteDictionary();
  private dictAlive = true;
  /** NUMBER and DATE: the parsed value of each spelling, by code. */
  private parsedOf = new Float64Array(16);
  private pendingMissing = 0;
  /** The type a column had before text turned up in it ('' if none): decides "stray text" at the end. */
  private leftType: '' | 'numeric' | 'datetime' = '';
  /** NUMBER and DATE, forced or committed: the text values, stored as missing until the read is refused. */
  private readonly stray = new StrayValues();

  constructor(
    readonly name: string,
    readonly index: number,
    private readonly ctx: RowContext,
    private readonly forced: LogicalType | '' = '',
  ) {
    this.values = new Float64Blocks(ctx.expectedRows);
    this.codes = new Int32Blocks(ctx.expectedRows);
    if (forced === 'numeric' || forced === 'datetime') {
      this.mode = forced === 'numeric' ? NUMBER : DATE;
      this.dictAlive = false; // strict: any text is an error
    } else if (forced === 'categorical' || forced === 'boolean') {
      this.mode = TEXT;
    }
  }

  /** Adds one field: `buf[start, end)`, already trimmed and unescaped. */
  add(buf: Buffer, start: number, end: number): void {
    const missing = this.ctx.missing;
    if (end - start <= missing.maxLength) {
      const token = missing.match(buf, start, end);
      if (token >= 0) {
        missing.counts[token]++;
        this.addMissing();
        return;
      }
    }
    const mode = this.mode;
    if (mode === NUMBER || mode === DATE) {
      if (this.dictAlive) {
        const h = hashBytes(buf, start, end);
        const code = this.dict.find(buf, start, end, h);
        if (code >= 0) {
          this.values.push(this.parsedOf[code]);
          return;
        }
        const v = mode === NUMBER ? parseNumberBytes(buf, start, end) : parseDateBytes(buf, start, end);
        if (v === v) {
          this.values.push(v);
          this.addSpelling(v, buf, start, end, h);
          return;
        }
      } else {
        const v = mode === NUMBER ? parseNumberBytes(buf, start, end) : parseDateBytes(buf, start, end);
        if (v === v) {
          this.values.push(v);
          return;
        }
      }
      if (!this.leaveParsed(buf, start, end)) return;
    } else if (mode === UNDECIDED) {
      this.decide(buf, start, end);
      return;
    }
    this.addText(buf, start, end);
  }

  addMissing(): void {
    const mode = this.mode;
    if (mode === TEXT) this.codes.push(-1);
    else if (mode === UNDECIDED) this.pendingMissing++;
    else this.values.push(MISSING);
  }

  private decide(buf: Buffer, start: number, end: number): void {
    const n = parseNumberBytes(buf, start, end);
    const d = n === n ? MISSING : parseDateBytes(buf, start, end);
    if (n === n || d === d) {
      this.mode = n === n ? NUMBER : DATE;
      this.values.fill(MISSING, this.pendingMissing);
      const v = n === n ? n : d;
      this.values.push(v);
      this.addSpelling(v, buf, start, end, hashBytes(buf, start, end));
      return;
    }
    this.mode = TEXT;
    this.codes.fill(-1, this.pendingMissing);
    this.addText(buf, start, end);
  }

  /** Records a new spelling of a number or date, committing the column when there are too many. */
  private addSpelling(v: number, buf: Buffer, start: number, end: number, h: number): void {
    if (this.dict.size >= this.ctx.dictLimit) {
      // committed: from here on the column is numbers (or dates) only
      this.dictAlive = false;
      this.dict = new ByteDictionary();
      this.parsedOf = new Float64Array(16);
      return;
    }
    // number and date spellings are ASCII by their grammar
    const code = this.dict.add(buf, start, end, h, buf.toString('latin1', start, end), this.ctx.line);
    if (code >= this.parsedOf.length) {
      const grown = new Float64Array(this.parsedOf.length * 2);
      grown.set(this.parsedOf);
      this.parsedOf = grown;
    }
    this.parsedOf[code] = v;
  }

  /**
   * A text value in a NUMBER or DATE column: become TEXT, or, when that is no longer possible
   * (forced or committed), store it as missing and count it for the refusal at the end. True when
   * the column is now TEXT (the caller then adds the value as text).
   */
  private leaveParsed(buf: Buffer, start: number, end: number): boolean {
    const type = this.mode === NUMBER ? 'numeric' : 'datetime';
    if (!this.dictAlive) {
      const stray = this.stray;
      stray.add(this.ctx.line, stray.wantsSpelling ? this.decode(buf, start, end) : undefined);
      this.values.push(MISSING);
      return false;
    }
    // the spellings become the categories; each row so far gets the first spelling of its value
    const size = this.dict.size;
    const firstOf = new FloatDictionary();
    for (let code = 0; code < size; code++) {
      if (firstOf.find(this.parsedOf[code]) < 0) firstOf.add(this.parsedOf[code], '', 0);
    }
    const codeOfFirst = new Int32Array(firstOf.size);
    for (let code = size - 1; code >= 0; code--) codeOfFirst[firstOf.find(this.parsedOf[code])] = code;
    const codes = this.codes;
    this.values.forEach((v) => codes.push(v === v ? codeOfFirst[firstOf.find(v)] : -1));
    this.values.release();
    this.parsedOf = new Float64Array(16);
    this.leftType = type;
    this.mode = TEXT;
    return true;
  }

  /** The refusal of a forced or committed column that met text: where, how many, and the two fixes. */
  private conflict(type: 'numeric' | 'datetime'): TypeConflict {
    const { count, firstLine, examples, more } = this.stray;
    const what = type === 'numeric' ? 'number' : 'date';
    const why = this.forced ? `is forced to ${type}` : `held only ${what}s for more than ${fmtInt(this.ctx.dictLimit)} distinct values`;
    const shown = showExamples(examples, more);
    const message =
      `line ${fmtInt(firstLine)}: ${showColumn(this.name, this.index)} ${why}, but ` +
      `${count === 1 ? `1 value is not a ${what}` : `${fmtInt(count)} values are not ${what}s`} (${shown}). If they mean "missing", add them to the missing tokens (missing: [..., ${examples.map(showValue).join(', ')}]); ` +
      `if the column really is text, pass ${typesHint(this.name, 'categorical')}`;
    return { column: this.name, index: this.index, line: firstLine, value: examples[0], count, message };
  }

  private addText(buf: Buffer, start: number, end: number): void {
    const dict = this.dict;
    const h = hashBytes(buf, start, end);
    let code = dict.find(buf, start, end, h);
    if (code < 0) code = dict.add(buf, start, end, h, this.decode(buf, start, end), this.ctx.line);
    this.codes.push(code);
  }

  /** The field's text; validates UTF-8 and refuses NUL bytes (binary data). */
  private decode(buf: Buffer, start: number, end: number): string {
    let ascii = true;
    for (let k = start; k < end; k++) {
      const b = buf[k];
      if (b >= 0x80) ascii = false;
      else if (b === 0) {
        throw new QuorumError(
          'NOT_CSV',
          `line ${fmtInt(this.ctx.line)}, ${showColumn(this.name, this.index)}: a NUL byte, so this is binary data, not CSV text; ` +
            `upload the CSV itself (gzip is accepted)`,
          { line: this.ctx.line, column: this.name },
        );
      }
    }
    if (ascii) return buf.toString('latin1', start, end);
    try {
      return utf8.decode(buf.subarray(start, end));
    } catch {
      throw new QuorumError(
        'BAD_ENCODING',
        `line ${fmtInt(this.ctx.line)}, ${showColumn(this.name, this.index)}: bytes that are not valid UTF-8 ` +
          `(${showValue(buf.toString('latin1', start, end))} read as Latin-1); save the file as UTF-8 and upload it again`,
        { line: this.ctx.line, column: this.name },
      );
    }
  }

  /** Assembles the column; the builder must not be used afterwards. */
  finish(nRows: number): FinishedColumn {
    const name = this.name;
    if (this.mode === UNDECIDED) {
      const values = new Float64Array(nRows).fill(MISSING);
      return { column: { name, type: this.forced === 'datetime' ? 'datetime' : 'numeric', values }, distinct: 0 };
    }
    if (this.mode === NUMBER || this.mode === DATE) {
      if (this.stray.count > 0) {
        // the read will be refused: never assemble values nobody will use
        this.values.release();
        const type = this.mode === NUMBER ? 'numeric' : 'datetime';
        return { column: { name, type, values: new Float64Array(0) }, conflict: this.conflict(type) };
      }
      let distinct: number | undefined;
      if (this.dictAlive) {
        // distinct values, not spellings ("1.0" and "1" are one value)
        const seen = this.parsedOf.slice(0, this.dict.size).sort();
        distinct = 0;
        for (let k = 0; k < seen.length; k++) if (k === 0 || seen[k] !== seen[k - 1]) distinct++;
      }
      const values = this.values.toArray();
      this.dict = new ByteDictionary();
      return { column: { name, type: this.mode === NUMBER ? 'numeric' : 'datetime', values }, distinct };
    }
    const codes = this.codes.toArray();
    const dict = this.dict;
    this.dict = new ByteDictionary();
    return decideText({
      name,
      index: this.index,
      codes,
      categories: dict.strings,
      firstLines: dict.firstLines,
      forced: this.forced || undefined,
      leftType: this.leftType || undefined,
    });
  }
}
