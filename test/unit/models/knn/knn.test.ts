import { decodeArtifact, encodeArtifact } from '../../../../lib/core/container';
import { knnKind, KnnModel } from '../../../../lib/models/knn';
import { knnPlan } from '../../../../lib/models/knn/params';
import { KnnIndex } from '../../../../lib/models/knn/search';
import type { TrainingSet } from '../../../../lib/models/model';
import { Rng } from '../../../../lib/util/random';

const set = (rows: number[][], y: number[], nClasses = 2): TrainingSet => ({
  task: nClasses ? 'classification' : 'regression',
  x: { data: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0].length },
  y: Float32Array.from(y),
  nClasses,
  features: rows[0].map((_, i) => ({ name: `f${i}`, kind: 'numeric' as const })),
});
const fit = (s: TrainingSet, raw: Record<string, unknown> = {}) => knnKind.fit(s, knnKind.params(raw), { seed: 1 });
const m = (rows: number[][]) => ({ data: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0].length });

describe('knn (issue 14)', () => {
  // Five points on a line: 0, 1, 2, 10, 11 with classes a a b b b.
  const line = set([[0], [1], [2], [10], [11]], [0, 0, 1, 1, 1]);

  it('hand-computed neighbours: the k nearest vote, shares are the probabilities', async () => {
    const k3 = await fit(line, { k: 3 });
    // query 0.4: neighbours 0 (0.4), 1 (0.6), 2 (1.6) → a, a, b
    expect(Array.from(k3.predict(m([[0.4]])))).toEqual([expect.closeTo(2 / 3, 6), expect.closeTo(1 / 3, 6)]);
    // query 9: 10 (1), 11 (2), 2 (7) → b, b, b
    expect(Array.from(k3.predict(m([[9]])))).toEqual([0, 1]);
  });

  it('distance weights: 1/d, and an exact match takes all the weight', async () => {
    const w = await fit(line, { k: 3, weights: 'distance' });
    const [a, b] = w.predict(m([[0.4]]));
    const wa = 1 / 0.4 + 1 / 0.6;
    const wb = 1 / 1.6;
    expect(a).toBeCloseTo(wa / (wa + wb), 5);
    expect(b).toBeCloseTo(wb / (wa + wb), 5);
    expect(Array.from(w.predict(m([[2]])))).toEqual([0, 1]);
  });

  it('manhattan and cosine metrics pick the neighbours their distance says', () => {
    // from the origin: (3,0) is 3 away by both; (2,2) is 2.83 euclidean but 4 manhattan
    const pts = Float32Array.from([3, 0, 2, 2]);
    const idx = new Int32Array(1);
    const dist = new Float64Array(1);
    new KnnIndex(pts, 2, 2, 'euclidean', false, 1).query(Float32Array.from([0, 0]), 1, idx, dist);
    expect([idx[0], dist[0]]).toEqual([1, expect.closeTo(Math.SQRT2 * 2, 5)]);
    new KnnIndex(pts, 2, 2, 'manhattan', false, 1).query(Float32Array.from([0, 0]), 1, idx, dist);
    expect([idx[0], dist[0]]).toEqual([0, 3]);
    // cosine: direction only — (10, 1) is nearer (1, 0) than (1, 1) is, whatever the lengths
    new KnnIndex(Float32Array.from([1, 1, 10, 1]), 2, 2, 'cosine', false, 1).query(Float32Array.from([1, 0]), 1, idx, dist);
    expect(idx[0]).toBe(1);
    expect(dist[0]).toBeCloseTo(1 - 10 / Math.sqrt(101), 5);
  });

  it('the k-d tree finds exactly the neighbours brute force finds (random data, every metric)', () => {
    const rng = new Rng(3);
    const n = 3000;
    const d = 6;
    const x = Float32Array.from({ length: n * d }, () => Math.round(rng.normal() * 4) / 2); // ties on purpose
    for (const metric of ['euclidean', 'manhattan', 'cosine'] as const) {
      const tree = new KnnIndex(x, n, d, metric, true, 8);
      const brute = new KnnIndex(x, n, d, metric, false, 8);
      expect(tree.nodes).toBeGreaterThan(100);
      const a = new Int32Array(7);
      const b = new Int32Array(7);
      const da = new Float64Array(7);
      const db = new Float64Array(7);
      for (let i = 0; i < 200; i++) {
        const q = Float32Array.from({ length: d }, () => rng.normal() * 2);
        tree.query(q, 7, a, da);
        brute.query(q, 7, b, db);
        expect([metric, Array.from(a)]).toEqual([metric, Array.from(b)]);
      }
    }
  });

  it('regression: the (weighted) mean of the neighbours', async () => {
    const r = await fit(set([[0], [1], [2], [10]], [1, 3, 5, 100], 0), { k: 2 });
    expect(Array.from(r.predict(m([[0.9]])))).toEqual([2]);
  });

  it('the artifact is the rows: same data, same bytes; it loads back and predicts the same; damage is refused', async () => {
    const rng = new Rng(5);
    const s = set(
      Array.from({ length: 200 }, () => [rng.normal(), rng.normal()]),
      Array.from({ length: 200 }, () => rng.int(3)),
      3,
    );
    const a = encodeArtifact((await fit(s)).toArtifact());
    const b = encodeArtifact((await fit(s)).toArtifact());
    expect(Buffer.compare(a, b)).toBe(0);
    const loaded = knnKind.load(decodeArtifact(a));
    const q = m([
      [0.1, 0.2],
      [-1, 2],
    ]);
    expect(Array.from(loaded.predict(q))).toEqual(Array.from((await fit(s)).predict(q)));
    const art = decodeArtifact(a);
    (art.arrays.y as Float32Array)[0] = 7; // a class that does not exist
    expect(() => knnKind.load(art)).toThrow(/damaged model artifact: knn label 0/);
    const short = decodeArtifact(a);
    short.arrays.x = (short.arrays.x as Float32Array).subarray(1);
    expect(() => knnKind.load(short)).toThrow(/knn arrays/);
  });

  it('params: ranges and unknown keys are 400s naming them; a shard over maxRows is refused with the fix', () => {
    expect(() => knnKind.params({ k: 0 })).toThrow("knn parameter 'k' is 0: use an integer from 1 to 1000");
    expect(() => knnKind.params({ metric: 'chebyshev' })).toThrow("knn parameter 'metric' is \"chebyshev\": use 'euclidean', 'manhattan' or 'cosine'");
    expect(() => knnKind.params({ neighbours: 5 })).toThrow("unknown knn parameter 'neighbours'");
    expect(() => knnPlan(knnKind.params({ maxRows: 1000 }), { task: 'classification', rows: 5000, features: 4, nClasses: 2 })).toThrow(
      /keeps its shard's rows, and this shard has 5000: use more shards/,
    );
    expect(knnPlan(knnKind.params({}), { task: 'classification', rows: 5000, features: 4, nClasses: 2 }).memoryBytes).toBeGreaterThan(5000 * 4 * 4);
  });

  it('k above the rows uses every row', async () => {
    const all = (await fit(line, { k: 50 })) as KnnModel;
    expect(Array.from(all.predict(m([[5]])))).toEqual([expect.closeTo(0.4, 6), expect.closeTo(0.6, 6)]);
  });
});
