/**
 * Quantised derivatives (gbm/quantise.ts): the kernel and the JavaScript loop give the same bits
 * (ties rounded to even in both), every value has fewer than 2^24 steps, and sums of them do not
 * depend on the order of the additions — what lets a team of threads build a node in parts.
 */
import { arenaPlan, HistArena } from '../../../../lib/models/gbm/hist-kernel';
import { histLayout } from '../../../../lib/models/gbm/histogram';
import { quantisation, quantiseDerivatives } from '../../../../lib/models/gbm/quantise';
import { Rng } from '../../../../lib/util/random';

function derivatives(n: number, seed: number): { grad: Float32Array; hess: Float32Array } {
  const rng = new Rng(seed);
  const grad = Float32Array.from({ length: n }, () => (rng.float() * 2 - 1) * 0.9);
  const hess = Float32Array.from({ length: n }, () => rng.float() * 0.25);
  // Ties (exact halves of a step once scaled), zeros, tiny hessians and a negative zero.
  grad.set([0, -0, 2 ** -30, 0.5, -0.5].slice(0, n), 0);
  hess.set([0, 1e-30, 0.25].slice(0, n), 0);
  // Magnitudes over many octaves (as a fit's derivatives have): their plain sums depend on the order.
  for (let i = 5; i < n; i += 3) grad[i] *= 2 ** -Math.floor(rng.float() * 40);
  return { grad, hess };
}

describe('quantised derivatives', () => {
  it('the kernel (in the arena) and the loop give the same bits', () => {
    for (const n of [1, 7, 1000, 4097]) {
      const plain = derivatives(n, n);
      if (n >= 3) {
        // Exact ties at the round's step: 3.5 and 4.5 steps go to 4 both.
        const { shift } = quantisation(
          plain.grad.reduce((a, b) => Math.max(a, Math.abs(b)), 0),
          n,
        );
        plain.grad[n - 1] = 3.5 * 2 ** -shift;
        plain.grad[n - 2] = -4.5 * 2 ** -shift;
      }
      const arena = HistArena.create(arenaPlan(histLayout([4]), n, 1, n));
      if (!arena) throw new Error('no WebAssembly SIMD in this runtime: the kernel cannot be tested');
      arena.grad.set(plain.grad);
      arena.hess.set(plain.hess);
      quantiseDerivatives(plain.grad, plain.hess, n, n);
      quantiseDerivatives(arena.grad, arena.hess, n, n);
      expect(Buffer.from(arena.grad.buffer, arena.grad.byteOffset, 4 * n).equals(Buffer.from(plain.grad.buffer))).toBe(true);
      if (n >= 3) expect([plain.grad[n - 1] / plain.grad[n - 2]]).toEqual([-1]);
      expect(Buffer.from(arena.hess.buffer, arena.hess.byteOffset, 4 * n).equals(Buffer.from(plain.hess.buffer))).toBe(true);
    }
  });

  it('values are whole steps below 2^24, hessians at least one step, and sums are order-free', () => {
    const n = 20_000;
    const { grad, hess } = derivatives(n, 5);
    const before = Float32Array.from(grad);
    quantiseDerivatives(grad, hess, n, n);
    const g = quantisation(0.9, n);
    expect(g.limit).toBe(2 ** 24 - 1);
    const bad: number[] = [];
    for (let i = 0; i < n; i++) {
      const q = grad[i] * 2 ** g.shift;
      const whole = Number.isInteger(q) && Math.abs(q) <= g.limit;
      if (!whole || Math.abs(grad[i] - before[i]) > 2 ** -g.shift || !(hess[i] > 0)) bad.push(i);
    }
    expect(bad).toEqual([]);
    const forward = grad.reduce((a, b) => a + b, 0);
    const backward = Array.from(grad)
      .reverse()
      .reduce((a, b) => a + b, 0);
    const halves = grad.subarray(0, 7777).reduce((a, b) => a + b, 0) + grad.subarray(7777).reduce((a, b) => a + b, 0);
    expect(backward).toBe(forward);
    expect(halves).toBe(forward);
    // Without quantisation the order shows (the check above can fail).
    const raw = derivatives(n, 5).grad;
    const rf = raw.reduce((a, b) => a + b, 0);
    const rb = Array.from(raw)
      .reverse()
      .reduce((a, b) => a + b, 0);
    expect(rb).not.toBe(rf);
  });
});
