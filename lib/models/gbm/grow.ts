/**
 * Grows one boosted tree on one node's worth of typed arrays: the rows of the sample as an index
 * list partitioned in place (a node owns a contiguous range of it), histograms from a reused pool
 * (histogram.ts), splits and leaf values from split.ts. Nothing is allocated per node once the
 * buffers have grown to the largest tree.
 *
 * Order of growth: with `maxLeaves` the open leaf of largest gain splits next (best-first, as
 * LightGBM); without it every leaf that can split does, and as each leaf's split depends only on its
 * own rows the order does not change the tree, so it goes depth-first, which keeps the fewest
 * histograms alive (about one per level). A leaf below `maxDepth` gets a histogram only when it
 * could split, so the last level costs a partition and no histogram.
 *
 * The tree ends up in the forest's flat preorder form (nodes.ts), so prediction is the forest's walk.
 */
import type { ThreadTeam } from '../../core/team';
import { binColumns, type Bins } from '../trees/binning';
import type { NodeWriter } from '../trees/nodes';
import type { Matrix } from '../model';
import { arenaOf, arenaPlan, fitBuffers } from './hist-kernel';
import { binSlots, buildHistogram, HistPool, subtractHistogram, type BinSlots, type HistLayout } from './histogram';
import { leftTable, partitionRows } from './partition';
import { BestSplit, findBestSplit, leafValue, type SplitParams } from './split';

export interface GrowParams extends SplitParams {
  /** Deepest level a split may create (root = 0). */
  maxDepth: number;
  /** Most leaves per tree; 0 = no limit (then the depth limits the tree). */
  maxLeaves: number;
  /** Shrinkage applied to every leaf value. */
  learningRate: number;
}

function grownInt(a: Int32Array, need: number): Int32Array {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, 2 * a.length));
  b.set(a);
  return b;
}

function grownFloat(a: Float64Array, need: number): Float64Array {
  if (need <= a.length) return a;
  const b = new Float64Array(Math.max(need, 2 * a.length));
  b.set(a);
  return b;
}

/**
 * Σ grad and Σ hess over rows index[0 .. m) into sums[0], sums[1]. A function of its own: as a loop
 * at the top of grow() it was compiled on the stack while it ran, and the code after it, compiled
 * without type feedback, fell back to the interpreter (seven times per Bank fit).
 */
function sumRows(index: Int32Array, m: number, grad: Float32Array, hess: Float32Array, sums: Float64Array): void {
  if (arenaOf(index)?.sums(index, m, grad, hess, sums)) return; // the same sums in the kernel
  let G = 0;
  let H = 0;
  for (let i = 0; i < m; i++) {
    const r = index[i];
    G += grad[r];
    H += hess[r];
  }
  sums[0] = G;
  sums[1] = H;
}

/** out[index[i]] = v for i in start .. end (a leaf's rows). */
function fillLeaf(out: Float64Array, index: Int32Array, start: number, end: number, v: number): void {
  for (let i = start; i < end; i++) out[index[i]] = v;
}

/** out[index[i]] += v for i in start .. end. */
function addLeaf(out: Float64Array, index: Int32Array, start: number, end: number, v: number): void {
  for (let i = start; i < end; i++) out[index[i]] += v;
}

export class TreeGrower {
  /** Row indices of the current tree; node i owns index[start[i] .. end[i]). */
  readonly index: Int32Array;
  private readonly scratch: Int32Array;
  private readonly pool: HistPool;
  /** The codes' histogram slots (what histograms read; partitions and walks read the codes). */
  private readonly slots: BinSlots;
  /** The training rows' codes, column-major (`columns[f · rows + r]`): what partitions and {@link valueOf} read. */
  readonly columns: Uint8Array;
  readonly rows: number;
  readonly cols: number;
  private readonly split = new BestSplit();
  private readonly sums = new Float64Array(2);
  /** The split being applied, per code (partition.ts). */
  private readonly table: Uint8Array;
  // The tree being grown, by node id (root 0; children get ids as they are made).
  private feature: Int32Array = new Int32Array(64);
  private bin: Int32Array = new Int32Array(64);
  private missLeft: Int32Array = new Int32Array(64);
  private left: Int32Array = new Int32Array(64);
  private right: Int32Array = new Int32Array(64);
  private start: Int32Array = new Int32Array(64);
  private end: Int32Array = new Int32Array(64);
  private depth: Int32Array = new Int32Array(64);
  private sumG: Float64Array = new Float64Array(64);
  private sumH: Float64Array = new Float64Array(64);
  /** Pending split of an open node: gain and left sums (the split itself in feature/bin/missLeft). */
  private gain: Float64Array = new Float64Array(64);
  private gl: Float64Array = new Float64Array(64);
  private hl: Float64Array = new Float64Array(64);
  private hists: (Float64Array | null)[] = [];
  private open: Int32Array = new Int32Array(64);
  private stack: Int32Array = new Int32Array(64);
  private nOpen = 0;
  /** Nodes of the current tree. */
  size = 0;
  /** Leaf values of the current tree (by node id; meaningful for leaves). */
  value: Float64Array = new Float64Array(64);

  /** Derivatives per output and row (`grad[k · rows + r]`), for the caller to fill each round. */
  readonly grad: Float32Array;
  readonly hess: Float32Array;
  /** The objective's margins (rows × outputs), labels and row weights, beside the derivatives (the objective's kernel reads them in place). */
  readonly margin: Float64Array;
  readonly y: Float32Array;
  readonly weight: Float64Array | null;

  /**
   * A grower for trees of `outputs` outputs per round over the rows of `x` binned by `bins` (its
   * arrays from fitBuffers: in the kernels' memory when it can be had; the codes are written
   * straight into them), with room for row weights when `weighted`.
   */
  constructor(
    x: Matrix,
    bins: Bins,
    readonly layout: HistLayout,
    readonly p: GrowParams,
    outputs = 1,
    weighted = false,
    team: ThreadTeam | null = null,
  ) {
    const n = x.rows;
    this.rows = n;
    this.cols = x.cols;
    // Histograms alive at once: about one per level (depth-wise), one per open leaf (best-first).
    const live = Math.min(64, p.maxLeaves ? p.maxLeaves + 1 : p.maxDepth + 2);
    // With a team, histogram builds are spread over its threads (each a block of features: the same sums).
    const buffers = fitBuffers(arenaPlan(layout, n, outputs, n, { weighted }, live), team);
    ({
      index: this.index,
      grad: this.grad,
      hess: this.hess,
      scratch: this.scratch,
      table: this.table,
      margin: this.margin,
      y: this.y,
      weight: this.weight,
    } = buffers);
    this.pool = new HistPool(layout, buffers.hists);
    this.columns = binColumns(x, bins, buffers.columns);
    this.slots = binSlots(this.columns, layout, 'columns', buffers.slots);
  }

  private node(start: number, end: number, depth: number, G: number, H: number): number {
    const id = this.size++;
    const need = id + 1;
    if (need > this.feature.length) {
      this.feature = grownInt(this.feature, need);
      this.bin = grownInt(this.bin, need);
      this.missLeft = grownInt(this.missLeft, need);
      this.left = grownInt(this.left, need);
      this.right = grownInt(this.right, need);
      this.start = grownInt(this.start, need);
      this.end = grownInt(this.end, need);
      this.depth = grownInt(this.depth, need);
      this.sumG = grownFloat(this.sumG, need);
      this.sumH = grownFloat(this.sumH, need);
      this.gain = grownFloat(this.gain, need);
      this.gl = grownFloat(this.gl, need);
      this.hl = grownFloat(this.hl, need);
      this.value = grownFloat(this.value, need);
    }
    this.feature[id] = -1;
    this.start[id] = start;
    this.end[id] = end;
    this.depth[id] = depth;
    this.sumG[id] = G;
    this.sumH[id] = H;
    this.value[id] = leafValue(G, H, this.p.lambda, this.p.learningRate);
    this.hists[id] = null;
    return id;
  }

  /** Whether node `id` may split at all (depth, size, hessian), before any histogram is built. */
  private splittable(id: number): boolean {
    const { p } = this;
    return this.depth[id] < p.maxDepth && this.end[id] - this.start[id] >= 2 && this.sumH[id] >= 2 * p.minChildWeight;
  }

  /** Finds node id's best split from its histogram; opens it when one qualifies, else frees the histogram. */
  private consider(id: number, features: Int32Array, nFeatures: number): void {
    const hist = this.hists[id]!;
    const s = this.split;
    if (findBestSplit(hist, this.layout, features, nFeatures, this.sumG[id], this.sumH[id], this.p, s)) {
      this.feature[id] = s.feature; // provisional: a node stays a leaf if it is never expanded
      this.bin[id] = s.bin;
      this.missLeft[id] = s.missLeft ? 1 : 0;
      this.gain[id] = s.gain;
      this.gl[id] = s.gl;
      this.hl[id] = s.hl;
      this.open = grownInt(this.open, this.nOpen + 1);
      this.open[this.nOpen++] = id;
    } else {
      this.pool.give(hist);
      this.hists[id] = null;
    }
  }

  /** A new child with its histogram: looked at for a split when it may split, else its buffer goes back. */
  private settle(id: number, want: boolean, features: Int32Array, nFeatures: number): void {
    if (want) {
      this.consider(id, features, nFeatures);
      return;
    }
    this.pool.give(this.hists[id]!);
    this.hists[id] = null;
  }

  /** The next open node to expand: the largest gain (best-first) or the last opened (depth-first). */
  private nextOpen(): number {
    if (this.p.maxLeaves === 0) return this.open[--this.nOpen];
    let best = 0;
    for (let j = 1; j < this.nOpen; j++) if (this.gain[this.open[j]] > this.gain[this.open[best]]) best = j;
    const id = this.open[best];
    this.open[best] = this.open[--this.nOpen];
    return id;
  }

  /** Moves node id's rows that go left to the front of its range (stable); returns the split point. */
  private partition(id: number): number {
    const f = this.feature[id];
    const miss = this.layout.binOffset[f + 1] - this.layout.binOffset[f] - 1;
    leftTable(this.bin[id], miss, this.missLeft[id] === 1, this.table);
    const n = this.rows;
    return partitionRows(this.columns.subarray(f * n, (f + 1) * n), this.table, this.index, this.start[id], this.end[id], this.scratch);
  }

  /**
   * Grows a tree on the first `m` entries of {@link index} (the caller fills them with the sample's
   * rows) with derivatives `grad` / `hess` (by row), choosing splits among `features[0 .. nFeatures)`.
   * Adds each split's gain to `gainByFeature`. The tree stays in the grower until the next call.
   */
  grow(m: number, grad: Float32Array, hess: Float32Array, features: Int32Array, nFeatures: number, gainByFeature: Float64Array): void {
    this.size = 0;
    this.nOpen = 0;
    sumRows(this.index, m, grad, hess, this.sums);
    const root = this.node(0, m, 0, this.sums[0], this.sums[1]);
    if (m === 0) return;
    let leaves = 1;
    const maxLeaves = this.p.maxLeaves || Infinity;
    if (this.splittable(root) && maxLeaves > 1) {
      this.hists[root] = this.pool.take();
      buildHistogram(this.slots, this.cols, this.index, 0, m, grad, hess, this.hists[root]!);
      this.consider(root, features, nFeatures);
    }
    while (this.nOpen > 0 && leaves < maxLeaves) {
      const id = this.nextOpen();
      const mid = this.partition(id);
      const d = this.depth[id] + 1;
      const gl = this.gl[id];
      const hl = this.hl[id];
      const L = this.node(this.start[id], mid, d, gl, hl);
      const R = this.node(mid, this.end[id], d, this.sumG[id] - gl, this.sumH[id] - hl);
      this.left[id] = L;
      this.right[id] = R;
      gainByFeature[this.feature[id]] += this.gain[id];
      leaves++;
      const parent = this.hists[id]!;
      this.hists[id] = null;
      const wantL = this.splittable(L);
      const wantR = this.splittable(R);
      if (!wantL && !wantR) {
        this.pool.give(parent);
        continue;
      }
      // Build the smaller child; the larger is the parent minus it (in the parent's buffer).
      const small = mid - this.start[id] <= this.end[id] - mid ? L : R;
      const large = small === L ? R : L;
      const hs = this.pool.take();
      buildHistogram(this.slots, this.cols, this.index, this.start[small], this.end[small], grad, hess, hs);
      subtractHistogram(parent, hs);
      this.hists[small] = hs;
      this.hists[large] = parent;
      // Right first, so depth-first growth expands the left child next (either order gives the same tree).
      this.settle(R, wantR, features, nFeatures);
      this.settle(L, wantL, features, nFeatures);
    }
    // Open nodes never expanded (leaf limit reached) stay leaves.
    for (let j = 0; j < this.nOpen; j++) {
      const id = this.open[j];
      this.feature[id] = -1;
      this.pool.give(this.hists[id]!);
      this.hists[id] = null;
    }
    this.nOpen = 0;
  }

  /** True when node id was split (an internal node of the current tree). */
  private isSplit(id: number): boolean {
    return this.feature[id] >= 0;
  }

  /**
   * Each sampled row's leaf value into `out[row]` (the rows' ranges are their leaves). Written by
   * row into a buffer of one value per row, not into the n × outputs margins at once: scattered
   * writes at a stride of `outputs` doubles miss the cache (Letter, 26 classes: 3 s of a 14 s fit).
   */
  rowValues(out: Float64Array): void {
    for (let id = 0; id < this.size; id++) if (!this.isSplit(id)) fillLeaf(out, this.index, this.start[id], this.end[id], this.value[id]);
  }

  /** Each sampled row's leaf value added to `margin[row]` (one output: no stride to miss the cache). */
  addRowValues(margin: Float64Array): void {
    const arena = arenaOf(margin);
    for (let id = 0; id < this.size; id++) {
      if (this.isSplit(id)) continue;
      // In the kernel when the margins are the arena's (the same additions), else the loop.
      if (!arena?.addLeaf(margin, this.index, this.start[id], this.end[id], this.value[id], this.rows))
        addLeaf(margin, this.index, this.start[id], this.end[id], this.value[id]);
    }
  }

  /** The current tree's value for row r of column-major `codes` of `rows` rows (rows outside the sample: {@link columns}; validation rows). */
  valueOf(codes: Uint8Array, rows: number, r: number): number {
    let id = 0;
    const off = this.layout.binOffset;
    while (this.isSplit(id)) {
      const f = this.feature[id];
      const c = codes[f * rows + r];
      const left = c === off[f + 1] - off[f] - 1 ? this.missLeft[id] === 1 : c <= this.bin[id];
      id = left ? this.left[id] : this.right[id];
    }
    return this.value[id];
  }

  /** Appends the current tree to `writer` in preorder (left child next, right child by pointer). */
  emit(writer: NodeWriter): void {
    // Pairs (node, written id of the parent whose right child it is, or -1 for a left child).
    this.stack = grownInt(this.stack, 2 * this.size + 2);
    const stack = this.stack;
    let top = 0;
    stack[top++] = 0;
    stack[top++] = -1;
    while (top > 0) {
      const parent = stack[--top];
      const id = stack[--top];
      let written: number;
      if (this.isSplit(id)) {
        written = writer.split(this.feature[id], this.bin[id], this.missLeft[id] === 1);
        stack[top++] = this.right[id];
        stack[top++] = written;
        stack[top++] = this.left[id];
        stack[top++] = -1;
      } else {
        written = writer.valueLeaf(this.value[id]);
      }
      if (parent >= 0) writer.setRight(parent, written);
    }
    writer.endTree();
  }
}
