/**
 * Decimal numbers straight from bytes, without building a string per field.
 *
 * Grammar (after the caller trimmed surrounding spaces):
 * `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?` — what a spreadsheet or pandas
 * writes. Not numbers here, on purpose: `Infinity`, hex (`0x1F`), thousands separators (`1,234`),
 * decimal commas, `1_000`, the empty field (JavaScript's `Number('')` is 0), and values beyond the
 * double range (`1e400`).
 *
 * The fast path is Clinger's: with at most 15 digits the mantissa is an exact double,
 * and so is 10^k for k ≤ 22, so one multiplication or division rounds correctly. Anything else
 * (long mantissas, large exponents) is valid but goes through `Number()` on the token's text, which
 * is correct and rare.
 */

// Module constants rather than globals: a global lookup is slow inside a vm context (jest runs tests in one).
const NOT_A_NUMBER = NaN;

const POW10 = new Float64Array(23);
POW10[0] = 1;
for (let k = 1; k < POW10.length; k++) POW10[k] = POW10[k - 1] * 10;

const ZERO = 48;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;

/**
 * The number written in `buf[start, end)`, or NaN when those bytes are not a decimal number
 * (see the module comment for the grammar).
 */
export function parseNumberBytes(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  if (i >= end) return NOT_A_NUMBER;
  let c = buf[i];
  const negative = c === MINUS;
  if (negative || c === PLUS) i++;
  // All digits go into the mantissa; more than 15 of them (leading zeros included) leave the
  // fast path, which only costs speed on rare long tokens.
  let mantissa = 0;
  const intStart = i;
  for (; i < end; i++) {
    const d = buf[i] - ZERO;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
  }
  let digits = i - intStart;
  let scale = 0;
  if (i < end && buf[i] === DOT) {
    const fracStart = ++i;
    for (; i < end; i++) {
      const d = buf[i] - ZERO;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
    }
    scale = fracStart - i;
    digits -= scale;
  }
  if (digits === 0) return NOT_A_NUMBER;
  if (i < end) {
    c = buf[i];
    if (c !== 101 && c !== 69) return NOT_A_NUMBER; // 'e' 'E'
    i++;
    let expNegative = false;
    if (i < end && (buf[i] === MINUS || buf[i] === PLUS)) {
      expNegative = buf[i] === MINUS;
      i++;
    }
    let exponent = 0;
    const expStart = i;
    for (; i < end; i++) {
      const d = buf[i] - ZERO;
      if (d < 0 || d > 9) break;
      if (exponent < 100000) exponent = exponent * 10 + d;
    }
    if (i === expStart || i !== end) return NOT_A_NUMBER;
    scale += expNegative ? -exponent : exponent;
  }
  if (digits <= 15 && scale >= -22 && scale <= 22) {
    const value = scale < 0 ? mantissa / POW10[-scale] : mantissa * POW10[scale];
    return negative ? -value : value;
  }
  // Valid but beyond the fast path: let the engine round it. The bytes are ASCII by now.
  let text = '';
  for (let k = start; k < end; k++) text += String.fromCharCode(buf[k]);
  const slow = Number(text);
  // 1e400 overflows to Infinity: no model can use it, so it is not a number here either.
  return Number.isFinite(slow) ? slow : NaN;
}
