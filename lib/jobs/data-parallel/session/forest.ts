/**
 * A shard session: what a trainer keeps resident for a data-parallel fit (binned codes, target,
 * global row index) and the row partition of every tree being grown. It answers the driver's
 * histogram requests for open nodes, partitions rows when the driver sends splits, and hands over
 * the rows of small nodes. Node ids are the driver's (per tree); node 0 is a tree's root.
 */
import { QuorumError } from '../../../errors';
import { rowWeight, type BinnedShard } from '../shard';
import { packNodeHistograms, type ApplyRequest, type HostRequest, type NodeRef, type NodeRows } from '../wire';
import type { DataParallelSession } from '../kinds';

/** Values per bin: K class weights + a row count (classification), or Σw, Σw·y, count. */
export function statsPerBin(task: 'classification' | 'regression', nClasses: number): number {
  return task === 'classification' ? nClasses + 1 : 3;
}

/** Offsets of each feature's bins in a node histogram (bins nBins[f] + 1 incl. missing). */
export function featureOffsets(nBins: readonly number[]): Int32Array {
  const off = new Int32Array(nBins.length + 1);
  for (let f = 0; f < nBins.length; f++) off[f + 1] = off[f] + nBins[f] + 1;
  return off;
}

interface TreeState {
  /** In-bag local rows, partitioned so every node is a range. */
  idx: Int32Array;
  weight: Uint8Array;
  /** Node id → [start, end) in idx (flat pairs, grown as needed). */
  range: Int32Array;
}

export class ShardSession implements DataParallelSession {
  private readonly trees = new Map<number, TreeState>();
  private readonly off: Int32Array;
  private readonly S: number;
  private closed = false;
  /** Milliseconds spent computing (histograms, partitions, rows). */
  computeMs = 0;

  constructor(private shard: BinnedShard) {
    const c = shard.config;
    this.off = featureOffsets(c.nBins);
    this.S = statsPerBin(c.task, c.nClasses);
  }

  /** Length of one node histogram (plus 2 for the regression target's min and max). */
  get histLength(): number {
    return this.off[this.off.length - 1] * this.S + (this.shard.config.task === 'regression' ? 2 : 0);
  }

  /** Bytes held: the shard and every open tree's partition. */
  memoryBytes(): number {
    if (this.closed) return 0;
    const s = this.shard;
    let b = s.codes.byteLength + s.y.byteLength + s.rowIndex.byteLength;
    for (const t of this.trees.values()) b += t.idx.byteLength + t.weight.byteLength + t.range.byteLength;
    return b;
  }

  get openTrees(): number {
    return this.trees.size;
  }

  private tree(t: number): TreeState {
    this.check();
    let st = this.trees.get(t);
    if (!st) {
      const { rows, rowIndex, config } = this.shard;
      const weight = new Uint8Array(rows);
      const idx = new Int32Array(rows);
      let m = 0;
      for (let r = 0; r < rows; r++) {
        weight[r] = rowWeight(config.seed, t, rowIndex[r], config.bootstrap);
        if (weight[r] > 0) idx[m++] = r;
      }
      st = { idx: idx.slice(0, m), weight, range: new Int32Array(64).fill(-1) };
      st.range[0] = 0;
      st.range[1] = m;
      this.trees.set(t, st);
    }
    return st;
  }

  private nodeRange(st: TreeState, ref: NodeRef): [number, number] {
    const s = st.range[2 * ref.node];
    if (!(2 * ref.node < st.range.length) || s === undefined || s < 0) {
      throw new QuorumError('BAD_VALUE', `tree ${ref.tree} has no open node ${ref.node} in this shard session`);
    }
    return [s, st.range[2 * ref.node + 1]];
  }

  /** Histograms of the given nodes, concatenated (histLength values each). */
  histograms(nodes: NodeRef[]): Float64Array {
    const t0 = performance.now();
    const L = this.histLength;
    const out = new Float64Array(nodes.length * L);
    const { codes, y, rows, config } = this.shard;
    const { off, S } = this;
    const K = config.nClasses;
    const cls = config.task === 'classification';
    nodes.forEach((ref, q) => {
      const st = this.tree(ref.tree);
      const [s, e] = this.nodeRange(st, ref);
      const { idx, weight } = st;
      const h = q * L;
      for (let f = 0; f < config.cols; f++) {
        const col = f * rows;
        const base = h + off[f] * S;
        if (cls) {
          for (let i = s; i < e; i++) {
            const r = idx[i];
            const o = base + codes[col + r] * S;
            out[o + y[r]] += weight[r];
            out[o + K] += 1;
          }
        } else {
          for (let i = s; i < e; i++) {
            const r = idx[i];
            const o = base + codes[col + r] * 3;
            const w = weight[r];
            out[o] += w;
            out[o + 1] += w * y[r];
            out[o + 2] += 1;
          }
        }
      }
      if (!cls) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = s; i < e; i++) {
          const v = y[idx[i]];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        out[h + L - 2] = lo;
        out[h + L - 1] = hi;
      }
    });
    this.computeMs += performance.now() - t0;
    return out;
  }

  /**
   * Partitions each split node's rows in place. Returns per split: left rows, right rows, and
   * (regression) the min and max target of each side: 6 values per split.
   */
  applySplits(req: ApplyRequest): Float64Array {
    const t0 = performance.now();
    const out = new Float64Array(6 * req.splits.length);
    const { codes, y, rows, config } = this.shard;
    req.splits.forEach((sp, q) => {
      const st = this.tree(sp.tree);
      const [s, e] = this.nodeRange(st, sp);
      const { idx } = st;
      const col = sp.feature * rows;
      const mc = config.nBins[sp.feature];
      let i = s;
      let j = e;
      while (i < j) {
        const r = idx[i];
        const c = codes[col + r];
        if (c === mc ? sp.missLeft : c <= sp.bin) i++;
        else {
          j--;
          idx[i] = idx[j];
          idx[j] = r;
        }
      }
      const need = 2 * Math.max(sp.left, sp.right) + 2;
      if (need > st.range.length) {
        const bigger = new Int32Array(Math.max(need, 2 * st.range.length)).fill(-1);
        bigger.set(st.range);
        st.range = bigger;
      }
      st.range[2 * sp.left] = s;
      st.range[2 * sp.left + 1] = i;
      st.range[2 * sp.right] = i;
      st.range[2 * sp.right + 1] = e;
      st.range[2 * sp.node] = -1; // the parent is closed
      out[6 * q] = i - s;
      out[6 * q + 1] = e - i;
      let loL = Infinity, hiL = -Infinity, loR = Infinity, hiR = -Infinity; // prettier-ignore
      if (config.task === 'regression') {
        for (let k = s; k < i; k++) {
          const v = y[idx[k]];
          if (v < loL) loL = v;
          if (v > hiL) hiL = v;
        }
        for (let k = i; k < e; k++) {
          const v = y[idx[k]];
          if (v < loR) loR = v;
          if (v > hiR) hiR = v;
        }
      }
      out.set([loL, hiL, loR, hiR], 6 * q + 2);
    });
    for (const t of req.release) this.trees.delete(t);
    this.computeMs += performance.now() - t0;
    return out;
  }

  /**
   * The in-bag rows of small nodes (the driver finishes them). Read-only, like histograms, so the
   * two requests of a level may arrive in either order; ranges are freed with their tree.
   */
  rows(nodes: NodeRef[]): NodeRows[] {
    const t0 = performance.now();
    const { codes, y, rows, rowIndex, config } = this.shard;
    const cols = config.cols;
    const out = nodes.map((ref) => {
      const st = this.tree(ref.tree);
      const [s, e] = this.nodeRange(st, ref);
      const n = e - s;
      const res: NodeRows = { rowIndex: new Int32Array(n), codes: new Uint8Array(n * cols), y: new Float64Array(n), weight: new Float64Array(n) };
      for (let i = 0; i < n; i++) {
        const r = st.idx[s + i];
        res.rowIndex[i] = rowIndex[r];
        res.y[i] = y[r];
        res.weight[i] = st.weight[r];
        for (let f = 0; f < cols; f++) res.codes[i * cols + f] = codes[f * rows + r];
      }
      return res;
    });
    this.computeMs += performance.now() - t0;
    return out;
  }

  /** {@link histograms} as they travel: whole numbers, packed (wire.ts packNodeHistograms). */
  packedHistograms(nodes: NodeRef[]): Uint8Array {
    return packNodeHistograms(this.histograms(nodes), this.histLength, this.S, this.shard.config.task === 'classification' ? 0 : 2);
  }

  /** A request of the forest's protocol (host.ts), its answer as typed arrays; null for another kind's. */
  answer(msg: HostRequest): Array<Float64Array | Int32Array | Uint8Array> | null {
    if (msg.op === 'histograms') return [this.packedHistograms(msg.nodes)];
    if (msg.op === 'applySplits') return [this.applySplits(msg.req)];
    if (msg.op === 'rows') return this.rows(msg.nodes).flatMap((r) => [r.rowIndex, r.codes, r.y, r.weight]);
    return null;
  }

  /** Frees everything; later calls fail. */
  close(): void {
    this.trees.clear();
    const empty = { ...this.shard, rows: 0, codes: new Uint8Array(0), y: new Float64Array(0), rowIndex: new Int32Array(0) };
    this.shard = empty;
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new QuorumError('BAD_VALUE', 'this shard session is closed; open a new one for another fit');
  }
}
