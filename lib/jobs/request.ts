/**
 * A training request as the user sends it, and its normalised form: model kinds resolved and their
 * parameters validated, sharding and voting checked — all before the job is accepted, so a bad
 * request is a 4xx at once, not a failed job later.
 */
import { resolveVoting, defaultVoting } from '../ensemble';
import { QuorumError, listNames, previewValue } from '../errors';
import { modelKindInfo, validateModelParams } from '../models/kinds';
import { INTERNAL_PARAMS as FOREST_INTERNAL_PARAMS } from '../models/forest/params';
import { DATA_PARALLEL_KINDS, dataParallelKind } from './data-parallel/kinds';
import type { Task } from '../models/model';
import { resolveSharding } from '../data/sharding';

export interface ModelSpec {
  kind: string;
  params?: Record<string, unknown>;
}

export type TrainingMode = 'ensemble' | 'average' | 'local' | 'data-parallel';

/** Kinds one model of which can be trained over all shards by summing histograms. */
/** The job defaults that other modules (local data, the dashboard through GET /api/options) share. */
export const DEFAULT_SEED = 42;
export const DEFAULT_VALIDATION_FRACTION = 0.2;

/** Every default of a training request, in one place (`GET /api/options` shows them as `defaults`). */
export const REQUEST_DEFAULTS = {
  mode: 'ensemble',
  assign: 'spread',
  sharding: 'random',
  seed: DEFAULT_SEED,
  validationFraction: DEFAULT_VALIDATION_FRACTION,
  split: 'auto',
  minFraction: 1,
  rounds: 10,
  minTrainers: 1,
  preprocess: { imputation: 'median', fillValue: 0, maxOneHot: 32 },
} as const;

/** Parameters a kind sets for itself (a forest split over threads); a request naming them is refused. */
const INTERNAL_PARAMS: Record<string, readonly string[]> = { forest: FOREST_INTERNAL_PARAMS };

/** Kinds whose weights can be averaged over shards (mode 'average'). */
export const AVERAGE_KINDS = ['mlp', 'linear'] as const;

export interface TrainRequest {
  /** Dataset id or name; absent for mode 'local'. */
  dataset?: string;
  target: string;
  task?: Task;
  /** One kind, a spec, or several (a heterogeneous ensemble). Default 'forest'. */
  model?: string | ModelSpec | (string | ModelSpec)[];
  /** Several kinds: 'spread' gives shard i the kind i mod k; 'each' trains every kind on every shard. */
  assign?: 'spread' | 'each';
  mode?: TrainingMode;
  shards?: number;
  rowsPerShard?: number;
  sharding?: string;
  seed?: number;
  validationFraction?: number;
  split?: 'auto' | 'stratified' | 'random' | 'time';
  timeColumn?: string;
  ignore?: string[];
  voting?: string;
  /** The model name whose active pointer this job's version competes for (default: dataset name). */
  name?: string;
  /** Quorum: the job completes if at least this many members trained (default: all). */
  minShards?: number;
  /** Quorum as a share of members, in (0, 1] (default 1). */
  minFraction?: number;
  /** `average` mode: rounds, and trainers needed for a round to count. */
  rounds?: number;
  minTrainers?: number;
  /** Preprocessing of neural and linear kinds (trees handle missing values and codes natively). */
  preprocess?: { imputation?: 'median' | 'mean' | 'constant'; fillValue?: number; maxOneHot?: number };
  /**
   * Also train one model of the first kind on all training rows, evaluated beside the ensemble
   * (it does not vote): what does sharding cost, what does voting buy?
   */
  baseline?: boolean;
}

export interface NormalisedRequest {
  dataset?: string;
  target: string;
  task?: Task;
  models: Required<ModelSpec>[];
  assign: 'spread' | 'each';
  mode: TrainingMode;
  shards?: number;
  rowsPerShard?: number;
  sharding: string;
  seed: number;
  validationFraction: number;
  split: 'auto' | 'stratified' | 'random' | 'time';
  timeColumn?: string;
  ignore: string[];
  voting?: string;
  name?: string;
  minShards?: number;
  minFraction: number;
  rounds: number;
  minTrainers: number;
  baseline: boolean;
  preprocess: { imputation: 'median' | 'mean' | 'constant'; fillValue: number; maxOneHot: number };
}

export const DEFAULT_MODEL = 'forest';

function toSpecs(model: TrainRequest['model']): ModelSpec[] {
  if (model === undefined) return [{ kind: DEFAULT_MODEL }];
  const list = Array.isArray(model) ? model : [model];
  if (list.length === 0) throw new QuorumError('BAD_REQUEST', 'model: give at least one model kind');
  return list.map((m, i) => (typeof m === 'string' ? { kind: m } : checkSpec(m, list.length > 1 ? `model[${i}]` : 'model')));
}

const SPEC_KEYS = ['kind', 'params'];

/**
 * A model spec has exactly `kind` and optional `params`: a parameter written beside `kind`
 * (`{"kind": "forest", "nEstimators": 300}`) would otherwise be dropped without a word.
 */
function checkSpec(spec: unknown, where: string): ModelSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new QuorumError('BAD_REQUEST', `${where}: give a kind name or {"kind", "params"}, got ${previewValue(spec)}`);
  }
  const o = spec as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (SPEC_KEYS.includes(key)) continue;
    const kind = typeof o.kind === 'string' ? o.kind : 'forest';
    const shown = previewValue(key);
    throw new QuorumError(
      'BAD_REQUEST',
      `${where}: unknown key ${shown} (a spec has ${listNames(SPEC_KEYS)}); a model parameter goes inside 'params': {"kind": ${previewValue(kind)}, "params": {${shown}: …}}`,
      { key: shown, valid: SPEC_KEYS },
    );
  }
  if (typeof o.kind !== 'string') throw new QuorumError('BAD_REQUEST', `${where}.kind: give a model kind name, got ${previewValue(o.kind)}`);
  return o as unknown as ModelSpec;
}

/** Validates everything that does not need the data; the task-dependent checks come in `checkForTask`. */
export function normaliseRequest(request: TrainRequest): NormalisedRequest {
  const models = toSpecs(request.model).map((spec) => {
    const given = spec.params && typeof spec.params === 'object' ? Object.keys(spec.params) : [];
    const internal = given.find((k) => INTERNAL_PARAMS[spec.kind]?.includes(k));
    if (internal) {
      throw new QuorumError(
        'BAD_MODEL_PARAMS',
        `${spec.kind} parameter '${internal}' is internal (set when a forest is fitted over several threads); leave it out`,
        { param: internal, kind: spec.kind },
      );
    }
    // Parsed once, here: every later step (sharding, the trainers, the data-parallel driver) gets the complete params.
    return { kind: spec.kind, params: validateModelParams(spec.kind, spec.params ?? {}) as Record<string, unknown> };
  });
  const sharding = request.sharding ?? REQUEST_DEFAULTS.sharding;
  resolveSharding(sharding);
  if (request.shards !== undefined && request.rowsPerShard !== undefined) {
    throw new QuorumError('BAD_REQUEST', "give either 'shards' or 'rowsPerShard', not both");
  }
  const mode: TrainingMode = request.mode ?? REQUEST_DEFAULTS.mode;
  if (mode !== 'local' && !request.dataset) throw new QuorumError('BAD_REQUEST', "'dataset' is required (only mode 'local' trains on the trainers' own files)");
  if (mode === 'local' && request.dataset)
    throw new QuorumError('BAD_REQUEST', "mode 'local' trains on each trainer's own file (TRAINER_DATA): leave out 'dataset'");
  if (mode === 'local' && (request.shards !== undefined || request.rowsPerShard !== undefined || request.sharding !== undefined)) {
    throw new QuorumError('BAD_REQUEST', "mode 'local' has one member per trainer with local data: leave out 'shards', 'rowsPerShard' and 'sharding'");
  }
  if (mode === 'average') {
    for (const m of models) {
      if (m.kind !== models[0].kind || !(AVERAGE_KINDS as readonly string[]).includes(m.kind)) {
        throw new QuorumError('BAD_REQUEST', `mode 'average' trains one shared neural or linear model: use a single kind 'mlp' or 'linear', not '${m.kind}'`);
      }
    }
  }
  if (mode === 'data-parallel') {
    if (models.length !== 1 || !DATA_PARALLEL_KINDS.includes(models[0].kind)) {
      const asked = models.map((m) => `'${m.kind}'`).join(', ');
      throw new QuorumError(
        'BAD_REQUEST',
        `mode 'data-parallel' trains one model over all shards, of a kind that supports it: ${DATA_PARALLEL_KINDS.map((k) => `'${k}'`).join(', ')} (asked: ${asked}); use mode 'ensemble' for other kinds and lists of kinds, 'average' for mlp and linear`,
        { valid: [...DATA_PARALLEL_KINDS] },
      );
    }
    const params: unknown = models[0].params;
    dataParallelKind(models[0].kind).checkParams(params);
    if (request.assign !== undefined) throw new QuorumError('BAD_REQUEST', "mode 'data-parallel' trains one model: leave out 'assign'");
  }
  if (request.baseline && mode !== 'ensemble')
    throw new QuorumError('BAD_REQUEST', "'baseline' compares an ensemble with one model on all rows: it applies to mode 'ensemble' only");
  if (request.split === 'time' && !request.timeColumn) throw new QuorumError('BAD_REQUEST', "split 'time' needs 'timeColumn'");
  const minFraction = request.minFraction ?? REQUEST_DEFAULTS.minFraction;
  if (!(minFraction > 0 && minFraction <= 1)) throw new QuorumError('BAD_REQUEST', `minFraction must be in (0, 1], got ${minFraction}`);
  return {
    dataset: request.dataset,
    target: request.target,
    task: request.task,
    models: models.map(({ kind, params }) => ({ kind, params })),
    assign: request.assign ?? REQUEST_DEFAULTS.assign,
    mode,
    shards: request.shards,
    rowsPerShard: request.rowsPerShard,
    sharding,
    seed: request.seed ?? REQUEST_DEFAULTS.seed,
    validationFraction: request.validationFraction ?? REQUEST_DEFAULTS.validationFraction,
    split: request.split ?? (request.timeColumn ? 'time' : REQUEST_DEFAULTS.split),
    timeColumn: request.timeColumn,
    ignore: request.ignore ?? [],
    voting: request.voting,
    name: request.name,
    minShards: request.minShards,
    minFraction,
    rounds: request.rounds ?? REQUEST_DEFAULTS.rounds,
    minTrainers: request.minTrainers ?? REQUEST_DEFAULTS.minTrainers,
    baseline: request.baseline ?? false,
    preprocess: {
      imputation: request.preprocess?.imputation ?? REQUEST_DEFAULTS.preprocess.imputation,
      fillValue: request.preprocess?.fillValue ?? REQUEST_DEFAULTS.preprocess.fillValue,
      maxOneHot: request.preprocess?.maxOneHot ?? REQUEST_DEFAULTS.preprocess.maxOneHot,
    },
  };
}

/** Checks that need the task: every kind supports it, the voting rule fits it. */
export function checkForTask(request: NormalisedRequest, task: Task): string {
  for (const m of request.models) {
    if (!modelKindInfo(m.kind).tasks.includes(task)) {
      throw new QuorumError('MODEL_TASK_MISMATCH', `model '${m.kind}' does not do ${task}`, { kind: m.kind, task });
    }
  }
  const voting = request.voting ?? defaultVoting(task);
  resolveVoting(voting, task);
  if (request.sharding === 'stratified' && task !== 'classification') {
    throw new QuorumError('UNKNOWN_STRATEGY', "sharding 'stratified' needs a classification target: use 'random' or 'contiguous' for regression");
  }
  return voting;
}

/** The validator schema of a training request (`coordinator.train`, `POST /api/trainings`). */
export const TRAIN_PARAMS = {
  dataset: { type: 'string', min: 1, optional: true },
  target: { type: 'string', min: 1 },
  task: { type: 'enum', values: ['classification', 'regression'], optional: true },
  model: { type: 'multi', optional: true, rules: [{ type: 'string' }, { type: 'object' }, { type: 'array', min: 1, max: 64 }] },
  assign: { type: 'enum', values: ['spread', 'each'], optional: true },
  mode: { type: 'enum', values: ['ensemble', 'data-parallel', 'average', 'local'], optional: true },
  shards: { type: 'number', integer: true, min: 1, max: 1024, optional: true, convert: true },
  rowsPerShard: { type: 'number', integer: true, min: 10, optional: true, convert: true },
  sharding: { type: 'string', optional: true, max: 256 },
  seed: { type: 'number', integer: true, min: 0, max: 4294967295, optional: true, convert: true },
  validationFraction: { type: 'number', gt: 0, lte: 0.9, optional: true, convert: true },
  split: { type: 'enum', values: ['auto', 'stratified', 'random', 'time'], optional: true },
  timeColumn: { type: 'string', optional: true },
  ignore: { type: 'array', items: 'string', optional: true },
  voting: { type: 'string', optional: true },
  name: { type: 'string', optional: true, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/ },
  minShards: { type: 'number', integer: true, min: 1, optional: true, convert: true },
  minFraction: { type: 'number', gt: 0, lte: 1, optional: true, convert: true },
  rounds: { type: 'number', integer: true, min: 1, max: 1000, optional: true, convert: true },
  minTrainers: { type: 'number', integer: true, min: 1, optional: true, convert: true },
  baseline: { type: 'boolean', optional: true, convert: true },
  preprocess: {
    type: 'object',
    optional: true,
    strict: true,
    props: {
      imputation: { type: 'enum', values: ['median', 'mean', 'constant'], optional: true },
      fillValue: { type: 'number', optional: true },
      maxOneHot: { type: 'number', integer: true, min: 1, max: 10_000, optional: true },
    },
  },
};
