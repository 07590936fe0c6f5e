/**
 * Dictionaries that give each distinct field value a code, creating a JS string only the first
 * time a value is seen. Open addressing over typed arrays: no Map, no string per lookup.
 *
 * - {@link ByteDictionary} keys on the field's bytes (text columns);
 * - {@link FloatDictionary} keys on the parsed value (numeric and date columns while they are
 *   still small enough to become categorical; see `column-builder.ts`).
 */

// Module constants rather than globals: a global lookup is slow inside a vm context (jest runs tests in one).
const imul = Math.imul;

const EMPTY = 0;

/** FNV-1a over `buf[start, end)`, finished with a murmur3 mix so low bits spread well. */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = imul(h ^ buf[i], 0x01000193);
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

function growInt32(a: Int32Array, min: number): Int32Array {
  const out = new Int32Array(Math.max(min, a.length * 2));
  out.set(a);
  return out;
}

/** Shared machinery: the slot table and per-code first-seen line numbers. */
abstract class Dictionary {
  /** The values, by code. */
  readonly strings: string[] = [];
  /** 1-based line where each code was first seen (for messages). */
  firstLines: Int32Array = new Int32Array(16);
  protected slots = new Int32Array(16);
  protected mask = 15;

  get size(): number {
    return this.strings.length;
  }

  protected abstract hashOf(code: number): number;

  protected register(str: string, line: number): number {
    const code = this.strings.length;
    this.strings.push(str);
    if (code >= this.firstLines.length) this.firstLines = growInt32(this.firstLines, code + 1);
    this.firstLines[code] = line;
    // keep the load factor under 1/2
    if (this.strings.length * 2 > this.slots.length) this.rehash();
    return code;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let code = 0; code < this.strings.length; code++) {
      let s = this.hashOf(code) & mask;
      while (slots[s] !== EMPTY) s = (s + 1) & mask;
      slots[s] = code + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

export class ByteDictionary extends Dictionary {
  private hashes: Int32Array = new Int32Array(16);
  private offsets: Int32Array = new Int32Array(16);
  private lengths: Int32Array = new Int32Array(16);
  private arena = new Uint8Array(256);
  private used = 0;

  protected hashOf(code: number): number {
    return this.hashes[code];
  }

  /** Code of the value spelled by `buf[start, end)` (whose hash is `h`), or -1. */
  find(buf: Uint8Array, start: number, end: number, h: number): number {
    const length = end - start;
    const mask = this.mask;
    const slots = this.slots;
    const arena = this.arena;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const slot = slots[s];
      if (slot === EMPTY) return -1;
      const code = slot - 1;
      if (this.hashes[code] !== h || this.lengths[code] !== length) continue;
      const off = this.offsets[code];
      let k = 0;
      while (k < length && arena[off + k] === buf[start + k]) k++;
      if (k === length) return code;
    }
  }

  /** Adds a value known to be absent; `str` is its decoded text. Returns its code. */
  add(buf: Uint8Array, start: number, end: number, h: number, str: string, line: number): number {
    const length = end - start;
    const code = this.strings.length;
    if (code >= this.hashes.length) {
      this.hashes = growInt32(this.hashes, code + 1);
      this.offsets = growInt32(this.offsets, code + 1);
      this.lengths = growInt32(this.lengths, code + 1);
    }
    if (this.used + length > this.arena.length) {
      const arena = new Uint8Array(Math.max(this.arena.length * 2, this.used + length));
      arena.set(this.arena.subarray(0, this.used));
      this.arena = arena;
    }
    this.arena.set(buf.subarray(start, end), this.used);
    this.hashes[code] = h;
    this.offsets[code] = this.used;
    this.lengths[code] = length;
    this.used += length;
    // insert into the slot table before register() may rehash (rehash re-inserts every code)
    let s = h & this.mask;
    while (this.slots[s] !== EMPTY) s = (s + 1) & this.mask;
    this.slots[s] = code + 1;
    return this.register(str, line);
  }

  /** Bytes held by the dictionary (arena plus tables), for memory accounting. */
  get byteSize(): number {
    return this.arena.length + this.slots.byteLength + this.hashes.byteLength * 3 + this.firstLines.byteLength;
  }
}

const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);

function hashFloat(v: number): number {
  F64[0] = v;
  let h = I32[0] ^ imul(I32[1], 0x9e3779b1);
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

export class FloatDictionary extends Dictionary {
  private keys = new Float64Array(16);

  protected hashOf(code: number): number {
    return hashFloat(this.keys[code]);
  }

  /** Code of `v` (not NaN), or -1. */
  find(v: number): number {
    const mask = this.mask;
    for (let s = hashFloat(v) & mask; ; s = (s + 1) & mask) {
      const slot = this.slots[s];
      if (slot === EMPTY) return -1;
      if (this.keys[slot - 1] === v) return slot - 1;
    }
  }

  /** Adds `v` (absent, not NaN) with its first-seen spelling `str`. Returns its code. */
  add(v: number, str: string, line: number): number {
    const code = this.strings.length;
    if (code >= this.keys.length) {
      const keys = new Float64Array(this.keys.length * 2);
      keys.set(this.keys);
      this.keys = keys;
    }
    this.keys[code] = v;
    let s = hashFloat(v) & this.mask;
    while (this.slots[s] !== EMPTY) s = (s + 1) & this.mask;
    this.slots[s] = code + 1;
    return this.register(str, line);
  }

  /** The key of `code`. */
  key(code: number): number {
    return this.keys[code];
  }
}
