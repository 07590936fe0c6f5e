import { argmaxRow } from '../../metrics/classification';
import type { VotingRule } from '../rule';

/** Each member votes for its most probable class; the output is the share of votes per class. */
export const hardVoting: VotingRule = {
  name: 'hard',
  description: "majority of the members' predicted classes (output: share of votes)",
  tasks: ['classification'],
  combine(votes, rows, width) {
    const out = new Float32Array(rows * width);
    for (const v of votes) for (let r = 0; r < rows; r++) out[r * width + argmaxRow(v.output, r, width)] += 1 / votes.length;
    return out;
  },
};
