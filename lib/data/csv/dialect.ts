/**
 * Dialect detection on the first bytes of a file (the "sample", at least 64 KiB or the whole file,
 * and at least the whole first line): binary or not, BOM, delimiter, quote character, header or
 * not, line ending. Every decision can be overridden by an option; the detected dialect is
 * reported in `IngestResult.dialect` so the user sees what was assumed.
 *
 * - Delimiter: of `,` `;` tab `|`, the one whose count per line (outside quotes) is the same on
 *   the most lines of the sample, header included — so a `;` file with decimal commas picks `;`,
 *   because its header has no commas. Ties go to the larger count, then to that order.
 * - Quote: `"`, unless `'` opens fields and `"` never appears.
 * - Header: present unless a field of the first row is a number or an ISO date (a header is names).
 */
import { QuorumError } from '../../errors';
import type { Dialect } from '../table';
import { parseDateBytes } from './date';
import { fmtInt } from './messages';
import type { MissingMatcher } from './missing';
import { parseNumberBytes } from './number';

export const DELIMITERS = [',', ';', '\t', '|'] as const;
const SAMPLE_LINES = 200;

const SIGNATURES: { bytes: number[]; what: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (an .xlsx workbook is one): export the sheet as CSV, or unzip it' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image' },
  { bytes: [0x50, 0x41, 0x52, 0x31], what: 'a Parquet file' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'an executable' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed data (only gzip is accepted)' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a], what: 'xz-compressed data (only gzip is accepted)' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf], what: 'a 7-Zip archive (only gzip is accepted)' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Excel/Office document: export the sheet as CSV' },
];

/** Refuses input that is clearly not CSV text, naming what it looks like. */
export function sniffBinary(sample: Buffer): void {
  for (const sig of SIGNATURES) {
    if (sig.bytes.every((b, i) => sample[i] === b)) {
      throw new QuorumError('NOT_CSV', `this is ${sig.what}, not a CSV file`);
    }
  }
  if ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff)) {
    throw new QuorumError('BAD_ENCODING', 'the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8 and upload it again');
  }
  let nul = 0;
  let nulEven = 0;
  let control = 0;
  let firstNul = -1;
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i];
    if (b === 0) {
      nul++;
      if (i % 2 === 0) nulEven++;
      if (firstNul < 0) firstNul = i;
    } else if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 11 && b !== 0x1a) {
      control++;
    }
  }
  if (nul > 0) {
    // UTF-16 text without a BOM has a NUL in every other byte
    if (nul > sample.length / 3 && (nulEven > nul * 0.9 || nulEven < nul * 0.1)) {
      throw new QuorumError('BAD_ENCODING', 'the file looks like UTF-16 text; save it as UTF-8 and upload it again');
    }
    const line = 1 + countByte(sample, 10, firstNul);
    throw new QuorumError(
      'NOT_CSV',
      `line ${fmtInt(line)}: a NUL byte at offset ${fmtInt(firstNul)}, so this is binary data, not CSV text; upload the CSV itself (gzip is accepted)`,
      { line, offset: firstNul },
    );
  }
  if (control > 8 && control > sample.length / 100) {
    throw new QuorumError(
      'NOT_CSV',
      `${fmtInt(control)} control bytes in the first ${fmtInt(sample.length)} bytes: this is binary data, not CSV text`,
    );
  }
}

function countByte(buf: Buffer, byte: number, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (buf[i] === byte) n++;
  return n;
}

/**
 * Splits the first complete lines of `text` into fields (quote-aware, small and slow: for the
 * sample only). `complete`: the text is the whole input, so its last line counts even without a
 * newline.
 */
export function splitSample(text: string, delimiter: string, quote: string, complete: boolean, maxRows = SAMPLE_LINES): string[][] {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let inQuotes = false;
  let i = 0;
  const n = text.length;
  const pushRow = (): void => {
    row.push(field);
    if (!(row.length === 1 && row[0].trim() === '')) rows.push(row);
    row = [];
    field = '';
  };
  while (i < n && rows.length < maxRows) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === quote) {
        if (text[i + 1] === quote) {
          field += quote;
          i += 2;
          continue;
        }
        inQuotes = false;
      } else {
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === quote && field.trim() === '') {
      inQuotes = true;
      field = '';
    } else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      pushRow();
      if (ch === '\r' && text[i + 1] === '\n') i++;
    } else {
      field += ch;
    }
    i++;
  }
  if (complete && i >= n && rows.length < maxRows && (row.length > 0 || field !== '')) pushRow();
  return rows.map((r) => r.map((f) => f.trim()));
}

/** Per-line counts of `delimiter` outside quotes, over the first complete lines. */
function countsPerLine(text: string, delimiter: string, quote: string, complete: boolean): number[] {
  return splitSample(text, delimiter, quote, complete).map((r) => r.length - 1);
}

interface Candidate {
  delimiter: string;
  mode: number;
  agreement: number;
}

function scoreDelimiter(text: string, delimiter: string, quote: string, complete: boolean): Candidate {
  const counts = countsPerLine(text, delimiter, quote, complete);
  const freq = new Map<number, number>();
  for (const c of counts) freq.set(c, (freq.get(c) ?? 0) + 1);
  let mode = 0;
  let best = 0;
  for (const [c, f] of freq) if (c > 0 && (f > best || (f === best && c > mode))) [mode, best] = [c, f];
  return { delimiter, mode, agreement: counts.length ? best / counts.length : 0 };
}

function better(a: Candidate, b: Candidate): boolean {
  if (a.agreement !== b.agreement) return a.agreement > b.agreement;
  return a.mode > b.mode;
}

export interface DialectOptions {
  delimiter?: string;
  quote?: string;
  header?: boolean;
}

/**
 * The dialect of a sample (BOM already removed). `complete` says whether the sample is the whole
 * input. Throws WRONG_DELIMITER when a given delimiter is absent from the first line while another
 * candidate splits every line the same way.
 */
export function detectDialect(
  sample: Buffer,
  complete: boolean,
  options: DialectOptions,
  missing: MissingMatcher,
): Omit<Dialect, 'bom' | 'gzip'> {
  const text = sample.toString('utf8');
  const quote = options.quote ?? (/(^|[,;\t|])'/m.test(text) && !text.includes('"') ? "'" : '"');
  const scored = DELIMITERS.map((d) => scoreDelimiter(text, d, quote, complete));
  let delimiter: string;
  if (options.delimiter !== undefined) {
    delimiter = options.delimiter;
    const firstLine = splitSample(text, delimiter, quote, complete, 1)[0] ?? [];
    const rival = scored.find((c) => c.delimiter !== delimiter && c.mode > 0 && c.agreement === 1);
    if (firstLine.length === 1 && rival) {
      throw new QuorumError(
        'WRONG_DELIMITER',
        `line 1 does not contain the delimiter ${JSON.stringify(delimiter)}, but every line of the first ` +
          `${fmtInt(countsPerLine(text, rival.delimiter, quote, complete).length)} has ${rival.mode} × ${JSON.stringify(rival.delimiter)}: ` +
          `pass delimiter: ${JSON.stringify(rival.delimiter)}, or leave it out to detect it`,
        { line: 1, delimiter, suggested: rival.delimiter },
      );
    }
  } else {
    let best: Candidate | undefined;
    for (const c of scored) if (c.mode > 0 && (!best || better(c, best))) best = c;
    delimiter = best ? best.delimiter : ',';
  }

  let header = options.header;
  if (header === undefined) {
    const first = splitSample(text, delimiter, quote, complete, 1)[0] ?? [];
    header = !first.some((f) => {
      const bytes = Buffer.from(f, 'utf8');
      if (bytes.length <= missing.maxLength && missing.match(bytes, 0, bytes.length) >= 0) return false;
      return !Number.isNaN(parseNumberBytes(bytes, 0, bytes.length)) || !Number.isNaN(parseDateBytes(bytes, 0, bytes.length));
    });
  }

  const lf = sample.indexOf(10);
  const cr = sample.indexOf(13);
  let lineEnding: Dialect['lineEnding'] = 'lf';
  if (cr >= 0 && (lf < 0 || cr < lf)) lineEnding = sample[cr + 1] === 10 ? 'crlf' : 'cr';
  return { delimiter, quote, header, lineEnding };
}

/**
 * Counts the fields of line 1 as its bytes arrive, for every candidate delimiter (or the one
 * given), outside quotes, and throws TOO_MANY_COLUMNS as soon as one passes `maxColumns`: a
 * single-line CSV of a million columns is refused after its first 10,000, before it is held.
 */
export class FirstLineWidth {
  private readonly codes: number[];
  private readonly counts: number[];
  private readonly quote: number;
  private inQuote = false;
  done = false;

  constructor(delimiter: string | undefined, quote: string | undefined, private readonly maxColumns: number) {
    const ds = delimiter !== undefined ? [delimiter] : [...DELIMITERS];
    this.codes = ds.map((d) => d.charCodeAt(0));
    this.counts = ds.map(() => 1);
    this.quote = (quote ?? '"').charCodeAt(0);
  }

  /** Feeds the next bytes; stops counting at the end of line 1. */
  feed(chunk: Buffer): void {
    if (this.done) return;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === this.quote) this.inQuote = !this.inQuote;
      else if (this.inQuote) continue;
      else if (b === 10 || b === 13) {
        this.done = true;
        return;
      } else {
        const k = this.codes.indexOf(b);
        if (k >= 0 && ++this.counts[k] > this.maxColumns) {
          throw new QuorumError(
            'TOO_MANY_COLUMNS',
            `line 1 has more than ${fmtInt(this.maxColumns)} fields (maxColumns); check the delimiter, or raise maxColumns if the data really is that wide`,
            { line: 1, limit: this.maxColumns },
          );
        }
      }
    }
  }
}
