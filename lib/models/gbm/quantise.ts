/**
 * Quantised derivatives: every gradient and hessian of a round is rounded to an integer multiple of
 * a power of two (2^−shift), with fewer than 2^24 steps, so it is exact in a Float32Array and any
 * sum of up to `rows` of them is exact in float64. Histogram sums then do not depend on the order
 * of the additions: a node built in parts (the threads of a team, the shards of a data-parallel
 * job) has the same bits as one built in one go, and parent − child is exact too.
 *
 * The steps are 2^−24 of the round's largest |gradient| (and hessian) or finer: far below what
 * a split's gain or a leaf's value can tell apart (LightGBM's quantised training uses 2–8 bits).
 */

import { arenaOf } from './hist-kernel';

/**
 * Exact-sum bounds: the shift and clamp for values of magnitude up to `bound` over `rows` rows.
 * Quantised values stay below 2^24, so they are exact in a Float32Array (the histogram kernels'
 * input) and their sums over up to 2^29 rows exact in float64.
 */
export function quantisation(bound: number, rows: number): { shift: number; limit: number } {
  const limit = Math.min(2 ** 24 - 1, Math.floor(2 ** 52 / Math.max(1, rows)));
  const shift = Math.min(60, Math.floor(Math.log2(limit / Math.max(bound, 2 ** -30))));
  return { shift, limit };
}

/** The largest |grad| and the largest hess of rows 0 .. n. */
function bounds(grad: Float32Array, hess: Float32Array, n: number): [number, number] {
  let g = 0;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(grad[i]);
    if (a > g) g = a;
    if (hess[i] > h) h = hess[i];
  }
  return [g, h];
}

/** values[i] = clamp(nearest(values[i] · 2^shift), lo, limit) · 2^−shift for i < n (nearest: ties to even, as the kernel). */
function roundTo(values: Float32Array, n: number, shift: number, lo: number, limit: number): void {
  const scale = 2 ** shift;
  const step = 2 ** -shift;
  for (let i = 0; i < n; i++) {
    const x = values[i] * scale;
    let q = Math.round(x);
    if (q - x === 0.5 && q % 2 !== 0) q -= 1;
    values[i] = (q < lo ? lo : q > limit ? limit : q) * step;
  }
}

/**
 * Quantises the first n derivatives in place with the shifts and limits `choose` picks from the
 * largest |gradient| and hessian ([gradShift, gradLimit, hessShift, hessLimit]): gradients to steps
 * of 2^−gradShift within ±gradLimit steps, hessians to steps of 2^−hessShift, at least one step (a
 * node's hessian sum is never 0) and at most hessLimit. In the arena's kernel (spread over the fit's
 * team) when the derivatives live there, else the same operations here.
 */
export function quantiseWith(grad: Float32Array, hess: Float32Array, n: number, choose: (gBound: number, hBound: number) => number[]): void {
  if (arenaOf(grad)?.quantise(grad, hess, n, choose)) return;
  const [gs, gl, hs, hl] = choose(...bounds(grad, hess, n));
  roundTo(grad, n, gs, -gl, gl);
  roundTo(hess, n, hs, 1, hl);
}

/**
 * Quantises the first n derivatives in place, sums of up to `rows` of them exact: the one-node
 * fit's rule, the steps from this round's own largest values.
 */
export function quantiseDerivatives(grad: Float32Array, hess: Float32Array, n: number, rows: number): void {
  quantiseWith(grad, hess, n, (gBound, hBound) => {
    const g = quantisation(gBound, rows);
    const h = quantisation(hBound, rows);
    return [g.shift, g.limit, h.shift, h.limit];
  });
}
