import type { VotingRule } from '../rule';

export const softVoting: VotingRule = {
  name: 'soft',
  description: "mean of the members' class probabilities",
  tasks: ['classification'],
  combine(votes, rows, width) {
    const out = new Float32Array(rows * width);
    for (const v of votes) for (let i = 0; i < out.length; i++) out[i] += v.output[i];
    for (let i = 0; i < out.length; i++) out[i] /= votes.length;
    return out;
  },
};
