/** Regression metrics from true and predicted values. */

export interface RegressionReport {
  task: 'regression';
  rows: number;
  rmse: number;
  mae: number;
  r2: number;
  /** Residual (actual − predicted) quantiles: min, 5 %, 25 %, 50 %, 75 %, 95 %, max. */
  residualQuantiles: number[];
  /** Up to 500 [actual, predicted] pairs, evenly spaced over the set, for a scatter plot. */
  sample: [number, number][];
}

export function regressionReport(y: ArrayLike<number>, predicted: ArrayLike<number>): RegressionReport {
  const n = y.length;
  let se = 0,
    ae = 0,
    sum = 0;
  const residuals = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = y[i] - predicted[i];
    residuals[i] = r;
    se += r * r;
    ae += Math.abs(r);
    sum += y[i];
  }
  const mean = n ? sum / n : 0;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (y[i] - mean) ** 2;
  residuals.sort();
  const q = (f: number) => (n ? residuals[Math.min(n - 1, Math.floor(f * (n - 1)))] : 0);
  const step = Math.max(1, Math.ceil(n / 500));
  const sample: [number, number][] = [];
  for (let i = 0; i < n; i += step) sample.push([y[i], predicted[i]]);
  return {
    task: 'regression',
    rows: n,
    rmse: n ? Math.sqrt(se / n) : 0,
    mae: n ? ae / n : 0,
    r2: ss > 0 ? 1 - se / ss : 0,
    residualQuantiles: [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1].map(q),
    sample,
  };
}
