/** Shared by the csv-* and ingest-* tests (not a test file itself). */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { QuorumError, type ErrorCode } from '../../../../lib/errors';
import { ingestCsv, type IngestOptions } from '../../../../lib/data/ingest';
import type { Column, IngestResult } from '../../../../lib/data/table';

export const DATA = path.resolve(__dirname, '..', '..', '..', '..', 'data');
/** `../shared/data` beside the project (CI puts it there; a user's clone may not have it). */
export const SHARED = path.resolve(__dirname, '..', '..', '..', '..', '..', 'shared', 'data');

/** The bytes as an async iterable of chunks of `size` bytes (the last may be shorter). */
export async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, Math.min(bytes.length, i + size));
}

/** Ingests a string or bytes, fed in chunks of `size` bytes (default: one chunk). */
export function ingestText(text: string | Uint8Array, options: IngestOptions = {}, size = 1 << 30): Promise<IngestResult> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return ingestCsv(chunked(bytes, size), options);
}

/** The QuorumError a promise rejects with; fails the test when it resolves or throws something else. */
export async function rejection(p: Promise<unknown>, code: ErrorCode): Promise<QuorumError> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof QuorumError)) throw new Error(`expected QuorumError ${code}, got ${(e as Error).stack}`);
    if (e.code !== code) throw new Error(`expected ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

/** A column's cells as plain JS values (null when missing), for deep equality. */
export function cells(c: Column): (string | number | null)[] {
  if (c.type === 'categorical') return Array.from(c.codes, (k) => (k < 0 ? null : c.categories[k]));
  return Array.from(c.values, (v) => (Number.isNaN(v) ? null : v));
}

/**
 * Everything about a table that must not depend on how the input was chunked, as one JSON string
 * (cheap to compare with `toBe`; jest's deep equality is slow on 10^6 cells).
 */
export function digest(r: IngestResult): string {
  return JSON.stringify({
    nRows: r.table.nRows,
    columns: r.table.columns.map((c) => ({
      name: c.name,
      type: c.type,
      labels: c.type === 'categorical' ? undefined : c.labels,
      categories: c.type === 'categorical' ? c.categories : undefined,
      cells: cells(c),
    })),
    profile: r.profile,
    dialect: r.dialect,
    warnings: r.warnings,
  });
}

let reported = false;
/** Path of a file of ../shared/data, or undefined (with a printed reason, once) when absent. */
export function shared(file: string): string | undefined {
  const p = path.join(SHARED, file);
  if (existsSync(p)) return p;
  if (!reported) {
    reported = true;
     
    console.log(`skipped: ${SHARED} is absent, so the tests on the larger real datasets do not run`);
  }
  return undefined;
}
