/**
 * The forest's artifact (`kind: 'forest'`, format 1) in the project container (format.ts).
 *
 * Small on disk: per internal node a packed (feature·2 + missing-left) word, a Uint8 split bin and
 * a tree-local right child (Uint16 when trees are small); per leaf the packed word (all ones) and,
 * for classification, its number of classes and their ids; probabilities only for the impure
 * leaves (a pure leaf's is 1). Thresholds are bin numbers into the per-feature edge table.
 *
 * Loading checks every count, index and range, and that each tree's right-child pointers split
 * its preorder node range into exactly one subtree per node — so a damaged artifact cannot make
 * prediction read out of bounds or loop; it fails with BAD_ARTIFACT.
 */
import { QuorumError } from '../../errors';
import { expectArtifact, type Artifact, type NumericArray } from '../../core/container';
import type { FeatureInfo, Task } from '../model';
import type { ForestNodes } from './nodes';
import type { ForestState } from './model';
import { parseParams } from './params';

export const FORMAT_VERSION = 1;

type UintArray = Uint8Array | Uint16Array | Uint32Array;

/** The smallest unsigned array type that holds values up to `max`. */
function packUint(values: ArrayLike<number>, max: number): UintArray {
  if (max <= 0xff) return Uint8Array.from(values);
  if (max <= 0xffff) return Uint16Array.from(values);
  return Uint32Array.from(values);
}

function damaged(reason: string): QuorumError {
  return new QuorumError('BAD_ARTIFACT', `damaged forest artifact: ${reason}; export it again from its registry`);
}

/** The artifact of a forest (a part of a parallel fit also carries its out-of-bag sums). */
export function encodeForest(state: ForestState): Artifact {
  const { nodes, bins } = state;
  const n = nodes.feature.length;
  const nTrees = nodes.treeStart.length - 1;
  let internal = 0;
  for (let i = 0; i < n; i++) if (nodes.feature[i] >= 0) internal++;
  const leafMark = 2 * state.nFeatures + 1 <= 0xffff ? 0xffff : 0xffffffff;
  const packed = new (leafMark === 0xffff ? Uint16Array : Uint32Array)(n);
  const thrBin = new Uint8Array(internal);
  const right = new Uint32Array(internal);
  let maxTree = 0;
  for (let t = 0; t < nTrees; t++) maxTree = Math.max(maxTree, nodes.treeStart[t + 1] - nodes.treeStart[t]);
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
  const treeSize = new Uint32Array(nTrees);
  for (let t = 0; t < nTrees; t++) treeSize[t] = nodes.treeStart[t + 1] - nodes.treeStart[t];
  const arrays: Record<string, NumericArray> = {
    edges: bins.edges,
    edgeStart: Uint32Array.from(bins.edgeStart),
    treeSize,
    node: packed,
    thrBin,
    right: packUint(right, maxTree),
    treeImportance: state.treeImportance,
  };
  if (state.task === 'classification') {
    const leafStart = nodes.leafStart!;
    const nLeaves = leafStart.length - 1;
    const nnz = new Uint32Array(nLeaves);
    const probs: number[] = [];
    for (let l = 0; l < nLeaves; l++) {
      nnz[l] = leafStart[l + 1] - leafStart[l];
      if (nnz[l] > 1) for (let j = leafStart[l]; j < leafStart[l + 1]; j++) probs.push(nodes.leafProb![j]);
    }
    arrays.leafNnz = packUint(nnz, state.nClasses);
    arrays.leafClass = packUint(nodes.leafClass!, state.nClasses - 1);
    arrays.leafProb = Float32Array.from(probs);
  } else {
    arrays.leafValue = nodes.leafValue!;
  }
  if (state.oob) {
    arrays.oobRows = state.oob.rows;
    arrays.oobSum = state.oob.sum;
    arrays.oobCount = state.oob.count;
    arrays.oobY = state.oob.y;
  }
  return {
    kind: 'forest',
    formatVersion: FORMAT_VERSION,
    header: {
      task: state.task,
      nFeatures: state.nFeatures,
      nClasses: state.nClasses,
      classes: state.classes ?? null,
      features: state.features,
      params: state.params,
      nTrees,
      oobScore: state.oobScore,
      permutationImportance: state.permutationImportance,
    },
    arrays,
  };
}

function uintArray(a: Artifact, name: string): UintArray {
  const v = a.arrays[name];
  if (!(v instanceof Uint8Array || v instanceof Uint16Array || v instanceof Uint32Array)) {
    throw damaged(`array '${name}' is missing or not unsigned integers`);
  }
  return v;
}

const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

function checkHeader(h: Record<string, unknown>): void {
  if (h.task !== 'classification' && h.task !== 'regression') throw damaged(`unknown task ${JSON.stringify(h.task)}`);
  if (!isInt(h.nFeatures, 1) || !isInt(h.nTrees, 1) || !isInt(h.nClasses, 0)) throw damaged('bad nFeatures, nTrees or nClasses');
  if (h.task === 'classification' && h.nClasses < 1) throw damaged('a classification forest without classes');
  const features = h.features as FeatureInfo[];
  if (!Array.isArray(features) || features.length !== h.nFeatures || !features.every((f) => typeof f?.name === 'string')) {
    throw damaged('feature list does not match nFeatures');
  }
  if (h.classes !== null && (!Array.isArray(h.classes) || h.classes.length !== h.nClasses)) throw damaged('class labels do not match nClasses');
  if (h.oobScore !== null && typeof h.oobScore !== 'number') throw damaged('bad oobScore');
  const perm = h.permutationImportance;
  if (perm !== null && (!Array.isArray(perm) || perm.length !== h.nFeatures)) throw damaged('bad permutation importances');
}

/** Rebuilds and validates a forest's state from its artifact. */
export function decodeForest(a: Artifact): ForestState {
  expectArtifact(a, 'forest', FORMAT_VERSION, { edges: 'f32', edgeStart: 'u32', treeSize: 'u32', thrBin: 'u8', treeImportance: 'f32' });
  const h = a.header;
  checkHeader(h);
  const task = h.task as Task;
  const nF = h.nFeatures as number;
  const K = h.nClasses as number;
  const nTrees = h.nTrees as number;
  let params;
  try {
    params = parseParams(h.params);
  } catch (e) {
    throw damaged(`bad parameters (${(e as Error).message})`);
  }

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
  const packed = uintArray(a, 'node');
  const thrBinIn = a.arrays.thrBin as Uint8Array;
  const rightIn = uintArray(a, 'right');
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
  for (let t = 0; t < nTrees; t++) checkTree(feature, right, treeStart[t], treeSize[t], t);

  const nodes: ForestNodes = { treeStart, feature, thrBin, missLeft, right, leafStart: null, leafClass: null, leafProb: null, leafValue: null };
  if (task === 'classification') decodeClassLeaves(a, nodes, leaves, K);
  else {
    const v = a.arrays.leafValue;
    if (!(v instanceof Float32Array) || v.length !== leaves) throw damaged(`expected ${leaves} leaf values`);
    for (let l = 0; l < leaves; l++) if (!Number.isFinite(v[l])) throw damaged(`leaf ${l} value is not finite`);
    nodes.leafValue = v;
  }
  const treeImportance = a.arrays.treeImportance as Float32Array;
  if (treeImportance.length !== nTrees * nF) throw damaged('importances do not match trees × features');
  return {
    task,
    nFeatures: nF,
    nClasses: K,
    classes: (h.classes as string[] | null) ?? undefined,
    features: h.features as FeatureInfo[],
    params,
    bins: { edges, edgeStart },
    nodes,
    treeImportance,
    oobScore: h.oobScore as number | null,
    oob: decodeOob(a, K),
    permutationImportance: (h.permutationImportance as number[] | null) ?? null,
  };
}

/**
 * Checks that nodes [base, base+size) form one preorder tree: every internal node's left subtree
 * is [i+1, right) and its right subtree [right, end of its own range).
 */
function checkTree(feature: Int32Array, right: Int32Array, base: number, size: number, t: number): void {
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

function decodeClassLeaves(a: Artifact, nodes: ForestNodes, leaves: number, K: number): void {
  const nnz = uintArray(a, 'leafNnz');
  const cls = uintArray(a, 'leafClass');
  const probIn = a.arrays.leafProb;
  if (!(probIn instanceof Float32Array)) throw damaged("array 'leafProb' is missing");
  if (nnz.length !== leaves) throw damaged(`${nnz.length} leaf class counts for ${leaves} leaves`);
  const leafStart = new Int32Array(leaves + 1);
  for (let l = 0; l < leaves; l++) {
    if (nnz[l] < 1 || nnz[l] > K) throw damaged(`leaf ${l} has ${nnz[l]} classes`);
    leafStart[l + 1] = leafStart[l] + nnz[l];
  }
  if (leafStart[leaves] !== cls.length) throw damaged('leaf class ids do not match the counts');
  const leafClass = Int32Array.from(cls);
  const leafProb = new Float32Array(cls.length);
  let p = 0;
  for (let l = 0; l < leaves; l++) {
    const s = leafStart[l];
    const e = leafStart[l + 1];
    for (let j = s; j < e; j++) {
      if (leafClass[j] >= K) throw damaged(`leaf ${l} names class ${leafClass[j]} of ${K}`);
      if (e - s === 1) {
        leafProb[j] = 1;
      } else {
        if (p >= probIn.length) throw damaged('fewer leaf probabilities than impure leaves need');
        const v = probIn[p++];
        if (!(v >= 0 && v <= 1)) throw damaged(`leaf ${l} has probability ${v}`);
        leafProb[j] = v;
      }
    }
  }
  if (p !== probIn.length) throw damaged('more leaf probabilities than impure leaves need');
  nodes.leafStart = leafStart;
  nodes.leafClass = leafClass;
  nodes.leafProb = leafProb;
}

function decodeOob(a: Artifact, K: number): ForestState['oob'] {
  const { oobRows, oobSum, oobCount, oobY } = a.arrays;
  if (!oobRows && !oobSum && !oobCount && !oobY) return null;
  if (!(oobRows instanceof Int32Array && oobSum instanceof Float64Array && oobCount instanceof Uint32Array && oobY instanceof Float32Array)) {
    throw damaged('incomplete out-of-bag sums');
  }
  const m = oobRows.length;
  if (oobSum.length !== m * Math.max(1, K) || oobCount.length !== m || oobY.length !== m) throw damaged('out-of-bag sums do not match');
  for (let j = 0; j < m; j++) if (oobRows[j] < 0 || (j > 0 && oobRows[j] <= oobRows[j - 1])) throw damaged('out-of-bag rows are not ascending');
  return { rows: oobRows, sum: oobSum, count: oobCount, y: oobY };
}
