/**
 * The part of a tree ensemble's artifact that every tree kind shares (forest and gbm): the bin edge
 * table and the flat trees. Small on disk — per node a packed (feature·2 + missing-left) word, all
 * ones for a leaf; per internal node its Uint8 split bin and tree-local right child (the narrowest
 * unsigned type that holds it); per tree its size. The kinds add their leaves and their facts.
 *
 * Decoding checks every count, index and range — tree sizes are summed as JavaScript numbers, so a
 * huge size cannot wrap back into range — and that each tree's right-child pointers split its
 * preorder range into exactly one subtree per node, so a damaged artifact cannot make prediction read
 * out of bounds or loop: it fails with BAD_ARTIFACT, naming the kind.
 */
import { QuorumError } from '../../errors';
import type { Artifact, NumericArray } from '../../core/container';
import type { FeatureInfo } from '../model';
import type { Bins } from './binning';
import type { TreeNodes } from './nodes';

export type UintArray = Uint8Array | Uint16Array | Uint32Array;

/** The smallest unsigned array type that holds values up to `max`. */
export function packUint(values: ArrayLike<number>, max: number): UintArray {
  if (max <= 0xff) return Uint8Array.from(values);
  if (max <= 0xffff) return Uint16Array.from(values);
  return Uint32Array.from(values);
}

/** A BAD_ARTIFACT error of one kind: `damaged forest artifact: …; export it again from its registry`. */
export function damagedFor(kind: string): (reason: string) => QuorumError {
  return (reason) => new QuorumError('BAD_ARTIFACT', `damaged ${kind} artifact: ${reason}; export it again from its registry`);
}

type Damaged = (reason: string) => QuorumError;

/** An unsigned integer array of the artifact, of any width. */
export function uintArray(a: Artifact, name: string, damaged: Damaged): UintArray {
  const v = a.arrays[name];
  if (!(v instanceof Uint8Array || v instanceof Uint16Array || v instanceof Uint32Array)) {
    throw damaged(`array '${name}' is missing or not unsigned integers`);
  }
  return v;
}

/** The arrays of the edge table and of the trees' structure (no leaves). */
export function encodeTrees(nodes: TreeNodes, bins: Bins, nFeatures: number): Record<string, NumericArray> {
  const n = nodes.feature.length;
  const nTrees = nodes.treeStart.length - 1;
  let internal = 0;
  for (let i = 0; i < n; i++) if (nodes.feature[i] >= 0) internal++;
  const leafMark = 2 * nFeatures + 1 <= 0xffff ? 0xffff : 0xffffffff;
  const packed = new (leafMark === 0xffff ? Uint16Array : Uint32Array)(n);
  const thrBin = new Uint8Array(internal);
  const right = new Uint32Array(internal);
  const treeSize = new Uint32Array(nTrees);
  let maxTree = 0;
  for (let t = 0; t < nTrees; t++) {
    treeSize[t] = nodes.treeStart[t + 1] - nodes.treeStart[t];
    maxTree = Math.max(maxTree, treeSize[t]);
  }
  for (let i = 0, j = 0; i < n; i++) {
    const f = nodes.feature[i];
    if (f < 0) {
      packed[i] = leafMark;
      continue;
    }
    packed[i] = 2 * f + nodes.missLeft[i];
    thrBin[j] = nodes.thrBin[i];
    right[j++] = nodes.right[i];
  }
  return { edges: bins.edges, edgeStart: Uint32Array.from(bins.edgeStart), treeSize, node: packed, thrBin, right: packUint(right, maxTree) };
}

/** The trees decoded: their structure (leaf fields unset), their bins, and how many leaves they hold. */
export interface DecodedTrees {
  nodes: TreeNodes;
  bins: Bins;
  leaves: number;
}

/** Decodes and checks the edge table and the trees' structure written by {@link encodeTrees}. */
export function decodeTrees(a: Artifact, nFeatures: number, nTrees: number, damaged: Damaged): DecodedTrees {
  const nF = nFeatures;
  const edges = a.arrays.edges as Float32Array;
  const edgeStartU = a.arrays.edgeStart as Uint32Array;
  if (edgeStartU.length !== nF + 1 || edgeStartU[0] !== 0 || edgeStartU[nF] !== edges.length) throw damaged('edge table does not match the features');
  for (let f = 0; f < nF; f++) {
    const count = edgeStartU[f + 1] - edgeStartU[f];
    if (edgeStartU[f + 1] < edgeStartU[f] || count > 254) throw damaged(`feature ${f} has ${count} bin edges`);
  }
  for (let i = 0; i < edges.length; i++) if (!Number.isFinite(edges[i])) throw damaged('a bin edge is not finite');
  const edgeStart = Int32Array.from(edgeStartU);

  const treeSize = a.arrays.treeSize as Uint32Array;
  const packed = uintArray(a, 'node', damaged);
  const thrBinIn = a.arrays.thrBin as Uint8Array;
  const rightIn = uintArray(a, 'right', damaged);
  if (treeSize.length !== nTrees) throw damaged(`${treeSize.length} tree sizes for ${nTrees} trees`);
  const n = packed.length;
  const treeStart = new Int32Array(nTrees + 1);
  let total = 0; // summed as a JS number: Int32Array arithmetic would wrap a huge size into range
  for (let t = 0; t < nTrees; t++) {
    if (treeSize[t] < 1) throw damaged(`tree ${t} is empty`);
    total += treeSize[t];
    if (total > n) throw damaged(`tree sizes add up to more than the ${n} nodes of the node array (tree ${t}, size ${treeSize[t]})`);
    treeStart[t + 1] = total;
  }
  if (treeStart[nTrees] !== n) throw damaged(`tree sizes add up to ${treeStart[nTrees]} nodes, the node array has ${n}`);
  const leafMark = packed instanceof Uint16Array ? 0xffff : packed instanceof Uint32Array ? 0xffffffff : -1;
  if (leafMark < 0) throw damaged("array 'node' has the wrong type");

  const feature = new Int32Array(n);
  const thrBin = new Uint8Array(n);
  const missLeft = new Uint8Array(n);
  const right = new Int32Array(n);
  let j = 0;
  let leaves = 0;
  for (let i = 0; i < n; i++) {
    const p = packed[i];
    if (p === leafMark) {
      feature[i] = -1;
      leaves++;
      continue;
    }
    const f = p >>> 1;
    if (f >= nF) throw damaged(`node ${i} splits on feature ${f} of ${nF}`);
    if (j >= thrBinIn.length || j >= rightIn.length) throw damaged('fewer split thresholds than internal nodes');
    if (thrBinIn[j] > edgeStart[f + 1] - edgeStart[f]) throw damaged(`node ${i} splits past the last bin of feature ${f}`);
    feature[i] = f;
    missLeft[i] = p & 1;
    thrBin[i] = thrBinIn[j];
    right[i] = rightIn[j++];
  }
  if (j !== thrBinIn.length || j !== rightIn.length) throw damaged('more split thresholds than internal nodes');
  for (let t = 0; t < nTrees; t++) checkTree(feature, right, treeStart[t], treeSize[t], t, damaged);
  const nodes: TreeNodes = { treeStart, feature, thrBin, missLeft, right, leafStart: null, leafClass: null, leafProb: null, leafValue: null };
  return { nodes, bins: { edges, edgeStart }, leaves };
}

/**
 * Checks that nodes [base, base+size) form one preorder tree: every internal node's left subtree
 * is [i+1, right) and its right subtree [right, end of its own range).
 */
function checkTree(feature: Int32Array, right: Int32Array, base: number, size: number, t: number, damaged: Damaged): void {
  // Pending subtrees [b, e); a preorder tree has at most (depth + 1) of them at once.
  const stack = new Int32Array(2 * size + 2);
  let top = 0;
  stack[top++] = 0;
  stack[top++] = size;
  while (top > 0) {
    const e = stack[--top];
    const b = stack[--top];
    if (b >= e) throw damaged(`tree ${t} has an empty subtree`);
    if (feature[base + b] < 0) {
      if (e !== b + 1) throw damaged(`tree ${t}: leaf ${b} is followed by nodes of no subtree`);
      continue;
    }
    const r = right[base + b];
    if (!(r > b + 1 && r < e)) throw damaged(`tree ${t}: node ${b} points to right child ${r} outside (${b + 1}, ${e})`);
    stack[top++] = r;
    stack[top++] = e;
    stack[top++] = b + 1;
    stack[top++] = r;
  }
}

/** One value per leaf, every one finite. */
export function decodeLeafValues(a: Artifact, leaves: number, damaged: Damaged): Float32Array {
  const v = a.arrays.leafValue;
  if (!(v instanceof Float32Array) || v.length !== leaves) throw damaged(`expected ${leaves} leaf values`);
  for (let l = 0; l < leaves; l++) if (!Number.isFinite(v[l])) throw damaged(`leaf ${l} value is not finite`);
  return v;
}

const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/** The header fields every tree kind writes first (in this order: it is part of the artifact's bytes). */
export function treeHeader(state: {
  task: string;
  nFeatures: number;
  nClasses: number;
  classes?: string[];
  features: FeatureInfo[];
  params: object;
}): Record<string, unknown> {
  return {
    task: state.task,
    nFeatures: state.nFeatures,
    nClasses: state.nClasses,
    classes: state.classes ?? null,
    features: state.features,
    params: state.params,
  };
}

/** The header fields every tree kind writes: task, feature and class counts and lists, trees, permutation importances. */
export function checkTreeHeader(h: Record<string, unknown>, damaged: Damaged, what = 'model'): void {
  if (h.task !== 'classification' && h.task !== 'regression') throw damaged(`unknown task ${JSON.stringify(h.task)}`);
  if (!isInt(h.nFeatures, 1) || !isInt(h.nTrees, 1) || !isInt(h.nClasses, 0)) throw damaged('bad nFeatures, nTrees or nClasses');
  if (h.task === 'classification' && h.nClasses < 1) throw damaged(`a classification ${what} without classes`);
  const features = h.features as FeatureInfo[];
  if (!Array.isArray(features) || features.length !== h.nFeatures || !features.every((f) => typeof f?.name === 'string')) {
    throw damaged('feature list does not match nFeatures');
  }
  if (h.classes !== null && (!Array.isArray(h.classes) || h.classes.length !== h.nClasses)) throw damaged('class labels do not match nClasses');
  const perm = h.permutationImportance;
  if (perm !== null && (!Array.isArray(perm) || perm.length !== h.nFeatures)) throw damaged('bad permutation importances');
}

/** A kind's parameters read back through its own parser (a refusal is damage, not a 400). */
export function decodeParams<P>(raw: unknown, parse: (raw: unknown) => P, damaged: Damaged): P {
  try {
    return parse(raw);
  } catch (e) {
    throw damaged(`bad parameters (${(e as Error).message})`);
  }
}

/** Whether an integer header field is present and at least `min`. */
export { isInt };
