/**
 * A tree kind's registration: its facts from the kinds' table (kind-info.ts: both tasks, the native
 * encoding with missing values and categorical codes as they are), its fit and load its own.
 */
import type { Artifact } from '../../core/container';
import { KIND_INFO } from '../kind-info';
import type { FitContext, FitPlan, DataShape, ModelKind, TrainedModel, TrainingSet } from '../model';

export interface TreeKindSpec<P> {
  parse(raw: unknown): P;
  plan(params: P, shape: DataShape): FitPlan;
  fit(data: TrainingSet, params: P, ctx: FitContext): TrainedModel | Promise<TrainedModel>;
  load(artifact: Artifact): TrainedModel;
  parallel?: ModelKind<P>['parallel'];
  team?: boolean;
}

export function treeKind<P>(name: 'forest' | 'gbm', spec: TreeKindSpec<P>): ModelKind<P> {
  return {
    ...KIND_INFO[name],
    params: (raw) => spec.parse(raw),
    plan: spec.plan,
    fit: async (data, params, ctx) => spec.fit(data, params, ctx),
    load: (artifact) => spec.load(artifact),
    ...(spec.parallel ? { parallel: spec.parallel } : {}),
    ...(spec.team ? { team: true } : {}),
  };
}
