import type { VotingRule } from '../rule';

/** Probabilities (or values) averaged with the members' validation scores as weights. */
export const weightedVoting: VotingRule = {
  name: 'weighted',
  description: 'members weighted by their validation score (accuracy, or 1/RMSE)',
  tasks: ['classification', 'regression'],
  combine(votes, rows, width) {
    const out = new Float32Array(rows * width);
    const weights = votes.map((v) => (Number.isFinite(v.weight) && v.weight > 0 ? v.weight : 0));
    let total = weights.reduce((a, b) => a + b, 0);
    if (total === 0) {
      weights.fill(1);
      total = votes.length;
    }
    votes.forEach((v, m) => {
      const w = weights[m] / total;
      for (let i = 0; i < out.length; i++) out[i] += w * v.output[i];
    });
    return out;
  },
};
