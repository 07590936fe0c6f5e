/**
 * A boosted model's prediction walk in WebAssembly (kernels.wat `walkAdd`): the model's node
 * records (trees/walk.ts's 16-byte form) and leaf values are copied once into a kernel memory,
 * with room for one chunk of rows and its margins; each chunk is written there by fillRows, every
 * tree walks it and adds its leaf values to the margins, and the margins are copied out. The same
 * comparisons and additions, in the same order, as the JavaScript walk (bit-identical margins,
 * tested); about 2–3× faster on small batches, where the JavaScript walk trailed XGBoost's.
 */
import { kernelRegions, type KernelExports } from './hist-kernel';

export class WalkKernel {
  /** One chunk of rows as fillRows writes them. */
  readonly rows: Float32Array;
  /** The chunk's margins (rows × outputs). */
  readonly acc: Float64Array;
  private readonly nodesPtr: number;
  private readonly valuesPtr: number;

  private constructor(
    private readonly kernel: KernelExports,
    buf: ArrayBufferLike,
    at: number[],
    words: Int32Array,
    leafValue: Float32Array,
    chunk: number,
    private readonly width: number,
    private readonly outputs: number,
  ) {
    [this.nodesPtr, this.valuesPtr] = at;
    new Int32Array(buf, this.nodesPtr, words.length).set(words);
    new Float32Array(buf, this.valuesPtr, leafValue.length).set(leafValue);
    this.rows = new Float32Array(buf, at[2], chunk * width);
    this.acc = new Float64Array(buf, at[3], chunk * outputs);
  }

  /** A kernel for these records and leaves, chunks of `chunk` rows of `width` floats; null where none can be had. */
  static create(words: Int32Array, leafValue: Float32Array, chunk: number, width: number, outputs: number): WalkKernel | null {
    const r = kernelRegions([words.byteLength, leafValue.byteLength, 4 * chunk * width, 8 * chunk * outputs]);
    return r ? new WalkKernel(r.kernel, r.memory.buffer, r.at, words, leafValue, chunk, width, outputs) : null;
  }

  /** The first n rows of {@link rows} walk the tree whose root record is `root`; leaf values add to margin k of {@link acc}. */
  walkAdd(root: number, n: number, k: number): void {
    if (n > this.acc.length / this.outputs) throw new RangeError(`a chunk holds at most ${this.acc.length / this.outputs} rows, got ${n}`);
    this.kernel.walkAdd(this.nodesPtr, root, this.rows.byteOffset, this.width, n, this.valuesPtr, this.acc.byteOffset + 8 * k, this.outputs);
  }
}
