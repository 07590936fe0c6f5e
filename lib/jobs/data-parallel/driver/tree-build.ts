/**
 * The driver's trees while they grow (nodes decided from histograms, or handed whole to the
 * one-node growers when small), and how a finished one is written into a forest's NodeWriter in
 * preorder, so the artifact is the ordinary forest format.
 */
import { ClassGrower } from '../../../models/forest/grow-class';
import type { BinnedSet, GrowOptions } from '../../../models/forest/grow-common';
import { RegGrower } from '../../../models/forest/grow-reg';
import { NodeWriter, type TreeNodes } from '../../../models/trees/nodes';
import type { Rng } from '../../../util/random';
import { type NodeRows } from '../wire';

export interface DNode {
  depth: number;
  n: number;
  hist: Float64Array | null;
  lo: number;
  hi: number;
  rows: NodeRows[] | null;
  feature: number;
  bin: number;
  missLeft: boolean;
  left: number;
  right: number;
  leafCls: Int32Array | null;
  leafW: Float64Array | null;
  value: number;
  sub: TreeNodes | null;
}

export interface DTree {
  index: number;
  rng: Rng;
  feats: Int32Array;
  nodes: DNode[];
  imp: Float64Array;
  frontier: number[];
}

export interface SmallContext {
  classification: boolean;
  K: number;
  cols: number;
  nBins: Int32Array;
  opt: GrowOptions;
  criterion: string;
  /** 2^-yShift: quantised regression targets back to their values. */
  yScale: number;
}

export function newNode(depth: number): DNode {
  return {
    depth,
    n: 0,
    hist: null,
    lo: Infinity,
    hi: -Infinity,
    rows: null,
    feature: -1,
    bin: 0,
    missLeft: false,
    left: -1,
    right: -1,
    leafCls: null,
    leafW: null,
    value: 0,
    sub: null,
  };
}

/** Grows a small node's subtree from its rows (sorted by global row index) with the one-node growers. */
export function growSmall(tree: DTree, node: DNode, c: SmallContext): void {
  const { classification, K, cols, nBins, opt, criterion, yScale } = c;
  const parts = node.rows!;
  let m = 0;
  for (const part of parts) m += part.rowIndex.length;
  const order: Array<[number, number, number]> = []; // global row, part, position
  parts.forEach((part, s) => part.rowIndex.forEach((g, i) => order.push([g, s, i])));
  order.sort((a, b) => a[0] - b[0]);
  const codes = new Uint8Array(m * cols);
  const y = new Float64Array(m);
  const weight = new Float64Array(m);
  order.forEach(([, s, i], r) => {
    const part = parts[s];
    codes.set(part.codes.subarray(i * cols, (i + 1) * cols), r * cols);
    y[r] = part.y[i];
    weight[r] = part.weight[i];
  });
  const set: BinnedSet = { codes, rows: m, cols, nBins };
  const sub: GrowOptions = { ...opt, maxDepth: opt.maxDepth - node.depth };
  const writer = new NodeWriter(classification);
  if (classification) {
    new ClassGrower(set, Int32Array.from(y), K, sub, criterion as 'gini' | 'entropy').grow(weight, tree.rng, writer, tree.imp, null);
  } else {
    for (let r = 0; r < m; r++) y[r] *= yScale;
    new RegGrower(set, y, sub).grow(weight, tree.rng, writer, tree.imp, null);
  }
  node.sub = writer.finish();
  node.rows = null;
}

/** Writes node `id` of a driver tree and its subtree in preorder; returns the written node's index. */
export function emitTree(w: NodeWriter, tree: DTree, id: number, treeBase: number): number {
  const node = tree.nodes[id];
  if (node.sub) return copySubtree(w, node.sub, treeBase);
  if (node.feature < 0) {
    return node.leafCls ? w.classLeaf(node.leafCls, node.leafW!, node.leafCls.length) : w.valueLeaf(node.value);
  }
  const me = w.split(node.feature, node.bin, node.missLeft);
  emitTree(w, tree, node.left, treeBase);
  const r = emitTree(w, tree, node.right, treeBase);
  w.right[me] = r - treeBase;
  return me;
}

/** Appends a one-tree TreeNodes (preorder) to the writer; returns the index of its root. */
function copySubtree(w: NodeWriter, sub: TreeNodes, treeBase: number): number {
  const base = w.size;
  let leaf = 0;
  for (let i = 0; i < sub.feature.length; i++) {
    if (sub.feature[i] < 0) {
      if (sub.leafStart) {
        const a = sub.leafStart[leaf];
        const b = sub.leafStart[leaf + 1];
        w.classLeaf(sub.leafClass!.subarray(a, b), Float64Array.from(sub.leafProb!.subarray(a, b)), b - a);
      } else w.valueLeaf(sub.leafValue![leaf]);
      leaf++;
    } else {
      const id = w.split(sub.feature[i], sub.thrBin[i], sub.missLeft[i] === 1);
      w.right[id] = base + sub.right[i] - treeBase;
    }
  }
  return base;
}
