/**
 * Data-parallel boosting (issue 13, gbm): what a trainer keeps for one shard — the binned rows
 * (row-major, as the one-node grower reads them), the target, every row's margins — and the round
 * protocol the driver speaks to it:
 *
 * - `round`: add the previous round's trees to every row's margin (each row walks them), report the
 *   training loss, then (open) compute the objective's derivatives, draw the round's rows and open
 *   one tree per output at its root, and (hist) answer the roots' histograms;
 * - `level`: partition the rows of the nodes the driver split, then answer the histograms it asks
 *   for (the smaller child of each split; the larger is the parent minus it).
 *
 * Gradients and hessians are held as integers below 2^24 (g·2^gradShift, h·2^hessShift; the
 * driver picks the shifts per round from the largest derivatives of the round before), so histogram
 * sums are exact in float64 whatever the order: the same trees come out of 1, 2 or 4 shards. Row sampling is the one-node fit's counter-based draw on
 * the global row index. A session rebuilt elsewhere replays the rounds' trees and the current
 * round's splits and reaches the same state.
 */
import { QuorumError } from '../../../errors';
import { rowInSample } from '../../../models/gbm/fit';
import { logisticLossSum } from '../../../models/gbm/objective-kernel';
import { quantiseWith } from '../../../models/gbm/quantise';
import { objectiveFor, type Objective, type ObjectiveName } from '../../../models/gbm/objectives';
import { leftTable, partitionRows } from '../../../models/gbm/partition';
import { arenaOf, arenaPlan, fitBuffers } from '../../../models/gbm/hist-kernel';
import { binSlots, buildHistogram, histLayout, type BinSlots, type HistLayout } from '../../../models/gbm/histogram';
import { featureOffsets } from './forest';
import type { BinnedShard } from '../shard';
import { type SplitOrder, type NodeRef } from '../wire';
import { ROUND_HEAD, type BoostTree, type HostRequest, type LevelRequest, type RoundRequest } from '../wire';
import type { DataParallelSession } from '../kinds';

/** What every session of a boosted job shares (in the shard config). */
export interface BoostConfig {
  objective: ObjectiveName;
  /** Trees per round (margins per row). */
  outputs: number;
  baseMargin: number[];
  huberDelta: number;
  subsample: number;
  /** Per-class row weights (classWeight 'balanced'); null: all 1. */
  classWeight: number[] | null;
  /** Round 0's shifts: derivatives are held as round(g · 2^gradShift), round(h · 2^hessShift) (at least 1). */
  gradShift: number;
  hessShift: number;
  /** |quantised gradient| is clamped to this (exact sums of up to totalRows rows). */
  gradLimit: number;
  hessLimit: number;
  /** Per-row losses are summed as round(loss · 2^lossShift), clamped to lossLimit (an exact, order-free sum). */
  lossShift: number;
  lossLimit: number;
}

/*
 * The row loops of a round are functions of their own (as in gbm/fit.ts: a loop inside a method
 * that runs once per round is compiled while it runs, and the code after it falls back).
 */

/** The round's sample (fit.ts's rowInSample on the rows' global indices) into sample[0 ..); its size. */
function drawSample(seed: number, round: number, rowIndex: ArrayLike<number>, subsample: number, sample: Int32Array): number {
  const n = sample.length;
  if (subsample >= 1) {
    for (let r = 0; r < n; r++) sample[r] = r;
    return n;
  }
  let m = 0;
  for (let r = 0; r < n; r++) if (rowInSample(seed, round, rowIndex[r], subsample)) sample[m++] = r;
  return m;
}

/**
 * Rows in the nodes of tree t that still hold a range of this session's rows (range[2·id] ≥ 0):
 * the leaves, and the splits of the last level, which the driver has no histograms to ask for and
 * so never sends to be partitioned. Every row is in exactly one of them when the session holds the
 * whole round.
 */
function frontierRows(t: BoostTree, range: Int32Array): number {
  let rows = 0;
  const nodes = Math.min(t.feature.length, range.length >> 1);
  for (let id = 0; id < nodes; id++) if (range[2 * id] >= 0) rows += range[2 * id + 1] - range[2 * id];
  return rows;
}

/**
 * margin[r · O + k] += tree t's value of row r, for the rows r of each node that holds a range:
 * a leaf's value at once, below a split the rows walk down from it (codes column-major).
 */
function addByRanges(
  t: BoostTree,
  range: Int32Array,
  idx: Int32Array,
  codes: Uint8Array,
  n: number,
  miss: Int32Array,
  margin: Float64Array,
  O: number,
  k: number,
): void {
  const nodes = Math.min(t.feature.length, range.length >> 1);
  const arena = arenaOf(margin);
  for (let from = 0; from < nodes; from++) {
    const s = range[2 * from];
    if (s < 0) continue;
    const e = range[2 * from + 1];
    if (t.feature[from] < 0) {
      const v = t.value[from];
      // One output: the margins are the rows' own, the kernel adds (the same additions).
      if (O === 1 && arena?.addLeaf(margin, idx, s, e, v, n)) continue;
      for (let i = s; i < e; i++) margin[idx[i] * O + k] += v;
      continue;
    }
    for (let i = s; i < e; i++) {
      const r = idx[i];
      margin[r * O + k] += t.value[leafOf(t, codes, n, miss, r, from)];
    }
  }
}

/** The leaf of tree t that row r (column-major codes of n rows) reaches from node `from` down. */
function leafOf(t: BoostTree, codes: Uint8Array, n: number, miss: Int32Array, r: number, from: number): number {
  let id = from;
  while (t.feature[id] >= 0) {
    const f = t.feature[id];
    const c = codes[f * n + r];
    id = (c === miss[f] ? t.missLeft[id] : c <= t.bin[id]) ? t.left[id] : t.right[id];
  }
  return id;
}

export class BoostSession implements DataParallelSession {
  /** The shard's codes, column-major (`codes[f · rows + r]`). */
  private readonly codes: Uint8Array;
  private readonly y: Float32Array;
  private readonly weight: Float64Array | null;
  private readonly margin: Float64Array;
  /** The round's quantised derivatives (models/gbm/quantise.ts), output k's at [k · rows ..). */
  private readonly grad: Float32Array;
  private readonly hess: Float32Array;
  /** The round's sample (rows of this shard), reused round after round. */
  private readonly sample: Int32Array;
  private readonly layout: HistLayout;
  /** Every open tree's rows: tree k's in index[k · rows ..) (idx[k] is that view). */
  private readonly index: Int32Array;
  /** Histogram slots of the codes (histogram.ts). */
  private readonly slots: BinSlots;
  private readonly scratch: Int32Array;
  /** The split being applied, per code (partition.ts). */
  private readonly table: Uint8Array;
  private readonly objective: Objective;
  private readonly off: Int32Array;
  private readonly miss: Int32Array;
  /** The open round's trees: rows of the sample, partitioned so each node is a range. */
  private idx: Int32Array[] = [];
  private range: Int32Array[] = [];
  private round = -1;
  /** The head of the open round's answer (a retried round step answers it again). */
  private opened: Float64Array | null = null;
  private closed = false;
  computeMs = 0;

  constructor(private readonly shard: BinnedShard) {
    const c = shard.config;
    const b = c.boost;
    if (!b) throw new QuorumError('BAD_VALUE', 'this binned shard was prepared for a forest, not for boosting');
    const n = shard.rows;
    const O = b.outputs;
    this.sample = new Int32Array(n);
    this.layout = histLayout(c.nBins);
    // Codes, quantised derivatives, row index, slots, margins and labels in the gbm kernels' memory
    // where it can be had (hist-kernel.ts).
    const buffers = fitBuffers(arenaPlan(this.layout, n, O, n * O, { weighted: b.classWeight !== null }));
    this.y = buffers.y;
    this.y.set(shard.y);
    this.weight = buffers.weight;
    if (this.weight) for (let i = 0; i < n; i++) this.weight[i] = b.classWeight![this.y[i]];
    this.margin = buffers.margin;
    for (let i = 0; i < n; i++) for (let k = 0; k < O; k++) this.margin[i * O + k] = b.baseMargin[k];
    // Column-major: what partitions read, in row order (the shard's own copy is dropped).
    this.codes = buffers.columns;
    this.codes.set(shard.codes);
    shard.codes = new Uint8Array(0);
    // The one-node fit's arrays and kernels: derivatives where the objective's kernel writes them.
    ({ grad: this.grad, hess: this.hess, index: this.index, scratch: this.scratch, table: this.table } = buffers);
    this.slots = binSlots(this.codes, this.layout, 'columns', buffers.slots);
    this.objective = objectiveFor(b.objective, c.nClasses, b.huberDelta);
    this.off = featureOffsets(c.nBins);
    this.miss = Int32Array.from(c.nBins);
  }

  private get boost(): BoostConfig {
    return this.shard.config.boost!;
  }

  /** Value bins per feature (the histogram layout's). */
  get valueBins(): readonly number[] {
    return this.shard.config.nBins;
  }

  /** Trees per round. */
  get outputs(): number {
    return this.boost.outputs;
  }

  /** Doubles of one node histogram (Σ g, Σ h per bin). */
  get histLength(): number {
    return 2 * this.off[this.off.length - 1];
  }

  get openTrees(): number {
    return this.idx.length;
  }

  memoryBytes(): number {
    if (this.closed) return 0;
    let b =
      this.codes.byteLength +
      this.slots.byteLength +
      this.y.byteLength +
      this.margin.byteLength +
      this.grad.byteLength * 2 +
      this.sample.byteLength +
      (this.weight?.byteLength ?? 0);
    b += this.index.byteLength; // the open trees' rows are views of it
    for (let k = 0; k < this.range.length; k++) b += this.range[k].byteLength;
    return b;
  }

  private check(): void {
    if (this.closed) throw new QuorumError('BAD_VALUE', 'this shard session is closed; open a new one for another fit');
  }

  /**
   * The trees of the round this session holds open, added through its node ranges: after the
   * round's partitions each row sits in the range of one node (checked: the ranges hold every
   * row), so a leaf's value goes to its rows without a walk. The last level's splits, below which
   * the driver asked no histogram and so sent no partition, are partitioned here first (the kernel:
   * a few ns a row, where walking their rows one step costs 20). The same one addition per row and
   * tree as {@link applyTree}. False (nothing added) when that does not hold.
   */
  private applyByRanges(trees: BoostTree[]): boolean {
    const O = this.boost.outputs;
    const n = this.shard.rows;
    if (trees.length !== O || this.idx.length !== O) return false;
    for (let k = 0; k < O; k++) if (this.idx[k].length !== n || frontierRows(trees[k], this.range[k]) !== n) return false;
    for (let k = 0; k < O; k++) {
      const t = trees[k];
      const range = this.range[k];
      const nodes = Math.min(t.feature.length, range.length >> 1);
      const leaf = (id: number): boolean => id >= 0 && id < t.feature.length && t.feature[id] < 0;
      for (let id = 0; id < nodes; id++) {
        if (range[2 * id] < 0 || t.feature[id] < 0 || !leaf(t.left[id]) || !leaf(t.right[id])) continue;
        this.partition({ tree: k, node: id, feature: t.feature[id], bin: t.bin[id], missLeft: t.missLeft[id], left: t.left[id], right: t.right[id] });
      }
      addByRanges(t, this.range[k], this.idx[k], this.codes, n, this.miss, this.margin, O, k);
    }
    return true;
  }

  /** Adds a tree's value to margin k of every row. */
  private applyTree(t: BoostTree, k: number): void {
    const { codes, margin, miss } = this;
    const O = this.boost.outputs;
    const n = this.shard.rows;
    for (let r = 0; r < n; r++) margin[r * O + k] += t.value[leafOf(t, codes, n, miss, r, 0)];
  }

  roundStep(req: RoundRequest): Float64Array {
    this.check();
    const t0 = performance.now();
    const b = this.boost;
    const O = b.outputs;
    const n = this.shard.rows;
    if (req.trees.length % O !== 0) throw new QuorumError('BAD_VALUE', `trees come in rounds of one per output (${O}), got ${req.trees.length}`);
    const out = new Float64Array(ROUND_HEAD + (req.hist ? O * this.histLength : 0));
    // The same round again (a step retried after another trainer failed): it is open here, its
    // trees are applied; only the roots' histograms are wanted.
    const again = req.open && req.round === this.round && this.idx.length === O && this.opened !== null;
    if (again) {
      out.set(this.opened!.subarray(0, ROUND_HEAD));
    } else {
      // The round this session has just grown, by its node ranges; anything else (a catch-up,
      // a sample of the rows) walks every row through the trees.
      if (!(req.round === this.round + 1 && this.applyByRanges(req.trees))) req.trees.forEach((t, i) => this.applyTree(t, i % O));
      this.idx = [];
      this.range = [];
      this.opened = null;
      out[0] = this.lossSum();
      out[1] = n;
    }
    if (req.open && !again) {
      this.round = req.round;
      this.objective.gradients(this.margin, this.y, this.weight, this.grad, this.hess);
      // The driver's steps (from the round before: the same on every shard); the largest values go back for the next round's.
      quantiseWith(this.grad, this.hess, n * O, (gBound, hBound) => {
        out[2] = gBound;
        out[3] = hBound;
        return [req.gradShift, b.gradLimit, req.hessShift, b.hessLimit];
      });
      const sample = this.sample;
      const m = drawSample(this.shard.config.seed, req.round, this.shard.rowIndex, b.subsample, sample);
      for (let k = 0; k < O; k++) {
        const idx = this.index.subarray(k * n, k * n + m);
        idx.set(sample.subarray(0, m));
        this.idx.push(idx);
        const range = new Int32Array(64).fill(-1);
        range[0] = 0;
        range[1] = m;
        this.range.push(range);
      }
      this.opened = out.slice(0, ROUND_HEAD);
    } else if (req.hist && !again) throw new QuorumError('BAD_VALUE', 'root histograms need an open round');
    if (req.open && req.hist) for (let k = 0; k < O; k++) this.histogram({ tree: k, node: 0 }, out, ROUND_HEAD + k * this.histLength);
    this.computeMs += performance.now() - t0;
    return out;
  }

  /** Σ over rows of the row's loss, each quantised (so shards' sums add up exactly in any order). */
  private lossSum(): number {
    const b = this.boost;
    const scale = 2 ** b.lossShift;
    const { objective, margin, y } = this;
    if (objective.name === 'logistic') return logisticLossSum(margin, y, this.shard.rows, scale, b.lossLimit) / scale;
    let sum = 0;
    for (let r = 0; r < this.shard.rows; r++) sum += Math.min(b.lossLimit, Math.round(objective.rowLoss(margin, r, y[r]) * scale));
    return sum / scale;
  }

  levelStep(req: LevelRequest): Float64Array {
    this.check();
    const t0 = performance.now();
    for (const sp of req.splits) this.partition(sp);
    const L = this.histLength;
    const out = new Float64Array(req.hist.length * L);
    req.hist.forEach((ref, q) => this.histogram(ref, out, q * L));
    this.computeMs += performance.now() - t0;
    return out;
  }

  private nodeRange(ref: NodeRef): [number, number] {
    const range = this.range[ref.tree];
    const s = range && 2 * ref.node < range.length ? range[2 * ref.node] : -1;
    if (s < 0) throw new QuorumError('BAD_VALUE', `round ${this.round}: tree ${ref.tree} has no open node ${ref.node} in this shard session`);
    return [s, range[2 * ref.node + 1]];
  }

  private partition(sp: SplitOrder): void {
    const had = this.range[sp.tree];
    // Split already (a level retried after another trainer failed): its children hold its rows.
    if (had && 2 * sp.node < had.length && had[2 * sp.node] < 0 && 2 * sp.left < had.length && had[2 * sp.left] >= 0) return;
    const [s, e] = this.nodeRange(sp);
    const idx = this.idx[sp.tree];
    const f = sp.feature;
    const table = leftTable(sp.bin, this.miss[f], sp.missLeft, this.table);
    const n = this.shard.rows;
    const l = partitionRows(this.codes.subarray(f * n, (f + 1) * n), table, idx, s, e, this.scratch);
    let range = this.range[sp.tree];
    const need = 2 * Math.max(sp.left, sp.right) + 2;
    if (need > range.length) {
      const bigger = new Int32Array(Math.max(need, 2 * range.length)).fill(-1);
      bigger.set(range);
      range = this.range[sp.tree] = bigger;
    }
    range[2 * sp.left] = s;
    range[2 * sp.left + 1] = l;
    range[2 * sp.right] = l;
    range[2 * sp.right + 1] = e;
    range[2 * sp.node] = -1;
  }

  /** Σ quantised g and h per bin of the node's rows into out[at ..] (the one-node kernel). */
  private histogram(ref: NodeRef, out: Float64Array, at: number): void {
    this.buildInto(ref, out.subarray(at, at + this.histLength));
  }

  /** The histogram of an open node of the current round into `out` (histLength values, overwritten). */
  buildInto(ref: NodeRef, out: Float64Array): void {
    this.check();
    const t0 = performance.now();
    const [s, e] = this.nodeRange(ref);
    const n = this.shard.rows;
    const g = this.grad.subarray(ref.tree * n, (ref.tree + 1) * n);
    const h = this.hess.subarray(ref.tree * n, (ref.tree + 1) * n);
    buildHistogram(this.slots, this.shard.config.cols, this.idx[ref.tree], s, e, g, h, out);
    this.computeMs += performance.now() - t0;
  }

  /** A request for this one session (a replay, a catch-up: session/host.ts), its answer; null for another kind's. */
  answer(msg: HostRequest): Array<Float64Array | Int32Array | Uint8Array> | null {
    if (msg.op === 'round') return [this.roundStep(msg.req)];
    if (msg.op === 'level') return [this.levelStep(msg.req)];
    return null;
  }

  close(): void {
    this.idx = [];
    this.range = [];
    this.opened = null;
    this.closed = true;
  }
}
