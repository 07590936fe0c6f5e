/**
 * The binary log-loss derivatives in WebAssembly (objective-kernels.wat's `logistic`): an `exp` and a `log`
 * per row were most of a binary round's cost outside the histograms. The kernel works in single
 * precision, four rows per f32x4, takes one log per call (of the product of the rows' 1 + e^x, its
 * exponent split off as it goes) and selects instead of branching: 2.9 ns per row in a fit's
 * arena (33,000 rows), against 32 with Math.exp and Math.log in JavaScript and 10.7 for the earlier
 * double-precision kernel (two rows per f64x2, a log per 16 rows).
 *
 * A one-node fit keeps its margins, labels and weights in its arena (hist-kernel.ts), where the
 * kernel reads them in place. Other callers' arrays (the data-parallel sessions') stay where they
 * are: they are copied into a kernel memory kept per `grad` array (so it lives as long as the
 * caller's buffers), and the derivatives are copied back. Where there is no kernel, fastmath.ts's
 * kernelExpf and kernelLog give the same bits in JavaScript (objectives.ts).
 */
import { kernelLog, labelExpf, lossFactor } from './fastmath';
import { arenaOf, kernelRegions, type KernelExports } from './hist-kernel';

interface GradientMemory {
  kernel: KernelExports;
  buffer: ArrayBufferLike;
  rows: number;
  weighted: boolean;
  at: number[];
}

const memories = new WeakMap<Float32Array, GradientMemory | null>();
let enabled = true;

/** Tests: turn the kernel off (the JavaScript loops then serve) or on again. */
export function useObjectiveKernel(on: boolean): void {
  enabled = on;
}

function memoryFor(grad: Float32Array, n: number, weighted: boolean): GradientMemory | null {
  const had = memories.get(grad);
  if (had !== undefined && (had === null || (had.rows === n && had.weighted === weighted))) return had;
  // margin (f64), y (f32), weight (f64), grad, hess (f32)
  const r = kernelRegions([8 * n, 4 * n, weighted ? 8 * n : 0, 4 * n, 4 * n]);
  const made = r ? { kernel: r.kernel, buffer: r.memory.buffer, rows: n, weighted, at: r.at } : null;
  memories.set(grad, made);
  return made;
}

/**
 * Logistic derivatives of rows 0 .. y.length into grad / hess, and the sum of the rows' log losses;
 * null when no kernel can be had (then nothing was written).
 */
export function logisticKernel(margin: Float64Array, y: Float32Array, weight: Float64Array | null, grad: Float32Array, hess: Float32Array): number | null {
  if (!enabled) return null;
  // A fit's arrays in its arena (fitBuffers): no copies.
  const direct = arenaOf(grad)?.logistic(margin, y, weight, grad, hess);
  if (direct !== undefined && direct !== null) return direct;
  const n = y.length;
  const m = memoryFor(grad, n, weight !== null);
  if (!m) return null;
  const buf = m.buffer;
  const [pm, py, pw, pg, ph] = m.at;
  new Float64Array(buf, pm, n).set(margin.subarray(0, n));
  new Float32Array(buf, py, n).set(y);
  if (weight) new Float64Array(buf, pw, n).set(weight.subarray(0, n));
  const sum = m.kernel.logistic(pm, py, pw, weight ? 1 : 0, pg, ph, n);
  grad.set(new Float32Array(buf, pg, n));
  hess.set(new Float32Array(buf, ph, n));
  return sum;
}

/**
 * Σ over rows 0 .. n of min(limit, floor(l · scale + 0.5)), l each row's logistic loss as the
 * kernel computes it (log(1 + expf(x)), x the margin negated when y = 1, 1 + e capped at 1e15):
 * the quantised loss a data-parallel session reports (an exact sum in any order). In the kernel
 * when margin and y are views of an arena, else the same operations here.
 */
export function logisticLossSum(margin: Float64Array, y: Float32Array, n: number, scale: number, limit: number): number {
  const direct = enabled ? arenaOf(margin)?.logisticLoss(margin, y, n, scale, limit) : null;
  if (direct !== undefined && direct !== null) return direct;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const q = Math.floor(kernelLog(lossFactor(labelExpf(margin[i], y[i]))) * scale + 0.5);
    sum += limit < q ? limit : q;
  }
  return sum;
}
