/**
 * `exp` and `log` as the gbm kernels compute them (kernels.wat's $exp and $log), in JavaScript with
 * the same double operations in the same order, so both give the same bits: an objective's
 * derivatives do not depend on whether its kernel could run (the data-parallel sessions and a
 * one-node fit make the same model either way). Within 5e-16 of Math.exp / Math.log (relative).
 *
 * The method is the classic one of Sun's fdlibm (`e_exp.c`, `e_log.c`), with its published
 * minimax coefficients:
 * - exp: x = k·ln2 + r with |r| ≤ ln2/2 (ln2 in two parts, so r is exact), e^r from a rational
 *   form in r² of degree 5, times 2^k built from its bits; x is clamped to ±700 first (2^k stays a
 *   normal double; a sigmoid is saturated long before).
 * - log, for positive normal x (NaN gives NaN): x = 2^e·m with m in [√½, √2), f = m − 1, s = f/(2 + f), and
 *   log m = f − ½f² + s·(½f² + R(s²)), R two interleaved polynomials of degree 3–4 in s⁴.
 */

const LN2_HI = 0.69314718036912382;
const LN2_LO = 1.9082149292705877e-10;
const INV_LN2 = 1.4426950408889634;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian: u32[1] is the sign, exponent and top of the mantissa

export function kernelExp(x: number): number {
  x = x > 700 ? 700 : x < -700 ? -700 : x;
  const k = Math.floor(x * INV_LN2 + 0.5);
  const hi = x - k * LN2_HI;
  const lo = k * LN2_LO;
  const r = hi - lo;
  const t = r * r;
  const c = r - t * (0.16666666666666602 + t * (-0.0027777777777015593 + t * (6.6137563214379344e-5 + t * (-1.6533902205465252e-6 + t * 4.1381367970572385e-8))));
  u32[0] = 0;
  u32[1] = (k + 1023) << 20;
  return (1 - (lo - (r * c) / (2 - c) - hi)) * f64[0];
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
  const R = z * (0.66666666666667351 + w * (0.28571428743662391 + w * (0.1818357216161805 + w * 0.14798198605116586))) + w * (0.39999999999409419 + w * (0.22222198432149784 + w * 0.15313837699209373));
  const hf = 0.5 * (f * f);
  return e * LN2_HI - (hf - (s * (hf + R) + e * LN2_LO) - f);
}
