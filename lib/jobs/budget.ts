/**
 * Checks that need the data and can run before a job is accepted (issue 17), so that a request
 * that would fail, or take the node's memory, is a 400 at POST /api/trainings rather than a failed
 * job later: the sharding column exists, some feature is left, `minShards` is reachable, every
 * kind's task-dependent parameters fit the target, the member count is within MAX_MEMBERS, and
 * the job's costs as the kinds estimate them ({@link planModelFit}): each member's fit memory
 * within FIT_MEMORY_MB and its fit time within FIT_TIME_BUDGET_S, each model within what the
 * registry stores, and every member loaded for prediction and evaluation within MODEL_MEMORY_MB.
 */
import type { ColumnProfile, Table } from '../data/table';
import { featureInfo, fitEncoder } from '../data/encode';
import { resolveSharding } from '../data/sharding';
import { QuorumError } from '../errors';
import { modelKindInfo, planModelFit } from '../models/kinds';
import type { DataShape } from '../models/model';
import type { Checked } from './prepare';
import type { NormalisedRequest } from './request';
import { MAX_ARTIFACT_BYTES } from '../limits';

export interface FitLimits {
  /** Largest estimated memory of one member's fit (bytes). */
  fitMemoryBytes: number;
  maxMembers: number;
  /** Longest estimated (and allowed) wall time of one member's fit, in seconds. */
  fitTimeBudgetS: number;
  /** Largest estimated memory of the job's model loaded for prediction and evaluation (every member), in bytes. */
  modelMemoryBytes: number;
}

const mb = (bytes: number) => `${Math.ceil(bytes / (1024 * 1024)).toLocaleString('en')} MB`;

/** Members of the job: every kind on every shard ('each', 'average') or one kind per shard ('spread'), plus the baseline. */
export function memberCount(request: NormalisedRequest, shards: number): number {
  const perShard = request.assign === 'each' || request.mode === 'average' ? request.models.length : 1;
  return shards * perShard + (request.baseline ? 1 : 0);
}

export function checkBudget(table: Table, profile: ColumnProfile[] | undefined, request: NormalisedRequest, checked: Checked, limits: FitLimits): void {
  const { strategy, argument } = resolveSharding(request.sharding);
  if (strategy.argument === 'column' && !table.columns.some((c) => c.name === argument)) {
    throw new QuorumError(
      'UNKNOWN_COLUMN',
      `sharding '${request.sharding}' names no column of the dataset: use '${strategy.name}:<column>' with one of ${table.columns.map((c) => `'${c.name}'`).join(', ')}`,
      { column: argument },
    );
  }
  const encoder = fitEncoder(table, profile, checked.target.name, { exclude: request.ignore }); // NO_FEATURES when all are ignored
  const features = featureInfo(encoder);
  const trainRows = Math.max(1, Math.floor(checked.target.rows.length * (1 - request.validationFraction)));
  // Without shards or rowsPerShard the count follows the trainers at start: 1 is the largest member.
  const shards = request.shards ?? (request.rowsPerShard ? Math.ceil(trainRows / request.rowsPerShard) : 1);
  if (request.minShards !== undefined && (request.shards !== undefined || request.rowsPerShard !== undefined) && request.minShards > shards) {
    throw new QuorumError(
      'BAD_REQUEST',
      `minShards ${request.minShards} is more than the ${shards} shard(s) asked for: lower minShards, or ask for more shards`,
      { minShards: request.minShards, shards },
    );
  }
  const members = memberCount(request, shards);
  if (members > limits.maxMembers) {
    throw new QuorumError(
      'TOO_MANY_MEMBERS',
      `${members.toLocaleString('en')} members (${shards} shards × ${request.assign === 'each' || request.mode === 'average' ? request.models.length : 1} kind(s)) is more than MAX_MEMBERS ${limits.maxMembers}: ask for fewer shards or kinds`,
      { members, limit: limits.maxMembers },
    );
  }
  const nativeWidth = features.length;
  const denseWidth = features.reduce((w, f) => w + (f.kind === 'categorical' ? Math.min(f.cardinality ?? 1, request.preprocess.maxOneHot) + 1 : 1), 0);
  const nClasses = checked.target.classes?.length ?? 0;
  const validationRows = checked.target.rows.length - trainRows;
  // The members as prepare() will make them: one over all rows (data-parallel), one kind per shard
  // (spread) or every kind on every shard (each, average), and the baseline on all rows.
  const perShard = Math.ceil(trainRows / shards);
  const groups: { kind: string; params: unknown; rows: number; count: number }[] = [];
  if (request.mode === 'data-parallel') groups.push({ kind: request.models[0].kind, params: request.models[0].params, rows: trainRows, count: 1 });
  else {
    const specs = request.mode === 'average' ? [request.models[0]] : request.models;
    specs.forEach((m, i) => {
      const count = request.assign === 'each' || request.mode === 'average' ? shards : Math.floor(shards / specs.length) + (i < shards % specs.length ? 1 : 0);
      if (count > 0) groups.push({ kind: m.kind, params: m.params, rows: perShard, count });
    });
  }
  if (request.baseline) groups.push({ kind: request.models[0].kind, params: request.models[0].params, rows: trainRows, count: 1 });
  let loaded = 0;
  for (const g of groups) {
    const shape: DataShape = { task: checked.task, rows: g.rows, features: modelKindInfo(g.kind).input === 'dense' ? denseWidth : nativeWidth, nClasses };
    const plan = planModelFit(g.kind, g.params, shape);
    const where = `a '${g.kind}' member on ${g.rows.toLocaleString('en')} rows × ${shape.features} features`;
    if (plan.memoryBytes > limits.fitMemoryBytes) {
      throw new QuorumError(
        'FIT_TOO_LARGE',
        `${where} is estimated at ${mb(plan.memoryBytes)}, over the limit of ${mb(limits.fitMemoryBytes)} (FIT_MEMORY_MB): use smaller parameters or more shards`,
        {
          kind: g.kind,
          estimateBytes: plan.memoryBytes,
          limitBytes: limits.fitMemoryBytes,
        },
      );
    }
    if ((plan.seconds ?? 0) > limits.fitTimeBudgetS) {
      throw new QuorumError(
        'FIT_TOO_SLOW',
        `${where} is estimated to fit in ${duration(plan.seconds!)} on one thread, over the budget of ${duration(limits.fitTimeBudgetS)} (FIT_TIME_BUDGET_S): use fewer trees, rounds or epochs, a smaller depth, or more shards`,
        {
          kind: g.kind,
          estimateSeconds: Math.round(plan.seconds!),
          budgetSeconds: limits.fitTimeBudgetS,
        },
      );
    }
    if ((plan.modelBytes ?? 0) > MAX_ARTIFACT_BYTES) {
      throw new QuorumError(
        'MODEL_TOO_LARGE',
        `${where} would make a model of about ${mb(plan.modelBytes!)}, over the ${mb(MAX_ARTIFACT_BYTES)} one member may store: use fewer trees, a smaller depth or a larger minSamplesLeaf`,
        { kind: g.kind, estimateBytes: plan.modelBytes },
      );
    }
    loaded += g.count * (plan.loadedBytes ?? 0);
  }
  // Evaluation: every member's output on the validation rows, beside the loaded members.
  const loadedMembers = groups.reduce((n, g) => n + g.count, 0);
  const evaluation = loaded + validationRows * Math.max(1, nClasses) * 4 * 2 * (loadedMembers + 1);
  if (evaluation > limits.modelMemoryBytes) {
    throw new QuorumError(
      'MODEL_TOO_LARGE',
      `the job's model (${loadedMembers.toLocaleString('en')} member${loadedMembers > 1 ? 's' : ''}) is estimated to take ${mb(evaluation)} loaded for prediction and evaluation, over the limit of ${mb(limits.modelMemoryBytes)} (MODEL_MEMORY_MB): use fewer trees or members, a smaller depth, a larger minSamplesLeaf, or raise MODEL_MEMORY_MB`,
      { estimateBytes: evaluation, limitBytes: limits.modelMemoryBytes },
    );
  }
}

function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
