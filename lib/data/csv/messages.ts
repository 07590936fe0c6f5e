/**
 * Small helpers so that every ingestion error names things the same way: `line 1,204`,
 * `column 'Age' (#6)`, values quoted and cut to a readable length.
 */

/** 1234567 → "1,234,567" (locale-independent). */
export function fmtInt(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A value as it appears in a message: quoted, control characters escaped, at most 40 characters. */
export function showValue(value: string): string {
  const cut = value.length > 40 ? `${value.slice(0, 37)}...` : value;
  return JSON.stringify(cut);
}

/** `column 'Age' (#6)`; the number is 1-based like the line numbers. */
export function showColumn(name: string, index: number): string {
  return `column '${name}' (#${index + 1})`;
}

/** Bytes in a human unit: 1048576 → "1 MiB". */
export function fmtBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${fmtInt(v)} bytes` : `${Number(v.toFixed(1))} ${units[u]}`;
}

/** The JSON a user would pass to fix a type: `types: {"Age": "categorical"}`. */
export function typesHint(name: string, type: string): string {
  return `types: {${JSON.stringify(name)}: '${type}'}`;
}
