/**
 * What each member reads: native features as encoded, the version's dense transform of them
 * (computed once per batch, shared by every dense member), or — for a member trained on a node's
 * own file — that member's own dense transform.
 */
import { applyDense, type DenseSpec } from '../data/preprocess';
import { QuorumError } from '../errors';
import type { Matrix } from '../models/model';
import type { MemberMeta } from '../registry/version';

export type MemberInput = Pick<MemberMeta, 'id' | 'input' | 'dense'>;

/** A function giving each member its input matrix for native features `x`. */
export function memberInputs(versionDense: DenseSpec | undefined, x: Matrix): (member: MemberInput) => Matrix {
  let shared: Matrix | undefined;
  return (member) => {
    if (member.input !== 'dense') return x;
    if (member.dense) return applyDense(member.dense, x);
    if (!versionDense) throw new QuorumError('BAD_ARTIFACT', `member '${member.id}' reads dense features but its version has no dense transform`);
    return (shared ??= applyDense(versionDense, x));
  };
}
