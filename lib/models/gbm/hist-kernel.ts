/**
 * The gbm kernels in WebAssembly (kernels.wat: histogram build with 128-bit SIMD, row partition,
 * sums, the logistic objective), for arrays that live in its memory.
 *
 * A {@link HistArena} is one wasm instance whose memory is sized once for a fit (growing a memory
 * detaches every view of it, so nothing grows): the fit takes its slots, row index and gradients
 * from it as ordinary typed arrays, and every other step (partitions, objectives, split search)
 * reads and writes them as before. buildHistogram (histogram.ts) sees that its arrays are views of
 * one arena and runs the kernel, which writes the node's histogram in place when it is one of the
 * arena's own (the grower's pool takes those first), else into the arena's output buffer, copied
 * out to the caller's (a node of under half the rows through buildGathered: its rows copied
 * together first); subtractHistogram, partitionRows (partition.ts), a node's sums and a leaf's
 * additions (grow.ts) and the logistic objective (objective-kernel.ts) likewise. Anything else
 * (plain arrays, a memory that could not be had) takes the JavaScript loops, which give the same
 * results bit for bit.
 */
import type { ThreadTeam } from '../../core/team';
import type { BinSlots, HistLayout } from './histogram';
import { KERNELS_WASM } from './kernels-wasm';

// The WebAssembly API as far as this file uses it (the compiler's `lib` here has no DOM types).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: object);
    readonly exports: unknown;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number; shared?: boolean });
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}

/** The kernels' memory and module, as a thread of a fit's team needs them to instantiate the same kernels (team.ts). */
export type KernelMemory = WebAssembly.Memory;
export type KernelModule = WebAssembly.Module;

export interface KernelExports {
  build16(slots: number, cols: number, index: number, start: number, end: number, grad: number, hess: number, hist: number): void;
  build32(slots: number, cols: number, index: number, start: number, end: number, grad: number, hess: number, hist: number): void;
  buildGathered(
    wide: number,
    slots: number,
    cols: number,
    index: number,
    start: number,
    end: number,
    grad: number,
    hess: number,
    hist: number,
    buf: number,
  ): void;
  partition(column: number, table: number, index: number, start: number, end: number, scratch: number): number;
  logistic(margin: number, y: number, w: number, hasW: number, grad: number, hess: number, n: number): number;
  logisticLoss(margin: number, y: number, n: number, scale: number, limit: number): number;
  expf(x: number): number;
  log(x: number): number;
  subtract(a: number, b: number, out: number, n: number): void;
  bounds(g: number, h: number, start: number, end: number, out: number): void;
  quantise(p: number, start: number, end: number, shift: number, lo: number, hi: number): void;
  sums(index: number, m: number, grad: number, hess: number, out: number): void;
  addLeaf(out: number, index: number, start: number, end: number, v: number): void;
  walkAdd(nodes: number, root: number, rows: number, width: number, n: number, values: number, acc: number, stride: number): void;
}

export const PAGE = 65536;
/** A wasm32 memory holds at most 65,536 pages (4 GiB). */
export const MAX_PAGES = 65536;

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernels, or null where this runtime has no WebAssembly SIMD (or shared memory). */
export function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(KERNELS_WASM, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** Whether the layout needs 32-bit slots (more than 32,768 bins). */
export function wideSlots(layout: HistLayout): boolean {
  return 2 * layout.totalBins > 0x10000;
}

/** An instance of the kernels on `memory` (a thread of a team instantiates its own on the leader's memory). */
export function kernelOn(mod: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as KernelExports;
}

/**
 * A new instance of the kernels whose memory holds regions of these byte sizes, each at a 16-byte
 * boundary (v128 loads want it), with the regions' byte offsets; null when there is no
 * WebAssembly SIMD, the regions exceed 4 GiB, or the memory could not be had. The memory is shared
 * (a team's threads work in it) and sized once: it never grows, so no view of it is ever detached.
 */
export function kernelRegions(sizes: number[]): { kernel: KernelExports; memory: WebAssembly.Memory; at: number[] } | null {
  const at: number[] = [];
  let end = 0;
  for (const bytes of sizes) {
    at.push(end);
    end += Math.ceil(bytes / 16) * 16;
  }
  const mod = kernelModule();
  const pages = Math.max(1, Math.ceil(end / PAGE));
  if (!mod || pages > MAX_PAGES) return null;
  try {
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    return { kernel: kernelOn(mod, memory), memory, at };
  } catch {
    return null;
  }
}

const arenas = new WeakMap<ArrayBufferLike, HistArena>();

/**
 * Slot-adds (rows × features) below which a histogram build stays on one thread: handing out a
 * step costs about 50–100 µs (waking the other threads), a build of 2^19 cells about 0.25 ms. Since
 * the threads take chunks (runBuild), a late one no longer holds the others up: 2^19 fitted the
 * 1M-row set 6 % faster on 2 threads than 2^20 (2^18: no better).
 */
export const TEAM_MIN_CELLS = 1 << 19;

/** Bytes of one thread's gather buffer (kernels.wat's buildGathered). */
function gatherBytes(plan: ArenaPlan): number {
  return Math.ceil((3072 + 256 * (plan.wideSlots ? 4 : 2) * plan.cols + 16) / 16) * 16;
}

/** A team step: build the histogram of a range of a node's rows into the thread's own histogram. */
export const OP_BUILD = 1;
/** Team steps: the bounds of a range of the derivatives (into the thread's two doubles), then their quantisation. */
export const OP_BOUNDS = 2;
export const OP_QUANTISE = 3;

/**
 * One build from the integers of a step: gathered, wide, slots, cols, index, start, end, grad,
 * hess, hist, buf (byte offsets into the kernels' memory), then the histogram's length in doubles
 * (it is zeroed first), then — a team's build — the rows of a chunk and the byte offset of the
 * step's chunk counter (an Int32 in the same memory): every thread takes the next chunk of
 * start .. end until none is left, so a thread that starts late (waking takes 50–100 µs) or runs
 * slower takes fewer. Which thread adds a chunk does not change the sums (they are exact).
 */
export function runBuild(kernel: KernelExports, buffer: ArrayBufferLike, a: ArrayLike<number>): void {
  new Float64Array(buffer, a[9], a[11]).fill(0);
  const start = a[5];
  const end = a[6];
  if (start >= end) return;
  const chunk = a.length > 13 ? a[12] : 0;
  if (chunk <= 0) {
    buildRange(kernel, a, start, end);
    return;
  }
  const next = new Int32Array(buffer, a[13], 1);
  for (;;) {
    const from = start + Atomics.add(next, 0, 1) * chunk;
    if (from >= end) return;
    buildRange(kernel, a, from, Math.min(end, from + chunk));
  }
}

function buildRange(kernel: KernelExports, a: ArrayLike<number>, start: number, end: number): void {
  if (a[0]) kernel.buildGathered(a[1], a[2], a[3], a[4], start, end, a[7], a[8], a[9], a[10]);
  else (a[1] ? kernel.build32 : kernel.build16)(a[2], a[3], a[4], start, end, a[7], a[8], a[9]);
}

/** Chunks of a team's build per thread: enough that a late or slow thread evens out, few enough that taking one costs nothing. */
const CHUNKS_PER_THREAD = 8;

/** quantise of grad then hess over one range: g, h, start, end, gradShift, gradLimit, hessShift, hessLimit. */
function runQuantise(kernel: KernelExports, a: ArrayLike<number>): void {
  kernel.quantise(a[0], a[2], a[3], a[4], -a[5], a[5]);
  kernel.quantise(a[1], a[2], a[3], a[6], 1, a[7]);
}

/**
 * What a thread lent to a fit runs: the kernels instantiated on the leader's memory, and the steps
 * the leader hands out (core/team.ts's memberLoop calls the returned function per step).
 */
export function teamMember(payload: { memory: WebAssembly.Memory; module: WebAssembly.Module }): (op: number, args: Int32Array) => void {
  const kernel = kernelOn(payload.module, payload.memory);
  return (op, args) => {
    if (op === OP_BUILD) runBuild(kernel, payload.memory.buffer, args);
    else if (op === OP_BOUNDS) kernel.bounds(args[0], args[1], args[2], args[3], args[4]);
    else if (op === OP_QUANTISE) runQuantise(kernel, args);
  };
}

/** out += part, element by element (exact: the parts are sums of quantised derivatives). */
function addInto(out: Float64Array, part: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] += part[i];
}

/** Sizes, in elements, of what a fit takes from an arena. */
export interface ArenaPlan {
  /** Slots (row-major rows × cols). */
  slots: number;
  /** 32-bit slots (the histogram has more than 32,768 bins). */
  wideSlots: boolean;
  /** Slots per row (the features). */
  cols: number;
  /** Row-index entries (Int32). */
  index: number;
  /** Gradient entries, and as many hessian entries (Float32). */
  gradients: number;
  /** Doubles of one histogram. */
  histLength: number;
  /** Column-major codes (bytes) and partition scratch entries (Int32). */
  columns: number;
  scratch: number;
  /** The objective's margins (Float64), labels (Float32) and row weights (Float64; 0: unweighted). */
  margins: number;
  targets: number;
  weights: number;
  /** Node histograms kept in the arena (histLength doubles each), what the grower's pool takes first. */
  hists: number;
}

/** The arrays of one fit that the kernels read: an arena's views, or plain arrays. */
export interface FitBuffers {
  slots: BinSlots;
  index: Int32Array;
  grad: Float32Array;
  hess: Float32Array;
  /** Column-major codes (`columns[f · rows + r]`), what partitions read. */
  columns: Uint8Array;
  scratch: Int32Array;
  /** A split's left-or-right table per code (partition.ts's leftTable). */
  table: Uint8Array;
  /** The objective's inputs: margins (rows × outputs), labels, row weights (null: unweighted). */
  margin: Float64Array;
  y: Float32Array;
  weight: Float64Array | null;
  /** Node histograms in the arena, for the grower's pool (none for plain arrays). */
  hists: Float64Array[];
}

/**
 * A fit's buffers in a {@link HistArena} when one can be had, else plain arrays (the JavaScript
 * loops then serve). With a `team`, the arena's histogram builds are spread over its threads.
 */
export function fitBuffers(plan: ArenaPlan, team?: ThreadTeam | null): FitBuffers {
  return (
    HistArena.create(plan, team) ?? {
      slots: plan.wideSlots ? new Uint32Array(plan.slots) : new Uint16Array(plan.slots),
      index: new Int32Array(plan.index),
      grad: new Float32Array(plan.gradients),
      hess: new Float32Array(plan.gradients),
      columns: new Uint8Array(plan.columns),
      scratch: new Int32Array(plan.scratch),
      table: new Uint8Array(256),
      margin: new Float64Array(plan.margins),
      y: new Float32Array(plan.targets),
      weight: plan.weights ? new Float64Array(plan.weights) : null,
      hists: [],
    }
  );
}

export class HistArena implements FitBuffers {
  readonly slots: BinSlots;
  readonly index: Int32Array;
  readonly grad: Float32Array;
  readonly hess: Float32Array;
  readonly columns: Uint8Array;
  readonly scratch: Int32Array;
  readonly table: Uint8Array;
  readonly margin: Float64Array;
  readonly y: Float32Array;
  readonly weight: Float64Array | null;
  readonly hists: Float64Array[];
  private readonly out: Float64Array;
  /** The gathered build's buffers (kernels.wat's buildGathered), one per thread, for rows of this many slots. */
  private readonly gatherAt: number;
  private readonly gatherBytes: number;
  private readonly gatherCols: number;
  private readonly kernel: KernelExports;
  /** The threads histogram builds are spread over (null: this thread alone). */
  private readonly team: ThreadTeam | null;
  /** Histograms of the team's members (one each): their parts of a build, added into the leader's. */
  private readonly parts: Float64Array[];
  /** The next chunk of a team's build (runBuild). */
  private readonly counter: Int32Array;

  private constructor(kernel: KernelExports, buf: ArrayBufferLike, at: number[], plan: ArenaPlan, team: ThreadTeam | null) {
    this.kernel = kernel;
    this.team = team;
    this.out = new Float64Array(buf, at[0], plan.histLength);
    this.slots = plan.wideSlots ? new Uint32Array(buf, at[1], plan.slots) : new Uint16Array(buf, at[1], plan.slots);
    this.index = new Int32Array(buf, at[2], plan.index);
    this.grad = new Float32Array(buf, at[3], plan.gradients);
    this.hess = new Float32Array(buf, at[4], plan.gradients);
    this.columns = new Uint8Array(buf, at[5], plan.columns);
    this.scratch = new Int32Array(buf, at[6], plan.scratch);
    this.table = new Uint8Array(buf, at[7], 256);
    this.margin = new Float64Array(buf, at[8], plan.margins);
    this.y = new Float32Array(buf, at[9], plan.targets);
    this.weight = plan.weights ? new Float64Array(buf, at[10], plan.weights) : null;
    this.hists = Array.from({ length: plan.hists }, (_, i) => new Float64Array(buf, at[11] + 8 * i * plan.histLength, plan.histLength));
    this.gatherAt = at[12];
    this.gatherBytes = gatherBytes(plan);
    this.gatherCols = plan.cols;
    this.parts = team ? Array.from({ length: team.members }, (_, i) => new Float64Array(buf, at[13] + 8 * i * plan.histLength, plan.histLength)) : [];
    this.counter = new Int32Array(buf, at[14], 1);
    arenas.set(buf, this);
  }

  /**
   * An arena for this plan, or null when the runtime has no kernel or the plan exceeds 4 GiB. With
   * a `team` whose threads join it, histogram builds are spread over them.
   */
  static create(plan: ArenaPlan, team?: ThreadTeam | null): HistArena | null {
    const threads = team ? team.size : 1;
    const sizes = [
      8 * plan.histLength,
      (plan.wideSlots ? 4 : 2) * plan.slots,
      4 * plan.index,
      4 * plan.gradients,
      4 * plan.gradients,
      plan.columns,
      4 * plan.scratch,
      256,
      8 * plan.margins,
      4 * plan.targets,
      8 * plan.weights,
      8 * plan.hists * plan.histLength,
      threads * gatherBytes(plan),
      8 * (threads - 1) * plan.histLength,
      16,
    ];
    const r = kernelRegions(sizes);
    if (!r) return null;
    // The team's threads instantiate the kernels on this memory; if they cannot, the arena works alone.
    const joined = threads > 1 && team!.join({ memory: r.memory, module: kernelModule() }) ? team! : null;
    return new HistArena(r.kernel, r.memory.buffer, r.at, plan, joined);
  }

  /**
   * Runs the kernel when slots, index, grad and hess are all views of this arena's memory and the
   * histogram fits its output; false otherwise (then nothing was written).
   */
  build(slots: BinSlots, cols: number, index: Int32Array, start: number, end: number, grad: Float32Array, hess: Float32Array, hist: Float64Array): boolean {
    const buf = this.out.buffer;
    if (index.buffer !== buf || grad.buffer !== buf || hess.buffer !== buf || hist.length > this.out.length) return false;
    // Rows beyond the views would read other arrays of the arena: left to the loop (which reads undefined).
    if (start < 0 || end > index.length) return false;
    // A histogram of the arena's own is written in place; any other through the output buffer.
    const inPlace = hist.buffer === buf;
    const out = inPlace ? hist : this.out.subarray(0, hist.length);
    const wide = slots instanceof Uint32Array ? 1 : 0;
    // A node of fewer than half the rows: they lie apart in the slots, so gather them first.
    const gathered = slots.buffer === buf && cols <= this.gatherCols && 2 * (end - start) * cols < slots.length ? 1 : 0;
    const args = (into: Float64Array, thread: number, chunk: number): number[] => [
      gathered,
      wide,
      slots.byteOffset,
      cols,
      index.byteOffset,
      start,
      end,
      grad.byteOffset,
      hess.byteOffset,
      into.byteOffset,
      this.gatherAt + thread * this.gatherBytes,
      out.length,
      chunk,
      this.counter.byteOffset,
    ];
    const team = this.team;
    if (team && (end - start) * cols >= TEAM_MIN_CELLS) {
      // Every thread takes chunks of the rows into a histogram of its own; the sums are exact, so
      // adding the parts gives the bits one thread would have, whoever built which chunk.
      let used = 0;
      Atomics.store(this.counter, 0, 0);
      team.run(
        OP_BUILD,
        (p, parts) => {
          used = parts;
          const chunk = Math.max(256, Math.ceil((end - start) / (parts * CHUNKS_PER_THREAD)));
          return args(p === 0 ? out : this.parts[p - 1].subarray(0, out.length), p, chunk);
        },
        (own) => runBuild(this.kernel, buf, own),
      );
      for (let p = 1; p < used; p++) addInto(out, this.parts[p - 1]);
    } else {
      runBuild(this.kernel, buf, args(out, 0, 0));
    }
    if (!inPlace) hist.set(out);
    return true;
  }

  /**
   * partitionRows in the kernel when column, table, index and scratch are views of this arena's
   * memory (and scratch can hold the range); −1 otherwise (then nothing was moved).
   */
  partition(column: Uint8Array, table: Uint8Array, index: Int32Array, start: number, end: number, scratch: Int32Array): number {
    const buf = this.out.buffer;
    if (column.buffer !== buf || table.buffer !== buf || scratch.buffer !== buf || scratch.length < end - start || table.length < 256) return -1;
    if (start < 0 || end > index.length) return -1;
    return this.kernel.partition(column.byteOffset, table.byteOffset, index.byteOffset, start, end, scratch.byteOffset);
  }

  /** Σ grad[index[i]] and Σ hess[index[i]] for i < m into sums[0], sums[1] in the kernel when index, grad and hess are views of this arena; false otherwise. */
  sums(index: Int32Array, m: number, grad: Float32Array, hess: Float32Array, sums: Float64Array): boolean {
    const buf = this.out.buffer;
    if (index.buffer !== buf || grad.buffer !== buf || hess.buffer !== buf || m > index.length || grad.length !== hess.length) return false;
    this.kernel.sums(index.byteOffset, m, grad.byteOffset, hess.byteOffset, this.out.byteOffset);
    sums[0] = this.out[0];
    sums[1] = this.out[1];
    return true;
  }

  /** out[index[i]] += v for i in start .. end in the kernel when out and index are views of this arena (and the rows fit out); false otherwise. */
  addLeaf(out: Float64Array, index: Int32Array, start: number, end: number, v: number, rows: number): boolean {
    const buf = this.out.buffer;
    if (out.buffer !== buf || index.buffer !== buf || start < 0 || end > index.length || rows > out.length) return false;
    this.kernel.addLeaf(out.byteOffset, index.byteOffset, start, end, v);
    return true;
  }

  /**
   * Quantises grad and hess (rows 0 .. n) in place in the kernel, spread over the team, when both
   * are views of this arena: `shifts` turns the largest |gradient| and hessian into the shifts and
   * limits (quantise.ts). False otherwise (nothing was done).
   */
  quantise(grad: Float32Array, hess: Float32Array, n: number, shifts: (gBound: number, hBound: number) => number[]): boolean {
    const buf = this.out.buffer;
    if (grad.buffer !== buf || hess.buffer !== buf || n > grad.length || n > hess.length) return false;
    const g = grad.byteOffset;
    const h = hess.byteOffset;
    const team = this.team && n >= TEAM_MIN_CELLS ? this.team : null;
    const cut = (p: number, parts: number): number => Math.round((p * n) / parts);
    // Each part's bounds into two doubles of the output buffer (free between builds).
    const at = (p: number): number => this.out.byteOffset + 16 * p;
    let parts = 1;
    if (team) {
      team.run(
        OP_BOUNDS,
        (p, k) => ((parts = k), [g, h, cut(p, k), cut(p + 1, k), at(p)]),
        (own) => this.kernel.bounds(own[0], own[1], own[2], own[3], own[4]),
      );
    } else {
      this.kernel.bounds(g, h, 0, n, at(0));
    }
    let gBound = 0;
    let hBound = 0;
    for (let p = 0; p < parts; p++) {
      gBound = Math.max(gBound, this.out[2 * p]);
      hBound = Math.max(hBound, this.out[2 * p + 1]);
    }
    const [gs, gl, hs, hl] = shifts(gBound, hBound);
    if (team) {
      team.run(
        OP_QUANTISE,
        (p, k) => [g, h, cut(p, k), cut(p + 1, k), gs, gl, hs, hl],
        (own) => runQuantise(this.kernel, own),
      );
    } else {
      runQuantise(this.kernel, [g, h, 0, n, gs, gl, hs, hl]);
    }
    return true;
  }

  /** out = a − b in the kernel when all three are views of this arena of one length; false otherwise. */
  subtract(a: Float64Array, b: Float64Array, out: Float64Array): boolean {
    const buf = this.out.buffer;
    if (a.buffer !== buf || b.buffer !== buf || out.buffer !== buf || b.length !== a.length || out.length !== a.length) return false;
    this.kernel.subtract(a.byteOffset, b.byteOffset, out.byteOffset, a.length);
    return true;
  }

  /**
   * The logistic objective in the kernel when margin, y, weight (if any), grad and hess are all
   * views of this arena (no copies); the sum of the rows' losses, or null otherwise.
   */
  logistic(margin: Float64Array, y: Float32Array, weight: Float64Array | null, grad: Float32Array, hess: Float32Array): number | null {
    const buf = this.out.buffer;
    if (margin.buffer !== buf || y.buffer !== buf || grad.buffer !== buf || hess.buffer !== buf || (weight && weight.buffer !== buf)) return null;
    const n = y.length;
    if (margin.length < n || grad.length < n || hess.length < n || (weight && weight.length < n)) return null;
    return this.kernel.logistic(margin.byteOffset, y.byteOffset, weight ? weight.byteOffset : 0, weight ? 1 : 0, grad.byteOffset, hess.byteOffset, n);
  }

  /** objective-kernels.wat's logisticLoss of rows 0 .. n when margin and y are views of this arena; null otherwise. */
  logisticLoss(margin: Float64Array, y: Float32Array, n: number, scale: number, limit: number): number | null {
    const buf = this.out.buffer;
    if (margin.buffer !== buf || y.buffer !== buf || margin.length < n || y.length < n) return null;
    return this.kernel.logisticLoss(margin.byteOffset, y.byteOffset, n, scale, limit);
  }
}

/** The arena whose memory `array` is a view of, if any. */
export function arenaOf(array: { buffer: ArrayBufferLike }): HistArena | undefined {
  return arenas.get(array.buffer);
}

/**
 * The arena plan of a fit over `rows` rows with `outputs` trees per round, `indexLength` row-index
 * entries; `objective`: room for the objective's margins, labels and (weighted) row weights too.
 */
export function arenaPlan(layout: HistLayout, rows: number, outputs: number, indexLength: number, objective?: { weighted: boolean }, hists = 0): ArenaPlan {
  return {
    slots: rows * layout.cols,
    wideSlots: wideSlots(layout),
    cols: layout.cols,
    index: indexLength,
    gradients: rows * outputs,
    histLength: 2 * layout.totalBins,
    columns: rows * layout.cols,
    scratch: rows,
    margins: objective ? rows * outputs : 0,
    targets: objective ? rows : 0,
    weights: objective?.weighted ? rows : 0,
    hists,
  };
}
