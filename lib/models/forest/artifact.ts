/**
 * The forest's artifact (`kind: 'forest'`, format 1) in the project container (core/container.ts):
 * the edge table and the trees as every tree kind writes them (trees/codec.ts), then per leaf, for
 * classification, its number of classes and their ids, with probabilities only for the impure
 * leaves (a pure leaf's is 1), or for regression one value; the per-tree importances; and, in a part
 * of a parallel fit, its out-of-bag sums. Loading checks all of it (BAD_ARTIFACT).
 */
import { expectArtifact, type Artifact, type NumericArray } from '../../core/container';
import type { FeatureInfo, Task } from '../model';
import { checkTreeHeader, treeHeader, damagedFor, decodeLeafValues, decodeParams, decodeTrees, encodeTrees, packUint, uintArray } from '../trees/codec';
import type { TreeNodes } from '../trees/nodes';
import type { ForestState } from './model';
import { parseParams } from './params';

export const FORMAT_VERSION = 1;

const damaged = damagedFor('forest');

/** The artifact of a forest (a part of a parallel fit also carries its out-of-bag sums). */
export function encodeForest(state: ForestState): Artifact {
  const { nodes, bins } = state;
  const nTrees = nodes.treeStart.length - 1;
  const arrays: Record<string, NumericArray> = { ...encodeTrees(nodes, bins, state.nFeatures), treeImportance: state.treeImportance };
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
      ...treeHeader(state),
      nTrees,
      oobScore: state.oobScore,
      permutationImportance: state.permutationImportance,
    },
    arrays,
  };
}

function checkHeader(h: Record<string, unknown>): void {
  checkTreeHeader(h, damaged, 'forest');
  if (h.oobScore !== null && typeof h.oobScore !== 'number') throw damaged('bad oobScore');
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
  const params = decodeParams(h.params, parseParams, damaged);
  const { nodes, bins, leaves } = decodeTrees(a, nF, nTrees, damaged);
  if (task === 'classification') decodeClassLeaves(a, nodes, leaves, K);
  else nodes.leafValue = decodeLeafValues(a, leaves, damaged);
  const treeImportance = a.arrays.treeImportance as Float32Array;
  if (treeImportance.length !== nTrees * nF) throw damaged('importances do not match trees × features');
  return {
    task,
    nFeatures: nF,
    nClasses: K,
    classes: (h.classes as string[] | null) ?? undefined,
    features: h.features as FeatureInfo[],
    params,
    bins,
    nodes,
    treeImportance,
    oobScore: h.oobScore as number | null,
    oob: decodeOob(a, K),
    permutationImportance: (h.permutationImportance as number[] | null) ?? null,
  };
}

function decodeClassLeaves(a: Artifact, nodes: TreeNodes, leaves: number, K: number): void {
  const nnz = uintArray(a, 'leafNnz', damaged);
  const cls = uintArray(a, 'leafClass', damaged);
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
