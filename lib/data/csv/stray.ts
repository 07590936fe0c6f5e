/**
 * Values that are not of their column's type ("stray" values), and how they are reported.
 *
 * A column of mostly numbers (or dates) with a few text values is read as categorical, with a
 * warning (see `text-types.ts`). Two cases cannot be read that way and are refused instead:
 * - the user forced the column's type (`types: {"x": 'numeric'}`) and some values are not of it:
 *   the forced type is a statement about the data, so a contradiction is the user's to settle;
 * - the column held more than `dictLimit` distinct numbers (or dates) before the text turned up:
 *   it no longer keeps the spellings a categorical column needs (a float column never holds a
 *   string per row), and reading the text as missing would drop values without a word at predict
 *   time, where the reader's warnings go unread.
 *
 * Both are found while reading but refused only at the end, in one error naming every such column:
 * one upload tells the user everything there is to fix.
 */
import { QuorumError } from '../../errors';
import { fmtInt, showValue } from './messages';

/** Spellings a message quotes as examples. */
export const STRAY_EXAMPLES = 3;
/** Columns an error (or the warnings) describes in full; the rest are named only. */
const DESCRIBED = 10;

/**
 * The stray values of a column stored as numbers or dates: counted, with the line of the first
 * and its first few distinct spellings. Holds at most {@link STRAY_EXAMPLES} strings.
 */
export class StrayValues {
  count = 0;
  /** 1-based line of the first stray value (0 while there is none). */
  firstLine = 0;
  readonly examples: string[] = [];
  /** True once a spelling beyond the examples was seen (the message then ends in `...`). */
  more = false;

  /** True while the spelling of the next value matters (the caller decodes the field only then). */
  get wantsSpelling(): boolean {
    return !this.more;
  }

  add(line: number, spelling?: string): void {
    if (this.count++ === 0) this.firstLine = line;
    if (spelling === undefined || this.examples.includes(spelling)) return;
    if (this.examples.length < STRAY_EXAMPLES) this.examples.push(spelling);
    else this.more = true;
  }
}

/** The examples as a message shows them: `"V57", "E812", "V45", ...`. */
export function showExamples(examples: readonly string[], more: boolean): string {
  return `${examples.map(showValue).join(', ')}${more ? ', ...' : ''}`;
}

/** A column whose values its type cannot hold, found while reading and refused at the end. */
export interface TypeConflict {
  column: string;
  index: number;
  /** 1-based line of the first such value. */
  line: number;
  value: string;
  /** How many values are not of the type. */
  count: number;
  /** `line 2: column 'b' (#2) is forced to numeric, but …`, with the fix. */
  message: string;
}

const cut = (name: string): string => (name.length > 40 ? `${name.slice(0, 37)}...` : name);

/**
 * One STRAY_TEXT error for every conflict of the read (at least one), in column order: the first
 * {@link DESCRIBED} in full, the others by name. `data` has the first one's line, column and value
 * (as a single conflict always had) and `columns`, all of them. `categorical` names the columns
 * the same read took as categorical for a few stray values, which the user would otherwise learn
 * of only on the next upload.
 */
export function conflictError(conflicts: readonly TypeConflict[], categorical: readonly string[] = []): QuorumError {
  const sorted = [...conflicts].sort((a, b) => a.index - b.index);
  const first = sorted[0];
  let message = first.message;
  if (sorted.length > 1) {
    const described = sorted.slice(0, DESCRIBED).map((c, i) => `(${i + 1}) ${c.message}`);
    const rest = sorted.slice(DESCRIBED).map((c) => `'${cut(c.column)}'`);
    message =
      `${sorted.length} columns hold values their type cannot: ${described.join('; ')}` +
      (rest.length > 0 ? `; and the same for ${fmtInt(rest.length)} more: ${rest.join(', ')}` : '');
  }
  if (categorical.length > 0) {
    message += `. Once this is fixed, ${categorical.length === 1 ? 'column' : 'columns'} ${categorical.map((n) => `'${cut(n)}'`).join(', ')} will be read as categorical: mostly numbers or dates, but not all`;
  }
  return new QuorumError('STRAY_TEXT', message, {
    line: first.line,
    column: first.column,
    value: first.value,
    count: first.count,
    columns: sorted.map((c) => ({ column: c.column, line: c.line, value: c.value, count: c.count })),
  });
}

/**
 * The warnings of columns read as categorical for their stray values: the first {@link DESCRIBED}
 * in full, then one line naming the others (10,000 such columns would otherwise be megabytes of
 * dataset metadata).
 */
export function strayWarnings(notes: readonly { column: string; warning: string }[]): string[] {
  const out = notes.slice(0, DESCRIBED).map((n) => n.warning);
  const rest = notes.slice(DESCRIBED);
  if (rest.length > 0) {
    out.push(`${fmtInt(rest.length)} more columns of mostly numbers or dates were read as categorical the same way: ${rest.map((n) => `'${cut(n.column)}'`).join(', ')}`);
  }
  return out;
}
