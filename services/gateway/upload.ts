/**
 * Streaming uploads through the gateway: `multipart/form-data` (one file; option fields sent
 * before it) or a raw body (`text/csv`, `application/gzip`, `application/octet-stream`) with
 * options in the query string. The file stream goes straight into the target action: nothing is
 * buffered whole, and the size limit stops an oversized upload as soon as it is crossed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import Busboy from 'busboy';
import type { Context, Service } from 'moleculer';
import { QuorumError } from '../../lib/errors';
import { parseJson } from '../../lib/util/json-guard';
import { quorumConfig } from '../ports/config';
import { toMoleculerError } from '../mixins/errors';
import { discardBody } from './http-errors';

type Gateway = Service & {
  sendResponse(req: IncomingMessage, res: ServerResponse, data: unknown): void;
  sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void;
};

const RAW_TYPES = [
  'text/csv',
  'text/plain',
  'text/tab-separated-values',
  'application/csv',
  'application/gzip',
  'application/x-gzip',
  'application/octet-stream',
];

/** Option fields: JSON for arrays and objects, or comma lists for `missing` and `ignore`. */
export function parseUploadOptions(fields: Record<string, string>): { name?: string; options: Record<string, unknown> } {
  const options: Record<string, unknown> = {};
  const list = (key: string, raw: string) => {
    if (raw.trim().startsWith('[')) {
      try {
        const parsed = parseJson(raw, `option '${key}'`);
        if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) return parsed;
      } catch (err) {
        if (err instanceof QuorumError && err.code !== 'BAD_JSON') throw err;
      }
      throw new QuorumError('BAD_REQUEST', `option '${key}' must be a JSON array of strings or a comma-separated list`);
    }
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s, i, all) => s !== '' || all.length === 1);
  };
  for (const [key, raw] of Object.entries(fields)) {
    if (raw === undefined || key === 'name' || key === 'file') continue;
    switch (key) {
      case 'delimiter':
        options.delimiter = raw === '\\t' || raw === 'tab' ? '\t' : raw;
        break;
      case 'quote':
        options.quote = raw;
        break;
      case 'header':
        if (!['true', 'false'].includes(raw)) throw new QuorumError('BAD_REQUEST', `option 'header' must be true or false, got '${raw}'`);
        options.header = raw === 'true';
        break;
      case 'missing':
      case 'ignore':
        options[key] = list(key, raw);
        break;
      case 'types':
        try {
          options.types = parseJson(raw, "option 'types'");
        } catch (err) {
          if (err instanceof QuorumError && err.code !== 'BAD_JSON') throw err;
          throw new QuorumError('BAD_REQUEST', `option 'types' must be JSON, e.g. {"zip":"categorical"}`);
        }
        break;
      case 'activate':
        options.activate = raw === 'true';
        break;
      default:
        throw new QuorumError('BAD_REQUEST', `unknown upload option '${key}': use name, delimiter, quote, header, missing, ignore or types`);
    }
  }
  return { name: fields.name || undefined, options };
}

/** Option fields of `POST /api/models/import`: `name` (the model name to register under) and `trust=unsigned`. */
export function parseImportOptions(fields: Record<string, string>): { name?: string; options: Record<string, unknown> } {
  const options: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(fields)) {
    if (raw === undefined || key === 'name' || key === 'file') continue;
    if (key !== 'trust') throw new QuorumError('BAD_REQUEST', `unknown import option '${key.slice(0, 60)}': use name or trust`);
    if (raw !== 'unsigned')
      throw new QuorumError('BAD_REQUEST', `trust must be 'unsigned' (to import a file no known key signed, marked unverified), got '${raw.slice(0, 40)}'`);
    options.trust = raw;
  }
  return { name: fields.name || undefined, options };
}

/** Counts bytes and fails the stream with PAYLOAD_TOO_LARGE past `limit`. */
export function limiter(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit)
        return done(new QuorumError('PAYLOAD_TOO_LARGE', `upload is larger than the limit of ${Math.round(limit / 1048576)} MB (UPLOAD_LIMIT_MB)`));
      done(null, chunk);
    },
  });
}

/** What an upload route may change: the success status, and how option fields are read. */
export interface UploadRoute {
  /** Default 201 (something was created); 200 for an upload that only computes an answer. */
  status?: number;
  /** Default {@link parseUploadOptions} (dataset and import options). */
  parse?: (fields: Record<string, string>) => { name?: string; options: Record<string, unknown> };
  /** Added to the options (route parameters such as a version). */
  extra?: Record<string, unknown>;
  /** Where what a 201 created can be read (its `Location`). */
  location?: (created: { id?: string }) => string;
}

const datasetLocation = (created: { id?: string }): string => `/api/datasets/${encodeURIComponent(created.id ?? '')}`;

export function streamUpload(svc: Gateway, req: IncomingMessage & { $ctx: Context }, res: ServerResponse, action: string, route: UploadRoute = {}): void {
  const limit = quorumConfig(svc.broker).uploadLimitBytes;
  let answered = false;
  const fail = (err: unknown) => {
    if (answered) return;
    answered = true;
    discardBody(req, res);
    svc.sendError(req, res, toMoleculerError(err));
  };
  const call = (file: Readable, filename: string | undefined, fields: Record<string, string>) => {
    let parsed: ReturnType<typeof parseUploadOptions>;
    try {
      parsed = (route.parse ?? parseUploadOptions)(fields);
      if (route.extra) parsed.options = { ...parsed.options, ...route.extra };
    } catch (err) {
      file.resume();
      return fail(err);
    }
    const body = file.pipe(limiter(limit));
    // The declared size lets the reader reserve its columns once (multipart adds a few hundred bytes).
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > 0) parsed.options.sizeHint = declared;
    file.on('error', (err) => body.destroy(err));
    req.$ctx
      // retries: 0 — a retry would get the stream already read (an empty body), never the file again
      .call(action, body, { meta: { filename, name: parsed.name, options: parsed.options, activate: parsed.options.activate }, timeout: 0, retries: 0 })
      .then((data) => {
        if (answered) return;
        answered = true;
        res.statusCode = route.status ?? 201;
        if (res.statusCode === 201) (req.$ctx.meta as { $location?: string }).$location = (route.location ?? datasetLocation)(data as { id?: string });
        svc.sendResponse(req, res, data);
      })
      .catch(fail);
  };

  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit + 1024 * 1024) {
    return fail(
      new QuorumError(
        'PAYLOAD_TOO_LARGE',
        `upload of ${Math.round(declared / 1048576)} MB is larger than the limit of ${Math.round(limit / 1048576)} MB (UPLOAD_LIMIT_MB)`,
      ),
    );
  }
  if (type === 'multipart/form-data') {
    let busboy: Busboy.Busboy;
    try {
      busboy = Busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 64 * 1024, fileSize: limit } });
    } catch (err) {
      return fail(new QuorumError('BAD_REQUEST', `malformed multipart request: ${(err as Error).message}`));
    }
    // No prototype: a field named __proto__ is an unknown option like any other, never an assignment to the prototype.
    const fields: Record<string, string> = Object.create(null);
    let files = 0;
    busboy.on('field', (name, value) => (fields[name] = value));
    busboy.on('file', (_field, file, info) => {
      files++;
      if (files > 1) return file.resume();
      file.on('limit', () =>
        file.destroy(new QuorumError('PAYLOAD_TOO_LARGE', `upload is larger than the limit of ${Math.round(limit / 1048576)} MB (UPLOAD_LIMIT_MB)`)),
      );
      call(file, info.filename, fields);
    });
    busboy.on('error', (err) => fail(new QuorumError('BAD_REQUEST', `malformed multipart request: ${(err as Error).message}`)));
    busboy.on('close', () => {
      if (files === 0) fail(new QuorumError('BAD_REQUEST', "no file in the request: send the CSV as a multipart field named 'file'"));
    });
    req.pipe(busboy);
    return;
  }
  if (RAW_TYPES.includes(type)) {
    const url = new URL(req.url ?? '/', 'http://x');
    const fields = Object.fromEntries(url.searchParams.entries());
    return call(req, fields.filename, Object.fromEntries(Object.entries(fields).filter(([k]) => k !== 'filename')));
  }
  fail(
    new QuorumError(
      'UNSUPPORTED_MEDIA_TYPE',
      `unsupported Content-Type '${type || '(none)'}': send multipart/form-data with a 'file' field, or the CSV itself as text/csv (gzip: application/gzip)`,
    ),
  );
}
