/**
 * The gateway's streaming prediction routes. Their bodies are never parsed in the gateway: the raw
 * JSON or CSV streams into the inference service (on this node or another, in 256 KB chunks, so
 * no NATS message nears the 1 MB limit whatever the batch size), and the answer streams back.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Service } from 'moleculer';
import { QuorumError } from '../../lib/errors';
import { toMoleculerError } from '../mixins/errors';
import { discardBody } from './http-errors';
import { EVALUATE_FILE_OPTIONS, PREDICT_CSV_OPTIONS, parseFileOptions } from '../../lib/inference/upload-read';
import { limiter, streamUpload } from './upload';
import { MAX_JSON_BODY_BYTES } from '../../lib/limits';

type Gateway = Service & {
  sendResponse(req: IncomingMessage, res: ServerResponse, data: unknown): void;
  sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void;
};
type GatewayRequest = IncomingMessage & { $ctx: Context; $params: Record<string, string> };

/** Largest JSON prediction body (about 250,000 rows of 16 numbers). */

/** POST /api/predict: the JSON body streams into `inference.predictJson`; its JSON text is the answer. */
export function predictJsonRoute(svc: Gateway, req: GatewayRequest, res: ServerResponse): void {
  let answered = false;
  const fail = (err: unknown) => {
    if (answered) return;
    answered = true;
    discardBody(req, res);
    svc.sendError(req, res, toMoleculerError(err));
  };
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    return fail(
      new QuorumError(
        'UNSUPPORTED_MEDIA_TYPE',
        `unsupported Content-Type '${type || '(none)'}': send the rows as application/json, or a CSV file to POST /api/predict/csv`,
      ),
    );
  }
  if (Number(req.headers['content-length']) > MAX_JSON_BODY_BYTES) {
    return fail(
      new QuorumError(
        'PAYLOAD_TOO_LARGE',
        `the JSON body is larger than ${MAX_JSON_BODY_BYTES / 1048576} MB: send fewer rows per request, or a CSV file to POST /api/predict/csv`,
      ),
    );
  }
  const body = req.pipe(limiter(MAX_JSON_BODY_BYTES));
  req.on('error', (err) => body.destroy(err));
  req.$ctx
    // retries: 0 — a retry would read the body stream again, and find it empty
    .call('inference.predictJson', body, { timeout: 0, retries: 0, meta: { sizeHint: Number(req.headers['content-length']) || undefined } })
    .then((data) => {
      if (answered) return;
      answered = true;
      svc.sendResponse(req, res, data);
    })
    .catch(fail);
}

/** POST /api/predict/csv: a CSV in (multipart or raw), the CSV of predictions out, streamed. */
export function predictCsvRoute(svc: Gateway, req: GatewayRequest, res: ServerResponse): void {
  streamUpload(svc, req, res, 'inference.predictCsv', { status: 200, parse: (fields) => parseFileOptions(fields, PREDICT_CSV_OPTIONS) });
}

/** POST /api/models/:version/evaluate: a labelled CSV in, the evaluation report out. */
export function evaluateFileRoute(svc: Gateway, req: GatewayRequest, res: ServerResponse): void {
  streamUpload(svc, req, res, 'inference.evaluateFile', {
    status: 200,
    parse: (fields) => parseFileOptions(fields, EVALUATE_FILE_OPTIONS),
    extra: { version: req.$params.version },
  });
}
