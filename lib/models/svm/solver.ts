/**
 * Dual coordinate descent for L2-regularised linear SVMs (Hsieh et al., ICML 2008, "A dual
 * coordinate descent method for large-scale linear SVM"; the ε-insensitive form after Ho & Lin,
 * JMLR 2012), with the intercept as a constant feature (regularised, as LIBLINEAR does), and
 * Platt's sigmoid (fitted by Newton's method with the targets of Lin, Lin & Weng, 2007) turning a
 * margin into a probability. Rows are visited in a seeded random order every pass.
 */
import { Rng } from '../../util/random';

export interface Rows {
  x: Float32Array;
  n: number;
  d: number;
}

export interface SolveOptions {
  C: number;
  /** true: the L2 (squared) loss; false: the L1 loss (hinge, ε-insensitive). */
  squared: boolean;
  maxIter: number;
  tol: number;
  seed: number;
  isCancelled?: () => boolean;
}

export interface Solution {
  /** d weights, then the intercept. */
  w: Float64Array;
  passes: number;
  converged: boolean;
}

function dot(w: Float64Array, x: Float32Array, base: number, d: number): number {
  let s = w[d];
  for (let c = 0; c < d; c++) s += w[c] * x[base + c];
  return s;
}

function norms(rows: Rows): Float64Array {
  const q = new Float64Array(rows.n);
  for (let i = 0; i < rows.n; i++) {
    let s = 1; // the intercept's constant feature
    for (let c = 0; c < rows.d; c++) s += rows.x[i * rows.d + c] ** 2;
    q[i] = s;
  }
  return q;
}

/** Binary classification, labels `y` in {−1, +1}. */
export function solveSvc(rows: Rows, y: Int8Array, o: SolveOptions): Solution {
  const { n, d, x } = rows;
  const w = new Float64Array(d + 1);
  const alpha = new Float64Array(n);
  const upper = o.squared ? Infinity : o.C;
  const diag = o.squared ? 1 / (2 * o.C) : 0;
  const q = norms(rows);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(o.seed);
  for (let pass = 1; pass <= o.maxIter; pass++) {
    if (o.isCancelled?.()) break;
    rng.shuffle(order);
    let pgMax = -Infinity;
    let pgMin = Infinity;
    for (let j = 0; j < n; j++) {
      const i = order[j];
      const base = i * d;
      const g = y[i] * dot(w, x, base, d) - 1 + diag * alpha[i];
      let pg = g;
      if (alpha[i] === 0) pg = Math.min(g, 0);
      else if (alpha[i] === upper) pg = Math.max(g, 0);
      if (pg > pgMax) pgMax = pg;
      if (pg < pgMin) pgMin = pg;
      if (Math.abs(pg) > 1e-12) {
        const old = alpha[i];
        alpha[i] = Math.min(Math.max(old - g / (q[i] + diag), 0), upper);
        const step = (alpha[i] - old) * y[i];
        if (step !== 0) {
          for (let c = 0; c < d; c++) w[c] += step * x[base + c];
          w[d] += step;
        }
      }
    }
    if (pgMax - pgMin <= o.tol) return { w, passes: pass, converged: true };
  }
  return { w, passes: o.maxIter, converged: false };
}

/** ε-insensitive regression on targets `y`. */
export function solveSvr(rows: Rows, y: Float64Array, epsilon: number, o: SolveOptions): Solution {
  const { n, d, x } = rows;
  const w = new Float64Array(d + 1);
  const beta = new Float64Array(n);
  const upper = o.squared ? Infinity : o.C;
  const lambda = o.squared ? 0.5 / o.C : 0;
  const q = norms(rows);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(o.seed);
  for (let pass = 1; pass <= o.maxIter; pass++) {
    if (o.isCancelled?.()) break;
    rng.shuffle(order);
    let worst = 0;
    for (let j = 0; j < n; j++) {
      const i = order[j];
      const base = i * d;
      const g = dot(w, x, base, d) - y[i] + lambda * beta[i];
      const h = q[i] + lambda;
      const gp = g + epsilon;
      const gn = g - epsilon;
      // Newton step on the one-variable problem, with the |β| term's kink at 0.
      let step: number;
      if (gp < h * beta[i]) step = -gp / h;
      else if (gn > h * beta[i]) step = -gn / h;
      else step = -beta[i];
      const old = beta[i];
      beta[i] = Math.min(Math.max(old + step, -upper), upper);
      const moved = beta[i] - old;
      if (moved !== 0) {
        for (let c = 0; c < d; c++) w[c] += moved * x[base + c];
        w[d] += moved;
        const violation = Math.abs(moved) * h;
        if (violation > worst) worst = violation;
      }
    }
    if (worst <= o.tol) return { w, passes: pass, converged: true };
  }
  return { w, passes: o.maxIter, converged: false };
}

/** Decision values w·x + b of every row. */
export function decisions(rows: Rows, w: Float64Array): Float64Array {
  const out = new Float64Array(rows.n);
  for (let i = 0; i < rows.n; i++) out[i] = dot(w, rows.x, i * rows.d, rows.d);
  return out;
}

/**
 * Platt's sigmoid P(y = +1 | f) = 1 / (1 + exp(A·f + B)) fitted to decision values `f` and labels
 * `y` ∈ {−1, +1} by Newton's method with backtracking (Lin, Lin & Weng's algorithm 1).
 */
export function plattFit(f: Float64Array, y: Int8Array): { a: number; b: number } {
  let pos = 0;
  for (let i = 0; i < y.length; i++) if (y[i] > 0) pos++;
  const neg = y.length - pos;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (neg + 2);
  const t = Float64Array.from(y, (v) => (v > 0 ? hi : lo));
  let a = 0;
  let b = Math.log((neg + 1) / (pos + 1));
  const objective = (a: number, b: number) => {
    let s = 0;
    for (let i = 0; i < f.length; i++) {
      const z = f[i] * a + b;
      s += z >= 0 ? t[i] * z + Math.log1p(Math.exp(-z)) : (t[i] - 1) * z + Math.log1p(Math.exp(z));
    }
    return s;
  };
  let value = objective(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let h11 = 1e-12;
    let h22 = 1e-12;
    let h21 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < f.length; i++) {
      const z = f[i] * a + b;
      const p = z >= 0 ? Math.exp(-z) / (1 + Math.exp(-z)) : 1 / (1 + Math.exp(z));
      const q = 1 - p;
      const d2 = p * q;
      h11 += f[i] * f[i] * d2;
      h22 += d2;
      h21 += f[i] * d2;
      const d1 = t[i] - p;
      g1 += f[i] * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < 1e-5 && Math.abs(g2) < 1e-5) break;
    const det = h11 * h22 - h21 * h21;
    const da = -(h22 * g1 - h21 * g2) / det;
    const db = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * da + g2 * db;
    let step = 1;
    while (step >= 1e-10) {
      const na = a + step * da;
      const nb = b + step * db;
      const nv = objective(na, nb);
      if (nv < value + 1e-4 * step * gd) {
        a = na;
        b = nb;
        value = nv;
        break;
      }
      step /= 2;
    }
    if (step < 1e-10) break;
  }
  return { a, b };
}

export function plattProbability(f: number, a: number, b: number): number {
  const z = f * a + b;
  return z >= 0 ? Math.exp(-z) / (1 + Math.exp(-z)) : 1 / (1 + Math.exp(z));
}

/**
 * Random Fourier features of the rbf kernel exp(−γ‖x − x′‖²) (Rahimi & Recht, 2007):
 * z(x) = √(2/D) · cos(W x + b), W ~ N(0, 2γ), b ~ U(0, 2π).
 */
export function fourierBasis(d: number, components: number, gamma: number, seed: number): { w: Float32Array; b: Float32Array } {
  const rng = new Rng(seed);
  const sd = Math.sqrt(2 * gamma);
  const w = Float32Array.from({ length: components * d }, () => rng.normal() * sd);
  const b = Float32Array.from({ length: components }, () => rng.float() * 2 * Math.PI);
  return { w, b };
}

export function fourierTransform(x: Float32Array, n: number, d: number, basis: { w: Float32Array; b: Float32Array }): Float32Array {
  const D = basis.b.length;
  const scale = Math.sqrt(2 / D);
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < D; k++) {
      let s = basis.b[k];
      for (let c = 0; c < d; c++) s += basis.w[k * d + c] * x[i * d + c];
      out[i * D + k] = scale * Math.cos(s);
    }
  }
  return out;
}
