/**
 * The flat form of a tree ensemble's trees (forest and gbm), as the growers write them and as
 * artifacts store them (codec.ts).
 *
 * Nodes of tree t are `treeStart[t] .. treeStart[t + 1])` in preorder, so an internal node's left
 * child is the next node and only the right child needs a pointer (tree-local index). Leaves are
 * numbered implicitly, in node order across the whole forest, so that concatenating forests is a
 * plain copy of every node array.
 * Classification leaves hold sparse class distributions (`leafStart` into `leafClass`/`leafProb`),
 * regression leaves one value each.
 */

export interface TreeNodes {
  /** Node offsets per tree; length nTrees + 1. */
  treeStart: Int32Array;
  /** Split feature, or -1 for a leaf. */
  feature: Int32Array;
  /** Split bin b: a value goes left when its code ≤ b (value ≤ edge b). */
  thrBin: Uint8Array;
  /** 1 when a missing value goes left. */
  missLeft: Uint8Array;
  /** Internal node: tree-local index of the right child (0 for a leaf). */
  right: Int32Array;
  /** Classification: entry offsets per leaf (length nLeaves + 1). */
  leafStart: Int32Array | null;
  leafClass: Int32Array | null;
  leafProb: Float32Array | null;
  /** Regression: one value per leaf. */
  leafValue: Float32Array | null;
}

function grown<T extends Int32Array | Uint8Array | Float32Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Growable {@link TreeNodes}: the growers append trees, `finish()` trims to size. */
export class NodeWriter {
  feature = new Int32Array(1024);
  thrBin = new Uint8Array(1024);
  missLeft = new Uint8Array(1024);
  right = new Int32Array(1024);
  size = 0;
  treeStarts: number[] = [0];
  /** Number of leaves so far. */
  leaves = 0;
  leafStart = new Int32Array(1024);
  leafClass = new Int32Array(1024);
  leafProb = new Float32Array(1024);
  leafValue = new Float32Array(1024);
  entries = 0;

  constructor(readonly classification: boolean) {}

  /** Index where the current tree starts. */
  get treeBase(): number {
    return this.treeStarts[this.treeStarts.length - 1];
  }

  private node(): number {
    const id = this.size++;
    if (id >= this.feature.length) {
      this.feature = grown(this.feature, id + 1);
      this.thrBin = grown(this.thrBin, id + 1);
      this.missLeft = grown(this.missLeft, id + 1);
      this.right = grown(this.right, id + 1);
    }
    return id;
  }

  /** Appends a leaf node (its values are the caller's to write, at index `leaves - 1`). */
  private leafNode(): number {
    const id = this.node();
    this.feature[id] = -1;
    this.thrBin[id] = 0;
    this.missLeft[id] = 0;
    this.right[id] = 0;
    this.leaves++;
    return id;
  }

  /** Appends an internal node; its right child is set later with {@link setRight}. */
  split(feature: number, bin: number, missLeft: boolean): number {
    const id = this.node();
    this.feature[id] = feature;
    this.thrBin[id] = bin;
    this.missLeft[id] = missLeft ? 1 : 0;
    this.right[id] = 0;
    return id;
  }

  setRight(parent: number, child: number): void {
    this.right[parent] = child - this.treeBase;
  }

  /** Appends a classification leaf: classes cls[0..k) with weights w[0..k), normalised here. */
  classLeaf(cls: Int32Array, w: Float64Array, k: number): number {
    const id = this.leafNode();
    const leaf = this.leaves - 1;
    this.leafStart = grown(this.leafStart, leaf + 2);
    this.leafClass = grown(this.leafClass, this.entries + k);
    this.leafProb = grown(this.leafProb, this.entries + k);
    // The sum in the same order as the weights: a pure leaf gets exactly 1.
    let total = 0;
    for (let j = 0; j < k; j++) total += w[j];
    for (let j = 0; j < k; j++) {
      this.leafClass[this.entries] = cls[j];
      this.leafProb[this.entries++] = w[j] / total;
    }
    this.leafStart[leaf + 1] = this.entries;
    return id;
  }

  /** Appends a regression leaf. */
  valueLeaf(value: number): number {
    const id = this.leafNode();
    const leaf = this.leaves - 1;
    this.leafValue = grown(this.leafValue, leaf + 1);
    this.leafValue[leaf] = value;
    return id;
  }

  /** Closes the current tree. */
  endTree(): void {
    this.treeStarts.push(this.size);
  }

  finish(): TreeNodes {
    const n = this.size;
    return {
      treeStart: Int32Array.from(this.treeStarts),
      feature: this.feature.slice(0, n),
      thrBin: this.thrBin.slice(0, n),
      missLeft: this.missLeft.slice(0, n),
      right: this.right.slice(0, n),
      leafStart: this.classification ? this.leafStart.slice(0, this.leaves + 1) : null,
      leafClass: this.classification ? this.leafClass.slice(0, this.entries) : null,
      leafProb: this.classification ? this.leafProb.slice(0, this.entries) : null,
      leafValue: this.classification ? null : this.leafValue.slice(0, this.leaves),
    };
  }
}

/** Concatenates forests in order (tree-local child pointers and implicit leaf numbers need no change). */
export function concatNodes(parts: TreeNodes[]): TreeNodes {
  const classification = parts[0].leafStart !== null;
  const treeStarts: number[] = [0];
  let nodeBase = 0;
  let leafBase = 0;
  let entryBase = 0;
  const total = (key: 'feature' | 'leafClass' | 'leafValue'): number => parts.reduce((s, p) => s + (p[key]?.length ?? 0), 0);
  const nNodes = total('feature');
  const nLeaves = parts.reduce((s, p) => s + (classification ? p.leafStart!.length - 1 : p.leafValue!.length), 0);
  const out: TreeNodes = {
    treeStart: new Int32Array(0),
    feature: new Int32Array(nNodes),
    thrBin: new Uint8Array(nNodes),
    missLeft: new Uint8Array(nNodes),
    right: new Int32Array(nNodes),
    leafStart: classification ? new Int32Array(nLeaves + 1) : null,
    leafClass: classification ? new Int32Array(total('leafClass')) : null,
    leafProb: classification ? new Float32Array(total('leafClass')) : null,
    leafValue: classification ? null : new Float32Array(nLeaves),
  };
  for (const p of parts) {
    for (let t = 1; t < p.treeStart.length; t++) treeStarts.push(nodeBase + p.treeStart[t]);
    out.feature.set(p.feature, nodeBase);
    out.thrBin.set(p.thrBin, nodeBase);
    out.missLeft.set(p.missLeft, nodeBase);
    out.right.set(p.right, nodeBase);
    if (classification) {
      const ls = p.leafStart!;
      for (let l = 1; l < ls.length; l++) out.leafStart![leafBase + l] = entryBase + ls[l];
      out.leafClass!.set(p.leafClass!, entryBase);
      out.leafProb!.set(p.leafProb!, entryBase);
      entryBase += p.leafClass!.length;
      leafBase += ls.length - 1;
    } else {
      out.leafValue!.set(p.leafValue!, leafBase);
      leafBase += p.leafValue!.length;
    }
    nodeBase += p.feature.length;
  }
  out.treeStart = Int32Array.from(treeStarts);
  return out;
}

/**
 * Each tree's depth (a lone leaf is 0), read off the preorder: after an internal node comes its
 * left child one level down; after a leaf, the pending right child nearest above. One pass with a
 * small stack, so a summary does not have to build the prediction walker (walk.ts) for it (for 100
 * Letter trees that took 25–45 ms, to read 100 numbers).
 */
export function treeDepths(nodes: TreeNodes): Int32Array {
  const { treeStart, feature } = nodes;
  const nTrees = treeStart.length - 1;
  const depths = new Int32Array(nTrees);
  let pending = new Int32Array(64);
  for (let t = 0; t < nTrees; t++) {
    let top = 0;
    let d = 0;
    let max = 0;
    for (let i = treeStart[t]; i < treeStart[t + 1]; i++) {
      if (d > max) max = d;
      if (feature[i] >= 0) {
        if (top === pending.length) pending = grown(pending, 2 * top);
        pending[top++] = ++d;
      } else if (top > 0) {
        d = pending[--top];
      }
    }
    depths[t] = max;
  }
  return depths;
}
