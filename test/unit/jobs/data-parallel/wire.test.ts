/**
 * The data-parallel wire (issue 31): packed histograms round-trip for every byte width and for the
 * empty histogram, cost far less than Float64 for sparse ones, and refuse short or bad bytes; a
 * reduce-scatter over 1..5 in-memory peers (feature blocks, each block summed by its owner) gives
 * the plain sum, whatever the order the parts arrive in. A forest session's node histograms (class
 * counts; regression sums with the target's range raw) round-trip packed.
 */
import { addPackedHistograms, featureBlocks, packHistograms, packNodeHistograms, unpackNodeHistograms } from '../../../../lib/jobs/data-parallel/wire';
import { Rng } from '../../../../lib/util/random';

/** A (Σ g, Σ h) histogram of whole numbers below 2^bits, a share of its bins empty. */
function histogram(bins: number, bits: number, empty: number, rng: Rng): Float64Array {
  const h = new Float64Array(2 * bins);
  const top = 2 ** bits;
  for (let b = 0; b < bins; b++) {
    if (rng.float() < empty) continue;
    h[2 * b] = Math.floor((rng.float() * 2 - 1) * top);
    h[2 * b + 1] = Math.floor(rng.float() * top) + 1;
  }
  return h;
}

describe('packed histograms', () => {
  it('round-trip every width from 1 to 7 bytes, and the empty histogram', () => {
    const rng = new Rng(5);
    for (const bits of [6, 14, 22, 30, 38, 46, 51]) {
      const hists = [histogram(300, bits, 0.3, rng), histogram(300, bits, 0.9, rng), new Float64Array(600)];
      const bytes = packHistograms(hists, 0, 600, 2);
      const back = hists.map(() => new Float64Array(600));
      expect(addPackedHistograms(bytes, back, 0, 600, 2)).toBe(bytes.length);
      back.forEach((b, q) => expect(Array.from(b)).toEqual(Array.from(hists[q])));
      // One width byte and a bitmap of 300 bins for the empty one: 39 bytes, not 4,800.
      const alone = packHistograms([hists[2]], 0, 600, 2);
      expect(alone.length).toBe(1 + Math.ceil(300 / 8));
    }
  });

  it('a block of the bins, scaled values (quantised steps), adding into what is there', () => {
    const rng = new Rng(9);
    const h = histogram(100, 20, 0.5, rng);
    const step = [2 ** -20, 2 ** -30];
    const real = h.map((v, i) => v * step[i % 2]);
    const bytes = packHistograms([real], 40, 120, 2, [2 ** 20, 2 ** 30]);
    const into = new Float64Array(200).fill(1);
    addPackedHistograms(bytes, [into], 40, 120, 2, [2 ** 20, 2 ** 30]);
    for (let i = 0; i < 200; i++) expect(into[i]).toBe(i >= 40 && i < 120 ? 1 + real[i] : 1);
  });

  it('sparse histograms pack to far less than Float64', () => {
    const rng = new Rng(2);
    const h = histogram(5000, 30, 0.8, rng);
    expect(packHistograms([h], 0, h.length, 2).length).toBeLessThan(h.byteLength / 4);
  });

  it('short or malformed bytes are refused, not read past', () => {
    const h = histogram(50, 10, 0, new Rng(1));
    const bytes = packHistograms([h], 0, 100, 2);
    expect(() => addPackedHistograms(bytes.subarray(0, bytes.length - 3), [new Float64Array(100)], 0, 100, 2)).toThrow(/end early/);
    const bad = bytes.slice();
    bad[0] = 9;
    expect(() => addPackedHistograms(bad, [new Float64Array(100)], 0, 100, 2)).toThrow(/width 9/);
  });
});

describe("a forest session's node histograms", () => {
  it('round-trip packed: class counts (stride K + 1), regression sums with their raw range (±Infinity where a node has no rows), no nodes', () => {
    const rng = new Rng(9);
    // Classification: nodes of 40 bins × (K classes + count), bootstrap weights 0..6; K = 26 has
    // more statistics a bin than the default scales have entries.
    for (const K of [4, 26]) {
      const S = K + 1;
      const cls = new Float64Array(3 * 40 * S);
      for (let i = 0; i < cls.length; i++) if (rng.float() < 0.4) cls[i] = Math.floor(rng.float() * 7);
      const packed = packNodeHistograms(cls, 40 * S, S, 0);
      expect(Array.from(unpackNodeHistograms(packed))).toEqual(Array.from(cls));
      expect(packed.length).toBeLessThan(cls.byteLength / 6);
    }
    // Regression: 2 nodes of 30 bins × (Σw, Σw·y, count) + [lo, hi]; y quantised (whole, signed, large).
    const L = 30 * 3 + 2;
    const reg = new Float64Array(2 * L);
    for (let b = 0; b < 30; b++) {
      if (rng.float() < 0.5) continue;
      reg[3 * b] = 3;
      reg[3 * b + 1] = Math.floor((rng.float() * 2 - 1) * 2 ** 45);
      reg[3 * b + 2] = 2;
    }
    reg.set([-12345, 98765], L - 2);
    reg.set([Infinity, -Infinity], 2 * L - 2); // the second node has no rows in this shard
    expect(Array.from(unpackNodeHistograms(packNodeHistograms(reg, L, 3, 2)))).toEqual(Array.from(reg));
    expect(unpackNodeHistograms(packNodeHistograms(new Float64Array(0), L, 3, 2)).length).toBe(0);
  });

  it('refuses values that are not whole numbers (they would not survive the trip)', () => {
    expect(() => packNodeHistograms(Float64Array.from([1, 2.5, 0, 4]), 4, 2, 0)).toThrow(/not a whole number/);
    expect(() => packHistograms([Float64Array.from([1, NaN])], 0, 2, 2)).toThrow(RangeError);
  });

  it('refuses damaged bytes', () => {
    const packed = packNodeHistograms(Float64Array.from([1, 2, 0, 4, 5, 6]), 6, 2, 0);
    expect(() => unpackNodeHistograms(packed.subarray(0, packed.length - 3))).toThrow(RangeError);
    const extra = new Uint8Array(packed.length + 4);
    extra.set(packed);
    expect(() => unpackNodeHistograms(extra)).toThrow(RangeError);
  });
});

describe('reduce-scatter by feature blocks', () => {
  it('over 1..5 peers, in any order of arrival, equals the plain sum', () => {
    const rng = new Rng(17);
    const valueBins = [3, 255, 16, 64, 2, 255, 7];
    const offsets = [0];
    for (const b of valueBins) offsets.push(offsets[offsets.length - 1] + b + 1);
    const L = 2 * offsets[offsets.length - 1];
    for (let peers = 1; peers <= 5; peers++) {
      // Each peer's local sums of 3 nodes' histograms.
      const local = Array.from({ length: peers }, () => Array.from({ length: 3 }, () => histogram(L / 2, 40, 0.4, rng)));
      const plain = Array.from({ length: 3 }, (_, q) => local.reduce((acc, p) => acc.map((v, i) => v + p[q][i]), new Float64Array(L)));
      const blocks = featureBlocks(valueBins, peers);
      expect(blocks).toHaveLength(peers + 1);
      expect(blocks[0]).toBe(0);
      expect(blocks[peers]).toBe(valueBins.length);
      const reduced = Array.from({ length: 3 }, () => new Float64Array(L));
      for (let j = 0; j < peers; j++) {
        const [from, to] = [2 * offsets[blocks[j]], 2 * offsets[blocks[j + 1]]];
        // Block j of every peer's sums, packed, arriving at owner j in a shuffled order.
        const parts = local.map((sums) => packHistograms(sums, from, to, 2));
        const order = parts.map((_, i) => i).sort(() => rng.float() - 0.5);
        for (const u of order) addPackedHistograms(parts[u], reduced, from, to, 2);
      }
      reduced.forEach((r, q) => expect(Array.from(r)).toEqual(Array.from(plain[q])));
    }
  });

  it('blocks are contiguous, balanced by bins, and empty when there are more peers than features', () => {
    expect(featureBlocks([255, 255, 255, 255], 2)).toEqual([0, 2, 4]);
    expect(featureBlocks([1, 1, 1, 1000], 2)).toEqual([0, 3, 4]);
    const many = featureBlocks([5, 5], 4);
    expect(many).toHaveLength(5);
    expect([many[0], many[4]]).toEqual([0, 2]);
    for (let j = 0; j < 4; j++) expect(many[j + 1]).toBeGreaterThanOrEqual(many[j]);
  });
});
