/**
 * The fixed size limits of messages and bodies, in one place (the ones a user can set are
 * configuration: UPLOAD_LIMIT_MB, INFERENCE_LIMIT_MB, FIT_MEMORY_MB in lib/config.ts).
 * `GET /api/options` shows the ones a client meets as `limits`.
 */
const MB = 1024 * 1024;

/** Largest JSON prediction body (`POST /api/predict`: rows travel in it; parsed in slices, see lib/inference/json-rows.ts). */
export const MAX_JSON_BODY_BYTES = 64 * MB;
/** Largest JSON body of every other route (a training request, an ingest by path, an activation): parsed whole on the event loop. */
export const MAX_JSON_REQUEST_BYTES = 1 * MB;
/** Answers and replies above this size travel as streams (no broker message over 1 MB). */
export const STREAM_ABOVE_BYTES = 512 * 1024;
/** Largest member artifact or validation set the registry takes. */
export const MAX_ARTIFACT_BYTES = 2 * 1024 * MB - 1;
/** Largest export file `POST /api/models/import` takes. */
export const MAX_IMPORT_BYTES = 4 * 1024 * MB - 1;
/** Most bytes of a refused request's body read and dropped before the connection is cut. */
export const DISCARD_MAX_BYTES = 64 * MB;
/** Rows of one `POST /api/predict` request. */
export const MAX_PREDICT_ROWS = 100_000;
