/**
 * ISO-8601 dates and date-times straight from bytes, as milliseconds since the epoch (UTC).
 *
 * Accepted (after trimming): `YYYY-MM-DD`, `YYYY/MM/DD` (month and day may have one digit), optionally
 * followed by `T` or a space and `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff…`, optionally followed by `Z`
 * or an offset `±HH:MM` / `±HHMM` / `±HH`. A time without an offset is read as UTC, so a dataset
 * means the same instants on every machine whatever its time zone.
 *
 * Not accepted, on purpose: `DD/MM/YYYY` and `MM/DD/YYYY` (ambiguous; such columns stay
 * categorical), month names, times without a date. Impossible dates (`2021-02-30`, hour 24) are
 * not dates.
 */

// Module constants rather than globals: a global lookup is slow inside a vm context (jest runs tests in one).
const floor = Math.floor;
const NOT_A_DATE = NaN;

const ZERO = 48;
const DAY_MS = 86_400_000;

function digitsAt(buf: Uint8Array, i: number, count: number, end: number): number {
  if (i + count > end) return -1;
  let v = 0;
  for (let k = 0; k < count; k++) {
    const d = buf[i + k] - ZERO;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= ZERO + 9;
}

/** Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = floor(y / 400);
  const yoe = y - era * 400;
  const doy = floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Reads one or two digits at `i`; returns [value, next index] packed as value * 4 + width, or -1. */
function oneOrTwo(buf: Uint8Array, i: number, end: number): number {
  if (i >= end || !isDigit(buf[i])) return -1;
  if (i + 1 < end && isDigit(buf[i + 1])) return ((buf[i] - ZERO) * 10 + buf[i + 1] - ZERO) * 4 + 2;
  return (buf[i] - ZERO) * 4 + 1;
}

/**
 * Milliseconds since 1970-01-01T00:00:00Z for the date or date-time in `buf[start, end)`, or NaN
 * when the bytes are not one (see the module comment for the accepted forms).
 */
export function parseDateBytes(buf: Uint8Array, start: number, end: number): number {
  // Shortest form is "2008-1-1" (8 bytes); the fast exit keeps numeric columns cheap.
  if (end - start < 8) return NOT_A_DATE;
  const year = digitsAt(buf, start, 4, end);
  if (year < 0) return NOT_A_DATE;
  let i = start + 4;
  const sep = buf[i];
  if (sep !== 45 && sep !== 47) return NOT_A_DATE; // '-' or '/'
  const m = oneOrTwo(buf, i + 1, end);
  if (m < 0) return NOT_A_DATE;
  const month = m >> 2;
  i += 1 + (m & 3);
  if (i >= end || buf[i] !== sep) return NOT_A_DATE;
  const d = oneOrTwo(buf, i + 1, end);
  if (d < 0) return NOT_A_DATE;
  const day = d >> 2;
  i += 1 + (d & 3);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NOT_A_DATE;
  let ms = daysFromCivil(year, month, day) * DAY_MS;
  if (i === end) return ms;

  const t = buf[i];
  if (t !== 84 && t !== 116 && t !== 32) return NOT_A_DATE; // 'T', 't', ' '
  const hour = digitsAt(buf, i + 1, 2, end);
  if (hour < 0 || hour > 23 || buf[i + 3] !== 58) return NOT_A_DATE; // ':'
  const minute = digitsAt(buf, i + 4, 2, end);
  if (minute < 0 || minute > 59) return NOT_A_DATE;
  i += 6;
  let second = 0;
  let millis = 0;
  if (i < end && buf[i] === 58) {
    second = digitsAt(buf, i + 1, 2, end);
    if (second < 0 || second > 59) return NOT_A_DATE;
    i += 3;
    if (i < end && (buf[i] === 46 || buf[i] === 44)) {
      // fraction: keep milliseconds, ignore finer digits
      i++;
      let k = 0;
      while (i < end && isDigit(buf[i])) {
        if (k < 3) millis = millis * 10 + buf[i] - ZERO;
        k++;
        i++;
      }
      if (k === 0) return NOT_A_DATE;
      for (; k < 3; k++) millis *= 10;
    }
  }
  ms += ((hour * 60 + minute) * 60 + second) * 1000 + millis;
  if (i === end) return ms;

  if (buf[i] === 32) i++; // "2020-01-01 10:00 +02:00"
  const z = buf[i];
  if ((z === 90 || z === 122) && i + 1 === end) return ms; // 'Z'
  if (z !== 43 && z !== 45) return NOT_A_DATE;
  const oh = digitsAt(buf, i + 1, 2, end);
  if (oh < 0 || oh > 23) return NOT_A_DATE;
  i += 3;
  let om = 0;
  if (i < end) {
    if (buf[i] === 58) i++;
    om = digitsAt(buf, i, 2, end);
    if (om < 0 || om > 59) return NOT_A_DATE;
    i += 2;
  }
  if (i !== end) return NOT_A_DATE;
  const offset = (oh * 60 + om) * 60_000;
  return z === 43 ? ms - offset : ms + offset;
}
