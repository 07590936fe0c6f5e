/**
 * Files in and out of the inference service: the options of a CSV prediction or evaluation (sent
 * as multipart fields or in the query string, parsed here once), and reading an uploaded CSV
 * through the project's ingester (`ingestCsv`: streamed, typed columns).
 */
import { ingestCsv } from '../data/ingest';
import type { Table } from '../data/table';
import { QuorumError } from '../errors';
import type { CsvOutputOptions } from './csv-out';
import type { VotingMode } from './version-view';
import { csvLimits, type CsvLimitConfig } from '../data/csv/limits';

/** How the uploaded CSV is read. */
export interface CsvReadOptions {
  delimiter?: string;
  quote?: string;
  header?: boolean;
  missing?: string[];
}

export interface VoteOptions {
  name?: string;
  version?: string;
  voting?: string;
  mode?: VotingMode;
  /** Broadcast: members that must vote (≥ 1) or their share (below 1). */
  quorum?: number;
  /** Broadcast: deadline of the trainer nodes' answers, in ms. */
  timeout?: number;
}

export interface PredictCsvOptions extends CsvReadOptions, VoteOptions, Omit<CsvOutputOptions, 'sliceRows'> {
  strict?: boolean;
}

export interface EvaluateFileOptions extends CsvReadOptions {
  version?: string;
  voting?: string;
}

/**
 * Reads an uploaded CSV into a table, within the decompression guard of {@link csvLimits}
 * (the table is held whole, so the limit is INFERENCE_LIMIT_MB, not the dataset upload limit).
 */
export async function ingestUpload(
  stream: NodeJS.ReadableStream,
  options: CsvReadOptions,
  config: CsvLimitConfig,
): Promise<{ table: Table; warnings: string[] }> {
  const result = await ingestCsv(stream, {
    delimiter: options.delimiter,
    quote: options.quote,
    header: options.header,
    missing: options.missing,
    ...csvLimits(config, 'inference'),
  });
  return { table: result.table, warnings: result.warnings };
}

const bool = (key: string, raw: string): boolean => {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new QuorumError('BAD_REQUEST', `option '${key}' must be true or false, got '${raw}'`);
};

const list = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const number = (key: string, raw: string): number => {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new QuorumError('BAD_REQUEST', `option '${key}' must be a positive number, got '${raw}'`);
  return n;
};

/**
 * Option fields of POST /api/predict/csv and POST /api/models/:version/evaluate (strings from a
 * form or a query string) → typed options; an unknown field is a BAD_REQUEST listing the valid ones.
 */
export function parseFileOptions(fields: Record<string, string>, allowed: readonly string[]): { options: Record<string, unknown> } {
  const options: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(fields)) {
    if (raw === undefined || key === 'file') continue;
    if (!allowed.includes(key)) throw new QuorumError('BAD_REQUEST', `unknown option '${key}': use ${allowed.join(', ')}`);
    switch (key) {
      case 'delimiter':
        options.delimiter = raw === '\\t' || raw === 'tab' ? '\t' : raw;
        break;
      case 'header':
      case 'probabilities':
      case 'strict':
        options[key] = bool(key, raw);
        break;
      case 'missing':
        options.missing = raw.split(',').map((s) => s.trim());
        break;
      case 'echo':
        options.echo = raw.trim() === '*' ? '*' : list(raw);
        break;
      case 'quorum':
      case 'timeout':
        options[key] = number(key, raw);
        break;
      case 'mode':
        if (raw !== 'local' && raw !== 'broadcast') throw new QuorumError('BAD_REQUEST', `unknown voting mode '${raw}': use 'local' or 'broadcast'`);
        options.mode = raw;
        break;
      default:
        options[key] = raw;
    }
  }
  return { options };
}

export const PREDICT_CSV_OPTIONS = [
  'name',
  'version',
  'voting',
  'mode',
  'quorum',
  'timeout',
  'strict',
  'echo',
  'probabilities',
  'delimiter',
  'quote',
  'header',
  'missing',
] as const;
export const EVALUATE_FILE_OPTIONS = ['voting', 'delimiter', 'quote', 'header', 'missing'] as const;
