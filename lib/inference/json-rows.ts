/**
 * A JSON prediction body `{"rows": [{…}, …], …options}` read without one long stop of the event
 * loop. `JSON.parse` of a 60 MB body holds the loop for about half a second, and four at once held
 * `GET /api/health` for seconds. Here one resumable scan over the bytes, a slice at a time, checks
 * the depth and prototype keys (as lib/util/json-guard.ts does) and finds the items of the top-level
 * `rows` array; the options are parsed alone, and the rows in batches of about a megabyte, with a
 * turn of the event loop between slices and batches.
 */
import { QuorumError } from '../errors';
import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, isSpace, MAX_JSON_DEPTH, OPEN_ARRAY, OPEN_OBJECT, PROTOTYPE_KEYS, QUOTE } from '../util/json-guard';
import { nextTurn } from '../util/sleep';

const COMMA = 0x2c;

/** Bytes scanned, or of rows parsed, between two turns of the event loop. */
export const SLICE_BYTES = 1 << 20;

export interface JsonRowsOptions {
  /** Most items `rows` may hold (counted before any is parsed). */
  maxRows: number;
  /** Called between slices; resolves when the caller may go on (default: the next turn of the loop). */
  pause?: () => Promise<void>;
  sliceBytes?: number;
}

/** Where the items of the top-level `rows` array lie: byte offsets [start, end) of each item. */
interface RowsSpan {
  /** Offsets of the `[` and one past the `]` of the array. */
  open: number;
  close: number;
  starts: number[];
  ends: number[];
}

/** The body as an object: its options parsed, `rows` an array of parsed items. Errors are 400s. */
export async function readJsonRows(bytes: Buffer, options: JsonRowsOptions): Promise<Record<string, unknown>> {
  const pause = options.pause ?? nextTurn;
  const slice = options.sliceBytes ?? SLICE_BYTES;
  const span = await scan(bytes, slice, pause);
  if (!span) {
    // No top-level rows array: small bodies parse whole; validation names what is missing.
    if (bytes.length > slice) throw new QuorumError('BAD_REQUEST', "a prediction body this large must hold its rows in a top-level 'rows' array");
    return parse(bytes.toString('utf8')) as Record<string, unknown>;
  }
  if (span.starts.length > options.maxRows) {
    throw new QuorumError(
      'BAD_REQUEST',
      `the body holds ${span.starts.length} rows; one request takes at most ${options.maxRows}: send them in several requests, or as a CSV file to POST /api/predict/csv`,
      { rows: span.starts.length, limit: options.maxRows },
    );
  }
  const head = parse(`${bytes.toString('utf8', 0, span.open)}[]${bytes.toString('utf8', span.close)}`);
  if (head === null || typeof head !== 'object' || Array.isArray(head)) throw new QuorumError('BAD_REQUEST', 'the body must be a JSON object');
  const rows: unknown[] = [];
  let i = 0;
  while (i < span.starts.length) {
    let j = i;
    while (j < span.starts.length && span.ends[j] - span.starts[i] < slice) j++;
    if (j === i) j = i + 1;
    const batch = parse(`[${bytes.toString('utf8', span.starts[i], span.ends[j - 1])}]`) as unknown[];
    for (const row of batch) rows.push(row);
    i = j;
    if (i < span.starts.length) await pause();
  }
  (head as Record<string, unknown>).rows = rows;
  return head as Record<string, unknown>;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new QuorumError('BAD_JSON', `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * One pass over the bytes, `slice` at a time: depth (JSON_TOO_DEEP past MAX_JSON_DEPTH), prototype
 * keys (PROTOTYPE_KEY), and the span of the top-level `rows` array with its items. Null when the
 * body has no top-level `rows` array.
 */
async function scan(bytes: Buffer, slice: number, pause: () => Promise<void>): Promise<RowsSpan | null> {
  const n = bytes.length;
  let depth = 0;
  let lastKey: string | null = null;
  let span: RowsSpan | null = null;
  let inRows = false;
  let itemStart = -1;
  let sawRows = false;
  let i = 0;
  let yieldAt = slice;
  while (i < n) {
    if (i >= yieldAt) {
      await pause();
      yieldAt = i + slice;
    }
    const c = bytes[i];
    if (c === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; i < n; i++) {
        const d = bytes[i];
        if (d === BACKSLASH) {
          escaped = true;
          i++;
        } else if (d === QUOTE) break;
      }
      let j = i + 1;
      while (j < n && isSpace(bytes[j])) j++;
      if (j < n && bytes[j] === COLON) {
        // A key: decoded only when it could matter (escaped, as long as a prototype key and starting
        // like one, or a key of the top level).
        const length = i - start - 1;
        const first = bytes[start + 1];
        if (escaped || depth === 1 || ((length === 9 || length === 11) && (first === 0x5f || first === 0x63 || first === 0x70))) {
          const key = decodeKey(bytes, start, i + 1, escaped);
          if (key !== null && PROTOTYPE_KEYS.has(key)) {
            throw new QuorumError(
              'PROTOTYPE_KEY',
              `the request body has a key '${key}': no Quorum request takes it (such keys reach an object's prototype); remove it`,
              { key },
            );
          }
          if (depth === 1) lastKey = key;
        }
      } else if (inRows && depth === 2 && itemStart < 0) {
        itemStart = start;
      }
      i++;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (inRows && depth === 2 && itemStart < 0) itemStart = i;
      depth++;
      if (depth > MAX_JSON_DEPTH) {
        throw new QuorumError(
          'JSON_TOO_DEEP',
          `the request body nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep: flatten it (Quorum's requests need a few levels)`,
          { limit: MAX_JSON_DEPTH },
        );
      }
      if (c === OPEN_ARRAY && depth === 2 && lastKey === 'rows') {
        if (sawRows) throw new QuorumError('BAD_REQUEST', "the request body names 'rows' twice: send one 'rows' array");
        sawRows = true;
        inRows = true;
        span = { open: i, close: -1, starts: [], ends: [] };
        itemStart = -1;
      }
      i++;
      continue;
    }
    if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (inRows && depth === 2) {
        if (itemStart >= 0) {
          span!.starts.push(itemStart);
          span!.ends.push(trimEnd(bytes, itemStart, i));
        }
        span!.close = i + 1;
        inRows = false;
        itemStart = -1;
      }
      depth--;
      i++;
      continue;
    }
    if (inRows && depth === 2) {
      if (c === COMMA) {
        if (itemStart >= 0) {
          span!.starts.push(itemStart);
          span!.ends.push(trimEnd(bytes, itemStart, i));
        }
        itemStart = -1;
      } else if (itemStart < 0 && !isSpace(c)) {
        itemStart = i;
      }
    }
    i++;
  }
  return span && span.close > 0 ? span : null;
}

function trimEnd(bytes: Buffer, start: number, end: number): number {
  while (end > start && isSpace(bytes[end - 1])) end--;
  return end;
}

function decodeKey(bytes: Buffer, start: number, end: number, escaped: boolean): string | null {
  const raw = bytes.toString('utf8', start, end);
  if (!escaped) return raw.slice(1, -1);
  try {
    const key = JSON.parse(raw);
    return typeof key === 'string' ? key : null;
  } catch {
    return null;
  }
}
