/**
 * What voting needs to know about a version without holding its models: the feature encoder, which
 * members vote (baseline members never do), their weights and class lists, and the voting rule.
 * Local voting extends it with loaded models ({@link Ensemble}); broadcast voting uses it alone and
 * gathers the members' outputs from the trainer nodes.
 */
import { RowEncoder, type EncodedRows } from '../data/encode';
import { alignProbabilities, resolveVoting, type Vote } from '../ensemble';
import { QuorumError } from '../errors';
import type { MemberMeta, VersionMeta } from '../registry/version';

export type VotingMode = 'local' | 'broadcast';

/** One member's output for a batch, aligned to the version's classes. */
export interface MemberVote {
  member: MemberMeta;
  /** rows × classes probabilities (classification) or rows values (regression). */
  output: Float32Array;
  /** The trainer node that computed it (broadcast voting). */
  node?: string;
}

/** A member that did not vote, and why (broadcast voting). */
export interface MissingMember {
  member: string;
  node?: string;
  reason: string;
}

export class VersionView {
  readonly encoder: RowEncoder;
  /** Members whose outputs are combined. */
  readonly voters: MemberMeta[];
  /** Members kept as yardsticks (`baseline: true`): evaluated, never voting. */
  readonly baselines: MemberMeta[];
  /** Output columns: the number of classes, or 1 for regression. */
  readonly width: number;

  constructor(readonly meta: VersionMeta) {
    this.voters = meta.members.filter((m) => !m.baseline);
    this.baselines = meta.members.filter((m) => m.baseline);
    if (this.voters.length === 0) throw new QuorumError('VERSION_NOT_READY', `version '${meta.id}' has no trained member that votes`);
    if (meta.task === 'classification' && !meta.classes?.length) throw new QuorumError('BAD_ARTIFACT', `version '${meta.id}' is a classifier without classes`);
    this.width = meta.task === 'classification' ? meta.classes!.length : 1;
    this.encoder = new RowEncoder(meta.encoder);
  }

  get id(): string {
    return this.meta.id;
  }

  /** The rule to use: the request's, or the version's own; UNKNOWN_VOTING_RULE when it does not fit the task. */
  votingName(requested?: string): string {
    const name = requested ?? this.meta.voting;
    resolveVoting(name, this.meta.task);
    return name;
  }

  /** JSON rows by column name → native features (the target column, if sent, is ignored). */
  encodeRows(rows: readonly Record<string, unknown>[], strict?: boolean): EncodedRows {
    return this.encoder.encode(rows, { strict, ignore: [this.meta.target] });
  }

  /** {@link encodeRows} in slices, awaiting `pause` between them (large batches on the event loop). */
  encodeRowsInSlices(rows: readonly Record<string, unknown>[], strict: boolean | undefined, pause: () => Promise<void>): Promise<EncodedRows> {
    return this.encoder.encodeInSlices(rows, { strict, ignore: [this.meta.target] }, pause);
  }

  /** A member's raw model output re-indexed by class label into the version's classes. */
  align(member: MemberMeta, output: Float32Array, rows: number): Float32Array {
    const expected = rows * (this.meta.task === 'classification' ? (member.classes?.length ?? this.width) : 1);
    if (output.length !== expected) {
      throw new QuorumError('INTERNAL', `member '${member.id}' of '${this.meta.id}' returned ${output.length} values for ${rows} rows, expected ${expected}`);
    }
    if (this.meta.task !== 'classification' || !member.classes) return output;
    return alignProbabilities(output, rows, member.classes, this.meta.classes!);
  }

  /** Combines the voters' outputs by `voting` (weights: the members' validation scores). */
  combine(votes: readonly MemberVote[], rows: number, voting: string): Float32Array {
    if (votes.length === 0) throw new QuorumError('QUORUM_NOT_REACHED', `no member of '${this.meta.id}' voted`);
    const rule = resolveVoting(voting, this.meta.task);
    const ruleVotes: Vote[] = votes.map((v) => ({ output: v.output, weight: v.member.weight ?? 1 }));
    return rule.combine(ruleVotes, rows, this.width);
  }
}
