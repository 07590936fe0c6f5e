import { decodeArtifact, encodeArtifact } from '../../../../lib/core/container';
import type { TrainingSet } from '../../../../lib/models/model';
import { svmKind } from '../../../../lib/models/svm';
import { svmPlan } from '../../../../lib/models/svm/params';
import { plattFit, plattProbability, solveSvc } from '../../../../lib/models/svm/solver';
import { Rng } from '../../../../lib/util/random';

const set = (rows: number[][], y: number[], nClasses: number): TrainingSet => ({
  task: nClasses ? 'classification' : 'regression',
  x: { data: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0].length },
  y: Float32Array.from(y),
  nClasses,
  features: rows[0].map((_, i) => ({ name: `f${i}`, kind: 'numeric' as const })),
});
const fit = (s: TrainingSet, raw: Record<string, unknown> = {}) => svmKind.fit(s, svmKind.params(raw), { seed: 1 });
const argmax = (p: Float32Array, K: number, r: number) => {
  let best = 0;
  for (let k = 1; k < K; k++) if (p[r * K + k] > p[r * K + best]) best = k;
  return best;
};

describe('svm (issue 14)', () => {
  it('a separable set with a known margin: hinge loss, large C gives the maximum-margin plane', () => {
    // ±1 at x = ±1 and ±2: the widest margin puts the plane at x = 0 with w = 1 (|w·x + b| = 1 on the nearest points)
    const xs = [-2, -1, 1, 2];
    const rows = { x: Float32Array.from(xs), n: 4, d: 1 };
    const y = Int8Array.from([-1, -1, 1, 1]);
    const sol = solveSvc(rows, y, { C: 1e4, squared: false, maxIter: 10_000, tol: 1e-8, seed: 1 });
    expect(sol.converged).toBe(true);
    // the intercept is regularised with the weights (as LIBLINEAR does): with symmetric data it is 0
    expect(sol.w[0]).toBeCloseTo(1, 3);
    expect(sol.w[1]).toBeCloseTo(0, 3);
  });

  it('one-vs-rest on three blobs: every class right, probabilities sum to 1', async () => {
    const rng = new Rng(2);
    const centres = [
      [0, 4],
      [4, -2],
      [-4, -2],
    ];
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 300; i++) {
      const k = i % 3;
      rows.push([centres[k][0] + rng.normal() * 0.7, centres[k][1] + rng.normal() * 0.7]);
      y.push(k);
    }
    const model = await fit(set(rows, y, 3));
    const p = model.predict({ data: Float32Array.from(centres.flat()), rows: 3, cols: 2 });
    expect([0, 1, 2].map((r) => argmax(p, 3, r))).toEqual([0, 1, 2]);
    for (let r = 0; r < 3; r++) expect(p[r * 3] + p[r * 3 + 1] + p[r * 3 + 2]).toBeCloseTo(1, 5);
    expect(model.summary()).toMatchObject({ kernel: 'linear', loss: 'squared_hinge', outputs: 3 });
  });

  it('rbf through Fourier features separates a ring the linear kernel cannot', async () => {
    const rng = new Rng(4);
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 400; i++) {
      const inner = i % 2 === 0;
      const r = inner ? rng.float() * 0.8 : 1.6 + rng.float() * 0.8;
      const a = rng.float() * 2 * Math.PI;
      rows.push([r * Math.cos(a), r * Math.sin(a)]);
      y.push(inner ? 1 : 0);
    }
    const s = set(rows, y, 2);
    const acc = async (raw: Record<string, unknown>) => {
      const p = (await fit(s, raw)).predict(s.x);
      return y.filter((v, r) => argmax(p, 2, r) === v).length / y.length;
    };
    expect(await acc({ kernel: 'linear' })).toBeLessThan(0.75);
    expect(await acc({ kernel: 'rbf', gamma: 1, nComponents: 300 })).toBeGreaterThan(0.97);
  });

  it("Platt's sigmoid: probabilities rise with the margin and match the labels' shares", () => {
    const f = Float64Array.from({ length: 200 }, (_, i) => (i - 100) / 25);
    const y = Int8Array.from(f, (v, i) => (v > 0 ? (i % 10 === 0 ? -1 : 1) : i % 10 === 0 ? 1 : -1));
    const { a, b } = plattFit(f, y);
    expect(a).toBeLessThan(0);
    expect(plattProbability(3, a, b)).toBeGreaterThan(0.85);
    expect(plattProbability(-3, a, b)).toBeLessThan(0.15);
    expect(plattProbability(0, a, b)).toBeCloseTo(0.5, 1);
  });

  it("ε-insensitive regression recovers a line, in the target's units", async () => {
    const rows = Array.from({ length: 100 }, (_, i) => [i / 10]);
    const model = await fit(
      set(
        rows,
        rows.map(([v]) => 3 * v + 100),
        0,
      ),
      { C: 100, tol: 1e-6, maxIter: 5000 },
    );
    const out = model.predict({ data: Float32Array.from([0, 5]), rows: 2, cols: 1 });
    expect(out[0]).toBeCloseTo(100, 0);
    expect(out[1]).toBeCloseTo(115, 0);
  });

  it('the same seed gives the same artifact; it loads back and predicts the same; damage is refused', async () => {
    const rng = new Rng(9);
    const s = set(
      Array.from({ length: 120 }, () => [rng.normal(), rng.normal(), rng.normal()]),
      Array.from({ length: 120 }, (_, i) => i % 3),
      3,
    );
    const raw = { kernel: 'rbf', nComponents: 50 };
    const a = encodeArtifact((await fit(s, raw)).toArtifact());
    expect(Buffer.compare(a, encodeArtifact((await fit(s, raw)).toArtifact()))).toBe(0);
    const loaded = svmKind.load(decodeArtifact(a));
    expect(Array.from(loaded.predict(s.x))).toEqual(Array.from((await fit(s, raw)).predict(s.x)));
    const art = decodeArtifact(a);
    art.arrays.basisB = (art.arrays.basisB as Float32Array).subarray(1);
    expect(() => svmKind.load(art)).toThrow(/svm Fourier basis/);
  });

  it('params: ranges, unknown keys and a loss of the other task are 400s naming them', () => {
    expect(() => svmKind.params({ C: 0 })).toThrow("svm parameter 'C' is 0: use a number above 0 to 1000000");
    expect(() => svmKind.params({ kernel: 'poly' })).toThrow("svm parameter 'kernel' is \"poly\": use 'linear' or 'rbf'");
    expect(() => svmKind.params({ gamma: 'auto' })).toThrow("svm parameter 'gamma' is \"auto\": use 'scale' or a number above 0");
    expect(() => svmKind.params({ penalty: 'l1' })).toThrow("unknown svm parameter 'penalty'");
    expect(() => svmPlan(svmKind.params({ loss: 'hinge' }), { task: 'regression', rows: 10, features: 2, nClasses: 0 })).toThrow(
      /a regression target takes 'epsilon_insensitive' or 'squared_epsilon_insensitive'/,
    );
  });
});
