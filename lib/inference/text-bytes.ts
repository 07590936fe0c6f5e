/** Writing large answers (JSON, CSV) as bytes, and the spelling of numbers they share. */

/** Probabilities are rounded to 6 decimals: enough for any use, and a third of the text. */
export function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** A number as JSON: finite numbers as JavaScript prints them, anything else as null (as JSON.stringify does). */
export function num(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

/** The longest a row can be: its longest opening, every key with 8 characters of value ("0.123456"), its close. */
export function maxRowBytes(openings: Uint8Array[], keys: Uint8Array[], close: Uint8Array): number {
  return Math.max(0, ...openings.map((l) => l.length)) + keys.reduce((n, key) => n + key.length + 8, 0) + close.length;
}

/**
 * Text as bytes, appended into one growing buffer. Building a 10,000-row answer as JavaScript
 * strings cost more than everything else in it (27 small pieces a row: cons strings, then a
 * flatten: 146 ms against 18 ms written as bytes, measured on 10,000 rows of 26 classes), so rows
 * of probabilities are written as bytes with precomputed keys.
 */
export class TextBytes {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  text(s: string): void {
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /**
   * One row of probabilities: `label` (the row's opening, label included), then for each class in
   * `order` its key and value, then `close`. Values are spelled as `probabilityText` spells them,
   * digit by digit; a zero (most classes of most rows) is written with its key in one piece
   * (`zeroKeys`). JSON: keys `"A":`, close `}}`; CSV: keys `,`, close a line break.
   */
  row(
    label: Uint8Array,
    keys: Uint8Array[],
    zeroKeys: Uint8Array[],
    p: Float32Array,
    offset: number,
    order: number[],
    close: Uint8Array,
    rowMax: number,
  ): void {
    this.room(rowMax);
    let buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < label.length; i++) buf[pos++] = label[i];
    for (let c = 0; c < order.length; c++) {
      const v = p[offset + order[c]];
      const n = Math.round(v * 1e6);
      if (n === 0 && v >= 0) {
        const z = zeroKeys[c];
        for (let i = 0; i < z.length; i++) buf[pos++] = z[i];
        continue;
      }
      const key = keys[c];
      for (let i = 0; i < key.length; i++) buf[pos++] = key[i];
      if (!(n > 0 && n < 1e6)) {
        this.pos = pos;
        this.text(num(round6(v)));
        this.room(rowMax); // room for the rest of the row again (that value may have been long)
        pos = this.pos;
        buf = this.buf; // the bytes may have moved to a larger buffer
        continue;
      }
      buf[pos++] = 48; // 0
      buf[pos++] = 46; // .
      let digits = n;
      let places = 6;
      while (digits % 10 === 0) {
        digits /= 10;
        places--;
      }
      // the six places of n, most significant first, without the trailing zeros
      for (let i = pos + places - 1; i >= pos; i--) {
        buf[i] = 48 + (digits % 10);
        digits = Math.floor(digits / 10);
      }
      pos += places;
    }
    for (let i = 0; i < close.length; i++) buf[pos++] = close[i];
    this.pos = pos;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
