import { Rng, deriveSeed } from '../../../lib/util/random';

describe('seeded randomness', () => {
  it('gives the same stream for the same seed and different streams for different seeds', () => {
    const a = new Rng(42),
      b = new Rng(42),
      c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.u32())).not.toEqual(sa);
  });

  it('is roughly uniform and permutations are permutations', () => {
    const r = new Rng(1);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100000; i++) counts[r.int(10)]++;
    for (const n of counts) expect(Math.abs(n - 10000)).toBeLessThan(500);
    const p = Array.from(r.permutation(1000)).sort((x, y) => x - y);
    expect(p).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('derives distinct, stable sub-seeds', () => {
    expect(deriveSeed(7, 1)).toBe(deriveSeed(7, 1));
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(7, i)));
    expect(seeds.size).toBe(1000);
  });
});
