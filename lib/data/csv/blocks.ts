/**
 * Append-only typed arrays for the columns being read.
 *
 * When the number of rows can be estimated (the input size is known: a file, or an upload with a
 * Content-Length), the first block is the whole column, reserved once; if the estimate was right
 * to within {@link MAX_SLACK}, the column is returned as a view of that block and the values are
 * never copied. Fresh memory is expensive here (a page fault per 4 KiB), so writing every value
 * once rather than twice matters.
 *
 * Otherwise (unknown size, or more rows than estimated) the arrays grow in fixed blocks rather
 * than by doubling — no copy while reading — and at the end one exact-size array is assembled while
 * the blocks are released, so the peak is the data plus one column. Nothing is allocated before the
 * first push.
 */

const BLOCK = 1 << 16;
/** Unused share of a reserved column above which it is copied to an exact-size array instead. */
export const MAX_SLACK = 0.1;
const NO_F64 = new Float64Array(0);
const NO_I32 = new Int32Array(0);

// A reservation is only an optimisation: when the estimate is more than the allocator will give,
// fall back to ordinary blocks (toArray then copies, since the first block is not the reserve).
function reserveF64(n: number): Float64Array {
  try {
    return new Float64Array(n);
  } catch {
    return new Float64Array(BLOCK);
  }
}

function reserveI32(n: number): Int32Array {
  try {
    return new Int32Array(n);
  } catch {
    return new Int32Array(BLOCK);
  }
}

export class Float64Blocks {
  private blocks: Float64Array[] = [];
  private current: Float64Array = NO_F64;
  private pos = 0;
  length = 0;

  /** `reserve`: expected number of values (0 when unknown). */
  constructor(private readonly reserve = 0) {}

  push(v: number): void {
    if (this.pos === this.current.length) this.grow();
    this.current[this.pos++] = v;
    this.length++;
  }

  private grow(): void {
    if (this.current.length > 0) this.blocks.push(this.current);
    this.current = this.length === 0 && this.reserve > 0 ? reserveF64(this.reserve) : new Float64Array(BLOCK);
    this.pos = 0;
  }

  /** Drops the values (the builder may be reused from empty). */
  release(): void {
    this.blocks = [];
    this.current = NO_F64;
    this.pos = 0;
    this.length = 0;
  }

  /** Appends `v` `count` times. */
  fill(v: number, count: number): void {
    for (let i = 0; i < count; i++) this.push(v);
  }

  /** Calls `fn(value)` for every value in order. */
  forEach(fn: (v: number) => void): void {
    for (const b of this.blocks) for (let k = 0; k < b.length; k++) fn(b[k]);
    for (let k = 0; k < this.pos; k++) fn(this.current[k]);
  }

  /**
   * The values as one array of exactly `length` elements — a view of the reserved block when it
   * held them all with little slack, else a copy; the builder must not be used afterwards.
   */
  toArray(): Float64Array {
    const current = this.current;
    if (this.blocks.length === 0 && this.reserve > 0 && current.length === this.reserve && this.length >= (1 - MAX_SLACK) * this.reserve) {
      const view = this.length === current.length ? current : current.subarray(0, this.length);
      this.release();
      return view;
    }
    const out = new Float64Array(this.length);
    let at = 0;
    for (const b of this.blocks) {
      out.set(b, at);
      at += b.length;
    }
    out.set(current.subarray(0, this.pos), at);
    this.release();
    return out;
  }
}

/** {@link Float64Blocks} for Int32 codes (a separate class keeps each call site monomorphic). */
export class Int32Blocks {
  private blocks: Int32Array[] = [];
  private current: Int32Array = NO_I32;
  private pos = 0;
  length = 0;

  constructor(private readonly reserve = 0) {}

  push(v: number): void {
    if (this.pos === this.current.length) this.grow();
    this.current[this.pos++] = v;
    this.length++;
  }

  private grow(): void {
    if (this.current.length > 0) this.blocks.push(this.current);
    this.current = this.length === 0 && this.reserve > 0 ? reserveI32(this.reserve) : new Int32Array(BLOCK);
    this.pos = 0;
  }

  fill(v: number, count: number): void {
    for (let i = 0; i < count; i++) this.push(v);
  }

  toArray(): Int32Array {
    const current = this.current;
    let out: Int32Array;
    if (this.blocks.length === 0 && this.reserve > 0 && current.length === this.reserve && this.length >= (1 - MAX_SLACK) * this.reserve) {
      out = this.length === current.length ? current : current.subarray(0, this.length);
    } else {
      out = new Int32Array(this.length);
      let at = 0;
      for (const b of this.blocks) {
        out.set(b, at);
        at += b.length;
      }
      out.set(current.subarray(0, this.pos), at);
    }
    this.blocks = [];
    this.current = NO_I32;
    this.pos = 0;
    this.length = 0;
    return out;
  }
}
