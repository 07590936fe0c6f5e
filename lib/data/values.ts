/**
 * The ingestion rules for single values, for predict time: rows arrive as JSON by column name and
 * must be read exactly as the training CSV was. These functions run the same byte-level parsers as
 * the CSV reader (`csv/number.ts`, `csv/date.ts`, `csv/missing.ts`), so the rules cannot drift.
 *
 * All of them trim surrounding spaces first, as the reader does for unquoted fields.
 */
import { parseDateBytes } from './csv/date';
import { MissingMatcher } from './csv/missing';
import { parseNumberBytes } from './csv/number';

/**
 * Default missing-value tokens. Matching is on the whole (trimmed) value and ASCII
 * case-insensitive, so `na`, `NULL` and `nan` are missing too; the empty string always is.
 */
export const DEFAULT_MISSING: readonly string[] = Object.freeze(['', 'NA', 'N/A', 'NaN', 'null', '?', '-']);

let scratch = Buffer.alloc(256);

/** The trimmed value as bytes in a reused buffer, or undefined when it has non-ASCII characters. */
function asciiBytes(s: string): number | undefined {
  const t = s.trim();
  if (t.length > scratch.length) scratch = Buffer.alloc(t.length * 2);
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c > 127) return undefined;
    scratch[i] = c;
  }
  return t.length;
}

/** The number `s` spells (same grammar as the CSV reader: no hex, no `Infinity`, no ''), or NaN. */
export function parseNumberToken(s: string): number {
  const n = asciiBytes(s);
  return n === undefined ? NaN : parseNumberBytes(scratch, 0, n);
}

const TRUE_WORDS = new Set(['true', 'yes', 't', 'y', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'f', 'n', '0', 'off']);

/**
 * true for true/yes/t/y/1/on, false for false/no/f/n/0/off (case-insensitive), undefined otherwise.
 * At predict time a boolean column also accepts its own labels, which are among these words.
 */
export function parseBooleanToken(s: string): boolean | undefined {
  const w = s.trim().toLowerCase();
  if (TRUE_WORDS.has(w)) return true;
  if (FALSE_WORDS.has(w)) return false;
  return undefined;
}

/** Milliseconds since the epoch for an ISO date or date-time (UTC unless it has an offset), or NaN. */
export function parseDateToken(s: string): number {
  const n = asciiBytes(s);
  return n === undefined ? NaN : parseDateBytes(scratch, 0, n);
}

/**
 * A test for missing values with the rules of the reader, for a dataset's own token list
 * (`IngestOptions.missing`, defaulting to {@link DEFAULT_MISSING}).
 */
export function missingTest(tokens: readonly string[] = DEFAULT_MISSING): (s: string | null | undefined) => boolean {
  const matcher = new MissingMatcher(tokens);
  return (s) => {
    if (s === null || s === undefined) return true;
    const bytes = Buffer.from(s.trim(), 'utf8');
    return bytes.length <= matcher.maxLength && matcher.match(bytes, 0, bytes.length) >= 0;
  };
}
