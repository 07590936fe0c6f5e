/**
 * JSON from the outside: a nesting-depth check that runs over the raw text before it is parsed,
 * and a bounded copy of a value for an error's `data`.
 *
 * Why: a body nested thousands deep parses fine, but every later walk over it (schema
 * validation, `JSON.stringify` of the error that echoes it) recurses once per level and can
 * overflow the stack inside the gateway's error path, which ends the process. Real request bodies
 * of Quorum are a few levels deep (`{"rows": [{"a": 1}]}`, a model spec with params).
 */
import { QuorumError, previewValue } from '../errors';

/** Deepest nesting of objects and arrays a request body may have (`{"a":[1]}` is 2). */
export const MAX_JSON_DEPTH = 32;

/** Bytes of JSON's structure, shared with the sliced reader of prediction bodies (lib/inference/json-rows.ts). */
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;

/** Object keys no request may carry at any depth: they reach an object's prototype when merged. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const COLON = 0x3a;
export const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** What one pass over JSON text found: its nesting depth, and the first prototype key (decoded), if any. */
export interface JsonScan {
  depth: number;
  prototypeKey?: string;
}

/**
 * The nesting depth of JSON text and its first prototype key, counted over its bytes (strings
 * skipped, escapes honoured: a key written `"__pro\u0074o__"` is decoded before it is compared), in
 * one pass without recursion. Stops early once `limit` is passed (depth `limit + 1`). The text need
 * not be valid JSON: the parser reports syntax errors afterwards.
 */
export function scanJson(text: Uint8Array | string, limit = Number.MAX_SAFE_INTEGER): JsonScan {
  const bytes = typeof text === 'string' ? null : text;
  const n = bytes ? bytes.length : (text as string).length;
  const at = bytes ? (i: number) => bytes[i] : (i: number) => (text as string).charCodeAt(i);
  let depth = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const c = at(i);
    if (c === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; i < n; i++) {
        const d = at(i);
        if (d === BACKSLASH) {
          escaped = true;
          i++;
        } else if (d === QUOTE) break;
      }
      // A string is a key when a colon follows it; only strings of a prototype key's length or escaped ones can be one.
      let j = i + 1;
      while (j < n && isSpace(at(j))) j++;
      if (j < n && at(j) === COLON && (escaped || i - start - 1 <= 11)) {
        const key = prototypeKeyAt(text, start, i + 1, escaped);
        if (key) return { depth: max, prototypeKey: key };
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return { depth: limit + 1 };
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return { depth: max };
}

function prototypeKeyAt(text: Uint8Array | string, start: number, end: number, escaped: boolean): string | undefined {
  const raw = typeof text === 'string' ? text.slice(start, end) : Buffer.from(text.buffer, text.byteOffset + start, end - start).toString('utf8');
  let key: unknown;
  try {
    key = escaped ? JSON.parse(raw) : raw.slice(1, -1);
  } catch {
    return undefined;
  }
  return typeof key === 'string' && PROTOTYPE_KEYS.has(key) ? key : undefined;
}

/** The nesting depth of JSON text (see {@link scanJson}). */
export function jsonDepth(text: Uint8Array | string, limit = Number.MAX_SAFE_INTEGER): number {
  let depth = 0;
  let max = 0;
  const bytes = typeof text === 'string' ? null : text;
  const n = bytes ? bytes.length : (text as string).length;
  const at = bytes ? (i: number) => bytes[i] : (i: number) => (text as string).charCodeAt(i);
  let inString = false;
  for (let i = 0; i < n; i++) {
    const c = at(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return limit + 1;
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return max;
}

/**
 * Throws JSON_TOO_DEEP (400) when `text` nests deeper than `limit`, and PROTOTYPE_KEY (400) when an
 * object in it has a key `__proto__`, `constructor` or `prototype`.
 */
export function checkJsonDepth(text: Uint8Array | string, limit = MAX_JSON_DEPTH, what = 'the request body'): void {
  const scan = scanJson(text, limit);
  if (scan.depth > limit) {
    throw new QuorumError('JSON_TOO_DEEP', `${what} nests objects or arrays more than ${limit} levels deep: flatten it (Quorum's requests need a few levels)`, {
      limit,
    });
  }
  if (scan.prototypeKey) {
    throw new QuorumError(
      'PROTOTYPE_KEY',
      `${what} has a key '${scan.prototypeKey}': no Quorum request takes it (such keys reach an object's prototype); remove it`,
      { key: scan.prototypeKey },
    );
  }
}

/** `JSON.parse` after the depth and key checks; BAD_JSON names the parser's complaint. */
export function parseJson(text: string, what = 'the request body', limit = MAX_JSON_DEPTH): unknown {
  checkJsonDepth(text, limit, what);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new QuorumError('BAD_JSON', `${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The first prototype key of a parsed value at any depth (a path such as `model.params.__proto__`), or null. */
export function findPrototypeKey(value: unknown, at = '', depth = 0): string | null {
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
    // A plain object whose prototype was replaced (a merge of a `__proto__` key): the key is gone, its effect is not.
    const proto = Object.getPrototypeOf(value);
    if (proto && Object.getPrototypeOf(proto) === Object.prototype && proto.constructor === Object) return at ? `${at}.__proto__` : '__proto__';
  }
  for (const key of Object.keys(value)) {
    const path = at ? `${at}.${key}` : key;
    if (PROTOTYPE_KEYS.has(key)) return path;
    const inner = findPrototypeKey((value as Record<string, unknown>)[key], path, depth + 1);
    if (inner) return inner;
  }
  return null;
}

const DATA_DEPTH = 3;
const DATA_ITEMS = 20;
const DATA_STRING = 200;

/**
 * A copy of an error's `data` that is safe to serialise and small: at most three levels (deeper
 * values become a flat preview string), 20 keys or items per level, strings cut to 200 characters,
 * only own enumerable keys, no prototype keys. Never throws.
 */
export function boundedData(value: unknown, depth = 0): unknown {
  try {
    if (typeof value === 'string') return value.length > DATA_STRING ? `${value.slice(0, DATA_STRING - 1)}…` : value;
    if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return value;
    if (typeof value !== 'object') return previewValue(value);
    if (depth >= DATA_DEPTH) return previewValue(value);
    if (Array.isArray(value)) {
      const out = value.slice(0, DATA_ITEMS).map((v) => boundedData(v, depth + 1));
      if (value.length > DATA_ITEMS) out.push(`… (${value.length} items)`);
      return out;
    }
    const out: Record<string, unknown> = {};
    const keys = Object.keys(value).filter((k) => k !== '__proto__' && k !== 'constructor' && k !== 'prototype');
    for (const k of keys.slice(0, DATA_ITEMS)) out[k.length > 60 ? `${k.slice(0, 60)}…` : k] = boundedData((value as Record<string, unknown>)[k], depth + 1);
    if (keys.length > DATA_ITEMS) out['…'] = `${keys.length} keys`;
    return out;
  } catch {
    return '(a value that cannot be shown)';
  }
}
