/**
 * Issue 12: the boosting pieces on sets small enough to solve by hand — histogram sums and the
 * subtraction trick, the second-order split and leaf values in closed form, missing values sent
 * the way that gains most (and learned so by a fitted model).
 */
import { binSlots, buildHistogram, histLayout, subtractHistogram } from '../../../../lib/models/gbm/histogram';
import { BestSplit, findBestSplit, leafValue } from '../../../../lib/models/gbm/split';
import { gbmKind } from '../../../../lib/models/gbm';
import type { TrainingSet } from '../../../../lib/models/model';

const P = { lambda: 1, gamma: 0, minChildWeight: 0 };

describe('gbm histogram and split (issue 12)', () => {
  // One feature, codes 0..3 (4 value bins, code 4 = missing); squared error from margin 0.5 on y = 0,0,1,1.
  const codes = Uint8Array.of(0, 1, 2, 3);
  const grad = Float32Array.of(0.5, 0.5, -0.5, -0.5);
  const hess = Float32Array.of(1, 1, 1, 1);
  const layout = histLayout([4]);
  const all = Int32Array.of(0, 1, 2, 3);

  it('sums gradient and hessian per bin; the larger child is the parent minus the smaller', () => {
    const parent = new Float64Array(2 * layout.totalBins);
    buildHistogram(binSlots(codes, layout), 1, all, 0, 4, grad, hess, parent);
    expect(Array.from(parent)).toEqual([0.5, 1, 0.5, 1, -0.5, 1, -0.5, 1, 0, 0]);
    const small = new Float64Array(parent.length);
    const direct = new Float64Array(parent.length);
    buildHistogram(binSlots(codes, layout), 1, all, 0, 1, grad, hess, small);
    buildHistogram(binSlots(codes, layout), 1, all, 1, 4, grad, hess, direct);
    subtractHistogram(parent, small);
    expect(Array.from(parent)).toEqual(Array.from(direct));
  });

  it('histogram slots are 16-bit up to 32,768 bins and 32-bit beyond, with the same sums', () => {
    // 200 features of 255 value bins (+1 missing each): 51,200 bins, past 16-bit slots.
    const wide = histLayout(new Array(200).fill(255));
    const narrow = histLayout(new Array(100).fill(255));
    const rowsOf = (cols: number): Uint8Array => Uint8Array.from({ length: 3 * cols }, (_, i) => (i * 37) % 256);
    const ws = binSlots(rowsOf(200), wide);
    expect(ws).toBeInstanceOf(Uint32Array);
    expect(binSlots(rowsOf(100), narrow)).toBeInstanceOf(Uint16Array);
    // Row 2, feature 199: code (2·200 + 199)·37 mod 256 = 139, so slot 2·(199·256 + 139).
    expect(ws[2 * 200 + 199]).toBe(2 * (199 * 256 + ((599 * 37) % 256)));
    const hist = new Float64Array(2 * wide.totalBins);
    buildHistogram(ws, 200, Int32Array.of(0, 1, 2), 0, 3, Float32Array.of(1, 2, 4), Float32Array.of(1, 1, 1), hist);
    let g = 0;
    for (let j = 0; j < hist.length; j += 2) g += hist[j];
    expect(g).toBe(200 * 7); // every row lands once per feature
  });

  it('finds the optimal split and gain in closed form: ½(G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ))', () => {
    const hist = new Float64Array(2 * layout.totalBins);
    buildHistogram(binSlots(codes, layout), 1, all, 0, 4, grad, hess, hist);
    const s = new BestSplit();
    expect(findBestSplit(hist, layout, Int32Array.of(0), 1, 0, 4, P, s)).toBe(true);
    // Split after bin 1: G_L = 1, H_L = 2, G_R = −1, H_R = 2 → ½(1/3 + 1/3 − 0) = 1/3.
    expect(s).toMatchObject({ feature: 0, bin: 1, gl: 1, hl: 2 });
    expect(s.gain).toBeCloseTo(1 / 3, 12);
    // Leaves −G/(H+λ)·rate: −1/3 and +1/3 at rate 1, a tenth of that at 0.1.
    expect(leafValue(1, 2, 1, 1)).toBeCloseTo(-1 / 3, 12);
    expect(leafValue(-1, 2, 1, 0.1)).toBeCloseTo(1 / 30, 12);
    // γ above the gain: no split.
    expect(findBestSplit(hist, layout, Int32Array.of(0), 1, 0, 4, { ...P, gamma: 0.34 }, s)).toBe(false);
    // minChildWeight above every child's hessian: no split.
    expect(findBestSplit(hist, layout, Int32Array.of(0), 1, 0, 4, { ...P, minChildWeight: 2.5 }, s)).toBe(false);
  });

  it('sends missing values to the side that gains most', () => {
    // Rows 0,1: code 0 (g +1); rows 2,3: code 1 (g −1); rows 4,5 missing with g −1: they belong right.
    const c = Uint8Array.of(0, 0, 1, 1, 2, 2);
    const g = Float32Array.of(1, 1, -1, -1, -1, -1);
    const h = new Float32Array(6).fill(1);
    const lay = histLayout([2]);
    const hist = new Float64Array(2 * lay.totalBins);
    buildHistogram(binSlots(c, lay), 1, Int32Array.of(0, 1, 2, 3, 4, 5), 0, 6, g, h, hist);
    const s = new BestSplit();
    findBestSplit(hist, lay, Int32Array.of(0), 1, -2, 6, P, s);
    expect(s).toMatchObject({ bin: 0, missLeft: false, gl: 2, hl: 2 });
    // The same with the missing rows' gradient +1: they go left.
    g[4] = g[5] = 1;
    buildHistogram(binSlots(c, lay), 1, Int32Array.of(0, 1, 2, 3, 4, 5), 0, 6, g, h, hist);
    findBestSplit(hist, lay, Int32Array.of(0), 1, 2, 6, P, s);
    expect(s).toMatchObject({ bin: 0, missLeft: true, gl: 4, hl: 4 });
  });

  it('a fitted model predicts missing values the learned way', async () => {
    // y = 1 when x > 0.5 or x missing (missing rows look like the high ones).
    const n = 200;
    const x = new Float32Array(n);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const missing = i % 5 === 0;
      x[i] = missing ? NaN : (i % 97) / 97;
      y[i] = missing || x[i] > 0.5 ? 1 : 0;
    }
    const data: TrainingSet = {
      task: 'classification',
      x: { data: x, rows: n, cols: 1 },
      y,
      nClasses: 2,
      classes: ['no', 'yes'],
      features: [{ name: 'x', kind: 'numeric' }],
    };
    const model = await gbmKind.fit(data, gbmKind.params({ nEstimators: 20, learningRate: 0.5, maxDepth: 2 }), { seed: 1 });
    const out = model.predict({ data: Float32Array.of(NaN, 0.1, 0.9), rows: 3, cols: 1 });
    expect(out[1]).toBeGreaterThan(0.9); // missing → 'yes'
    expect(out[3]).toBeLessThan(0.1);
    expect(out[5]).toBeGreaterThan(0.9);
  });
});
