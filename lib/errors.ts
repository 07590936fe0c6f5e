/**
 * The error catalogue: every error Quorum raises on purpose has a stable UPPER_SNAKE code, an HTTP
 * status and a retryable flag. `lib/` throws {@link QuorumError}; the service layer turns it into a
 * Moleculer error whose `type` is the code (remote callers match on `type`, never on the message).
 *
 * Messages name the offending value and, where there is one, the fix.
 */

export interface ErrorSpec {
  /** HTTP status the gateway answers with. */
  status: number;
  /** A retryable error may succeed on another node or later (Moleculer retries it). */
  retryable: boolean;
}

const client = (status: number): ErrorSpec => ({ status, retryable: false });
const server = (status: number, retryable = true): ErrorSpec => ({ status, retryable });

export const ERRORS = {
  // -- requests ------------------------------------------------------------------------------
  BAD_REQUEST: client(400),
  BAD_JSON: client(400),
  /** A request key the action does not declare (the message names it and the valid ones). */
  UNKNOWN_KEY: client(400),
  /** A JSON body nested deeper than any Quorum request needs (see lib/util/json-guard.ts). */
  JSON_TOO_DEEP: client(400),
  /** A `__proto__`, `constructor` or `prototype` key anywhere in a request (see lib/util/json-guard.ts). */
  PROTOTYPE_KEY: client(400),
  /** A request path no route and no dashboard file can have (dot segments, encoded separators…). */
  BAD_PATH: client(400),
  /** A state-changing request from a web page of another origin, or a preflight for one. */
  CROSS_ORIGIN_FORBIDDEN: client(403),
  /** No API key, or one the gateway does not know. */
  UNAUTHORIZED: client(401),
  /** A key whose role is below the route's (the message names the role needed). */
  FORBIDDEN: client(403),
  /** A Host header that names neither this gateway nor an ALLOWED_HOSTS entry (DNS rebinding). */
  HOST_NOT_ALLOWED: client(403),
  /** More requests a minute than RATE_LIMIT, or more open event streams than MAX_SSE_PER_CLIENT. */
  RATE_LIMITED: client(429),
  TOO_MANY_STREAMS: client(429),
  /** MAX_CONCURRENT_JOBS jobs are running on this coordinator. */
  TOO_MANY_JOBS: client(429),
  UNSUPPORTED_MEDIA_TYPE: client(415),
  PAYLOAD_TOO_LARGE: client(413),
  /** An export no trusted key signed (or altered after signing), imported without trust=unsigned. */
  UNSIGNED_EXPORT: client(422),
  NOT_FOUND: client(404),
  CONFLICT: client(409),

  // -- data in -------------------------------------------------------------------------------
  EMPTY_FILE: client(400),
  NOT_CSV: client(400),
  BAD_ENCODING: client(400),
  CSV_PARSE_ERROR: client(400),
  RAGGED_ROW: client(400),
  FIELD_TOO_LARGE: client(400),
  DUPLICATE_COLUMN: client(400),
  NO_DATA_ROWS: client(400),
  PATH_NOT_ALLOWED: client(403),
  FILE_NOT_FOUND: client(404),
  DATASET_NOT_FOUND: client(404),
  UNKNOWN_COLUMN: client(400),
  TARGET_ONE_CLASS: client(422),
  TARGET_ALL_MISSING: client(422),
  TARGET_NOT_NUMERIC: client(422),
  TOO_FEW_ROWS: client(422),
  NO_FEATURES: client(422),
  UNKNOWN_STRATEGY: client(400),
  /**
   * Values a column's type cannot hold: text in a column forced to numeric, datetime or boolean, or
   * after 4,096 distinct numbers. One error names every such column (`data.columns`). A column of
   * mostly numbers with a few words is no error: it is read as categorical, with a warning.
   */
  STRAY_TEXT: client(400),
  TOO_MANY_COLUMNS: client(400),
  /** A `delimiter` option that the header does not contain while another candidate does. */
  WRONG_DELIMITER: client(400),

  // -- models --------------------------------------------------------------------------------
  UNKNOWN_MODEL_KIND: client(400),
  BAD_MODEL_PARAMS: client(400),
  /** A fit whose estimated memory is over FIT_MEMORY_MB (refused before the job is accepted). */
  FIT_TOO_LARGE: client(400),
  /** A fit estimated (FIT_TOO_SLOW) or found (FIT_TIME_EXCEEDED) to run past FIT_TIME_BUDGET_S. */
  FIT_TOO_SLOW: client(400),
  FIT_TIME_EXCEEDED: client(422),
  /** A model estimated too large to store, or to load for prediction within MODEL_MEMORY_MB. */
  MODEL_TOO_LARGE: client(413),
  /** A job of more members than MAX_MEMBERS. */
  TOO_MANY_MEMBERS: client(400),
  MODEL_TASK_MISMATCH: client(422),
  BAD_ARTIFACT: client(422),
  UNSUPPORTED_FORMAT_VERSION: client(422),
  /** Iterative training produced a non-finite loss: a parameter (learning rate) problem, not retryable. */
  TRAINING_DIVERGED: client(422),
  UNKNOWN_VOTING_RULE: client(400),

  // -- jobs, versions, predictions -------------------------------------------------------------
  JOB_NOT_FOUND: client(404),
  JOB_FINISHED: client(409),
  VERSION_NOT_FOUND: client(404),
  VERSION_NOT_READY: client(409),
  NO_ACTIVE_MODEL: client(404),
  MISSING_COLUMNS: client(400),
  BAD_VALUE: client(400),

  // -- cluster (retryable: another node or a later attempt may succeed) -------------------------
  NO_TRAINERS: server(503),
  SERVICE_UNAVAILABLE: server(503),
  /** The node is still starting its services (the gateway answers with Retry-After). */
  STARTING: server(503),
  TRAINER_BUSY: server(503),
  TRAINER_LEAVING: server(503),
  BLOB_NOT_FOUND: server(503),
  CHECKSUM_MISMATCH: server(502),
  STREAM_STALLED: server(502),
  /** A data-parallel step was abandoned: another trainer of the job failed during it (the driver runs it again). */
  STEP_ABORTED: server(503),
  FIT_FAILED: server(500),
  CANCELLED: server(409, false),
  QUORUM_NOT_REACHED: server(503),
  INTERNAL: server(500, false),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class QuorumError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly data?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, data?: Record<string, unknown>) {
    super(message);
    this.name = 'QuorumError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.retryable = ERRORS[code].retryable;
    this.data = data;
  }
}

/** True when `code` names an entry of the catalogue (used when errors arrive from other nodes). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, code);
}

/** An error as a workflow sees it, wherever it was thrown: catalogue code, retryable, the node it came from. */
export interface RemoteFailure {
  code: string;
  message: string;
  retryable: boolean;
  node?: string;
}

/**
 * The one mapping of errors that cross nodes: a QuorumError (`code`), a Moleculer error from
 * another node (`type` carries the catalogue code, `code` is the HTTP status, `data.nodeID` or
 * `nodeID` the node) or anything else (`fallback`).
 */
export function remoteFailure(err: unknown, fallback = 'INTERNAL'): RemoteFailure {
  const e = (err ?? {}) as {
    code?: unknown;
    type?: unknown;
    message?: string;
    retryable?: boolean;
    node?: string;
    nodeID?: string;
    data?: { nodeID?: string };
  };
  const code = typeof e.code === 'string' && e.code ? e.code : typeof e.type === 'string' && e.type ? e.type : fallback;
  return { code, message: e.message ?? String(err), retryable: e.retryable ?? false, node: e.node ?? e.data?.nodeID ?? e.nodeID };
}

/** Lists valid names in an "unknown X" message: `'a', 'b' or 'c'`. */
export function listNames(names: readonly string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

const PREVIEW_CHARS = 120;

function previewFlat(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? `${value}n` : String(value);
  return Array.isArray(value) ? '[…]' : '{…}';
}

/**
 * A short, flat picture of a value for an error message or `data`: at most one level of an
 * object or array (deeper levels as `{…}` / `[…]`), at most 120 characters, and it never throws.
 * Values a user sent are echoed through this, so an error can never cost more than its message.
 */
export function previewValue(value: unknown): string {
  try {
    let out: string;
    if (Array.isArray(value)) {
      const items = value.slice(0, 5).map(previewFlat);
      out = `[${items.join(', ')}${value.length > 5 ? `, … (${value.length} items)` : ''}]`;
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      const items = keys
        .slice(0, 5)
        .map((k) => `${JSON.stringify(k.length > 30 ? `${k.slice(0, 30)}…` : k)}: ${previewFlat((value as Record<string, unknown>)[k])}`);
      out = `{${items.join(', ')}${keys.length > 5 ? `, … (${keys.length} keys)` : ''}}`;
    } else {
      out = previewFlat(value);
    }
    return out.length > PREVIEW_CHARS ? `${out.slice(0, PREVIEW_CHARS - 1)}…` : out;
  } catch {
    return '(a value that cannot be shown)';
  }
}
