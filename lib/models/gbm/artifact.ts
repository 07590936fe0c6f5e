/**
 * The boosted model's artifact (`kind: 'gbm'`, format 1) in the project container
 * (core/container.ts): the edge table and the trees as every tree kind writes them (trees/codec.ts),
 * one Float32 value per leaf, the starting margins and the gain importances. Loading checks all of
 * it (BAD_ARTIFACT, 422).
 */
import { expectArtifact, type Artifact, type NumericArray } from '../../core/container';
import type { FeatureInfo, Task } from '../model';
import { checkTreeHeader, treeHeader, damagedFor, decodeLeafValues, decodeParams, decodeTrees, encodeTrees, isInt } from '../trees/codec';
import type { GbmState } from './model';
import type { ObjectiveName } from './objectives';
import { parseParams } from './params';

export const FORMAT_VERSION = 1;

const damaged = damagedFor('gbm');

export function encodeGbm(state: GbmState): Artifact {
  const { nodes, bins } = state;
  const nTrees = nodes.treeStart.length - 1;
  const arrays: Record<string, NumericArray> = {
    ...encodeTrees(nodes, bins, state.nFeatures),
    leafValue: nodes.leafValue!,
    baseMargin: state.baseMargin,
    gainImportance: state.gainImportance,
  };
  return {
    kind: 'gbm',
    formatVersion: FORMAT_VERSION,
    header: {
      ...treeHeader(state),
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

const OBJECTIVES: readonly ObjectiveName[] = ['logistic', 'softmax', 'squared', 'huber'];

function checkHeader(h: Record<string, unknown>): void {
  checkTreeHeader(h, damaged);
  if (!isInt(h.outputs, 1)) throw damaged('bad outputs');
  if (!OBJECTIVES.includes(h.objective as ObjectiveName)) throw damaged(`unknown objective ${JSON.stringify(h.objective)}`);
  const regression = h.objective === 'squared' || h.objective === 'huber';
  if (regression !== (h.task === 'regression')) throw damaged(`objective '${String(h.objective)}' does not fit task '${String(h.task)}'`);
  const outputs = h.objective === 'softmax' ? (h.nClasses as number) : 1;
  if (h.outputs !== outputs) throw damaged(`${h.outputs} outputs for objective '${String(h.objective)}'`);
  if ((h.nTrees as number) % outputs !== 0) throw damaged(`${h.nTrees} trees is not whole rounds of ${outputs}`);
  if (!isInt(h.bestRound, 1) || !isInt(h.roundsRun, 1) || h.bestRound * outputs !== h.nTrees) throw damaged('rounds do not match the trees');
  if (typeof h.trainLoss !== 'number' || (h.validLoss !== null && typeof h.validLoss !== 'number')) throw damaged('bad losses');
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
  const params = decodeParams(h.params, parseParams, damaged);
  const { nodes, bins, leaves } = decodeTrees(a, nF, nTrees, damaged);
  nodes.leafValue = decodeLeafValues(a, leaves, damaged);
  const baseMargin = a.arrays.baseMargin as Float64Array;
  if (baseMargin.length !== outputs || !baseMargin.every(Number.isFinite)) throw damaged(`expected ${outputs} finite base margins`);
  const gainImportance = a.arrays.gainImportance as Float64Array;
  if (gainImportance.length !== nF || !gainImportance.every((v) => v >= 0)) throw damaged('gain importances do not match the features');
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
    bins,
    nodes,
    gainImportance,
    roundsRun: h.roundsRun as number,
    bestRound: h.bestRound as number,
    trainLoss: h.trainLoss as number,
    validLoss: h.validLoss as number | null,
    permutationImportance: (h.permutationImportance as number[] | null) ?? null,
  };
}
