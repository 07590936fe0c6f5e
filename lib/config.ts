/**
 * Quorum's configuration: every environment variable it reads, with its default, its check and a
 * one-line description (README's configuration table is checked against this list by a test).
 * `parseConfig(env)` validates everything once at start and returns a frozen object; nothing else
 * reads `process.env`.
 */
import os from 'node:os';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { parseKeys, type KeyEntry } from './security/keys';
import { isLoopback } from './security/hosts';

export const ALL_SERVICES = ['api', 'coordinator', 'trainer', 'registry', 'inference'] as const;
export type ServiceName = (typeof ALL_SERVICES)[number];

export const BALANCERS = ['RoundRobin', 'Random', 'CpuUsage', 'Latency', 'FreeSlots'] as const;
export const ACTIVATION_POLICIES = ['always', 'if-better', 'manual'] as const;
export const TF_BACKENDS = ['auto', 'node', 'wasm', 'cpu'] as const;
export const VOTING_MODES = ['local', 'broadcast'] as const;

export interface QuorumConfig {
  nodeID?: string;
  namespace: string;
  transporter: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  services: ServiceName[];
  host: string;
  port: number;
  /** Where Quorum keeps datasets, jobs, blobs and model versions. */
  stateDir: string;
  /** Folders a file may be ingested from by path (first match wins). */
  dataDirs: string[];
  uploadLimitBytes: number;
  /** Largest CSV a prediction or an evaluation reads (after gunzip): it is held whole as a table. */
  inferenceLimitBytes: number;
  /** Most bytes of CSV text per gzip byte (decompression bombs). */
  gzipMaxRatio: number;
  /** Largest estimated memory of one member's fit, in bytes (FIT_TOO_LARGE before the job starts). */
  fitMemoryBytes: number;
  /** Longest one member's fit may run (seconds): estimated at admission, enforced on the trainer. */
  fitTimeBudgetS: number;
  /** Largest estimated memory of a job's model loaded for prediction and evaluation (bytes). */
  modelMemoryBytes: number;
  /** Most members of one training job. */
  maxMembers: number;
  trainerWorkers: number;
  trainerHeapMb: number;
  /** Node-local dataset of a trainer (a path it reads itself; only models travel). */
  trainerData: string | null;
  /** Retrain a node-local member when this share of rows was added to its file… */
  retrainRows: number;
  /** …or when a numeric feature's population stability index reaches this. */
  retrainDrift: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  requestTimeoutMs: number;
  fitTimeoutMs: number;
  fitAttempts: number;
  trainerWaitMs: number;
  balancer: (typeof BALANCERS)[number];
  activation: (typeof ACTIVATION_POLICIES)[number];
  tfBackend: (typeof TF_BACKENDS)[number];
  predictTimeoutMs: number;
  /** Default way to vote: every member in the inference process, or each trainer node with its own. */
  votingMode: (typeof VOTING_MODES)[number];
  /** Broadcast voting: members that must vote (≥ 1: a count; below 1: a share of the members). */
  predictQuorum: number;
  /** Threads of an inference node for large batches (0: predict on the event loop, in slices). */
  inferenceWorkers: number;
  /** Web origins (`https://app.example.com`) other than the gateway's own that may call the API. */
  corsOrigins: string[];
  /** Keys from API_KEYS (null: none set there). */
  apiKeys: KeyEntry[] | null;
  /** A file of keys, read at start and on SIGHUP (null: none). */
  apiKeysFile: string | null;
  /** Requests per minute per key (or per client IP without keys); 0: no limit. */
  rateLimit: number;
  /** Failed authentications a minute per client address before every request of it is refused with 429. */
  authFailureLimit: number;
  /** Server-sent event streams one client (key or IP) may hold open at once. */
  maxSsePerClient: number;
  /** The registry's export signing secret (null: generated into the state folder). */
  exportKey: string | null;
  /** Export keys of other clusters whose exports import as verified. */
  exportTrustedKeys: string[];
  /** Training jobs one coordinator runs at once; more are refused with 429. */
  maxConcurrentJobs: number;
  /** Host names (besides localhost, IP literals and HOST) requests may name; `*`: any. */
  allowedHosts: string[];
  /** Moleculer's metrics and Quorum's, served as Prometheus text at GET /metrics. */
  metrics: boolean;
  logFormat: 'text' | 'json';
  /** Credentials and TLS files of the NATS connection (null: not set). */
  nats: { user: string | null; password: string | null; token: string | null; tlsCa: string | null; tlsCert: string | null; tlsKey: string | null };
}

interface Var<K extends keyof QuorumConfig> {
  env: string;
  key: K;
  default: string;
  describe: string;
  /** `sofar`: the values parsed before this one (variables that fill one object together). */
  parse(raw: string, env: Record<string, string | undefined>, sofar: Partial<QuorumConfig>): QuorumConfig[K];
}

class ConfigError extends Error {}

function int(name: string, min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}=${raw}: expected an integer from ${min} to ${max}`);
    return n;
  };
}

function oneOf<T extends string>(name: string, values: readonly T[]) {
  return (raw: string): T => {
    const hit = values.find((v) => v.toLowerCase() === raw.toLowerCase());
    if (!hit) throw new ConfigError(`${name}=${raw}: expected one of ${values.join(', ')}`);
    return hit;
  };
}

/** A quorum: a whole count ≥ 1, or a share in (0, 1). */
function quorum(name: string) {
  return (raw: string): number => {
    const q = Number(raw);
    if (!Number.isFinite(q) || q <= 0 || (q >= 1 && !Number.isInteger(q))) {
      throw new ConfigError(`${name}=${raw}: expected a whole number of members (1, 2, …) or a share between 0 and 1 (0.5)`);
    }
    return q;
  };
}

/** A file that must exist and be readable when the node starts (TLS material). */
function readableFile(name: string) {
  return (raw: string): string | null => {
    if (!raw) return null;
    const file = path.resolve(raw);
    try {
      accessSync(file, constants.R_OK);
    } catch {
      throw new ConfigError(`${name}=${raw}: no readable file there`);
    }
    return file;
  };
}

const NO_NATS: QuorumConfig['nats'] = { user: null, password: null, token: null, tlsCa: null, tlsCert: null, tlsKey: null };

const natsVars: { env: string; field: keyof QuorumConfig['nats']; describe: string; parse: (raw: string) => string | null }[] = [
  { env: 'NATS_USER', field: 'user', describe: 'user name of the NATS connection (with NATS_PASSWORD)', parse: (raw) => raw || null },
  { env: 'NATS_PASSWORD', field: 'password', describe: 'password of the NATS connection; never logged', parse: (raw) => raw || null },
  { env: 'NATS_TOKEN', field: 'token', describe: 'token of the NATS connection (instead of a user and password); never logged', parse: (raw) => raw || null },
  {
    env: 'NATS_TLS_CA',
    field: 'tlsCa',
    describe: 'PEM file of the certificate authority the NATS server is checked against (turns TLS on)',
    parse: readableFile('NATS_TLS_CA'),
  },
  { env: 'NATS_TLS_CERT', field: 'tlsCert', describe: 'PEM client certificate for NATS (with NATS_TLS_KEY)', parse: readableFile('NATS_TLS_CERT') },
  { env: 'NATS_TLS_KEY', field: 'tlsKey', describe: 'PEM private key of NATS_TLS_CERT', parse: readableFile('NATS_TLS_KEY') },
];

const seconds = (name: string, min: number, max: number) => (raw: string) => int(name, min, max)(raw);

export const VARIABLES: Var<keyof QuorumConfig>[] = [
  { env: 'NODEID', key: 'nodeID', default: '', describe: 'Moleculer node id (default: host name and pid)', parse: (raw) => raw || undefined },
  { env: 'NAMESPACE', key: 'namespace', default: 'quorum', describe: 'Moleculer namespace: nodes only see nodes of the same namespace', parse: (raw) => raw },
  {
    env: 'TRANSPORTER',
    key: 'transporter',
    default: '',
    describe: 'empty: one process, no network; `nats://host:4222`: a cluster over NATS',
    parse: (raw) => {
      if (!raw) return null;
      const ok = raw.split(',').every((u) => {
        try {
          return /^nats:\/\/[^\s]+$/.test(u.trim()) && !!new URL(u.trim()).host;
        } catch {
          return false;
        }
      });
      if (!ok)
        throw new ConfigError(
          `TRANSPORTER=${raw.replace(/\/\/([^:@/]+):[^@/]*@/g, '//$1:***@')}: expected nats://host:port, several separated by commas (or empty for one process)`,
        );
      return raw;
    },
  },
  {
    env: 'LOGLEVEL',
    key: 'logLevel',
    default: 'info',
    describe: 'fatal, error, warn, info, debug or trace',
    parse: oneOf('LOGLEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const),
  },
  {
    env: 'SERVICES',
    key: 'services',
    default: ALL_SERVICES.join(','),
    describe: 'comma-separated services this node runs: api, coordinator, trainer, registry, inference',
    parse: (raw) => {
      const names = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = names.filter((n) => !(ALL_SERVICES as readonly string[]).includes(n));
      if (bad.length || names.length === 0) throw new ConfigError(`SERVICES=${raw}: unknown ${bad.join(', ') || '(empty)'}; valid: ${ALL_SERVICES.join(', ')}`);
      return [...new Set(names)] as ServiceName[];
    },
  },
  { env: 'HOST', key: 'host', default: '127.0.0.1', describe: 'address the HTTP gateway binds (`0.0.0.0` to serve other machines)', parse: (raw) => raw },
  { env: 'PORT', key: 'port', default: '3000', describe: 'HTTP port of the gateway (0: any free port)', parse: int('PORT', 0, 65535) },
  { env: 'STATE_DIR', key: 'stateDir', default: 'var', describe: 'where datasets, jobs and model versions are kept', parse: (raw) => path.resolve(raw) },
  {
    env: 'DATA_DIR',
    key: 'dataDirs',
    default: 'data',
    describe: `folders files may be ingested from by path, separated by \`${path.delimiter}\``,
    parse: (raw) =>
      raw
        .split(path.delimiter)
        .filter(Boolean)
        .map((d) => path.resolve(d)),
  },
  {
    env: 'UPLOAD_LIMIT_MB',
    key: 'uploadLimitBytes',
    default: '2048',
    describe: 'largest CSV accepted, in MB (after gzip decompression)',
    parse: (raw) => int('UPLOAD_LIMIT_MB', 1, 1 << 20)(raw) * 1024 * 1024,
  },
  {
    env: 'INFERENCE_LIMIT_MB',
    key: 'inferenceLimitBytes',
    default: '256',
    describe: 'largest CSV sent to `POST /api/predict/csv` or `/evaluate`, in MB (after gzip decompression)',
    parse: (raw) => int('INFERENCE_LIMIT_MB', 1, 1 << 20)(raw) * 1024 * 1024,
  },
  {
    env: 'GZIP_MAX_RATIO',
    key: 'gzipMaxRatio',
    default: '200',
    describe: 'most bytes of CSV per gzip byte (past 4 MB) on every CSV route; a decompression bomb is refused 413',
    parse: int('GZIP_MAX_RATIO', 2, 1 << 20),
  },
  {
    env: 'FIT_TIME_BUDGET_S',
    key: 'fitTimeBudgetS',
    default: '3600',
    describe:
      "longest one member's fit may run, in seconds: a fit estimated longer is refused 400 before the job starts, one that runs longer is stopped (FIT_TIME_EXCEEDED, not retried)",
    parse: int('FIT_TIME_BUDGET_S', 1, 604_800),
  },
  {
    env: 'MODEL_MEMORY_MB',
    key: 'modelMemoryBytes',
    default: '2048',
    describe:
      "largest estimated memory of a job's model loaded for prediction and evaluation (every member), in MB; a bigger one is refused 413 before the job starts",
    parse: (raw) => int('MODEL_MEMORY_MB', 16, 1 << 22)(raw) * 1024 * 1024,
  },
  {
    env: 'FIT_MEMORY_MB',
    key: 'fitMemoryBytes',
    default: '8192',
    describe: "largest estimated memory of one member's fit, in MB; a bigger one is refused 400 before the job starts",
    parse: (raw) => int('FIT_MEMORY_MB', 16, 1 << 22)(raw) * 1024 * 1024,
  },
  {
    env: 'MAX_MEMBERS',
    key: 'maxMembers',
    default: '1024',
    describe: 'most members (shards × kinds, and the baseline) of one training job',
    parse: int('MAX_MEMBERS', 1, 1 << 20),
  },
  {
    env: 'TRAINER_WORKERS',
    key: 'trainerWorkers',
    default: String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length)),
    describe: 'worker threads of a trainer node (default: the number of cores)',
    parse: int('TRAINER_WORKERS', 1, 1024),
  },
  {
    env: 'TRAINER_HEAP_MB',
    key: 'trainerHeapMb',
    default: '4096',
    describe: 'heap limit of one worker thread; a fit over it fails alone',
    parse: int('TRAINER_HEAP_MB', 64, 1 << 20),
  },
  {
    env: 'TRAINER_DATA',
    key: 'trainerData',
    default: '',
    describe: 'a CSV this trainer node keeps to itself, for `local` jobs',
    parse: (raw) => (raw ? path.resolve(raw) : null),
  },
  {
    env: 'RETRAIN_ROWS',
    key: 'retrainRows',
    default: '0.1',
    describe: 'a trainer with TRAINER_DATA retrains its member when its file grew by this share of rows',
    parse: (raw) => {
      const n = Number(raw);
      if (!(n > 0)) throw new ConfigError(`RETRAIN_ROWS=${raw}: expected a share above 0, e.g. 0.1 for 10 %`);
      return n;
    },
  },
  {
    env: 'RETRAIN_DRIFT',
    key: 'retrainDrift',
    default: '0.2',
    describe: '…or when a numeric column drifted this far (population stability index)',
    parse: (raw) => {
      const n = Number(raw);
      if (!(n > 0)) throw new ConfigError(`RETRAIN_DRIFT=${raw}: expected a positive PSI threshold, e.g. 0.2`);
      return n;
    },
  },
  { env: 'HEARTBEAT_INTERVAL', key: 'heartbeatInterval', default: '2', describe: 'seconds between heartbeats', parse: seconds('HEARTBEAT_INTERVAL', 1, 3600) },
  {
    env: 'HEARTBEAT_TIMEOUT',
    key: 'heartbeatTimeout',
    default: '8',
    describe: 'seconds without heartbeat before a node is declared gone',
    parse: seconds('HEARTBEAT_TIMEOUT', 2, 36000),
  },
  {
    env: 'REQUEST_TIMEOUT_MS',
    key: 'requestTimeoutMs',
    default: '30000',
    describe: 'default timeout of calls between services',
    parse: int('REQUEST_TIMEOUT_MS', 100, 86_400_000),
  },
  {
    env: 'FIT_TIMEOUT_MS',
    key: 'fitTimeoutMs',
    default: '7200000',
    describe: 'longest one shard may take to fit before it is retried elsewhere',
    parse: int('FIT_TIMEOUT_MS', 1000, 604_800_000),
  },
  {
    env: 'FIT_ATTEMPTS',
    key: 'fitAttempts',
    default: '3',
    describe: 'attempts per shard (on other trainers) before the shard counts as failed',
    parse: int('FIT_ATTEMPTS', 1, 100),
  },
  {
    env: 'TRAINER_WAIT_MS',
    key: 'trainerWaitMs',
    default: '120000',
    describe: 'how long a job waits for a trainer to appear before failing',
    parse: int('TRAINER_WAIT_MS', 0, 86_400_000),
  },
  {
    env: 'BALANCER',
    key: 'balancer',
    default: 'FreeSlots',
    describe: 'how shards pick a trainer: FreeSlots (most free worker threads), RoundRobin, Random, CpuUsage, Latency',
    parse: oneOf('BALANCER', BALANCERS),
  },
  {
    env: 'ACTIVATION',
    key: 'activation',
    default: 'if-better',
    describe: 'when a finished version becomes active: always, if-better (not worse on validation), manual',
    parse: oneOf('ACTIVATION', ACTIVATION_POLICIES),
  },
  {
    env: 'TF_BACKEND',
    key: 'tfBackend',
    default: 'auto',
    describe: 'TensorFlow.js backend: auto (node if installed, else wasm, else cpu), node, wasm, cpu',
    parse: oneOf('TF_BACKEND', TF_BACKENDS),
  },
  {
    env: 'PREDICT_TIMEOUT_MS',
    key: 'predictTimeoutMs',
    default: '2000',
    describe: 'per-call timeout of broadcast voting (each trainer node answers within it or is left out)',
    parse: int('PREDICT_TIMEOUT_MS', 10, 600_000),
  },
  {
    env: 'VOTING_MODE',
    key: 'votingMode',
    default: 'local',
    describe: 'default way to vote: local (the inference node holds every member) or broadcast (each trainer node predicts with its own members)',
    parse: oneOf('VOTING_MODE', VOTING_MODES),
  },
  {
    env: 'PREDICT_QUORUM',
    key: 'predictQuorum',
    default: '0.5',
    describe: 'broadcast voting: members that must vote, as a count (1, 2, …) or a share of the members (0.5)',
    parse: quorum('PREDICT_QUORUM'),
  },
  {
    env: 'INFERENCE_WORKERS',
    key: 'inferenceWorkers',
    default: String(Math.min(4, Math.max(1, os.availableParallelism?.() ?? os.cpus().length))),
    describe: 'threads an inference node predicts large batches on (default: the number of cores, at most 4; 0: on the event loop, in slices)',
    parse: int('INFERENCE_WORKERS', 0, 256),
  },
  {
    env: 'CORS_ORIGINS',
    key: 'corsOrigins',
    default: '',
    describe: "comma-separated web origins besides the gateway's own whose pages may call the API (default: none)",
    parse: (raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((o) => {
          let url: URL | null = null;
          try {
            url = new URL(o);
          } catch {
            // reported below
          }
          if (!url || url.origin !== o.replace(/\/$/, '') || !/^https?:$/.test(url.protocol)) {
            throw new ConfigError(
              `CORS_ORIGINS: '${o}' is not an origin: write scheme, host and port only, e.g. https://app.example.com or http://127.0.0.1:8080 ('*' is not accepted)`,
            );
          }
          return url.origin;
        }),
  },
  {
    env: 'API_KEYS',
    key: 'apiKeys',
    default: '',
    describe: 'API keys as `role:key` pairs separated by commas, roles read, train, admin (default: none, the API is open on loopback only)',
    parse: (raw) => (raw ? parseKeys(raw, 'API_KEYS') : null),
  },
  {
    env: 'API_KEYS_FILE',
    key: 'apiKeysFile',
    default: '',
    describe: 'a file of `role:key` entries (one a line or comma-separated), re-read on SIGHUP',
    parse: (raw) => (raw ? path.resolve(raw) : null),
  },
  {
    env: 'RATE_LIMIT',
    key: 'rateLimit',
    default: '6000',
    describe: 'requests a minute per API key (per client IP without keys) before 429 with Retry-After; 0: no limit',
    parse: int('RATE_LIMIT', 0, 10_000_000),
  },
  {
    env: 'AUTH_FAILURE_LIMIT',
    key: 'authFailureLimit',
    default: '30',
    describe:
      'failed authentications (401) a minute per client address; past it every request of that address gets 429 with Retry-After until the minute refills; 0: no limit',
    parse: int('AUTH_FAILURE_LIMIT', 0, 10_000_000),
  },
  {
    env: 'MAX_SSE_PER_CLIENT',
    key: 'maxSsePerClient',
    default: '8',
    describe: 'event streams (GET /api/events) one key or client IP may hold open at once',
    parse: int('MAX_SSE_PER_CLIENT', 1, 10_000),
  },
  {
    env: 'EXPORT_KEY',
    key: 'exportKey',
    default: '',
    describe:
      'secret the registry signs exports with (HMAC-SHA256), 16 characters or more; unset: one generated into STATE_DIR/registry/export-key; never logged',
    parse: (raw) => {
      if (!raw) return null;
      if (raw.length < 16) throw new ConfigError('EXPORT_KEY is shorter than 16 characters: use a long random secret, e.g. openssl rand -hex 32');
      return raw;
    },
  },
  {
    env: 'EXPORT_TRUSTED_KEYS',
    key: 'exportTrustedKeys',
    default: '',
    describe:
      'comma-separated export keys of other clusters whose exports this registry imports as verified (their EXPORT_KEY or STATE_DIR/registry/export-key); never logged',
    parse: (raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
  },
  {
    env: 'MAX_CONCURRENT_JOBS',
    key: 'maxConcurrentJobs',
    default: '16',
    describe: 'training jobs a coordinator runs at once; more are refused with 429 until one ends',
    parse: int('MAX_CONCURRENT_JOBS', 1, 10_000),
  },
  {
    env: 'ALLOWED_HOSTS',
    key: 'allowedHosts',
    default: '',
    describe: 'comma-separated host names requests may be addressed to, besides localhost, IP addresses and HOST (`*`: any; against DNS rebinding)',
    parse: (raw) =>
      raw
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
  },
  {
    env: 'METRICS',
    key: 'metrics',
    default: 'on',
    describe: "on: Moleculer's and Quorum's metrics of every node as Prometheus text at `GET /metrics` (role read); off: none collected",
    parse: (raw) => oneOf('METRICS', ['on', 'off'] as const)(raw) === 'on',
  },
  {
    env: 'LOG_FORMAT',
    key: 'logFormat',
    default: 'text',
    describe: 'text: one short line per entry; json: one JSON object per line (ts, level, msg, nodeID, mod)',
    parse: oneOf('LOG_FORMAT', ['text', 'json'] as const),
  },
  ...natsVars.map((v): Var<'nats'> => ({
    env: v.env,
    key: 'nats',
    default: '',
    describe: v.describe,
    parse: (raw, _env, sofar) => ({ ...NO_NATS, ...sofar.nats, [v.field]: v.parse(raw) }),
  })),
];

/** Validates the environment; throws one Error listing every problem. */
export function parseConfig(env: Record<string, string | undefined>): Readonly<QuorumConfig> {
  const out: Partial<QuorumConfig> = {};
  const problems: string[] = [];
  for (const v of VARIABLES) {
    const raw = env[v.env] ?? v.default;
    try {
      (out as Record<string, unknown>)[v.key] = v.parse(raw.trim(), env, out);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  out.nats ??= { ...NO_NATS };
  const config = out as QuorumConfig;
  if (!problems.length && config.heartbeatTimeout <= config.heartbeatInterval) {
    problems.push(`HEARTBEAT_TIMEOUT (${config.heartbeatTimeout}) must be larger than HEARTBEAT_INTERVAL (${config.heartbeatInterval})`);
  }
  if (!problems.length && config.services.includes('api') && !isLoopback(config.host) && !config.apiKeys && !config.apiKeysFile) {
    problems.push(
      `HOST=${config.host} lets other machines reach the gateway, but no API keys are set: set API_KEYS=admin:<key>,read:<key> (roles read, train, admin; e.g. admin:$(openssl rand -hex 24)) or API_KEYS_FILE=<file>, or bind HOST=127.0.0.1`,
    );
  }
  if (!problems.length) {
    const n = config.nats;
    const set = natsVars.filter((v) => n[v.field] !== null).map((v) => v.env);
    if (set.length && !config.transporter)
      problems.push(`${set.join(', ')} set but TRANSPORTER is empty: these configure the NATS connection (TRANSPORTER=nats://host:4222)`);
    if (!!n.user !== !!n.password) problems.push('NATS_USER and NATS_PASSWORD go together: set both (or NATS_TOKEN alone)');
    if (n.token && n.user) problems.push('NATS_TOKEN and NATS_USER are both set: the NATS server takes one or the other');
    if (!!n.tlsCert !== !!n.tlsKey) problems.push('NATS_TLS_CERT and NATS_TLS_KEY go together: set both');
  }
  if (config.fitTimeoutMs < config.fitTimeBudgetS * 1000)
    problems.push(
      `FIT_TIMEOUT_MS ${config.fitTimeoutMs} is shorter than FIT_TIME_BUDGET_S ${config.fitTimeBudgetS} s: a fit within its budget would be given up and retried elsewhere; raise FIT_TIMEOUT_MS or lower FIT_TIME_BUDGET_S`,
    );
  if (!problems.length && config.apiKeys && config.apiKeysFile)
    problems.push('API_KEYS and API_KEYS_FILE are both set: keep the keys in one place (API_KEYS_FILE can be re-read on SIGHUP)');
  if (problems.length) throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return Object.freeze(config);
}
