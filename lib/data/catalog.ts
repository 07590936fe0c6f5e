/**
 * The coordinator's datasets: each ingested file is stored once under `root/<id>/` (written to a
 * temp folder and renamed, so a failed ingest leaves nothing registered) and described by a small
 * meta record. Tables are loaded on demand and the most recent ones kept in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { QuorumError } from '../errors';
import { removeStaleTemps } from '../store/atomic';
import type { ColumnProfile, Dialect, IngestResult, Table } from './table';
import { showValue } from './csv/messages';
import { resolveDataFile } from './ingest';
import { loadTable, saveTable } from './table-store';

export interface DatasetMeta {
  id: string;
  name: string;
  source: { type: 'upload' | 'file'; filename?: string; path?: string };
  createdAt: string;
  rows: number;
  columns: number;
  bytes: number;
  ingestMs: number;
  dialect: Dialect;
  profile: ColumnProfile[];
  warnings: string[];
  /** Hash of column names and types: versions trained on the same schema share it. */
  schemaHash: string;
}

export interface LoadedDataset {
  meta: DatasetMeta;
  table: Table;
  profile: ColumnProfile[];
}

const SAFE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

export function schemaHash(result: Pick<IngestResult, 'table'>): string {
  const h = createHash('sha256');
  for (const c of result.table.columns) h.update(`${c.name}\u0000${c.type}\u0001`);
  return h.digest('hex').slice(0, 16);
}

/** A dataset name from a file name: `Weather AUS.csv.gz` → `weather-aus`. */
export function datasetName(filename: string | undefined): string {
  const base = (filename ?? 'dataset').replace(/\.(csv|tsv|txt)(\.gz)?$/i, '').replace(/\.gz$/i, '');
  const slug = base.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  return slug || 'dataset';
}

/**
 * Resolves a file name given by a user in the allowed data folders, first match wins. What may
 * not leave a folder (absolute paths, `..`, links outside) is refused by {@link resolveDataFile}.
 */
export async function resolveDataPath(dataDirs: readonly string[], requested: string): Promise<string> {
  for (const dir of dataDirs) {
    try {
      return await resolveDataFile(dir, requested);
    } catch (err) {
      if ((err as QuorumError).code !== 'FILE_NOT_FOUND') throw err;
    }
  }
  throw new QuorumError('FILE_NOT_FOUND', `no file ${showValue(requested)} in the data folder${dataDirs.length > 1 ? 's' : ''} (DATA_DIR): list them with GET /api/files`, { path: requested.slice(0, 200) });
}

/**
 * CSV files (plain or gzip) directly inside the data folders, for a user to pick from: names
 * relative to their folder and sizes, never a folder's own path. A link whose target lies outside
 * its folder is not listed (nor can it be ingested: {@link resolveDataFile}).
 */
export async function listDataFiles(dataDirs: readonly string[]): Promise<{ path: string; bytes: number }[]> {
  const out: { path: string; bytes: number }[] = [];
  for (const dir of dataDirs) {
    let names: string[];
    let root: string;
    try {
      root = await fs.realpath(dir);
      names = await fs.readdir(root);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (!/\.(csv|tsv|txt)(\.gz)?$/i.test(name) || out.some((f) => f.path === name)) continue;
      const real = await fs.realpath(path.join(root, name)).catch(() => undefined);
      if (!real || path.dirname(real) !== root) continue;
      const stat = await fs.stat(real).catch(() => undefined);
      if (stat?.isFile()) out.push({ path: name, bytes: stat.size });
    }
  }
  return out;
}

export class DatasetCatalog {
  private readonly metas = new Map<string, DatasetMeta>();
  private readonly cache = new Map<string, LoadedDataset>();

  constructor(readonly root: string, private readonly cacheSize = 4) {}

  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    for (const name of await fs.readdir(this.root)) {
      const dir = path.join(this.root, name);
      if (name.startsWith('.') || name.endsWith('.tmp')) {
        await fs.rm(dir, { recursive: true, force: true });
        continue;
      }
      try {
        const meta = JSON.parse(await fs.readFile(path.join(dir, 'dataset.json'), 'utf8')) as DatasetMeta;
        this.metas.set(meta.id, meta);
      } catch {
        // A folder without its meta file is what a crash between the two renames leaves: drop it.
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
    await removeStaleTemps(this.root);
  }

  list(): DatasetMeta[] {
    return [...this.metas.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  get(id: string): DatasetMeta {
    const meta = SAFE_ID.test(id) ? this.metas.get(id) : undefined;
    if (!meta) {
      const byName = this.list().filter((m) => m.name === id);
      if (byName.length) return byName[byName.length - 1];
      throw new QuorumError('DATASET_NOT_FOUND', `no dataset '${id}': list them with GET /api/datasets`, { dataset: id });
    }
    return meta;
  }

  async load(id: string): Promise<LoadedDataset> {
    const meta = this.get(id);
    const hit = this.cache.get(meta.id);
    if (hit) {
      this.cache.delete(meta.id);
      this.cache.set(meta.id, hit);
      return hit;
    }
    const stored = await loadTable(path.join(this.root, meta.id));
    const loaded = { meta, table: stored.table, profile: stored.profile };
    this.cache.set(meta.id, loaded);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    return loaded;
  }

  /** Stores an ingested table and registers it, all or nothing. */
  async register(result: IngestResult, info: { name?: string; source: DatasetMeta['source']; ingestMs: number }): Promise<DatasetMeta> {
    const name = datasetName(info.name ?? info.source.filename ?? info.source.path);
    const id = `${name.slice(0, 40)}-${randomBytes(4).toString('hex')}`;
    const meta: DatasetMeta = {
      id,
      name,
      source: info.source,
      createdAt: new Date().toISOString(),
      rows: result.table.nRows,
      columns: result.table.columns.length,
      bytes: result.bytes,
      ingestMs: info.ingestMs,
      dialect: result.dialect,
      profile: result.profile,
      warnings: result.warnings,
      schemaHash: schemaHash(result),
    };
    const dir = path.join(this.root, id);
    await saveTable(dir, { ...result, meta: meta as unknown as Record<string, unknown> });
    await fs.writeFile(path.join(dir, '.dataset.json.tmp'), JSON.stringify(meta, null, 2));
    await fs.rename(path.join(dir, '.dataset.json.tmp'), path.join(dir, 'dataset.json'));
    this.metas.set(id, meta);
    this.cache.set(id, { meta, table: result.table, profile: result.profile });
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    return meta;
  }

  async remove(id: string): Promise<DatasetMeta> {
    const meta = this.get(id);
    this.metas.delete(meta.id);
    this.cache.delete(meta.id);
    const trash = path.join(this.root, `.removed-${meta.id}`);
    await fs.rename(path.join(this.root, meta.id), trash);
    await fs.rm(trash, { recursive: true, force: true });
    return meta;
  }
}
