/**
 * The dataset profile: per column its type, role, missing and distinct counts, min/max/mean/std
 * or most frequent values — what the API returns after an ingest and the dashboard shows.
 *
 * Roles (first rule that applies):
 * - `ignored`: named in `ignore`;
 * - `empty`: every value missing;
 * - `constant`: one value and nothing missing (one value plus missing cells is kept: whether a
 *   value is there can itself be informative);
 * - `identifier`: unique per row — text with ≥ 99 % distinct values in ≥ 50 % filled rows, or whole
 *   numbers, none missing, all distinct, in strictly increasing or decreasing file order or in a
 *   column named like an id (`Id`, `PassengerId`, `customer_id`…); needs ≥ 20 rows, since in a tiny
 *   table everything is unique;
 * - `feature` otherwise.
 *
 * Distinct counts are exact, except for numeric columns of more than {@link EXACT_DISTINCT_ROWS}
 * rows with more than 4,096 distinct values that are neither monotone nor named like an id: there
 * a HyperLogLog estimate (±1.6 %) saves a hash set of millions of floats, and `distinctApprox` says so.
 */
import { QuorumError } from '../errors';
import { fmtInt } from './csv/messages';
import { filterRows } from './table';
import type { Column, ColumnProfile, ColumnRole, IngestResult, Table, TargetSummary, Task } from './table';
import { resolveTarget } from './target';

// Module constants rather than globals: a global lookup is slow inside a vm context (jest runs tests in one).
const imul = Math.imul;
const floor = Math.floor;
const clz32 = Math.clz32;

/** Below this many rows no column is called an identifier. */
export const IDENTIFIER_MIN_ROWS = 20;
const TOP_VALUES = 10;

export interface ProfileOptions {
  /** Columns the user asked to drop (role 'ignored'). */
  ignore?: readonly string[];
  /** Exact distinct counts already known, index-aligned with the columns (skips a pass). */
  distinct?: readonly (number | undefined)[];
}

const ID_NAME = /^(id|idx|index|key|uuid|guid|row_?(id|num|number)?)$|[_\s.-]id$/i;
const ID_SUFFIX = /[a-z]I[dD]$/;

/** True when `name` reads like an identifier column's name. */
export function looksLikeIdName(name: string): boolean {
  return ID_NAME.test(name) || ID_SUFFIX.test(name);
}

const EMPTY_SLOT = NaN;
/** The exact hash set below stops at this many distinct values and sorts a copy instead. */
const HASH_DISTINCT_LIMIT = 1 << 21;
const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);

/** Number of distinct non-NaN values (exact). */
export function countDistinct(values: Float64Array): number {
  let slots = new Float64Array(1024).fill(EMPTY_SLOT);
  let mask = slots.length - 1;
  let size = 0;
  const insert = (table: Float64Array, m: number, v: number): boolean => {
    F64[0] = v;
    let h = imul(I32[0] ^ imul(I32[1], 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    for (let s = h & m; ; s = (s + 1) & m) {
      const k = table[s];
      if (k !== k) {
        table[s] = v;
        return true;
      }
      if (k === v) return false;
    }
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    if (insert(slots, mask, v === 0 ? 0 : v) && ++size * 2 > slots.length) {
      if (size > HASH_DISTINCT_LIMIT) return countDistinctBySort(values);
      const bigger = new Float64Array(slots.length * 2).fill(EMPTY_SLOT);
      for (let s = 0; s < slots.length; s++) if (slots[s] === slots[s]) insert(bigger, bigger.length - 1, slots[s]);
      slots = bigger;
      mask = slots.length - 1;
    }
  }
  return size;
}

function countDistinctBySort(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort(); // NaN sorts last
  let n = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i] !== sorted[i]) break;
    if (i === 0 || sorted[i] !== sorted[i - 1]) n++;
  }
  return n;
}

/** Columns longer than this get an estimated distinct count unless an exact one matters. */
export const EXACT_DISTINCT_ROWS = 100_000;
const HLL_BITS = 12;

/**
 * Estimated number of distinct non-NaN values (HyperLogLog, 4,096 registers: about 1.6 % standard
 * error). One cheap pass instead of a hash set holding millions of floats.
 */
export function estimateDistinct(values: Float64Array): number {
  const m = 1 << HLL_BITS;
  const registers = new Uint8Array(m);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    F64[0] = v === 0 ? 0 : v;
    let h = imul(I32[0] ^ imul(I32[1], 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    const j = h >>> (32 - HLL_BITS);
    const rank = clz32((h << HLL_BITS) | (1 << (HLL_BITS - 1))) + 1;
    if (rank > registers[j]) registers[j] = rank;
  }
  let sum = 0;
  let zeros = 0;
  for (let j = 0; j < m; j++) {
    sum += 2 ** -registers[j];
    if (registers[j] === 0) zeros++;
  }
  const estimate = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
  return Math.round(estimate <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : estimate);
}

interface NumericFacts {
  missing: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  integral: boolean;
  monotone: boolean;
}

function numericFacts(values: Float64Array): NumericFacts {
  let missing = 0;
  let min = Infinity;
  let max = -Infinity;
  let n = 0;
  // sums of (v - shift): a shift near the values keeps the variance exact for epoch milliseconds
  let shift = NaN;
  let sum = 0;
  let sumSq = 0;
  let integral = true;
  let up = true;
  let down = true;
  let monotone = true;
  let last = NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) {
      missing++;
      continue;
    }
    if (shift !== shift) shift = v;
    if (v < min) min = v;
    if (v > max) max = v;
    n++;
    const d = v - shift;
    sum += d;
    sumSq += d * d;
    if (integral && floor(v) !== v) integral = false;
    if (monotone) {
      // checked only while still possible: on shuffled data the branch would mispredict every row
      if (v <= last) up = false;
      if (v >= last) down = false;
      monotone = up || down || last !== last;
      last = v;
    }
  }
  const mean = n > 0 ? shift + sum / n : NaN;
  const variance = n > 1 ? Math.max(0, (sumSq - (sum * sum) / n) / (n - 1)) : 0;
  return { missing, min, max, mean, std: Math.sqrt(variance), integral, monotone: n > 1 && monotone && (up || down) };
}

/** Longest value a profile echoes (in characters); a longer one is cut and marked with `…`. */
export const MAX_PROFILE_VALUE_CHARS = 200;

function topValues(counts: Float64Array, label: (code: number) => string): { value: string; count: number }[] {
  const order = Array.from(counts.keys()).filter((c) => counts[c] > 0);
  order.sort((a, b) => counts[b] - counts[a] || a - b);
  return order.slice(0, TOP_VALUES).map((c) => {
    const value = label(c);
    return { value: value.length > MAX_PROFILE_VALUE_CHARS ? `${value.slice(0, MAX_PROFILE_VALUE_CHARS - 1)}…` : value, count: counts[c] };
  });
}

function roleOf(p: ColumnProfile, nRows: number, ignored: boolean, facts?: NumericFacts): { role: ColumnRole; note?: string } {
  const filled = nRows - p.missing;
  if (ignored) return { role: 'ignored', note: 'ignored by request' };
  if (filled === 0) return { role: 'empty', note: `all ${fmtInt(nRows)} values are missing` };
  if (p.distinct === 1 && p.missing === 0) return { role: 'constant', note: 'the same value in every row' };
  if (nRows >= IDENTIFIER_MIN_ROWS) {
    if (p.type === 'categorical' && filled >= nRows / 2 && p.distinct >= 0.99 * filled) {
      return { role: 'identifier', note: `identifier-like: ${fmtInt(p.distinct)} distinct values in ${fmtInt(filled)} rows` };
    }
    if (p.type === 'numeric' && facts && facts.integral && p.missing === 0 && p.distinct === nRows && (facts.monotone || looksLikeIdName(p.name))) {
      return {
        role: 'identifier',
        note: `identifier-like: whole numbers, all distinct${facts.monotone ? ', in file order' : ''}`,
      };
    }
  }
  return { role: 'feature' };
}

function profileColumn(c: Column, nRows: number, ignored: boolean, knownDistinct?: number): ColumnProfile {
  if (c.type === 'categorical') {
    const counts = new Float64Array(c.categories.length);
    let missing = 0;
    for (let r = 0; r < nRows; r++) {
      const code = c.codes[r];
      if (code < 0) missing++;
      else counts[code]++;
    }
    let distinct = 0;
    for (let k = 0; k < counts.length; k++) if (counts[k] > 0) distinct++;
    const p: ColumnProfile = {
      name: c.name,
      type: 'categorical',
      role: 'feature',
      missing,
      distinct,
      top: topValues(counts, (k) => c.categories[k]),
    };
    return { ...p, ...roleOf(p, nRows, ignored) };
  }
  const facts = numericFacts(c.values);
  const filled = nRows - facts.missing;
  let distinct = knownDistinct;
  let approximate = false;
  if (distinct === undefined) {
    if (facts.monotone) {
      distinct = filled; // strictly increasing or decreasing: all different
    } else if (filled <= EXACT_DISTINCT_ROWS || (facts.integral && facts.missing === 0 && looksLikeIdName(c.name))) {
      distinct = countDistinct(c.values);
    } else {
      distinct = estimateDistinct(c.values);
      approximate = true;
    }
  }
  const p: ColumnProfile = {
    name: c.name,
    type: c.type,
    role: 'feature',
    missing: facts.missing,
    distinct,
    ...(approximate ? { distinctApprox: true } : {}),
  };
  if (facts.missing < nRows) {
    Object.assign(p, { min: facts.min, max: facts.max, mean: facts.mean, std: facts.std });
  }
  if (c.type === 'boolean') {
    const counts = new Float64Array(2);
    for (let r = 0; r < nRows; r++) {
      const v = c.values[r];
      if (v === 0) counts[0]++;
      else if (v === 1) counts[1]++;
    }
    const labels = c.labels ?? ['false', 'true'];
    p.top = topValues(counts, (k) => labels[k]);
  }
  const role = roleOf(p, nRows, ignored, facts);
  if (role.role === 'feature' && c.type === 'numeric' && p.distinct === 2 && p.min === 0 && p.max === 1) {
    role.note = 'only 0 and 1: kept numeric (a target like this is read as two classes)';
  }
  return { ...p, ...role };
}

/** Profiles every column of `table` (one pass per column, plus a distinct count where unknown). */
export function profileTable(table: Table, options: ProfileOptions = {}): ColumnProfile[] {
  const ignore = new Set(options.ignore ?? []);
  return table.columns.map((c, i) => profileColumn(c, table.nRows, ignore.has(c.name), options.distinct?.[i]));
}

/**
 * Chooses `name` as the target of `result`: drops (and counts) the rows where it is missing,
 * infers the task unless given and reports the class balance — with the rules of
 * `resolveTarget` (lib/data/target.ts), which training uses, so both always agree — then
 * re-profiles the remaining rows. Columns ignored at ingest stay ignored. `result` is not modified.
 *
 * Throws UNKNOWN_COLUMN, BAD_REQUEST (an ignored column, too many classes, an identifier),
 * TARGET_ALL_MISSING, TARGET_ONE_CLASS, TARGET_NOT_NUMERIC (regression on text).
 */
export function withTarget<R extends IngestResult>(result: R, name: string, task?: Task): R {
  const { table } = result;
  const ignore = result.profile.filter((p) => p.role === 'ignored').map((p) => p.name);
  if (ignore.includes(name)) {
    throw new QuorumError('BAD_REQUEST', `the target '${name}' is also in ignore; remove it from one of them`, { column: name });
  }
  if (task !== undefined && task !== 'classification' && task !== 'regression') {
    throw new QuorumError('BAD_REQUEST', `unknown task '${String(task)}': use 'classification' or 'regression'`);
  }
  const resolved = resolveTarget(table, result.profile, name, task);
  let filtered = table;
  if (resolved.dropped > 0) {
    const keep = new Uint8Array(table.nRows);
    for (let i = 0; i < resolved.rows.length; i++) keep[resolved.rows[i]] = 1;
    filtered = filterRows(table, keep);
  }
  const profile = resolved.dropped > 0 ? profileTable(filtered, { ignore }) : result.profile;
  const summary: TargetSummary = { name, task: resolved.task, inferred: task === undefined, droppedRows: resolved.dropped };
  if (resolved.balance) summary.classes = resolved.balance;
  const warnings = [...result.warnings];
  if (resolved.dropped > 0) {
    warnings.push(`dropped ${fmtInt(resolved.dropped)} row${resolved.dropped === 1 ? '' : 's'} whose target '${name}' is missing`);
  }
  return { ...result, table: filtered, profile, warnings, target: summary };
}
