/**
 * `expf` and `log` as the gbm kernels compute them (objective-kernels.wat's $expf and $log), in JavaScript with
 * the same operations in the same order, so both give the same bits: an objective's derivatives
 * do not depend on whether its kernel could run (the data-parallel sessions and a one-node fit make
 * the same model either way).
 *
 * - expf, in single precision (every operation rounded to Float32 with Math.fround: a double
 *   operation on two floats rounded once to float is the float operation, for + − × ÷), the
 *   method of Cephes' `expf.c` (S. L. Moshier) with its coefficients: x clamped to ±80 (a sigmoid is
 *   saturated long before), x = k·ln2 + r with ln2 in two parts, e^r by a polynomial of degree 7,
 *   times 2^k from its bits. Within 2 float ulps of Math.exp.
 * - log, in double, for positive normal x (NaN gives NaN), the method of Sun's fdlibm (`e_log.c`)
 *   with its published minimax coefficients: x = 2^e·m with m in [√½, √2), f = m − 1,
 *   s = f/(2 + f), and log m = f − ½f² + s·(½f² + R(s²)), R two interleaved polynomials of degree
 *   3–4 in s⁴. Within 5e-16 of Math.log (relative).
 */

const LN2_HI = 0.69314718036912382;
const LN2_LO = 1.9082149292705877e-10;
const fr = Math.fround;
// expf's constants, each exactly a Float32 (the kernel's literals are the same values).
const LOG2E_F = 1.4426950216293335;
const C1 = 0.693359375;
const C2 = -0.00021219444170128554;
const P0 = 0.00019875691214110702;
const P1 = 0.001398199936375022;
const P2 = 0.008333452045917511;
const P3 = 0.04166579619050026;
const P4 = 0.1666666567325592;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian: u32[1] is the sign, exponent and top of the mantissa
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** e^x in single precision (x a Float32 value). */
export function kernelExpf(x: number): number {
  x = 80 < x ? 80 : x < -80 ? -80 : x; // NaN stays NaN
  const k = Math.floor(fr(fr(x * LOG2E_F) + 0.5));
  const r = fr(fr(x - fr(k * C1)) - fr(k * C2));
  const p = fr(fr(r * fr(fr(r * fr(fr(r * fr(fr(r * fr(fr(r * P0) + P1)) + P2)) + P3)) + P4)) + 0.5);
  i32[0] = ((k | 0) + 127) << 23; // NaN: k | 0 is 0, as the kernel's saturating conversion gives
  return fr(fr(fr(fr(p * fr(r * r)) + r) + 1) * f32[0]);
}

export function kernelLog(x: number): number {
  if (x !== x) return x; // NaN stays NaN
  f64[0] = x;
  const bits = u32[1];
  u32[1] = (bits & 0x000fffff) | 0x3ff00000;
  let m = f64[0];
  const up = m > 1.4142135623730951;
  const e = (bits >>> 20) - 1023 + (up ? 1 : 0);
  if (up) m *= 0.5;
  const f = m - 1;
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const R =
    z * (0.66666666666667351 + w * (0.28571428743662391 + w * (0.1818357216161805 + w * 0.14798198605116586))) +
    w * (0.39999999999409419 + w * (0.22222198432149784 + w * 0.15313837699209373));
  const hf = 0.5 * (f * f);
  return e * LN2_HI - (hf - (s * (hf + R) + e * LN2_LO) - f);
}

/** The cap of a logistic row's 1 + e^x, its label's probability clipped at 1e-15 (the kernels' literal 1e15). */
export const MAX_ODDS = 1e15;

/** A logistic row's e^x as the kernels compute it: x its margin in single precision, negated when its label is 1. */
export function labelExpf(margin: number, label: number): number {
  return kernelExpf(Math.fround(label === 1 ? -margin : margin));
}

/** 1 + e, capped at {@link MAX_ODDS}: the factor of a logistic row's loss (its log is the loss). */
export function lossFactor(e: number): number {
  const a = e + 1;
  return MAX_ODDS < a ? MAX_ODDS : a;
}

/**
 * x = 2^e · m with m in [1, 2), for a positive normal x: e into `exponent[0]`, m returned (the
 * logistic loss's running product, as the kernel splits it).
 */
export function splitExponent(x: number, exponent: Float64Array): number {
  f64[0] = x;
  const bits = u32[1];
  exponent[0] = ((bits >>> 20) & 0x7ff) - 1023;
  u32[1] = (bits & 0x000fffff) | 0x3ff00000;
  return f64[0];
}
