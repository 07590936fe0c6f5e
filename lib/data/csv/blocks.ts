/**
 * Append-only typed arrays grown in fixed blocks rather than by doubling: no copy while reading,
 * and at the end one exact-size array is assembled while the blocks are released, so the peak is
 * the data plus one column rather than twice the data. Nothing is allocated before the first push.
 */

const BLOCK = 1 << 16;
const NO_F64 = new Float64Array(0);
const NO_I32 = new Int32Array(0);

export class Float64Blocks {
  private blocks: Float64Array[] = [];
  private current = NO_F64;
  private pos = 0;
  length = 0;

  push(v: number): void {
    if (this.pos === this.current.length) this.grow();
    this.current[this.pos++] = v;
    this.length++;
  }

  private grow(): void {
    if (this.current.length > 0) this.blocks.push(this.current);
    this.current = new Float64Array(BLOCK);
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

  /** The values as one exact-size array; the builder must not be used afterwards. */
  toArray(): Float64Array {
    const out = new Float64Array(this.length);
    let at = 0;
    for (const b of this.blocks) {
      out.set(b, at);
      at += b.length;
    }
    out.set(this.current.subarray(0, this.pos), at);
    this.release();
    return out;
  }
}

export class Int32Blocks {
  private blocks: Int32Array[] = [];
  private current = NO_I32;
  private pos = 0;
  length = 0;

  push(v: number): void {
    if (this.pos === this.current.length) this.grow();
    this.current[this.pos++] = v;
    this.length++;
  }

  private grow(): void {
    if (this.current.length > 0) this.blocks.push(this.current);
    this.current = new Int32Array(BLOCK);
    this.pos = 0;
  }

  fill(v: number, count: number): void {
    for (let i = 0; i < count; i++) this.push(v);
  }

  toArray(): Int32Array {
    const out = new Int32Array(this.length);
    let at = 0;
    for (const b of this.blocks) {
      out.set(b, at);
      at += b.length;
    }
    out.set(this.current.subarray(0, this.pos), at);
    this.blocks = [];
    this.current = NO_I32;
    this.pos = 0;
    this.length = 0;
    return out;
  }
}
