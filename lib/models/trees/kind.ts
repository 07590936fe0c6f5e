/**
 * A tree kind's registration: every tree ensemble takes both tasks, reads the native encoding
 * (missing values and categorical codes as they are), and fits and loads through its own code.
 */
import type { Artifact } from '../../core/container';
import type { FitContext, FitPlan, DataShape, ModelKind, TrainedModel, TrainingSet } from '../model';

export interface TreeKindSpec<P> {
  name: string;
  description: string;
  parse(raw: unknown): P;
  plan(params: P, shape: DataShape): FitPlan;
  fit(data: TrainingSet, params: P, ctx: FitContext): TrainedModel | Promise<TrainedModel>;
  load(artifact: Artifact): TrainedModel;
  parallel?: ModelKind<P>['parallel'];
}

export function treeKind<P>(spec: TreeKindSpec<P>): ModelKind<P> {
  return {
    name: spec.name,
    description: spec.description,
    tasks: ['classification', 'regression'],
    input: 'native',
    params: (raw) => spec.parse(raw),
    plan: spec.plan,
    fit: async (data, params, ctx) => spec.fit(data, params, ctx),
    load: (artifact) => spec.load(artifact),
    ...(spec.parallel ? { parallel: spec.parallel } : {}),
  };
}
