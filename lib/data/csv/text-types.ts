/**
 * The end-of-read decisions for a column that holds text: categorical, boolean, or "numbers (or
 * dates) with a few stray words", which is categorical with a warning. Everything here works on
 * the dictionary and one histogram of the codes, never on the rows' text.
 *
 * Booleans: a column whose values are exactly the two sides of one pair, in any case —
 * true/false, yes/no, t/f, y/n — is stored as 0/1 with the user's own spellings in `labels`
 * (`['No', 'Yes']` for Weather AUS's RainTomorrow). 0/1 columns stay numeric: a 0/1 target may be
 * a regression target, and the task inference treats a 0/1 column as classes anyway. A column
 * forced to boolean also accepts 0/1 and on/off, and may hold only one side.
 *
 * Stray text: when at least {@link STRAY_SHARE} of a column's non-missing values are numbers (or
 * ISO dates) and the rest are not, the column is categorical all the same — codes such as a
 * hospital's diagnoses ("250.83", "V57", "E812") are labels that mostly look like numbers, and
 * refusing the file made the user upload it once per such column to learn them all — with a
 * warning naming the column, how many values are not numbers (the first few spellings and the first
 * line) and the way to read it as numbers instead: those values must be missing, in the file or as
 * missing tokens, since a column forced numeric refuses text (`stray.ts`).
 */
import type { LogicalType } from '../table';
import type { FinishedColumn } from './column-builder';
import { parseDateBytes } from './date';
import { fmtInt, showColumn, showValue, typesHint } from './messages';
import { parseNumberBytes } from './number';
import { STRAY_EXAMPLES, showExamples } from './stray';

/** Share of numeric (or date) values above which a few text values are "stray". */
export const STRAY_SHARE = 0.95;

const PAIRS: readonly (readonly [string, string])[] = [
  ['false', 'true'],
  ['no', 'yes'],
  ['f', 't'],
  ['n', 'y'],
];
/** Accepted only when the user forces a column to boolean. */
const FORCED_PAIRS: readonly (readonly [string, string])[] = [...PAIRS, ['0', '1'], ['off', 'on']];

export interface TextColumnInput {
  name: string;
  index: number;
  codes: Int32Array;
  categories: string[];
  firstLines: Int32Array;
  forced?: LogicalType;
  /** Set when the column read as numbers or dates before text turned up. */
  leftType?: 'numeric' | 'datetime';
}

function countCodes(codes: Int32Array, size: number): Float64Array {
  const counts = new Float64Array(size);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c >= 0) counts[c]++;
  }
  return counts;
}

/** Side (0 false, 1 true) of each category, or undefined when they do not form a boolean. */
function booleanSides(categories: string[], forced: boolean): Uint8Array | undefined {
  if (categories.length === 0) return undefined;
  const pairs = forced ? FORCED_PAIRS : PAIRS;
  const sides = new Uint8Array(categories.length);
  let pairIndex = -1;
  const seen = [false, false];
  for (let i = 0; i < categories.length; i++) {
    const word = categories[i].toLowerCase();
    const p = pairs.findIndex((pair) => pair[0] === word || pair[1] === word);
    if (p < 0 || (!forced && pairIndex >= 0 && p !== pairIndex)) return undefined;
    pairIndex = p;
    sides[i] = pairs[p][1] === word ? 1 : 0;
    seen[sides[i]] = true;
  }
  if (!forced && !(seen[0] && seen[1])) return undefined;
  return sides;
}

function toBoolean(input: TextColumnInput, counts: Float64Array, sides: Uint8Array): FinishedColumn {
  const { codes, categories } = input;
  const values = new Float64Array(codes.length);
  for (let i = 0; i < codes.length; i++) values[i] = codes[i] < 0 ? NaN : sides[codes[i]];
  // the most frequent spelling of each side speaks for it
  const labels: [string, string] = ['false', 'true'];
  const best = [-1, -1];
  for (let c = 0; c < categories.length; c++) {
    if (counts[c] > best[sides[c]]) {
      best[sides[c]] = counts[c];
      labels[sides[c]] = categories[c];
    }
  }
  const distinct = (best[0] >= 0 ? 1 : 0) + (best[1] >= 0 ? 1 : 0);
  return { column: { name: input.name, type: 'boolean', values, labels }, distinct };
}

function categoryIs(category: string, parse: (b: Buffer, s: number, e: number) => number): boolean {
  const bytes = Buffer.from(category, 'utf8');
  return !Number.isNaN(parse(bytes, 0, bytes.length));
}

/**
 * The warning for a column of numbers (or dates) but for a few values, which is read as
 * categorical; undefined for any other column.
 */
function strayNote(input: TextColumnInput, counts: Float64Array): string | undefined {
  const { name, categories, firstLines } = input;
  const kinds: ['numeric' | 'datetime', (b: Buffer, s: number, e: number) => number][] = [
    ['numeric', parseNumberBytes],
    ['datetime', parseDateBytes],
  ];
  let total = 0;
  for (let c = 0; c < counts.length; c++) total += counts[c];
  for (const [type, parse] of kinds) {
    const matches = categories.map((cat) => categoryIs(cat, parse));
    let typed = 0;
    for (let c = 0; c < counts.length; c++) if (matches[c]) typed += counts[c];
    if (typed === total || typed < STRAY_SHARE * total) continue;
    const odd = categories.map((_, c) => c).filter((c) => !matches[c] && counts[c] > 0);
    odd.sort((a, b) => firstLines[a] - firstLines[b]);
    const oddCount = odd.reduce((s, c) => s + counts[c], 0);
    const examples = odd.slice(0, STRAY_EXAMPLES).map((c) => categories[c]);
    const what = type === 'numeric' ? 'numbers' : 'dates';
    return (
      `${showColumn(name, input.index)} holds ${what} (${fmtInt(typed)} of ${fmtInt(total)} values) and ` +
      `${fmtInt(oddCount)} value${oddCount === 1 ? '' : 's'} that ${oddCount === 1 ? 'is' : 'are'} not ` +
      `(${odd.length} spelling${odd.length === 1 ? '' : 's'}: ${showExamples(examples, odd.length > examples.length)}; first on line ${fmtInt(firstLines[odd[0]])}): ` +
      `read as categorical. To read it as ${what}, those values must be missing: correct them in the file, or add them to the ` +
      `missing tokens (missing: [..., ${examples.map(showValue).join(', ')}]); ${typesHint(name, type)} alone refuses them`
    );
  }
  return undefined;
}

/** Turns a TEXT column's codes and dictionary into its final column. */
export function decideText(input: TextColumnInput): FinishedColumn {
  const { name, codes, categories, forced } = input;
  const counts = countCodes(codes, categories.length);
  if (forced === 'categorical') return { column: { name, type: 'categorical', codes, categories }, distinct: categories.length };
  // a column forced to boolean with every value missing is an empty boolean column
  const sides = forced === 'boolean' && categories.length === 0 ? new Uint8Array(0) : booleanSides(categories, forced === 'boolean');
  if (sides) return toBoolean(input, counts, sides);
  if (forced === 'boolean') {
    // a forced column is TEXT from its first value: every category was seen in some row
    const odd = categories.map((_, c) => c).filter((c) => !FORCED_PAIRS.some((p) => p.includes(categories[c].toLowerCase())));
    odd.sort((a, b) => input.firstLines[a] - input.firstLines[b]);
    const first = odd[0];
    const count = odd.reduce((s, c) => s + counts[c], 0);
    const examples = odd.slice(0, STRAY_EXAMPLES).map((c) => categories[c]);
    const message =
      `line ${fmtInt(input.firstLines[first])}: ${showColumn(name, input.index)} is forced to boolean, but ` +
      `${count === 1 ? '1 value is not a boolean' : `${fmtInt(count)} values are not booleans`} (${showExamples(examples, odd.length > examples.length)}); ` +
      `booleans are true/false, yes/no, t/f, y/n, 1/0 or on/off. Add the values to the missing tokens, or pass ${typesHint(name, 'categorical')}`;
    const conflict = { column: name, index: input.index, line: input.firstLines[first], value: categories[first], count, message };
    return { column: { name, type: 'categorical', codes: new Int32Array(0), categories: [] }, conflict };
  }
  const warning = strayNote(input, counts);
  return { column: { name, type: 'categorical', codes, categories }, distinct: categories.length, ...(warning ? { warning } : {}) };
}
