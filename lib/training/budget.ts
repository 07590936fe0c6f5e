/**
 * Checks that need the data and can run before a job is accepted (issue 17), so that a request
 * that would fail, or take the node's memory, is a 400 at POST /api/trainings rather than a failed
 * job later: the sharding column exists, some feature is left, `minShards` is reachable, every
 * kind's task-dependent parameters fit the target, the member count is within MAX_MEMBERS, and
 * each member's estimated fit memory ({@link planModelFit}) is within FIT_MEMORY_MB.
 */
import type { ColumnProfile, Table } from '../data/table';
import { featureInfo, fitEncoder } from '../data/encode';
import { resolveSharding } from '../data/sharding';
import { QuorumError } from '../errors';
import { modelKindInfo, planModelFit } from '../models/kinds';
import type { DataShape } from '../models/model';
import type { Checked } from './prepare';
import type { NormalisedRequest } from './request';

export interface FitLimits {
  /** Largest estimated memory of one member's fit (bytes). */
  fitMemoryBytes: number;
  maxMembers: number;
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
    throw new QuorumError('UNKNOWN_COLUMN', `sharding '${request.sharding}' names no column of the dataset: use '${strategy.name}:<column>' with one of ${table.columns.map((c) => `'${c.name}'`).join(', ')}`, { column: argument });
  }
  const encoder = fitEncoder(table, profile, checked.target.name, { exclude: request.ignore }); // NO_FEATURES when all are ignored
  const features = featureInfo(encoder);
  const trainRows = Math.max(1, Math.floor(checked.target.rows.length * (1 - request.validationFraction)));
  // Without shards or rowsPerShard the count follows the trainers at start: 1 is the largest member.
  const shards = request.shards ?? (request.rowsPerShard ? Math.ceil(trainRows / request.rowsPerShard) : 1);
  if (request.minShards !== undefined && (request.shards !== undefined || request.rowsPerShard !== undefined) && request.minShards > shards) {
    throw new QuorumError('BAD_REQUEST', `minShards ${request.minShards} is more than the ${shards} shard(s) asked for: lower minShards, or ask for more shards`, { minShards: request.minShards, shards });
  }
  const members = memberCount(request, shards);
  if (members > limits.maxMembers) {
    throw new QuorumError('TOO_MANY_MEMBERS', `${members.toLocaleString('en')} members (${shards} shards × ${request.assign === 'each' || request.mode === 'average' ? request.models.length : 1} kind(s)) is more than MAX_MEMBERS ${limits.maxMembers}: ask for fewer shards or kinds`, { members, limit: limits.maxMembers });
  }
  const nativeWidth = features.length;
  const denseWidth = features.reduce((w, f) => w + (f.kind === 'categorical' ? Math.min(f.cardinality ?? 1, request.preprocess.maxOneHot) + 1 : 1), 0);
  const rows = Math.ceil(trainRows / shards);
  const nClasses = checked.target.classes?.length ?? 0;
  for (const m of request.models) {
    const shape: DataShape = { task: checked.task, rows, features: modelKindInfo(m.kind).input === 'dense' ? denseWidth : nativeWidth, nClasses };
    const { memoryBytes } = planModelFit(m.kind, m.params, shape);
    if (memoryBytes > limits.fitMemoryBytes) {
      throw new QuorumError(
        'FIT_TOO_LARGE',
        `a '${m.kind}' member on ${rows.toLocaleString('en')} rows × ${shape.features} features is estimated at ${mb(memoryBytes)}, over the limit of ${mb(limits.fitMemoryBytes)} (FIT_MEMORY_MB): use smaller parameters or more shards`,
        { kind: m.kind, estimateBytes: memoryBytes, limitBytes: limits.fitMemoryBytes },
      );
    }
  }
}
