/**
 * `mlp`: a dense neural network on TensorFlow.js kernels — hidden layers with relu, tanh, sigmoid
 * or elu, dropout, L2, Adam or SGD, early stopping on a validation split; softmax output for
 * several classes, one sigmoid unit for two, a linear output for regression.
 */
import type { Artifact } from '../../core/container';
import type { FitContext, ModelKind, TrainedModel, TrainingSet } from '../model';
import { initTfKind } from './backend';
import { fitNet } from './fit-net';
import { loadNetModel } from './net-model';
import type { MlpParams } from './params';
import { mlpParams } from './params';
import { mlpPlan } from './plan';
import { KIND_INFO } from '../kind-info';

export const mlpKind: ModelKind<MlpParams> = {
  ...KIND_INFO.mlp,
  init: initTfKind,
  params: mlpParams,
  plan: mlpPlan,
  fit(data: TrainingSet, params: MlpParams, ctx: FitContext): Promise<TrainedModel> {
    return fitNet('mlp', data, params.hidden, params.activation, params, { ...params }, ctx);
  },
  load(artifact: Artifact): TrainedModel {
    return loadNetModel(artifact, 'mlp');
  },
};
