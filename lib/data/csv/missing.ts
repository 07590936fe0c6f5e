/**
 * Missing-value tokens matched on bytes.
 *
 * Rules (the same at ingest and at predict time, see `values.ts`):
 * - the empty field is always missing (after trimming surrounding spaces);
 * - the other tokens match whole fields, ASCII case-insensitively (`NA`, `na` and `Na` all match
 *   `'NA'`), whether the field was quoted or not (`"NA"` is missing too, as in pandas);
 * - `IngestOptions.missing` replaces the default list (spread `DEFAULT_MISSING` to extend it).
 */
import { QuorumError } from '../../errors';

/** Lower-cases an ASCII letter byte; other bytes pass through. */
function lower(b: number): number {
  return b >= 65 && b <= 90 ? b | 0x20 : b;
}

export class MissingMatcher {
  /** The tokens as given, index-aligned with `counts`; index 0 is the empty field. */
  readonly tokens: string[];
  /** How many cells each token matched. */
  readonly counts: Float64Array;
  /** Longest token in bytes: a longer field cannot be missing (one comparison on the hot path). */
  readonly maxLength: number;
  /** Non-zero for bytes that can start a token (both cases): most numbers skip the comparison. */
  readonly firstByte = new Uint8Array(256);
  private readonly byLength: { bytes: Uint8Array; index: number }[][];

  constructor(tokens: readonly string[]) {
    const list = [''];
    for (const t of tokens) {
      if (typeof t !== 'string') throw new QuorumError('BAD_REQUEST', `missing tokens must be strings, got ${typeof t}`);
      const trimmed = t.trim();
      if (trimmed !== '' && !list.some((x) => x.toLowerCase() === trimmed.toLowerCase())) list.push(trimmed);
    }
    this.tokens = list;
    this.counts = new Float64Array(list.length);
    this.byLength = [];
    let max = 0;
    list.forEach((token, index) => {
      if (index === 0) return;
      const bytes = Uint8Array.from(Buffer.from(token, 'utf8'), lower);
      max = Math.max(max, bytes.length);
      this.firstByte[bytes[0]] = 1;
      if (bytes[0] >= 97 && bytes[0] <= 122) this.firstByte[bytes[0] - 32] = 1;
      (this.byLength[bytes.length] ??= []).push({ bytes, index });
    });
    this.maxLength = max;
  }

  /**
   * Index of the token that `buf[start, end)` spells (0 for the empty field), or -1. The caller
   * has checked `end - start <= maxLength`, and counts the match in `counts` if it wants to.
   */
  match(buf: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if (length === 0) return 0;
    if (this.firstByte[buf[start]] === 0) return -1;
    const candidates = this.byLength[length];
    if (candidates === undefined) return -1;
    outer: for (let c = 0; c < candidates.length; c++) {
      const bytes = candidates[c].bytes;
      for (let k = 0; k < length; k++) if (lower(buf[start + k]) !== bytes[k]) continue outer;
      return candidates[c].index;
    }
    return -1;
  }

  /** Non-zero counts by token, for `IngestStats.missingTokens`. */
  summary(): Record<string, number> {
    const out: Record<string, number> = {};
    this.tokens.forEach((t, i) => {
      if (this.counts[i] > 0) out[t] = this.counts[i];
    });
    return out;
  }
}
