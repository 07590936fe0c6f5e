import { alignProbabilities, resolveVoting } from '../../../lib/ensemble';

// Two rows, three classes, three members — every expected number below is computed by hand.
const a = new Float32Array([0.6, 0.3, 0.1, 0.2, 0.2, 0.6]);
const b = new Float32Array([0.1, 0.5, 0.4, 0.3, 0.4, 0.3]);
const c = new Float32Array([0.1, 0.6, 0.3, 0.1, 0.1, 0.8]);
const round = (x: Float32Array) => Array.from(x, (v) => +v.toFixed(4));

describe('voting rules (issue 6)', () => {
  it('soft: mean probability', () => {
    const out = resolveVoting('soft', 'classification').combine(
      [a, b, c].map((output) => ({ output, weight: 1 })),
      2,
      3,
    );
    expect(round(out)).toEqual([0.2667, 0.4667, 0.2667, 0.2, 0.2333, 0.5667]);
  });

  it('hard: share of majority votes', () => {
    // row 0 votes: a→0, b→1, c→1; row 1: a→2, b→1, c→2
    const out = resolveVoting('hard', 'classification').combine(
      [a, b, c].map((output) => ({ output, weight: 1 })),
      2,
      3,
    );
    expect(round(out)).toEqual([0.3333, 0.6667, 0, 0, 0.3333, 0.6667]);
  });

  it('weighted: probabilities weighted by validation score', () => {
    // weights 3, 1, 0 → a counts 3/4, b 1/4, c nothing
    const out = resolveVoting('weighted', 'classification').combine(
      [
        { output: a, weight: 3 },
        { output: b, weight: 1 },
        { output: c, weight: 0 },
      ],
      2,
      3,
    );
    expect(round(out)).toEqual([0.475, 0.35, 0.175, 0.225, 0.25, 0.525]);
  });

  it('regression: mean and median', () => {
    const votes = [new Float32Array([1, 10]), new Float32Array([2, 20]), new Float32Array([9, 30])].map((output) => ({ output, weight: 1 }));
    expect(round(resolveVoting('mean', 'regression').combine(votes, 2, 1))).toEqual([4, 20]);
    expect(round(resolveVoting('median', 'regression').combine(votes, 2, 1))).toEqual([2, 20]);
  });

  it('refuses unknown rules and rules of the other task, listing valid names', () => {
    expect(() => resolveVoting('mode', 'classification')).toThrow(/'soft', 'hard' or 'weighted'/);
    expect(() => resolveVoting('median', 'classification')).toThrow(expect.objectContaining({ code: 'UNKNOWN_VOTING_RULE' }));
  });

  it('aligns a member that never saw a class by label, never by position', () => {
    // the member knows only classes B and C (in that order); the ensemble knows A, B, C
    const member = new Float32Array([0.7, 0.3, 0.1, 0.9]);
    expect(round(alignProbabilities(member, 2, ['B', 'C'], ['A', 'B', 'C']))).toEqual([0, 0.7, 0.3, 0, 0.1, 0.9]);
    const swapped = alignProbabilities(new Float32Array([0.2, 0.8]), 1, ['C', 'A'], ['A', 'B', 'C']);
    expect(round(swapped)).toEqual([0.8, 0, 0.2]);
  });
});
