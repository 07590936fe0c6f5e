/**
 * Parameters of the tfjs kinds: defaults merged once, every value checked at the boundary, errors
 * naming the kind, the parameter, the allowed range and the value received.
 */
import { badParam, paramChecker, paramsObject } from '../param-check';
import type { Activation } from './net-spec';
import { ACTIVATIONS } from './net-spec';
import type { OptimizerName } from './optimizers';
import { OPTIMIZERS } from './optimizers';
import type { EarlyStopping, TrainOptions } from './train';

export interface MlpParams extends TrainOptions {
  hidden: number[];
  activation: Activation;
}

/** A linear model has no hidden layer, so no dropout. */
export type LinearParams = Omit<TrainOptions, 'dropout'>;

export const MLP_DEFAULTS: Readonly<MlpParams> = Object.freeze({
  hidden: [64],
  activation: 'relu',
  dropout: 0,
  learningRate: 1e-3,
  batchSize: 64,
  epochs: 20,
  l2: 0,
  optimizer: 'adam',
  earlyStopping: false,
  validationFraction: 0.1,
});

export const LINEAR_DEFAULTS: Readonly<LinearParams> = Object.freeze({
  learningRate: 1e-2,
  batchSize: 64,
  epochs: 30,
  l2: 1e-4,
  optimizer: 'adam',
  earlyStopping: false,
  validationFraction: 0.1,
});

/** Used when `earlyStopping: true` asks for early stopping without details. */
export const EARLY_STOPPING_DEFAULTS: Readonly<EarlyStopping> = Object.freeze({ patience: 5, minDelta: 1e-4 });

function num(kind: string, param: string, v: unknown, min: number, max: number, opts: { integer?: boolean; minExclusive?: boolean } = {}): number {
  const check = paramChecker(kind);
  return opts.integer ? check.int(param, v, min, max) : check.num(param, v, min, max, opts);
}

function oneOf<T extends string>(kind: string, param: string, v: unknown, names: readonly T[]): T {
  return paramChecker(kind).oneOf(param, v, names);
}

function earlyStopping(kind: string, v: unknown): EarlyStopping | false {
  if (v === false) return false;
  if (v === true) return { ...EARLY_STOPPING_DEFAULTS };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badParam(kind, 'earlyStopping', v, 'use false, true or {patience, minDelta}');
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'patience' && key !== 'minDelta') throw badParam(kind, `earlyStopping.${key}`, o[key], "an unknown key: use 'patience' or 'minDelta'");
  }
  return {
    patience: num(kind, 'earlyStopping.patience', o.patience ?? EARLY_STOPPING_DEFAULTS.patience, 1, 1000, { integer: true }),
    minDelta: num(kind, 'earlyStopping.minDelta', o.minDelta ?? EARLY_STOPPING_DEFAULTS.minDelta, 0, 1e6),
  };
}

function trainOptions(kind: string, o: Record<string, unknown>, d: Readonly<TrainOptions>): TrainOptions {
  return {
    learningRate: num(kind, 'learningRate', o.learningRate ?? d.learningRate, 0, 10, { minExclusive: true }),
    batchSize: num(kind, 'batchSize', o.batchSize ?? d.batchSize, 1, 65536, { integer: true }),
    epochs: num(kind, 'epochs', o.epochs ?? d.epochs, 1, 100000, { integer: true }),
    l2: num(kind, 'l2', o.l2 ?? d.l2, 0, 100),
    optimizer: oneOf<OptimizerName>(kind, 'optimizer', o.optimizer ?? d.optimizer, OPTIMIZERS),
    dropout: d.dropout,
    earlyStopping: earlyStopping(kind, o.earlyStopping ?? d.earlyStopping),
    validationFraction: num(kind, 'validationFraction', o.validationFraction ?? d.validationFraction, 0.01, 0.5),
  };
}

const COMMON = ['learningRate', 'batchSize', 'epochs', 'l2', 'optimizer', 'earlyStopping', 'validationFraction'];

/** Validates `mlp` parameters (see {@link MLP_DEFAULTS}); throws BAD_MODEL_PARAMS. */
export function mlpParams(raw: unknown): MlpParams {
  const kind = 'mlp';
  const o = paramsObject(kind, raw, ['hidden', 'activation', 'dropout', ...COMMON]);
  const hidden = o.hidden ?? MLP_DEFAULTS.hidden;
  if (!Array.isArray(hidden) || hidden.length < 1 || hidden.length > 16) {
    throw badParam(kind, 'hidden', hidden, 'use an array of 1 to 16 layer sizes, e.g. [64] or [128, 64]');
  }
  return {
    ...trainOptions(kind, o, MLP_DEFAULTS),
    hidden: hidden.map((u, i) => num(kind, `hidden[${i}]`, u, 1, 8192, { integer: true })),
    activation: oneOf<Activation>(kind, 'activation', o.activation ?? MLP_DEFAULTS.activation, ACTIVATIONS),
    dropout: num(kind, 'dropout', o.dropout ?? MLP_DEFAULTS.dropout, 0, 0.9),
  };
}

/** Validates `linear` parameters (see {@link LINEAR_DEFAULTS}); throws BAD_MODEL_PARAMS. */
export function linearParams(raw: unknown): LinearParams {
  const { dropout: _none, ...params } = trainOptions('linear', paramsObject('linear', raw, COMMON), { ...LINEAR_DEFAULTS, dropout: 0 });
  return params;
}
