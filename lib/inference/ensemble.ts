/**
 * A loaded version: the encoder, the dense transform, every member model, and voting. Predicts
 * from JSON rows by column name or from an encoded matrix, and evaluates itself member by member.
 */
import { applyDense } from '../data/preprocess';
import { RowEncoder } from '../data/encode';
import { alignProbabilities, resolveVoting, type Vote } from '../ensemble';
import { QuorumError } from '../errors';
import { evaluate, headline, score, type Report } from '../metrics';
import { argmaxRow } from '../metrics/classification';
import { decodeArtifact } from '../models/format';
import { resolveModelKind } from '../models/kinds';
import type { Matrix, TrainedModel } from '../models/model';
import type { MemberMeta, VersionMeta } from '../registry/version';

export interface LoadedMember {
  meta: MemberMeta;
  model: TrainedModel;
}

export type RowPrediction =
  | { label: string; probabilities: Record<string, number> }
  | { value: number };

export interface PredictOptions {
  voting?: string;
  /** Include every member's own prediction. */
  members?: boolean;
  strict?: boolean;
}

export interface PredictResult {
  version: string;
  voting: string;
  predictions: RowPrediction[];
  members?: { id: string; kind: string; predictions: (string | number)[] }[];
  voted: number;
  warnings: string[];
}

export class Ensemble {
  readonly encoder: RowEncoder;

  constructor(readonly meta: VersionMeta, readonly members: LoadedMember[]) {
    if (members.length === 0) throw new QuorumError('VERSION_NOT_READY', `version '${meta.id}' has no trained member`);
    this.encoder = new RowEncoder(meta.encoder);
  }

  get width(): number {
    return this.meta.task === 'classification' ? this.meta.classes!.length : 1;
  }

  /** Each member's output for native features, aligned to the version's classes. */
  memberOutputs(x: Matrix): Float32Array[] {
    const dense = this.members.some((m) => m.meta.input === 'dense') ? applyDense(this.meta.dense!, x) : undefined;
    return this.members.map(({ meta, model }) => {
      const out = model.predict(meta.input === 'dense' ? dense! : x);
      return this.meta.task === 'classification' && meta.classes ? alignProbabilities(out, x.rows, meta.classes, this.meta.classes!) : out;
    });
  }

  combine(outputs: Float32Array[], rows: number, voting = this.meta.voting): Float32Array {
    const rule = resolveVoting(voting, this.meta.task);
    const votes: Vote[] = outputs.map((output, i) => ({ output, weight: this.members[i].meta.weight ?? 1 }));
    return rule.combine(votes, rows, this.width);
  }

  predictRows(rows: readonly Record<string, unknown>[], options: PredictOptions = {}): PredictResult {
    const voting = options.voting ?? this.meta.voting;
    resolveVoting(voting, this.meta.task);
    const { x, warnings } = this.encoder.encode(rows, { strict: options.strict, ignore: [this.meta.target] });
    const outputs = this.memberOutputs(x);
    const combined = this.combine(outputs, x.rows, voting);
    const result: PredictResult = {
      version: this.meta.id,
      voting,
      predictions: this.format(combined, x.rows),
      voted: outputs.length,
      warnings,
    };
    if (options.members) {
      result.members = outputs.map((out, i) => ({
        id: this.members[i].meta.id,
        kind: this.members[i].meta.kind,
        predictions: this.labels(out, x.rows),
      }));
    }
    return result;
  }

  /** Plain labels (classification) or values, one per row. */
  labels(output: Float32Array, rows: number): (string | number)[] {
    const out: (string | number)[] = new Array(rows);
    if (this.meta.task === 'regression') for (let r = 0; r < rows; r++) out[r] = output[r];
    else for (let r = 0; r < rows; r++) out[r] = this.meta.classes![argmaxRow(output, r, this.width)];
    return out;
  }

  format(output: Float32Array, rows: number): RowPrediction[] {
    const out: RowPrediction[] = new Array(rows);
    if (this.meta.task === 'regression') {
      for (let r = 0; r < rows; r++) out[r] = { value: output[r] };
      return out;
    }
    const classes = this.meta.classes!;
    const k = classes.length;
    for (let r = 0; r < rows; r++) {
      const probabilities: Record<string, number> = {};
      for (let c = 0; c < k; c++) probabilities[classes[c]] = Math.round(output[r * k + c] * 1e6) / 1e6;
      out[r] = { label: classes[argmaxRow(output, r, k)], probabilities };
    }
    return out;
  }

  /** The ensemble and each member alone on labelled rows (native features). */
  evaluate(x: Matrix, y: Float32Array, voting = this.meta.voting): { report: Report; members: { id: string; kind: string; metrics: Record<string, number | null>; score: number }[] } {
    const outputs = this.memberOutputs(x);
    const report = evaluate(this.meta.task, y, this.combine(outputs, x.rows, voting), this.meta.classes);
    const members = outputs.map((out, i) => {
      const r = evaluate(this.meta.task, y, out, this.meta.classes);
      return { id: this.members[i].meta.id, kind: this.members[i].meta.kind, metrics: headline(r), score: score(r) };
    });
    return { report, members };
  }

  dispose(): void {
    for (const m of this.members) m.model.dispose();
  }
}

/** Builds an ensemble from version metadata and a reader of member artifacts. */
export async function loadEnsemble(meta: VersionMeta, read: (memberId: string) => Promise<Uint8Array>, options: { tfBackend?: string } = {}): Promise<Ensemble> {
  const members: LoadedMember[] = [];
  try {
    for (const m of meta.members) {
      const artifact = decodeArtifact(await read(m.id));
      const kind = resolveModelKind(artifact.kind);
      await kind.init?.({ backend: options.tfBackend });
      members.push({ meta: m, model: kind.load(artifact) });
    }
  } catch (err) {
    members.forEach((m) => m.model.dispose());
    throw err;
  }
  return new Ensemble(meta, members);
}
