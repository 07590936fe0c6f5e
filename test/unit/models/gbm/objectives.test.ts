/** Issue 12: each objective's gradient and hessian against finite differences of its loss. */
import { huber, logistic, softmax, squared, type Objective } from '../../../../lib/models/gbm/objectives';

/** The summed (not mean) loss of one row as a function of its margins. */
function rowLoss(obj: Objective, m: Float64Array, y: number): number {
  const name = obj.name;
  const one = Float32Array.of(y);
  const l = obj.loss(m, one, 1);
  return name === 'squared' ? 0.5 * l * l : l; // squared reports RMSE; its objective is ½ r²
}

function check(obj: Objective, margins: number[], y: number): void {
  const O = obj.outputs;
  const m = Float64Array.from(margins);
  const grad = new Float32Array(O);
  const hess = new Float32Array(O);
  obj.gradients(m, Float32Array.of(y), null, grad, hess);
  const eps = 1e-4;
  for (let k = 0; k < O; k++) {
    const at = (d: number): number => {
      const mm = Float64Array.from(m);
      mm[k] += d;
      return rowLoss(obj, mm, y);
    };
    const g = (at(eps) - at(-eps)) / (2 * eps);
    const h = (at(eps) - 2 * at(0) + at(-eps)) / (eps * eps);
    expect(grad[k]).toBeCloseTo(g, 4);
    expect(hess[k]).toBeCloseTo(h, 3);
  }
}

describe('gbm objectives (issue 12)', () => {
  it('logistic', () => {
    for (const [m, y] of [
      [0.3, 1],
      [-1.7, 0],
      [2.2, 0],
    ])
      check(logistic, [m], y);
  });
  it('softmax (diagonal hessian)', () => {
    check(softmax(3), [0.2, -0.5, 1.1], 0);
    check(softmax(3), [0.2, -0.5, 1.1], 2);
    check(softmax(4), [0, 0, 0, 0], 1);
  });
  it('squared error', () => {
    check(squared, [1.5], 0.2);
    check(squared, [-3], 4);
  });
  it('pseudo-Huber', () => {
    check(huber(1), [0.3], 0);
    check(huber(1), [5], -2);
    check(huber(2.5), [-1], 1);
  });
  it('gradients return the loss at the margins they were given (one pass for both)', () => {
    const y2 = Float32Array.of(1, 0, 0, 1, 1);
    const y3 = Float32Array.of(0, 2, 1, 1, 0);
    const yr = Float32Array.of(0.5, -2, 3, 10, 0);
    const margins = (O: number): Float64Array => Float64Array.from({ length: 5 * O }, (_, i) => Math.sin(i * 1.7) * 2);
    for (const [obj, y] of [
      [logistic, y2],
      [softmax(3), y3],
      [squared, yr],
      [huber(1.5), yr],
    ] as const) {
      const m = margins(obj.outputs);
      const g = new Float32Array(5 * obj.outputs);
      const h = new Float32Array(5 * obj.outputs);
      const fused = obj.gradients(m, y, null, g, h);
      // (logistic: the derivatives and their loss in single precision, loss() in double)
      const exact = obj.loss(m, y, 5);
      expect(Math.abs(fused - exact)).toBeLessThanOrEqual((obj.name === 'logistic' ? 1e-6 : 1e-12) * exact);
      expect(fused).toBeGreaterThan(0);
    }
  });
  it('base margins are the best constants', () => {
    expect(logistic.baseMargin(Float32Array.of(1, 0, 0, 0), null)[0]).toBeCloseTo(Math.log(1 / 3), 9);
    expect(squared.baseMargin(Float32Array.of(1, 2, 6), null)[0]).toBeCloseTo(3, 9);
    expect(huber(1).baseMargin(Float32Array.of(1, 2, 600), null)[0]).toBe(2);
    const p = new Float32Array(3);
    const sm = softmax(3);
    sm.transform(sm.baseMargin(Float32Array.of(0, 0, 1, 2), null), 1, p);
    expect(Array.from(p).map((v) => Number(v.toFixed(6)))).toEqual([0.5, 0.25, 0.25]);
  });
});
