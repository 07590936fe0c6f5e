/**
 * Issue 12: a boosted model predicts through the WebAssembly walk (walk-kernel.ts) with margins
 * bit-identical to the JavaScript walk's — multiclass and regression, missing values both ways,
 * batches that are not a multiple of the eight-row lock step and that span several chunks.
 */
import { gbmKind } from '../../../../lib/models/gbm';
import { GbmModel, setWalkKernel } from '../../../../lib/models/gbm/model';
import type { TrainingSet } from '../../../../lib/models/model';
import { Rng } from '../../../../lib/util/random';

function data(n: number, cols: number, task: 'classification' | 'regression', seed: number): TrainingSet {
  const rng = new Rng(seed);
  const x = new Float32Array(n * cols);
  const y = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let f = 0; f < cols; f++) {
      const v = rng.float() * 4 - 2;
      x[r * cols + f] = rng.float() < 0.1 ? NaN : v; // a tenth missing
      s += (f % 2 ? 1 : -1) * v * (f + 1);
    }
    y[r] = task === 'classification' ? (s > 1 ? 2 : s > -1 ? 1 : 0) : s + rng.float();
  }
  const features = Array.from({ length: cols }, (_, f) => ({ name: `x${f}`, kind: 'numeric' as const }));
  return task === 'classification'
    ? { task, x: { data: x, rows: n, cols }, y, nClasses: 3, classes: ['a', 'b', 'c'], features }
    : { task, x: { data: x, rows: n, cols }, y, nClasses: 0, features };
}

afterAll(() => setWalkKernel(true));

describe('gbm WebAssembly prediction walk (issue 12)', () => {
  it.each([
    ['softmax, 3 classes', 'classification' as const, 9000],
    ['squared error', 'regression' as const, 8203],
  ])('%s: margins bit-identical to the JavaScript walk', async (_name, task, rows) => {
    const model = (await gbmKind.fit(data(1500, 6, task, 3), gbmKind.params({ nEstimators: 30, maxDepth: 5 }), { seed: 2 })) as GbmModel;
    const test = data(rows, 6, task, 4).x; // 9000 rows × 3 outputs: more than one 8192-row chunk
    setWalkKernel(true);
    const wasm = new GbmModel(model.state);
    setWalkKernel(false);
    const js = new GbmModel(model.state);
    expect((wasm as unknown as { walkKernel: unknown }).walkKernel).not.toBeNull();
    expect((js as unknown as { walkKernel: unknown }).walkKernel).toBeNull();
    for (const n of [rows, 13, 1]) {
      const x = { data: test.data.subarray(0, n * 6), rows: n, cols: 6 };
      const a = wasm.margins(x);
      const b = js.margins(x);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    }
    // The margins are the model's: not all equal to the base margin.
    const m = wasm.margins(test);
    expect(new Set(Array.from(m.subarray(0, 300))).size).toBeGreaterThan(10);
  });
});
