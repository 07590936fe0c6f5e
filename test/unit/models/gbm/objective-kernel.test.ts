/**
 * Issue 12: the logistic objective's WebAssembly kernel gives the JavaScript loop's derivatives and
 * loss bit for bit (weighted or not, saturated margins, row counts that are not a multiple of 16),
 * its loss is within 2e-6 of the loss in double, its expf and log are the JavaScript mirrors'
 * (fastmath.ts) and within an ulp or two of Math's.
 */
import { kernelExpf, kernelLog } from '../../../../lib/models/gbm/fastmath';
import { arenaOf, arenaPlan, HistArena, kernelRegions } from '../../../../lib/models/gbm/hist-kernel';
import { histLayout } from '../../../../lib/models/gbm/histogram';
import { logisticLossSum, useObjectiveKernel } from '../../../../lib/models/gbm/objective-kernel';
import { logistic } from '../../../../lib/models/gbm/objectives';
import { Rng } from '../../../../lib/util/random';

afterEach(() => useObjectiveKernel(true));

function run(margin: Float64Array, y: Float32Array, w: Float64Array | null, kernel: boolean) {
  useObjectiveKernel(kernel);
  const grad = new Float32Array(y.length);
  const hess = new Float32Array(y.length);
  const loss = logistic.gradients(margin, y, w, grad, hess);
  return { loss, grad, hess };
}

describe('logistic objective kernel (issue 12)', () => {
  it('derivatives and loss are the JavaScript loop’s, bit for bit', () => {
    const rng = new Rng(5);
    for (const n of [1, 15, 16, 17, 1000, 4099]) {
      const margin = Float64Array.from({ length: n }, (_, i) => (i % 97 === 0 ? (rng.float() < 0.5 ? -800 : 800) : (rng.float() - 0.5) * 30));
      const y = Float32Array.from({ length: n }, () => (rng.float() < 0.3 ? 1 : 0));
      for (const w of [null, Float64Array.from({ length: n }, () => 0.5 + rng.float() * 3)]) {
        const a = run(margin, y, w, true);
        const b = run(margin, y, w, false);
        expect(Object.is(a.loss, b.loss)).toBe(true);
        expect(Buffer.from(a.grad.buffer).equals(Buffer.from(b.grad.buffer))).toBe(true);
        expect(Buffer.from(a.hess.buffer).equals(Buffer.from(b.hess.buffer))).toBe(true);
        // and the loss is the mean of the rows' losses (rowLoss: in double, with Math)
        let s = 0;
        for (let i = 0; i < n; i++) s += logistic.rowLoss(margin, i, y[i]);
        expect(Math.abs(a.loss - s / n)).toBeLessThanOrEqual(2e-6 * (s / n) + 1e-15);
        if (n > 1) expect(a.loss).toBeGreaterThan(0.1);
      }
    }
  });

  it('a fit’s arrays in its arena are read in place, with the same results', () => {
    const rng = new Rng(8);
    const n = 777;
    for (const weighted of [false, true]) {
      const arena = HistArena.create(arenaPlan(histLayout([4, 4]), n, 1, n, { weighted }))!;
      expect(arena).not.toBeNull();
      for (let i = 0; i < n; i++) {
        arena.margin[i] = (rng.float() - 0.5) * 20;
        arena.y[i] = rng.float() < 0.4 ? 1 : 0;
        if (arena.weight) arena.weight[i] = 0.2 + rng.float();
      }
      const inPlace = logistic.gradients(arena.margin, arena.y, arena.weight, arena.grad, arena.hess);
      expect(arenaOf(arena.grad)).toBe(arena);
      const js = run(Float64Array.from(arena.margin), Float32Array.from(arena.y), arena.weight ? Float64Array.from(arena.weight) : null, false);
      expect(Object.is(inPlace, js.loss)).toBe(true);
      expect(Buffer.from(Float32Array.from(arena.grad.subarray(0, n)).buffer).equals(Buffer.from(js.grad.buffer))).toBe(true);
      expect(Buffer.from(Float32Array.from(arena.hess.subarray(0, n)).buffer).equals(Buffer.from(js.hess.buffer))).toBe(true);
    }
  });

  it('the quantised loss sum of a data-parallel session: the kernel’s and the JavaScript loop’s agree exactly, near the loss in double', () => {
    const rng = new Rng(21);
    const n = 3001;
    const arena = HistArena.create(arenaPlan(histLayout([4]), n, 1, n, { weighted: false }))!;
    for (let i = 0; i < n; i++) {
      arena.margin[i] = i % 50 === 0 ? (rng.float() < 0.5 ? -900 : 900) : (rng.float() - 0.5) * 16;
      arena.y[i] = rng.float() < 0.35 ? 1 : 0;
    }
    const scale = 2 ** 30;
    const limit = 2 ** 40;
    const inKernel = logisticLossSum(arena.margin, arena.y, n, scale, limit);
    useObjectiveKernel(false);
    const inJs = logisticLossSum(Float64Array.from(arena.margin.subarray(0, n)), Float32Array.from(arena.y.subarray(0, n)), n, scale, limit);
    expect(inKernel).toBe(inJs);
    expect(Number.isInteger(inKernel)).toBe(true);
    let exact = 0;
    for (let i = 0; i < n; i++) exact += logistic.rowLoss(arena.margin, i, arena.y[i]);
    expect(Math.abs(inKernel / scale - exact)).toBeLessThanOrEqual(2e-6 * exact);
    // the clamp: every row's term at most the limit
    expect(logisticLossSum(arena.margin, arena.y, n, scale, 1)).toBeLessThanOrEqual(n);
  });

  it('a NaN margin gives a NaN loss (the fit reports divergence) on both paths', () => {
    const margin = Float64Array.of(0.5, NaN, -1);
    const y = Float32Array.of(1, 0, 1);
    expect(run(margin, y, null, true).loss).toBeNaN();
    expect(run(margin, y, null, false).loss).toBeNaN();
    // and within a full block of 16 rows (the running product's exponent is split off there)
    const long = Float64Array.from({ length: 40 }, (_, i) => (i === 5 ? NaN : i / 10 - 2));
    const ys = Float32Array.from({ length: 40 }, (_, i) => i % 2);
    expect(run(long, ys, null, true).loss).toBeNaN();
    expect(run(long, ys, null, false).loss).toBeNaN();
    long[5] = 0;
    expect(Number.isFinite(run(long, ys, null, true).loss)).toBe(true);
  });

  it('its expf and log are the JavaScript mirrors’ and within 2 ulp of Math’s (expf: float ulps)', () => {
    const k = kernelRegions([16])!.kernel;
    const rng = new Rng(9);
    for (let i = 0; i < 100_000; i++) {
      const x = Math.fround((rng.float() - 0.5) * 200);
      expect(Object.is(k.expf(x), kernelExpf(x))).toBe(true);
      const ref = Math.exp(Math.min(80, Math.max(-80, x)));
      expect(Math.abs(kernelExpf(x) - ref)).toBeLessThanOrEqual(2 * 2 ** -23 * ref);
      const z = i % 2 ? rng.float() + 1e-300 : Math.exp((rng.float() - 0.5) * 1400);
      expect(Object.is(k.log(z), kernelLog(z))).toBe(true);
      expect(Math.abs(kernelLog(z) - Math.log(z))).toBeLessThanOrEqual(4.5e-16 * Math.max(1, Math.abs(Math.log(z))));
    }
    for (const x of [NaN, Infinity, -Infinity, 0, -0, 80, -80, 88.5]) expect(Object.is(k.expf(x), kernelExpf(x))).toBe(true);
  });
});
