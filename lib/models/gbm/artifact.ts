/**
 * The boosted model's artifact (`kind: 'gbm'`, format 1) in the project container (format.ts),
 * laid out like the forest's: per node a packed (feature·2 + missing-left) word (all ones for a
 * leaf), per internal node its Uint8 split bin and tree-local right child, one Float32 value per
 * leaf, the bin edge table, the starting margins and the gain importances.
 *
 * Loading checks every count, index and range and that each tree's right-child pointers split its
 * preorder range into one subtree per node, so a damaged artifact cannot make prediction read out
 * of bounds or loop: it fails with BAD_ARTIFACT (422).
 */
import { QuorumError } from '../../errors';
import { expectArtifact, type Artifact, type NumericArray } from '../../core/container';
import type { FeatureInfo, Task } from '../model';
import type { ForestNodes } from '../forest/nodes';
import type { GbmState } from './model';
import type { ObjectiveName } from './objectives';
import { parseParams } from './params';

export const FORMAT_VERSION = 1;

type UintArray = Uint8Array | Uint16Array | Uint32Array;

function packUint(values: ArrayLike<number>, max: number): UintArray {
  if (max <= 0xff) return Uint8Array.from(values);
  if (max <= 0xffff) return Uint16Array.from(values);
  return Uint32Array.from(values);
}

function damaged(reason: string): QuorumError {
  return new QuorumError('BAD_ARTIFACT', `damaged gbm artifact: ${reason}; export it again from its registry`);
}

export function encodeGbm(state: GbmState): Artifact {
  const { nodes, bins } = state;
  const n = nodes.feature.length;
  const nTrees = nodes.treeStart.length - 1;
  let internal = 0;
  for (let i = 0; i < n; i++) if (nodes.feature[i] >= 0) internal++;
  const leafMark = 2 * state.nFeatures + 1 <= 0xffff ? 0xffff : 0xffffffff;
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
  const arrays: Record<string, NumericArray> = {
    edges: bins.edges,
    edgeStart: Uint32Array.from(bins.edgeStart),
    treeSize,
    node: packed,
    thrBin,
    right: packUint(right, maxTree),
    leafValue: nodes.leafValue!,
    baseMargin: state.baseMargin,
    gainImportance: state.gainImportance,
  };
  return {
    kind: 'gbm',
    formatVersion: FORMAT_VERSION,
    header: {
      task: state.task,
      nFeatures: state.nFeatures,
      nClasses: state.nClasses,
      classes: state.classes ?? null,
      features: state.features,
      params: state.params,
      objective: state.objective,
      outputs: state.outputs,
      nTrees,
      roundsRun: state.roundsRun,
      bestRound: state.bestRound,
      trainLoss: state.trainLoss,
      validLoss: state.validLoss,
      permutationImportance: state.permutationImportance,
    },
    arrays,
  };
}

const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;
const OBJECTIVES: readonly ObjectiveName[] = ['logistic', 'softmax', 'squared', 'huber'];

function checkHeader(h: Record<string, unknown>): void {
  if (h.task !== 'classification' && h.task !== 'regression') throw damaged(`unknown task ${JSON.stringify(h.task)}`);
  if (!isInt(h.nFeatures, 1) || !isInt(h.nTrees, 1) || !isInt(h.nClasses, 0) || !isInt(h.outputs, 1)) {
    throw damaged('bad nFeatures, nTrees, nClasses or outputs');
  }
  if (!OBJECTIVES.includes(h.objective as ObjectiveName)) throw damaged(`unknown objective ${JSON.stringify(h.objective)}`);
  const regression = h.objective === 'squared' || h.objective === 'huber';
  if (regression !== (h.task === 'regression')) throw damaged(`objective '${String(h.objective)}' does not fit task '${String(h.task)}'`);
  if (h.task === 'classification' && h.nClasses < 1) throw damaged('a classification model without classes');
  const outputs = h.objective === 'softmax' ? h.nClasses : 1;
  if (h.outputs !== outputs) throw damaged(`${h.outputs} outputs for objective '${String(h.objective)}'`);
  if (h.nTrees % outputs !== 0) throw damaged(`${h.nTrees} trees is not whole rounds of ${outputs}`);
  if (!isInt(h.bestRound, 1) || !isInt(h.roundsRun, 1) || h.bestRound * outputs !== h.nTrees) throw damaged('rounds do not match the trees');
  const features = h.features as FeatureInfo[];
  if (!Array.isArray(features) || features.length !== h.nFeatures || !features.every((f) => typeof f?.name === 'string')) {
    throw damaged('feature list does not match nFeatures');
  }
  if (h.classes !== null && (!Array.isArray(h.classes) || h.classes.length !== h.nClasses)) throw damaged('class labels do not match nClasses');
  if (typeof h.trainLoss !== 'number' || (h.validLoss !== null && typeof h.validLoss !== 'number')) throw damaged('bad losses');
  const perm = h.permutationImportance;
  if (perm !== null && (!Array.isArray(perm) || perm.length !== h.nFeatures)) throw damaged('bad permutation importances');
}

function uintArray(a: Artifact, name: string): UintArray {
  const v = a.arrays[name];
  if (!(v instanceof Uint8Array || v instanceof Uint16Array || v instanceof Uint32Array)) {
    throw damaged(`array '${name}' is missing or not unsigned integers`);
  }
  return v;
}

/** Rebuilds and validates a boosted model's state from its artifact. */
export function decodeGbm(a: Artifact): GbmState {
  expectArtifact(a, 'gbm', FORMAT_VERSION, {
    edges: 'f32',
    edgeStart: 'u32',
    treeSize: 'u32',
    thrBin: 'u8',
    leafValue: 'f32',
    baseMargin: 'f64',
    gainImportance: 'f64',
  });
  const h = a.header;
  checkHeader(h);
  const nF = h.nFeatures as number;
  const nTrees = h.nTrees as number;
  const outputs = h.outputs as number;
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
  const treeStart = new Int32Array(nTrees + 1);
  for (let t = 0; t < nTrees; t++) {
    if (treeSize[t] < 1) throw damaged(`tree ${t} is empty`);
    treeStart[t + 1] = treeStart[t] + treeSize[t];
  }
  const n = packed.length;
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

  const leafValue = a.arrays.leafValue as Float32Array;
  if (leafValue.length !== leaves) throw damaged(`${leafValue.length} leaf values for ${leaves} leaves`);
  for (let l = 0; l < leaves; l++) if (!Number.isFinite(leafValue[l])) throw damaged(`leaf ${l} value is not finite`);
  const baseMargin = a.arrays.baseMargin as Float64Array;
  if (baseMargin.length !== outputs || !baseMargin.every(Number.isFinite)) throw damaged(`expected ${outputs} finite base margins`);
  const gainImportance = a.arrays.gainImportance as Float64Array;
  if (gainImportance.length !== nF || !gainImportance.every((v) => v >= 0)) throw damaged('gain importances do not match the features');
  const nodes: ForestNodes = { treeStart, feature, thrBin, missLeft, right, leafStart: null, leafClass: null, leafProb: null, leafValue };
  return {
    task: h.task as Task,
    nFeatures: nF,
    nClasses: h.nClasses as number,
    classes: (h.classes as string[] | null) ?? undefined,
    features: h.features as FeatureInfo[],
    params,
    objective: h.objective as ObjectiveName,
    outputs,
    baseMargin,
    bins: { edges, edgeStart },
    nodes,
    gainImportance,
    roundsRun: h.roundsRun as number,
    bestRound: h.bestRound as number,
    trainLoss: h.trainLoss as number,
    validLoss: h.validLoss as number | null,
    permutationImportance: (h.permutationImportance as number[] | null) ?? null,
  };
}

/**
 * Checks that nodes [base, base+size) form one preorder tree: every internal node's left subtree
 * is [i+1, right) and its right subtree [right, end of its own range).
 */
function checkTree(feature: Int32Array, right: Int32Array, base: number, size: number, t: number): void {
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
