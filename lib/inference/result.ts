/**
 * The answer to a prediction, in two equal forms: plain objects for callers inside the cluster
 * (`inference.predict`), and JSON text written straight from the typed arrays for HTTP. The text
 * form skips a per-row object per class (for 10,000 rows of 26 classes, building and serialising
 * those objects cost more than the forests' votes), and `JSON.parse(predictionJson(p))` deep-equals
 * `predictionObject(p)` (tested).
 */
import { argmaxRow } from '../metrics/classification';
import { maxRowBytes, num, round6, TextBytes } from './text-bytes';
import type { MemberVote, MissingMember, VersionView, VotingMode } from './version-view';

export type RowPrediction = { label: string; probabilities: Record<string, number> } | { value: number };

export interface PredictResult {
  version: string;
  name: string;
  voting: string;
  mode: VotingMode;
  /** Members that voted. */
  voted: number;
  /** Members that vote in this version (baseline members excluded). */
  expected: number;
  predictions: RowPrediction[];
  /** With `members: true`: each voter's own prediction per row (its vote). */
  members?: { id: string; kind: string; node?: string; predictions: (string | number)[] }[];
  /** Broadcast voting: members that did not vote, and why. */
  missing?: MissingMember[];
  warnings: string[];
}

/** A prediction before it is shaped for the caller. */
export interface Prediction {
  view: VersionView;
  voting: string;
  mode: VotingMode;
  rows: number;
  /** The combined output (rows × width). */
  combined: Float32Array;
  votes: MemberVote[];
  missing: MissingMember[];
  warnings: string[];
  /** Include each member's vote. */
  withMembers: boolean;
}

function memberLabels(p: Prediction, vote: MemberVote): (string | number)[] {
  const { view, rows } = p;
  const out: (string | number)[] = new Array(rows);
  if (view.meta.task === 'regression') for (let r = 0; r < rows; r++) out[r] = vote.output[r];
  else for (let r = 0; r < rows; r++) out[r] = view.meta.classes![argmaxRow(vote.output, r, view.width)];
  return out;
}

function head(p: Prediction): Omit<PredictResult, 'predictions' | 'members' | 'missing' | 'warnings'> {
  return { version: p.view.id, name: p.view.meta.name, voting: p.voting, mode: p.mode, voted: p.votes.length, expected: p.view.voters.length };
}

/** The answer as objects. */
export function predictionObject(p: Prediction): PredictResult {
  const { view, rows, combined } = p;
  const predictions: RowPrediction[] = new Array(rows);
  if (view.meta.task === 'regression') {
    for (let r = 0; r < rows; r++) predictions[r] = { value: combined[r] };
  } else {
    const classes = view.meta.classes!;
    const k = classes.length;
    for (let r = 0; r < rows; r++) {
      const probabilities: Record<string, number> = {};
      for (let c = 0; c < k; c++) probabilities[classes[c]] = round6(combined[r * k + c]);
      predictions[r] = { label: classes[argmaxRow(combined, r, k)], probabilities };
    }
  }
  const result: PredictResult = { ...head(p), predictions, warnings: p.warnings };
  if (p.withMembers)
    result.members = p.votes.map((v) => ({ id: v.member.id, kind: v.member.kind, ...(v.node ? { node: v.node } : {}), predictions: memberLabels(p, v) }));
  if (p.missing.length) result.missing = p.missing;
  return result;
}

const ZEROS = '000000';

/**
 * `num(round6(v))` for a probability, written from the integer count of millionths: the same
 * text (two decimals with at most six places that differ are at least 1e-6 apart, so the shortest
 * spelling of k / 1e6 is k's six digits without trailing zeros), about three times faster than
 * printing the double — which dominated the JSON of large batches.
 */
export function probabilityText(v: number): string {
  const n = Math.round(v * 1e6);
  if (!(n > 0 && n < 1e6)) return num(round6(v));
  const digits = String(n);
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48) end--;
  return `0.${ZEROS.slice(digits.length)}${digits.slice(0, end)}`;
}

/** The same answer as JSON text (UTF-8 bytes), built in one pass over the typed arrays. */
const CLOSE = Buffer.from('}}');

export function predictionJson(p: Prediction): Buffer {
  const { view, rows, combined } = p;
  const out = new TextBytes();
  const h = head(p);
  out.text(
    `{"version":${JSON.stringify(h.version)},"name":${JSON.stringify(h.name)},"voting":${JSON.stringify(h.voting)},"mode":${JSON.stringify(h.mode)},"voted":${h.voted},"expected":${h.expected},"predictions":[`,
  );
  if (view.meta.task === 'regression') {
    for (let r = 0; r < rows; r++) out.text(`${r ? ',' : ''}{"value":${num(combined[r])}}`);
  } else {
    const classes = view.meta.classes!;
    const k = classes.length;
    const firstLabels = classes.map((c) => Buffer.from(`{"label":${JSON.stringify(c)},"probabilities":{`));
    const nextLabels = classes.map((c) => Buffer.from(`,{"label":${JSON.stringify(c)},"probabilities":{`));
    // Keys of an object keep insertion order except integer-like ones, which JSON.parse puts first
    // in ascending order: write them in that order too, so that text and objects agree exactly.
    const order = keyOrder(classes);
    const keys = order.map((c, i) => Buffer.from(`${i ? ',' : ''}${JSON.stringify(classes[c])}:`));
    const zeroKeys = order.map((c, i) => Buffer.from(`${i ? ',' : ''}${JSON.stringify(classes[c])}:0`));
    const rowMax = maxRowBytes(nextLabels, keys, CLOSE);
    // Room for every row at once (at most 32 MB ahead), rather than growing and copying 7 times for 10,000 rows.
    out.room(Math.min(rows * rowMax, 32 << 20));
    for (let r = 0; r < rows; r++) {
      const label = argmaxRow(combined, r, k);
      out.row(r ? nextLabels[label] : firstLabels[label], keys, zeroKeys, combined, r * k, order, CLOSE, rowMax);
    }
  }
  out.text(']');
  if (p.withMembers) {
    const members = p.votes.map((v) => ({ id: v.member.id, kind: v.member.kind, ...(v.node ? { node: v.node } : {}), predictions: memberLabels(p, v) }));
    out.text(`,"members":${JSON.stringify(members)}`);
  }
  if (p.missing.length) out.text(`,"missing":${JSON.stringify(p.missing)}`);
  out.text(`,"warnings":${JSON.stringify(p.warnings)}}`);
  return out.done();
}

/** Class indices in the order a JavaScript object lists them as keys. */
export function keyOrder(classes: readonly string[]): number[] {
  const isIndex = (s: string) => /^(0|[1-9]\d*)$/.test(s) && Number(s) < 4294967295;
  const indices = classes.map((_, i) => i);
  const numeric = indices.filter((i) => isIndex(classes[i])).sort((a, b) => Number(classes[a]) - Number(classes[b]));
  return numeric.concat(indices.filter((i) => !isIndex(classes[i])));
}
