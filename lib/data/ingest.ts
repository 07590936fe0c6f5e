/**
 * INTERIM ingestion (replaced by the streaming reader from the ingest branch): reads the whole
 * text, splits on commas (quotes honoured), types columns as numeric or categorical.
 */
import { QuorumError } from '../errors';
import { readAll } from '../store/streams';
import type { Column, ColumnProfile, IngestResult, LogicalType } from './table';
import { DEFAULT_MISSING } from './values';

export interface IngestOptions {
  delimiter?: string;
  quote?: string;
  header?: boolean;
  missing?: string[];
  ignore?: string[];
  types?: Record<string, LogicalType>;
  maxBytes?: number;
  maxFieldBytes?: number;
  maxColumns?: number;
  onProgress?: (p: { bytes: number; rows: number }) => void;
}

function splitLine(line: string, d: string): string[] {
  const out: string[] = [];
  let cur = '', q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') q = false; else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === d) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out;
}

export async function ingestCsv(source: NodeJS.ReadableStream | AsyncIterable<Uint8Array>, options: IngestOptions = {}): Promise<IngestResult> {
  const buf = await readAll(source, { maxBytes: options.maxBytes });
  const text = buf.toString('utf8').replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new QuorumError('EMPTY_FILE', 'the file is empty: upload a CSV with a header row and data rows');
  const d = options.delimiter ?? ',';
  const header = splitLine(lines[0], d).map((h) => h.trim());
  if (lines.length < 2) throw new QuorumError('NO_DATA_ROWS', 'the file has a header but no data rows');
  const missing = new Set(options.missing ?? DEFAULT_MISSING);
  const cells: string[][] = header.map(() => []);
  for (let i = 1; i < lines.length; i++) {
    const f = splitLine(lines[i], d);
    if (f.length !== header.length) throw new QuorumError('RAGGED_ROW', `line ${i + 1} has ${f.length} fields where the header has ${header.length}`, { line: i + 1 });
    f.forEach((v, c) => cells[c].push(v.trim()));
  }
  const n = lines.length - 1;
  const columns: Column[] = [];
  const profile: ColumnProfile[] = [];
  header.forEach((name, c) => {
    const vals = cells[c];
    const numeric = vals.every((v) => missing.has(v) || Number.isFinite(Number(v)));
    let col: Column;
    if (numeric) col = { name, type: 'numeric', values: Float64Array.from(vals, (v) => (missing.has(v) ? NaN : Number(v))) };
    else {
      const cats: string[] = [];
      const idx = new Map<string, number>();
      const codes = Int32Array.from(vals, (v) => {
        if (missing.has(v)) return -1;
        if (!idx.has(v)) { idx.set(v, cats.length); cats.push(v); }
        return idx.get(v)!;
      });
      col = { name, type: 'categorical', codes, categories: cats };
    }
    const miss = vals.filter((v) => missing.has(v)).length;
    const distinct = new Set(vals.filter((v) => !missing.has(v))).size;
    const role = (options.ignore ?? []).includes(name) ? 'ignored' : distinct <= 1 ? 'constant' : 'feature';
    columns.push(col);
    profile.push({ name, type: col.type, role, missing: miss, distinct });
  });
  return { table: { nRows: n, columns }, dialect: { delimiter: d, quote: '"', header: true, lineEnding: 'lf', bom: false, gzip: false }, profile, warnings: [], bytes: buf.length };
}
