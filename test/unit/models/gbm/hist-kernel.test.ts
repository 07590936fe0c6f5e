/**
 * Issue 12: the WebAssembly kernels give the JavaScript loops' results bit for bit — histogram sums
 * (16- and 32-bit slots, row subsets, several outputs), partitions and a node's derivative sums — fall back to those loops
 * for arrays outside their arena, and the committed bytes are what kernels.wat compiles to.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { arenaOf, arenaPlan, HistArena } from '../../../../lib/models/gbm/hist-kernel';
import { binSlots, buildHistogram, histLayout, subtractHistogram, type BinSlots } from '../../../../lib/models/gbm/histogram';
import { leftTable, partitionRows } from '../../../../lib/models/gbm/partition';
import { Rng } from '../../../../lib/util/random';
import { compileKernel, moduleSource } from '../../../../bin/build-wasm';

function setup(cols: number, valueBins: number, n: number, outputs: number, seed: number) {
  const layout = histLayout(new Array(cols).fill(valueBins));
  const rng = new Rng(seed);
  // Codes 0..valueBins (the last one: missing).
  const codes = Uint8Array.from({ length: n * cols }, () => Math.floor(rng.float() * (valueBins + 1)));
  const arena = HistArena.create(arenaPlan(layout, n, outputs, n, undefined, 3));
  if (!arena) throw new Error('no WebAssembly SIMD in this runtime: the kernel cannot be tested');
  const slots = binSlots(codes, layout, 'rows', arena.slots);
  for (let i = 0; i < n * outputs; i++) {
    arena.grad[i] = rng.float() * 2 - 1;
    arena.hess[i] = rng.float();
  }
  // A node's rows: an ascending subset, as partitions leave them.
  let m = 0;
  for (let r = 0; r < n; r++) if (rng.float() < 0.6) arena.index[m++] = r;
  return { layout, codes, arena, slots, m };
}

/** The JavaScript loop's histogram: the same inputs copied out of the arena. */
function plain(
  slots: BinSlots,
  cols: number,
  index: Int32Array,
  start: number,
  end: number,
  grad: Float32Array,
  hess: Float32Array,
  length: number,
): Float64Array {
  const copy = slots instanceof Uint16Array ? Uint16Array.from(slots) : Uint32Array.from(slots);
  expect(arenaOf(copy)).toBeUndefined();
  const out = new Float64Array(length);
  buildHistogram(copy, cols, Int32Array.from(index), start, end, Float32Array.from(grad), Float32Array.from(hess), out);
  return out;
}

describe('gbm WebAssembly histogram kernel (issue 12)', () => {
  it.each([
    ['16-bit slots, 16 features (Letter-like)', 16, 16, 3000, 1],
    ['16-bit slots, 7 features (a partial block of four)', 7, 255, 2000, 3],
    ['32-bit slots, 130 features of 255 bins', 130, 255, 400, 2],
  ])('%s: bit-identical to the JavaScript loop', (_name, cols, bins, n, outputs) => {
    const { layout, arena, slots, m } = setup(cols, bins, n, outputs, 7 + cols);
    expect(slots).toBeInstanceOf(cols > 128 ? Uint32Array : Uint16Array);
    expect(arenaOf(slots)).toBe(arena);
    const len = 2 * layout.totalBins;
    for (let k = 0; k < outputs; k++) {
      const grad = arena.grad.subarray(k * n, (k + 1) * n);
      const hess = arena.hess.subarray(k * n, (k + 1) * n);
      // (ranges of under half the rows take the gathered build, 256 rows at a time: several chunks, one, none)
      for (const [s, e] of [
        [0, m],
        [3, Math.floor(m / 2)],
        [7, 7 + 256],
        [m - 1, m],
        [5, 5],
      ]) {
        const hist = new Float64Array(len).fill(NaN); // overwritten entirely
        buildHistogram(slots, cols, arena.index, s, e, grad, hess, hist);
        const want = plain(slots, cols, arena.index, s, e, grad, hess, len);
        expect(Buffer.from(hist.buffer).equals(Buffer.from(want.buffer))).toBe(true);
        if (e > s) expect(hist.some((v) => v !== 0)).toBe(true);
      }
    }
  });

  it('histograms of the arena’s own are built in place and subtracted in the kernel, bit-identical', () => {
    const n = 2500;
    const { layout, arena, slots, m } = setup(11, 40, n, 1, 13);
    const len = 2 * layout.totalBins;
    expect(arena.hists).toHaveLength(3);
    const [parent, child, out] = arena.hists;
    expect(parent.length).toBe(len);
    parent.fill(NaN);
    buildHistogram(slots, 11, arena.index, 0, m, arena.grad, arena.hess, parent);
    buildHistogram(slots, 11, arena.index, 0, Math.floor(m / 3), arena.grad, arena.hess, child);
    const wantParent = plain(slots, 11, arena.index, 0, m, arena.grad, arena.hess, len);
    const wantChild = plain(slots, 11, arena.index, 0, Math.floor(m / 3), arena.grad, arena.hess, len);
    expect(Buffer.from(Float64Array.from(parent).buffer).equals(Buffer.from(wantParent.buffer))).toBe(true);
    expect(Buffer.from(Float64Array.from(child).buffer).equals(Buffer.from(wantChild.buffer))).toBe(true);
    subtractHistogram(parent, child, out);
    const jsDiff = Float64Array.from(wantParent);
    subtractHistogram(jsDiff, wantChild); // plain arrays: the JavaScript loop
    expect(Buffer.from(Float64Array.from(out).buffer).equals(Buffer.from(jsDiff.buffer))).toBe(true);
    subtractHistogram(parent, child); // in place
    expect(Buffer.from(Float64Array.from(parent).buffer).equals(Buffer.from(jsDiff.buffer))).toBe(true);
    // an odd length (the kernel's scalar tail)
    const odd = [parent.subarray(0, 7), child.subarray(0, 7), out.subarray(0, 7)];
    subtractHistogram(odd[0], odd[1], odd[2]);
    expect(Array.from(odd[2])).toEqual(Array.from(odd[0], (v, j) => v - odd[1][j]));
  });

  it('partitions like the JavaScript loop: stable, left rows first, the same split point', () => {
    const n = 3000;
    const { arena, m } = setup(3, 20, n, 1, 5);
    const rng = new Rng(9);
    for (let i = 0; i < n * 3; i++) arena.columns[i] = Math.floor(rng.float() * 21); // code 20: missing
    for (const [f, bin, missLeft, s, e] of [
      [0, 9, false, 0, m],
      [1, 0, true, 10, m - 10],
      [2, 19, false, 0, m],
      [2, 5, true, 7, 7],
    ] as const) {
      const column = arena.columns.subarray(f * n, (f + 1) * n);
      const table = leftTable(bin, 20, missLeft, arena.table);
      const plainIndex = Int32Array.from(arena.index);
      expect(arena.partition(column, table, arena.index, s, s, arena.scratch)).toBe(s); // the kernel takes these arrays
      const before = Array.from(arena.index.subarray(s, e));
      const got = partitionRows(column, table, arena.index, s, e, arena.scratch);
      const want = partitionRows(Uint8Array.from(column), Uint8Array.from(table), plainIndex, s, e, new Int32Array(n));
      expect(got).toBe(want);
      expect(Array.from(arena.index)).toEqual(Array.from(plainIndex));
      // Left rows are those with code ≤ bin (or missing when missLeft), in their old order.
      const goesLeft = (r: number): boolean => (column[r] === 20 ? missLeft : column[r] <= bin);
      expect(Array.from(arena.index.subarray(s, got))).toEqual(before.filter(goesLeft));
      expect(Array.from(arena.index.subarray(got, e))).toEqual(before.filter((r) => !goesLeft(r)));
    }
  });

  it('sums a node’s derivatives in row order like the JavaScript loop, bit for bit', () => {
    const { arena, m } = setup(3, 7, 3001, 1, 12);
    for (const count of [0, 1, m >> 1, m]) {
      const sums = new Float64Array(2);
      expect(arena.sums(arena.index, count, arena.grad, arena.hess, sums)).toBe(true);
      let G = 0;
      let H = 0;
      for (let i = 0; i < count; i++) {
        G += arena.grad[arena.index[i]];
        H += arena.hess[arena.index[i]];
      }
      expect(Object.is(sums[0], G) && Object.is(sums[1], H)).toBe(true);
    }
    // arrays of its own only
    expect(arena.sums(Int32Array.from(arena.index), m, arena.grad, arena.hess, new Float64Array(2))).toBe(false);
  });

  it('adds a leaf’s value into its rows’ margins like the JavaScript loop', () => {
    const n = 2000;
    const arena = HistArena.create(arenaPlan(histLayout([4]), n, 1, n, { weighted: false }))!;
    const rng = new Rng(4);
    for (let r = 0; r < n; r++) {
      arena.margin[r] = rng.float() * 4 - 2;
      arena.index[r] = (r * 7) % n;
    }
    const expected = Float64Array.from(arena.margin.subarray(0, n));
    for (let i = 100; i < 1500; i++) expected[arena.index[i]] += 0.37;
    expect(arena.addLeaf(arena.margin, arena.index, 100, 1500, 0.37, n)).toBe(true);
    expect(Buffer.from(Float64Array.from(arena.margin.subarray(0, n)).buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    expect(arena.addLeaf(new Float64Array(n), arena.index, 0, 10, 1, n)).toBe(false);
  });

  it('arrays outside the arena take the JavaScript loop (same answer, arena untouched)', () => {
    const { layout, arena, slots, m } = setup(4, 3, 50, 1, 11);
    const hist = new Float64Array(2 * layout.totalBins);
    // Index outside the arena: the kernel declines, the loop runs.
    expect(arena.build(slots, 4, Int32Array.from(arena.index), 0, m, arena.grad, arena.hess, hist)).toBe(false);
    buildHistogram(slots, 4, Int32Array.from(arena.index), 0, m, arena.grad, arena.hess, hist);
    const want = plain(slots, 4, arena.index, 0, m, arena.grad, arena.hess, hist.length);
    expect(Array.from(hist)).toEqual(Array.from(want));
  });

  it('an arena past 4 GiB is refused (the fit then uses plain arrays)', () => {
    const layout = histLayout(new Array(20).fill(255));
    expect(HistArena.create(arenaPlan(layout, 200_000_000, 1, 200_000_000))).toBeNull();
  });

  it('kernels-wasm.ts holds what kernels.wat compiles to (npm run build:wasm regenerates it)', async () => {
    const committed = readFileSync(path.join(__dirname, '../../../../lib/models/gbm/kernels-wasm.ts'), 'utf8');
    expect(committed).toBe(moduleSource(await compileKernel()));
  });
});
