import type { VotingRule } from '../rule';

export const meanVoting: VotingRule = {
  name: 'mean',
  description: "mean of the members' predictions (regression)",
  tasks: ['regression'],
  combine(votes, rows) {
    const out = new Float32Array(rows);
    for (const v of votes) for (let r = 0; r < rows; r++) out[r] += v.output[r] / votes.length;
    return out;
  },
};
