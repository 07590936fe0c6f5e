/**
 * Entry point of an inference thread: holds the member models of the versions it was given (loaded
 * once from shared artifact bytes) and predicts row ranges of shared feature matrices with them.
 * Outputs are raw model outputs (the main thread aligns classes and votes).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DenseSpec } from '../data/preprocess';
import { QuorumError, isErrorCode } from '../errors';
import type { TrainedModel } from '../models/model';
import { loadModel } from './ensemble';
import { memberInputs, type MemberInput } from './inputs';
import type { FromPredictWorker, ToPredictWorker } from './predict-protocol';

const port = parentPort;
if (!port) throw new Error('predict-worker must run in a worker thread');

const tfBackend = (workerData as { tfBackend?: string } | undefined)?.tfBackend ?? 'auto';
/** ensemble key → its members' models, what each reads, and the version's dense transform */
const versions = new Map<string, { models: Map<string, TrainedModel>; inputs: Map<string, MemberInput>; dense?: DenseSpec }>();

function post(message: FromPredictWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function handle(message: ToPredictWorker): Promise<void> {
  if (message.type === 'load') {
    const models = new Map<string, TrainedModel>();
    try {
      for (const m of message.members) models.set(m.id, await loadModel(new Uint8Array(m.bytes), { tfBackend }));
    } catch (err) {
      models.forEach((model) => model.dispose());
      throw err;
    }
    versions.get(message.version)?.models.forEach((model) => model.dispose());
    versions.set(message.version, {
      models,
      inputs: new Map(message.members.map((m) => [m.id, { id: m.id, input: m.input, dense: m.dense }])),
      dense: message.dense,
    });
    post({ type: 'done', id: message.id });
  } else if (message.type === 'drop') {
    versions.get(message.version)?.models.forEach((model) => model.dispose());
    versions.delete(message.version);
  } else {
    const held = versions.get(message.version);
    if (!held) throw new QuorumError('INTERNAL', `version '${message.version}' is not loaded in this thread`);
    const { cols, start, end } = message;
    const x = { data: new Float32Array(message.x, start * cols * 4, (end - start) * cols), rows: end - start, cols };
    const input = memberInputs(held.dense, x);
    const outputs = message.members.map((id) => {
      const model = held.models.get(id);
      if (!model) throw new QuorumError('INTERNAL', `member '${id}' of '${message.version}' is not loaded in this thread`);
      return model.predict(input(held.inputs.get(id)!));
    });
    post(
      { type: 'predicted', id: message.id, outputs },
      outputs.map((o) => o.buffer as ArrayBuffer),
    );
  }
}

port.on('message', (message: ToPredictWorker) => {
  handle(message).catch((err: Error) => {
    if (message.type === 'drop') return;
    const e = err as Error & { code?: unknown; data?: Record<string, unknown> };
    post({ type: 'error', id: message.id, error: { code: isErrorCode(e.code) ? e.code : 'INTERNAL', message: e.message, data: e.data } });
  });
});
