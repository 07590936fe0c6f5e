/**
 * Append-only typed arrays grown in fixed blocks rather than by doubling: no copy while reading,
 * and at the end one exact-size array is assembled while the blocks are released, so the peak is
 * the data plus one column rather than twice the data.
 */

const BLOCK = 1 << 16;

export class Float64Blocks {
  private blocks: Float64Array[] = [];
  private current = new Float64Array(BLOCK);
  private pos = 0;
  length = 0;

  push(v: number): void {
    if (this.pos === BLOCK) {
      this.blocks.push(this.current);
      this.current = new Float64Array(BLOCK);
      this.pos = 0;
    }
    this.current[this.pos++] = v;
    this.length++;
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
    this.blocks = [];
    out.set(this.current.subarray(0, this.pos), at);
    this.current = new Float64Array(0);
    return out;
  }
}

export class Int32Blocks {
  private blocks: Int32Array[] = [];
  private current = new Int32Array(BLOCK);
  private pos = 0;
  length = 0;

  push(v: number): void {
    if (this.pos === BLOCK) {
      this.blocks.push(this.current);
      this.current = new Int32Array(BLOCK);
      this.pos = 0;
    }
    this.current[this.pos++] = v;
    this.length++;
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
    this.blocks = [];
    out.set(this.current.subarray(0, this.pos), at);
    this.current = new Int32Array(0);
    return out;
  }
}
