/**
 * Spreading one forest over threads: `splitParams` gives each part a fixed range of tree indices,
 * `mergeForests` concatenates the parts' trees in index order. Because tree i is seeded by its
 * index alone, the merged forest equals the one a single thread would fit.
 */
import { QuorumError } from '../../errors';
import type { TrainedModel } from '../model';
import { concatNodes } from '../trees/nodes';
import { ForestModel, type OobSums } from './model';
import { oobScoreOf } from './oob';
import type { ForestParams } from './params';

/** Up to `parts` parameter sets covering this forest's trees in contiguous, near-equal ranges. */
export function splitParams(p: ForestParams, parts: number): ForestParams[] {
  const total = p.totalTrees ?? p.nEstimators;
  const k = Math.max(1, Math.min(Math.floor(parts), p.nEstimators));
  const out: ForestParams[] = [];
  let offset = p.treeOffset;
  for (let i = 0; i < k; i++) {
    const size = Math.floor(p.nEstimators / k) + (i < p.nEstimators % k ? 1 : 0);
    out.push({ ...p, nEstimators: size, treeOffset: offset, totalTrees: total });
    offset += size;
  }
  return out;
}

function mismatch(reason: string): QuorumError {
  return new QuorumError('BAD_ARTIFACT', `forest parts do not belong to one forest: ${reason}`);
}

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Concatenates parts of one forest (any order); the out-of-bag score is computed once all are in. */
export function mergeForests(models: TrainedModel[]): ForestModel {
  if (models.length === 0) throw mismatch('no parts to merge');
  const parts = models.map((m) => {
    if (!(m instanceof ForestModel)) throw mismatch(`a '${m.kind}' model is not a forest part`);
    return m;
  });
  parts.sort((a, b) => a.state.params.treeOffset - b.state.params.treeOffset);
  const first = parts[0].state;
  const { treeOffset, totalTrees } = first.params;
  let next = treeOffset;
  for (const { state } of parts) {
    if (state.task !== first.task || state.nFeatures !== first.nFeatures || state.nClasses !== first.nClasses) {
      throw mismatch('task, feature count or class count differ');
    }
    if (!sameArray(state.bins.edges, first.bins.edges) || !sameArray(state.bins.edgeStart, first.bins.edgeStart)) {
      throw mismatch('bin edges differ (fitted on different data?)');
    }
    if (state.params.totalTrees !== totalTrees) throw mismatch('parts of forests of different sizes');
    if (state.params.treeOffset !== next) throw mismatch(`trees from ${next} are missing or doubled`);
    next += state.params.nEstimators;
  }
  const nEstimators = next - treeOffset;
  const whole = treeOffset === 0 && (totalTrees === null || nEstimators === totalTrees);
  let oob: OobSums | null = null;
  if (parts.every((m) => m.state.oob)) {
    const o = first.oob!;
    if (!parts.every((m) => sameArray(m.state.oob!.rows, o.rows))) throw mismatch('out-of-bag rows differ');
    const sum = o.sum.slice();
    const count = o.count.slice();
    for (const { state } of parts.slice(1)) {
      const s = state.oob!.sum;
      const c = state.oob!.count;
      for (let i = 0; i < s.length; i++) sum[i] += s[i];
      for (let i = 0; i < c.length; i++) count[i] += c[i];
    }
    oob = { rows: o.rows, sum, count, y: o.y };
  }
  const treeImportance = new Float32Array(parts.reduce((n, m) => n + m.state.treeImportance.length, 0));
  let at = 0;
  for (const { state } of parts) {
    treeImportance.set(state.treeImportance, at);
    at += state.treeImportance.length;
  }
  const K = first.task === 'classification' ? first.nClasses : 1;
  return new ForestModel({
    ...first,
    params: { ...first.params, nEstimators, treeOffset, totalTrees: whole ? null : totalTrees },
    nodes: concatNodes(parts.map((m) => m.state.nodes)),
    treeImportance,
    oobScore: whole && oob ? oobScoreOf(oob, first.task, K) : null,
    oob: whole ? null : oob,
    permutationImportance: null,
  });
}
