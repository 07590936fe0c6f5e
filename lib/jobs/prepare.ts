/**
 * Turning a dataset and a request into what trainers need: the target, the validation split, the
 * fitted encoder (and dense transform when a neural or linear kind is asked for), and the shards,
 * each written to the blob store as soon as it is encoded so memory holds one shard at a time.
 */
import { QuorumError } from '../errors';
import { encodeTable, featureInfo, fitEncoder, type EncoderSpec } from '../data/encode';
import { fitDense, type DenseSpec } from '../data/preprocess';
import { encodeRowShard } from '../data/shard-codec';
import { resolveSharding } from '../data/sharding';
import { splitRows, type SplitMethod } from '../data/split';
import type { ColumnProfile, Table } from '../data/table';
import { resolveTarget, type TargetInfo } from '../data/target';
import { modelKindInfo } from '../models/kinds';
import type { FeatureInfo, Task } from '../models/model';
import { Rng, deriveSeed } from '../util/random';
import type { BlobRef, JobPlan, MemberState } from './job';
import { encodeBinnedShard } from './data-parallel/shard';
import { dataParallelKind } from './data-parallel/kinds';
import { checkForTask, type NormalisedRequest } from './request';

/** Fewer training rows than this per shard is refused: a model on 3 rows helps nobody. */
export const MIN_ROWS_PER_SHARD = 10;
/** Trainers get at most this many validation rows (early stopping, learning curves). */
export const VALIDATION_SAMPLE_ROWS = 10_000;
/** Evaluation of a version uses at most this many validation rows (sampled with the job seed). */
export const EVALUATION_ROWS = 200_000;

export interface Checked {
  target: TargetInfo;
  task: Task;
  voting: string;
}

/** The checks that need the data; run before the job is accepted. */
export function checkRequest(table: Table, profile: ColumnProfile[] | undefined, request: NormalisedRequest): Checked {
  for (const name of [...request.ignore, ...(request.timeColumn ? [request.timeColumn] : [])]) {
    if (!table.columns.some((c) => c.name === name)) {
      throw new QuorumError('UNKNOWN_COLUMN', `unknown column '${name}': the dataset has ${table.columns.map((c) => `'${c.name}'`).join(', ')}`, {
        column: name,
      });
    }
  }
  const target = resolveTarget(table, profile, request.target, request.task);
  const voting = checkForTask(request, target.task);
  return { target, task: target.task, voting };
}

export interface PrepareSink {
  /** Stores a blob (a shard or a validation set) and returns its reference. */
  put(name: string, bytes: Buffer): Promise<BlobRef>;
}

export interface Prepared {
  encoder: EncoderSpec;
  features: FeatureInfo[];
  dense?: DenseSpec;
  split: { train: number; validation: number; method: SplitMethod; droppedRows: number; balance?: { label: string; count: number }[] };
  shards: { index: number; rows: number; blob: BlobRef; classes?: number[] }[];
  members: MemberState[];
  /** Validation rows for evaluation (capped at EVALUATION_ROWS). */
  validation: BlobRef & { rows: number };
  /** A sample of them for trainers. */
  validationSample: BlobRef & { rows: number };
  targetStats?: { mean: number; std: number };
  dataParallel?: JobPlan['dataParallel'];
  warnings: string[];
}

function timeValues(table: Table, name: string): Float64Array {
  const column = table.columns.find((c) => c.name === name)!;
  if (column.type === 'categorical') throw new QuorumError('BAD_REQUEST', `timeColumn '${name}' holds text: it must be a date or a number`);
  return column.values;
}

function take(rows: Int32Array, max: number, seed: number): Int32Array {
  if (rows.length <= max) return rows;
  return new Rng(seed).shuffle(Int32Array.from(rows)).subarray(0, max).sort();
}

export async function prepare(
  table: Table,
  profile: ColumnProfile[] | undefined,
  request: NormalisedRequest,
  checked: Checked,
  trainerCount: number,
  sink: PrepareSink,
): Promise<Prepared> {
  const { target, task } = checked;
  const warnings: string[] = [];
  if (target.dropped) warnings.push(`${target.dropped} rows without a value for target '${target.name}' were dropped`);

  const method: SplitMethod = request.split === 'auto' ? (task === 'classification' ? 'stratified' : 'random') : request.split;
  const timeOf = request.timeColumn ? timeValues(table, request.timeColumn) : undefined;
  const split = splitRows(target.rows, {
    method,
    seed: deriveSeed(request.seed, 1),
    validationFraction: request.validationFraction,
    classOf: task === 'classification' ? target.y : undefined,
    timeOf,
  });

  const encoder = fitEncoder(table, profile, target.name, { exclude: request.ignore });
  const features = featureInfo(encoder);
  const wantsDense = request.models.some((m) => modelKindInfo(m.kind).input === 'dense');
  const dense = wantsDense ? fitDense(encodeTable(encoder, table, split.train), features, { seed: request.seed, ...request.preprocess }) : undefined;

  let count = request.shards ?? (request.rowsPerShard ? Math.ceil(split.train.length / request.rowsPerShard) : Math.max(1, trainerCount));
  const maxShards = Math.max(1, Math.floor(split.train.length / MIN_ROWS_PER_SHARD));
  if (count > maxShards) {
    if (request.shards !== undefined || request.rowsPerShard !== undefined) {
      throw new QuorumError(
        'TOO_FEW_ROWS',
        `${split.train.length} training rows cannot make ${count} shards of at least ${MIN_ROWS_PER_SHARD} rows: ask for at most ${maxShards}`,
      );
    }
    warnings.push(`${count} trainers but only ${split.train.length} training rows: using ${maxShards} shard(s)`);
    count = maxShards;
  }
  const { strategy, argument } = resolveSharding(request.sharding);
  const groups = strategy
    .assign(split.train, count, { table, seed: deriveSeed(request.seed, 2), classOf: task === 'classification' ? target.y : undefined, timeOf, argument })
    .filter((g, i) => {
      if (g.length === 0) warnings.push(`shard ${i} of '${request.sharding}' is empty and was left out`);
      return g.length > 0;
    });

  const shards: Prepared['shards'] = [];
  let dataParallel: Prepared['dataParallel'];
  if (request.mode === 'data-parallel') {
    // One training set in split order (a row's global index is its place there, whatever the
    // shards), binned once; each group of the sharding strategy becomes one binned shard.
    const rows = split.train;
    const position = new Map<number, number>();
    rows.forEach((r, i) => position.set(r, i));
    const assignment = new Int32Array(rows.length);
    groups.forEach((g, s) => g.forEach((r) => (assignment[position.get(r)!] = s)));
    const data = {
      task,
      x: encodeTable(encoder, table, rows),
      y: Float32Array.from(rows, (r) => target.y[r]),
      nClasses: target.classes?.length ?? 0,
      classes: target.classes,
      features,
    };
    const spec = request.models[0];
    const params: unknown = spec.params;
    const binned = dataParallelKind(spec.kind).prepare(data, params, request.seed, groups.length, assignment);
    for (const [index, shard] of binned.shards.entries()) {
      const blob = await sink.put(`dp-${index}`, Buffer.from(encodeBinnedShard(shard)));
      shards.push({ index, rows: shard.rows, blob });
    }
    dataParallel = { config: binned.config, edges: Array.from(binned.bins.edges), edgeStart: Array.from(binned.bins.edgeStart) };
  }
  for (let index = 0; index < groups.length && request.mode !== 'data-parallel'; index++) {
    const rows = groups[index];
    const x = encodeTable(encoder, table, rows);
    const y = new Float32Array(rows.length);
    rows.forEach((r, i) => (y[i] = target.y[r]));
    let classes: number[] | undefined;
    if (target.classes) {
      classes = new Array<number>(target.classes.length).fill(0);
      for (const v of y) classes[v]++;
      const absent = target.classes.filter((_, k) => classes![k] === 0);
      if (absent.length)
        warnings.push(
          `shard ${index} has no rows of class ${absent.map((c) => `'${c}'`).join(', ')} (use sharding 'stratified' to keep every class in every shard)`,
        );
    }
    const blob = await sink.put(`shard-${index}`, encodeRowShard({ header: { job: '', index }, x, y }));
    shards.push({ index, rows: rows.length, blob, classes });
  }

  if (request.baseline) {
    const rows = split.train;
    const y = Float32Array.from(rows, (r) => target.y[r]);
    const blob = await sink.put('shard-all', encodeRowShard({ header: { job: '', index: -1 }, x: encodeTable(encoder, table, rows), y }));
    shards.push({ index: -1, rows: rows.length, blob });
  }

  const evalRows = take(split.validation, EVALUATION_ROWS, deriveSeed(request.seed, 3));
  const sampleRows = take(evalRows, VALIDATION_SAMPLE_ROWS, deriveSeed(request.seed, 4));
  const validationBlob = async (name: string, rows: Int32Array) => {
    const y = Float32Array.from(rows, (r) => target.y[r]);
    const blob = await sink.put(name, encodeRowShard({ header: { job: '', index: -1 }, x: encodeTable(encoder, table, rows), y }));
    return { ...blob, rows: rows.length };
  };
  const validation = await validationBlob('validation', evalRows);
  const validationSample = await validationBlob('validation-sample', sampleRows);
  if (evalRows.length < split.validation.length)
    warnings.push(`evaluation uses ${evalRows.length} of the ${split.validation.length} validation rows (sampled)`);

  let targetStats: Prepared['targetStats'];
  if (task === 'regression') {
    let sum = 0,
      sq = 0;
    for (const r of split.train) {
      sum += target.y[r];
      sq += target.y[r] * target.y[r];
    }
    const mean = sum / split.train.length;
    targetStats = { mean, std: Math.sqrt(Math.max(sq / split.train.length - mean * mean, 0)) || 1 };
  }

  const members: MemberState[] = [];
  const specs = request.mode === 'average' ? [request.models[0]] : request.models;
  if (request.mode === 'data-parallel') {
    const spec = request.models[0];
    members.push({ id: 'm0', shard: -1, kind: spec.kind, params: spec.params, rows: split.train.length, status: 'pending', progress: 0, attempts: 0 });
  }
  for (const shard of request.mode === 'data-parallel' ? [] : shards) {
    if (shard.index < 0) continue;
    const kinds = request.assign === 'each' || request.mode === 'average' ? specs : [specs[shard.index % specs.length]];
    for (const spec of kinds) {
      members.push({
        id: `m${members.length}`,
        shard: shard.index,
        kind: spec.kind,
        params: spec.params,
        rows: shard.rows,
        status: 'pending',
        progress: 0,
        attempts: 0,
      });
    }
  }
  if (request.baseline) {
    const spec = request.models[0];
    members.push({
      id: 'baseline',
      shard: -1,
      kind: spec.kind,
      params: spec.params,
      rows: split.train.length,
      status: 'pending',
      progress: 0,
      attempts: 0,
      baseline: true,
    });
  }
  return {
    encoder,
    features,
    dense,
    split: { train: split.train.length, validation: split.validation.length, method, droppedRows: target.dropped, balance: target.balance },
    shards,
    members,
    validation,
    validationSample,
    targetStats,
    dataParallel,
    warnings,
  };
}
