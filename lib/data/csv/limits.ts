/**
 * The one decompression guard of every route that reads a CSV: dataset uploads and ingests,
 * `POST /api/predict/csv` and `POST /api/models/:version/evaluate`. The bytes are counted as they
 * come out of the decompressor (`ChunkSource` in lib/data/csv/source.ts), and the request is
 * refused 413 PAYLOAD_TOO_LARGE as soon as either limit is passed — never after inflating it whole.
 */
import type { QuorumConfig } from '../../config';

export type CsvLimitConfig = Pick<QuorumConfig, 'uploadLimitBytes' | 'inferenceLimitBytes' | 'gzipMaxRatio'>;

/**
 * `dataset`: a CSV kept as a dataset (UPLOAD_LIMIT_MB). `inference`: a CSV held whole to predict
 * or evaluate (INFERENCE_LIMIT_MB, and never more than the upload limit).
 */
export function csvLimits(config: CsvLimitConfig, route: 'dataset' | 'inference'): { maxBytes: number; maxRatio: number } {
  const maxBytes = route === 'dataset' ? config.uploadLimitBytes : Math.min(config.inferenceLimitBytes, config.uploadLimitBytes);
  return { maxBytes, maxRatio: config.gzipMaxRatio };
}
