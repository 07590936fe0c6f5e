import type { VotingRule } from '../rule';

export const medianVoting: VotingRule = {
  name: 'median',
  description: "median of the members' predictions (regression; robust to one bad member)",
  tasks: ['regression'],
  combine(votes, rows) {
    const out = new Float32Array(rows);
    const column = new Float64Array(votes.length);
    const mid = votes.length >> 1;
    for (let r = 0; r < rows; r++) {
      votes.forEach((v, m) => (column[m] = v.output[r]));
      column.sort();
      out[r] = votes.length % 2 ? column[mid] : (column[mid - 1] + column[mid]) / 2;
    }
    return out;
  },
};
