/**
 * From the first row to the column builders: names from the header (or `column_1`…), checked for
 * encoding, emptiness and duplicates; the `ignore` and `types` options checked against them.
 */
import { QuorumError, listNames } from '../../errors';
import type { LogicalType } from '../table';
import { ColumnBuilder, type FinishedColumn, type RowContext } from './column-builder';
import { conflictError } from './stray';
import type { FirstRowHandler } from './tokenizer';

/** What of the ingest options the columns need. */
export interface ColumnOptions {
  ignore: readonly string[];
  types: Record<string, LogicalType>;
  /** True when the user said whether there is a header (no "pass header: false" hint then). */
  headerGiven: boolean;
}

function unknownColumn(option: string, name: string, header: string[]): QuorumError {
  const close = header.find((h) => h.toLowerCase().trim() === name.toLowerCase().trim());
  const hint = close !== undefined ? `did you mean '${close}'? ` : '';
  const shown = header.length > 30 ? `${listNames(header.slice(0, 30))} and ${header.length - 30} more` : listNames(header);
  return new QuorumError('UNKNOWN_COLUMN', `${option} names '${name}', which is not a column; ${hint}columns are ${shown}`, {
    column: name,
    option,
  });
}

/** Column names from the first row (header) or generated (`column_1`…); validates options against them. */
export function columnNames(fields: Buffer[], header: boolean, opts: ColumnOptions, warnings: string[]): string[] {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const result = fields.map((f, i) => {
    if (!header) return `column_${i + 1}`;
    if (f.includes(0)) throw new QuorumError('NOT_CSV', 'line 1: a NUL byte in the header, so this is binary data, not CSV text', { line: 1 });
    let name: string;
    try {
      name = utf8.decode(f).trim();
    } catch {
      throw new QuorumError('BAD_ENCODING', `line 1, column #${i + 1}: the header has bytes that are not valid UTF-8; save the file as UTF-8`, {
        line: 1,
      });
    }
    return name;
  });
  const unnamed: string[] = [];
  result.forEach((n, i) => {
    if (n === '') {
      result[i] = `column_${i + 1}`;
      unnamed.push(result[i]);
    }
  });
  if (unnamed.length > 0) warnings.push(`unnamed columns in the header were named ${listNames(unnamed)}`);
  const seen = new Map<string, number>();
  result.forEach((n, i) => {
    const before = seen.get(n);
    if (before !== undefined) {
      throw new QuorumError(
        'DUPLICATE_COLUMN',
        `line 1: the header names '${n}' twice (columns #${before + 1} and #${i + 1}); rename one of them` +
          (opts.headerGiven ? '' : ', or pass header: false if line 1 is data'),
        { line: 1, column: n },
      );
    }
    seen.set(n, i);
  });
  for (const n of opts.ignore) if (!seen.has(n)) throw unknownColumn('ignore', n, result);
  for (const n of Object.keys(opts.types)) if (!seen.has(n)) throw unknownColumn('types', n, result);
  return result;
}

/** Builds the column builders from the first row (see FirstRowHandler) and finishes them. */
export class ColumnFactory implements FirstRowHandler {
  private builders: ColumnBuilder[] = [];

  constructor(
    private readonly opts: ColumnOptions,
    private readonly header: boolean,
    private readonly ctx: RowContext,
    private readonly warnings: string[],
  ) {}

  firstRow(fields: Buffer[]): { columns: ColumnBuilder[]; isData: boolean } {
    const names = columnNames(fields, this.header, this.opts, this.warnings);
    this.builders = names.map((name, i) => new ColumnBuilder(name, i, this.ctx, this.opts.types[name]));
    return { columns: this.builders, isData: !this.header };
  }

  /**
   * The finished columns, one at a time so that each column's blocks are freed before the next.
   * Throws one STRAY_TEXT naming every column whose values its type cannot hold.
   */
  finish(nRows: number): FinishedColumn[] {
    const out = this.builders.map((b) => b.finish(nRows));
    this.builders = [];
    const conflicts = out.flatMap((f) => (f.conflict ? [f.conflict] : []));
    if (conflicts.length > 0) {
      throw conflictError(
        conflicts,
        out.flatMap((f) => (f.warning ? [f.column.name] : [])),
      );
    }
    return out;
  }
}
