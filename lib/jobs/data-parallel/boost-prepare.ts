/**
 * What the coordinator fixes once for a data-parallel gbm job, from all training rows: the
 * objective, the starting margins, the class weights, and the gradient quantisation that makes
 * histogram sums exact (session/boost.ts).
 */
import { objectiveFor } from '../../models/gbm/objectives';
import { resolveObjective, startMargin, type GbmParams } from '../../models/gbm/params';
import type { TrainingSet } from '../../models/model';
import { quantisation } from '../../models/gbm/quantise';
import type { BoostConfig } from './session/boost';
import { binShards, type BinnedShards } from './shard';

export function boostConfig(data: TrainingSet, p: GbmParams): BoostConfig {
  const classification = data.task === 'classification';
  const K = classification ? data.nClasses : 0;
  const name = resolveObjective(p, data.task, K);
  const objective = objectiveFor(name, K, p.huberDelta);
  let classWeight: number[] | null = null;
  if (classification && p.classWeight === 'balanced') {
    const count = new Float64Array(K);
    for (const c of data.y) count[c]++;
    const present = count.reduce((s, c) => s + (c > 0 ? 1 : 0), 0);
    classWeight = Array.from(count, (c) => (c > 0 ? data.y.length / (present * c) : 0));
  }
  const weight = classWeight ? Float64Array.from(data.y, (c) => classWeight![c]) : null;
  const baseMargin = Array.from(startMargin(p, objective, data.y, weight));
  const wMax = classWeight ? Math.max(...classWeight) : 1;
  let gBound: number;
  let hBound: number;
  // Residuals start within the target's spread around the base margin; room for 4× that.
  let spread = 0;
  if (!classification) for (const v of data.y) spread = Math.max(spread, 4 * Math.abs(v - baseMargin[0]));
  if (classification) {
    gBound = wMax;
    hBound = 0.25 * wMax;
  } else if (name === 'huber') {
    gBound = p.huberDelta;
    hBound = 1;
  } else {
    gBound = spread;
    hBound = 1;
  }
  const rows = data.x.rows;
  const g = quantisation(gBound, rows);
  const h = quantisation(hBound, rows);
  // A row's loss: at most −log(1e-15) for log losses, spread² squared, δ·spread pseudo-Huber.
  const lossBound = classification ? 35 : name === 'huber' ? p.huberDelta * spread : spread * spread;
  const l = quantisation(Math.max(lossBound, 1), rows);
  return {
    objective: name,
    outputs: objective.outputs,
    baseMargin,
    huberDelta: p.huberDelta,
    subsample: p.subsample,
    classWeight,
    gradShift: g.shift,
    hessShift: h.shift,
    gradLimit: g.limit,
    hessLimit: h.limit,
    lossShift: l.shift,
    lossLimit: l.limit,
  };
}

/** Bins and shards for a data-parallel gbm (no bootstrap; targets kept as they are). */
export function prepareBoostShards(data: TrainingSet, p: GbmParams, seed: number, nShards: number, assignment?: Int32Array): BinnedShards {
  return binShards(data, p.maxBins, seed, nShards, false, assignment, boostConfig(data, p));
}
