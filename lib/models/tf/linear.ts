/**
 * `linear`: logistic regression (one sigmoid unit for two classes, softmax for more) and linear
 * regression, with an L2 penalty — the network of `mlp` without hidden layers, trained by
 * mini-batch Adam (or SGD) so that it can take part in parameter averaging like `mlp`.
 */
import type { Artifact } from '../../core/container';
import type { FitContext, ModelKind, TrainedModel, TrainingSet } from '../model';
import { initTfKind } from './backend';
import { fitNet } from './fit-net';
import { loadNetModel } from './net-model';
import type { LinearParams } from './params';
import { linearParams } from './params';
import { linearPlan } from './plan';
import { KIND_INFO } from '../kind-info';

export const linearKind: ModelKind<LinearParams> = {
  ...KIND_INFO.linear,
  init: initTfKind,
  params: linearParams,
  plan: linearPlan,
  fit(data: TrainingSet, params: LinearParams, ctx: FitContext): Promise<TrainedModel> {
    return fitNet('linear', data, [], 'relu', { ...params, dropout: 0 }, params, ctx);
  },
  load(artifact: Artifact): TrainedModel {
    return loadNetModel(artifact, 'linear');
  },
};
