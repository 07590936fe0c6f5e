/**
 * Grows one classification tree (CART, Gini or entropy) on binned data.
 *
 * Per node: the class totals of its rows; a pure or small node becomes a leaf, otherwise features
 * are drawn (a batch at a time) and the {@link ClassSplitter} finds the best split among them.
 * Rows are partitioned in place in `idx`; the tree grows depth-first from an explicit stack, in
 * preorder, so that a left child is always the node after its parent. All buffers are allocated
 * once per grower and reused across nodes and trees.
 */
import type { Rng } from '../../util/random';
import { ClassSplitter } from './class-split';
import type { BinnedSet, GrowOptions } from './grow-common';
import { Stack, addLeafVotes, drawFeatures, partition, startTree } from './grow-common';
import type { OobTally } from './model';
import type { NodeWriter } from '../trees/nodes';

/** Grows classification trees on one binned shard; one grower serves every tree of a fit. */
export class ClassGrower {
  private readonly idx: Int32Array;
  /** Rows the tree does not see, when the out-of-bag score is wanted. */
  private readonly oobIdx: Int32Array;
  /** Compact class, class and weight of each row of the node, by position. */
  private readonly ly: Int32Array;
  private readonly gy: Int32Array;
  private readonly lw: Float64Array;
  private readonly tot: Float64Array;
  /** Class → compact index within the node, and back. */
  private readonly loc: Int32Array;
  private readonly cls: Int32Array;
  private readonly feats: Int32Array;
  private readonly stack = new Stack();
  private readonly splitter: ClassSplitter;
  private readonly entropy: boolean;

  constructor(
    private readonly data: BinnedSet,
    private readonly y: Int32Array,
    private readonly nClasses: number,
    private readonly opt: GrowOptions,
    criterion: 'gini' | 'entropy',
  ) {
    const n = data.rows;
    this.idx = new Int32Array(n);
    this.oobIdx = new Int32Array(n);
    this.ly = new Int32Array(n);
    this.gy = new Int32Array(n);
    this.lw = new Float64Array(n);
    this.tot = new Float64Array(nClasses);
    this.loc = new Int32Array(nClasses);
    this.cls = new Int32Array(nClasses);
    this.feats = new Int32Array(data.cols);
    this.entropy = criterion === 'entropy';
    this.splitter = new ClassSplitter(data, nClasses, opt.minSamplesLeaf, opt.extraTrees, this.entropy);
  }

  /**
   * Grows a tree on the rows with weight > 0 (bootstrap counts × class weights) and appends it to
   * `out`. Adds each split's weighted impurity decrease to `imp[feature]`, and each leaf's
   * prediction to the out-of-bag sums of the rows with weight 0 that reach it (when `oob`).
   */
  grow(weight: Float64Array, rng: Rng, out: NodeWriter, imp: Float64Array, oob: OobTally | null): void {
    const { idx, ly, lw, gy, tot, loc, cls, y, stack, opt } = this;
    const T = this.splitter.T;
    const best = this.splitter.best;
    const K = this.nClasses;
    const oobIdx = this.oobIdx;
    startTree(weight, oob, idx, oobIdx, this.feats, stack);
    while (stack.size > 0) {
      const parent = stack.pop();
      const s = stack.s;
      const e = stack.e;
      const os = stack.os;
      const oe = stack.oe;
      const depth = stack.depth;
      tot.fill(0);
      for (let i = s; i < e; i++) {
        const r = idx[i];
        const c = y[r];
        const w = weight[r];
        tot[c] += w;
        gy[i] = c;
        lw[i] = w;
      }
      // Compact the classes present: histograms are bins × kk, not bins × K.
      let kk = 0;
      for (let c = 0; c < K; c++) {
        const t = tot[c];
        if (t > 0) {
          loc[c] = kk;
          cls[kk] = c;
          T[kk++] = t;
        }
      }
      const n = e - s;
      let split = false;
      if (kk > 1 && n >= opt.minSamplesSplit && n >= 2 * opt.minSamplesLeaf && depth < opt.maxDepth) {
        for (let i = s; i < e; i++) ly[i] = loc[gy[i]];
        split = this.findSplit(s, e, kk, rng);
      }
      let id: number;
      if (!split) {
        id = out.classLeaf(cls, T, kk);
        if (oe > os) addLeafVotes(out, oobIdx, os, oe, oob!, K);
      } else {
        const f = best.feature;
        imp[f] += best.proxy - this.parentProxy(kk);
        id = out.split(f, best.bin, best.missLeft);
        const mid = partition(this.data, idx, s, e, f, best.bin, best.missLeft);
        const omid = oe > os ? partition(this.data, oobIdx, os, oe, f, best.bin, best.missLeft) : os;
        stack.push(mid, e, omid, oe, depth + 1, id);
        stack.push(s, mid, os, omid, depth + 1, -1);
      }
      if (parent >= 0) out.setRight(parent, id);
    }
    out.endTree();
  }

  private parentProxy(kk: number): number {
    const T = this.splitter.T;
    let W = 0;
    let acc = 0;
    for (let k = 0; k < kk; k++) {
      W += T[k];
      acc += this.entropy ? T[k] * Math.log(T[k]) : T[k] * T[k];
    }
    return this.entropy ? acc - W * Math.log(W) : acc / W;
  }

  /** Draws features until maxFeatures are seen and one was not constant; true when a split was found. */
  private findSplit(s: number, e: number, kk: number, rng: Rng): boolean {
    const { splitter } = this;
    splitter.best.reset();
    drawFeatures(this.feats, splitter.fq, this.data.codes, this.data.cols, this.opt.mtry, this.idx, s, e, rng, (nq) => {
      splitter.fill(nq, this.idx, this.ly, this.lw, s, e, kk);
      for (let q = 0; q < nq; q++) splitter.evalSlot(q, e - s, kk, rng);
    });
    return splitter.best.feature >= 0;
  }
}
