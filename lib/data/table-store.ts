/** INTERIM table persistence (replaced by the ingest branch). */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { decodeArtifact, encodeArtifact } from '../models/format';
import type { Column, IngestResult } from './table';

export async function saveTable(dir: string, result: IngestResult & { meta?: Record<string, unknown> }): Promise<void> {
  const arrays: Record<string, Float64Array | Int32Array> = {};
  result.table.columns.forEach((c, i) => (arrays[`c${i}`] = c.type === 'categorical' ? c.codes : c.values));
  const header = { ...result, table: { nRows: result.table.nRows, columns: result.table.columns.map((c) => ({ ...c, values: undefined, codes: undefined })) } };
  const tmp = `${dir}.tmp`;
  await fs.mkdir(tmp, { recursive: true });
  await fs.writeFile(path.join(tmp, 'table.qt'), encodeArtifact({ kind: 'table', formatVersion: 1, header, arrays }));
  await fs.rename(tmp, dir);
}

export async function loadTable(dir: string): Promise<IngestResult & { meta?: Record<string, unknown> }> {
  const a = decodeArtifact(await fs.readFile(path.join(dir, 'table.qt')));
  const h = a.header as unknown as IngestResult & { meta?: Record<string, unknown> };
  const columns = h.table.columns.map((c, i) => (c.type === 'categorical' ? { ...c, codes: a.arrays[`c${i}`] } : { ...c, values: a.arrays[`c${i}`] })) as Column[];
  return { ...h, table: { nRows: h.table.nRows, columns } };
}
