/**
 * Binning's fast paths (small integers counted in one pass, few distinct values hashed, codes
 * through a table of integers) give what sorting every column and searching every value gives:
 * an oracle written here the plain way, on columns that take each path — and its edge cases
 * (missing values, ±Infinity, −0, integer columns wider than the count range, more rows than the
 * binning sample).
 */
import { binMatrix, fitBins, type Bins } from '../../../../lib/models/trees/binning';
import type { Matrix } from '../../../../lib/models/model';
import { Rng } from '../../../../lib/util/random';

/** The edges of one feature's values, the plain way: sort the finite values, then place edges. */
function oracleEdges(values: number[], maxBins: number): number[] {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const distinct: number[] = [];
  const count: number[] = [];
  for (const v of finite) {
    if (distinct.length && distinct[distinct.length - 1] === v) count[count.length - 1]++;
    else {
      distinct.push(v);
      count.push(1);
    }
  }
  const k = distinct.length;
  const n = finite.length;
  const out: number[] = [];
  let bin = 0;
  let below = count[0];
  for (let j = 1; j < k; j++) {
    const target = k <= maxBins ? bin + 1 : Math.floor((below * maxBins) / n);
    below += count[j];
    if (target <= bin || out.length >= maxBins - 1) continue;
    bin = target;
    const mid = Math.fround(distinct[j - 1] + (distinct[j] - distinct[j - 1]) / 2);
    out.push(mid < distinct[j] && mid >= distinct[j - 1] ? mid : Math.fround(distinct[j - 1]));
  }
  return out;
}

/** The code of a value the plain way: NaN the missing code, else the first edge ≥ v. */
function oracleCode(edges: number[], v: number): number {
  if (Number.isNaN(v)) return edges.length + 1;
  const i = edges.findIndex((e) => e >= v);
  return i < 0 ? edges.length : i;
}

function matrix(columns: number[][]): Matrix {
  const rows = columns[0].length;
  const cols = columns.length;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let f = 0; f < cols; f++) data[r * cols + f] = columns[f][r];
  return { rows, cols, data };
}

function featureEdges(bins: Bins, f: number): number[] {
  return Array.from(bins.edges.subarray(bins.edgeStart[f], bins.edgeStart[f + 1]));
}

describe('binning: fast paths against sorting and searching', () => {
  const rng = new Rng(21);
  const n = 3000;
  const f32 = (v: number) => Math.fround(v);
  const columns: Record<string, number[]> = {
    smallInts: Array.from({ length: n }, () => Math.floor(rng.float() * 40) - 10),
    ints0to999: Array.from({ length: n }, () => Math.floor(rng.float() * 1000)),
    wideInts: Array.from({ length: n }, () => Math.floor(rng.float() * 200_000)), // wider than the count range
    rates: Array.from({ length: n }, () => f32([-3.4, -1.8, -0.1, 1.1, 1.4][Math.floor(rng.float() * 5)])), // few distinct, fractional
    continuous: Array.from({ length: n }, () => f32(rng.float() * 100 - 50)), // many distinct: sorted
    withMissing: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? NaN : Math.floor(rng.float() * 6))),
    withInfinity: Array.from({ length: n }, (_, i) => (i % 11 === 0 ? Infinity : i % 13 === 0 ? -Infinity : Math.floor(rng.float() * 9))),
    signedZeros: Array.from({ length: n }, (_, i) => (i % 2 ? -0 : i % 3 ? 0 : f32(0.5))),
    fractionalMissing: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? NaN : f32(Math.floor(rng.float() * 30) / 4))),
    allMissing: Array.from({ length: n }, () => NaN),
    constant: Array.from({ length: n }, () => 7),
  };
  const names = Object.keys(columns);
  const x = matrix(names.map((k) => columns[k]));

  for (const maxBins of [255, 16, 2]) {
    it(`edges at maxBins ${maxBins} are the sorted oracle's, feature by feature`, () => {
      const bins = fitBins(x, maxBins, 1);
      names.forEach((name, f) => expect([name, featureEdges(bins, f)]).toEqual([name, oracleEdges(columns[name], maxBins)]));
    });
  }

  it("codes are the search oracle's, for training values and for values between and beyond the edges", () => {
    const bins = fitBins(x, 16, 1);
    const probe = matrix(names.map((name) => columns[name].map((v, i) => (i % 3 === 0 ? v + 0.5 : i % 3 === 1 ? -v * 2 : v))));
    for (const m of [x, probe]) {
      const codes = binMatrix(m, bins);
      names.forEach((name, f) => {
        const edges = featureEdges(bins, f);
        const got = Array.from({ length: m.rows }, (_, r) => codes[r * m.cols + f]);
        const want = Array.from({ length: m.rows }, (_, r) => oracleCode(edges, m.data[r * m.cols + f]));
        expect([name, got]).toEqual([name, want]);
      });
    }
  });

  it('more rows than the binning sample: the edges of the sampled rows, seeded', () => {
    const rows = 200_500;
    const r2 = new Rng(3);
    const big = matrix([Array.from({ length: rows }, () => Math.floor(r2.float() * 500)), Array.from({ length: rows }, () => f32(r2.float()))]);
    const a = fitBins(big, 64, 9);
    const b = fitBins(big, 64, 9);
    expect(Buffer.from(a.edges.buffer).equals(Buffer.from(b.edges.buffer))).toBe(true);
    expect(a.edgeStart[1]).toBe(63);
    expect(a.edgeStart[2] - a.edgeStart[1]).toBe(63);
  });
});
