/**
 * Entry point of a pool thread: fits and predicts with any model kind, off the main event loop.
 * Errors travel back as {code, message, data}; the pool turns them into QuorumErrors again.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { breakTeam, memberLoop, ThreadTeam } from '../core/team';
import { teamMember, type KernelMemory, type KernelModule } from '../models/gbm/hist-kernel';
import { QuorumError, isErrorCode } from '../errors';
import { decodeArtifact, encodeArtifact } from '../core/container';
import { resolveModelKind } from '../models/kinds';
import type { FitProgress, TrainingSet } from '../models/model';
import type { ModelKind } from '../models/model';
import type { FitJob, FromWorker, PredictJob, TeamLead, ToWorker, WorkerError, WorkerSettings } from './protocol';

const port = parentPort;
if (!port) throw new Error('fit-worker must run in a worker thread');

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

const settings: WorkerSettings = { tfBackend: 'auto', ...(workerData as Partial<WorkerSettings> | undefined) };
const initialised = new Map<string, Promise<void>>();

/** Runs a kind's one-time thread set-up (TensorFlow.js backend) and tells the pool what it chose. */
function ready(kind: ModelKind<unknown>): Promise<void> {
  if (!kind.init) return Promise.resolve();
  let done = initialised.get(kind.name);
  if (!done) {
    done = kind.init({ backend: settings.tfBackend }).then((info) => {
      if (info) post({ type: 'initialised', kind: kind.name, info });
    });
    initialised.set(kind.name, done);
  }
  return done;
}

function toWorkerError(err: unknown): WorkerError {
  if (err instanceof QuorumError) return { code: err.code, message: err.message, data: err.data };
  const e = err as Error;
  const code = isErrorCode((e as { code?: unknown })?.code) ? (e as unknown as { code: string }).code : 'FIT_FAILED';
  return { code, message: e?.message ?? String(err) };
}

async function fit(id: number, job: FitJob, cancel: Int32Array, lead?: TeamLead): Promise<void> {
  const kind = resolveModelKind(job.kind);
  // The threads the pool lent this fit: they wait on the control block for the memory and the steps.
  const team = lead ? new ThreadTeam(lead.control, lead.ports.length, (i, payload) => lead.ports[i].postMessage(payload)) : null;
  try {
    await fitWith(id, kind, job, cancel, team);
  } finally {
    team?.leave();
    lead?.ports.forEach((p) => p.close());
  }
}

async function fitWith(id: number, kind: ModelKind<unknown>, job: FitJob, cancel: Int32Array, team: ThreadTeam | null): Promise<void> {
  await ready(kind);
  const params = kind.params(job.params);
  const data: TrainingSet = {
    task: job.task,
    x: { data: job.train.x, rows: job.train.rows, cols: job.train.cols },
    y: job.train.y,
    nClasses: job.nClasses,
    classes: job.classes,
    features: job.features,
  };
  let lastPost = 0;
  const started = Date.now();
  const model = await kind.fit(data, params, {
    seed: job.seed,
    validation: job.validation ? { x: { data: job.validation.x, rows: job.validation.rows, cols: job.validation.cols }, y: job.validation.y } : undefined,
    initial: job.initial ? decodeArtifact(job.initial) : undefined,
    isCancelled: () => Atomics.load(cancel, 0) !== 0,
    team,
    shared: job.shared,
    onProgress: (progress: FitProgress) => {
      const now = Date.now();
      // Learning-curve points always go out; plain fractions at most 5 times a second.
      if (progress.epoch === undefined && now - lastPost < 200 && progress.fraction < 1) return;
      lastPost = now;
      post({ type: 'progress', id, progress });
    },
  });
  const fitMs = Date.now() - started;
  try {
    if (job.part) {
      const part = kind.parallel!.part(model);
      post({ type: 'fitted-part', id, part, fitMs }, buffersOf(part));
      return;
    }
    const bytes = encodeArtifact(model.toArtifact());
    const artifact = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    post({ type: 'fitted', id, artifact, summary: model.summary(), fitMs }, [artifact.buffer as ArrayBuffer]);
  } finally {
    model.dispose();
  }
}

/** The buffers under the typed arrays of `data` (shared ones excepted), to move rather than copy. */
function buffersOf(data: unknown, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(data)) {
    if (data.buffer instanceof ArrayBuffer) found.add(data.buffer);
  } else if (data !== null && typeof data === 'object') {
    for (const value of Object.values(data)) buffersOf(value, found);
  }
  return [...found];
}

async function predict(id: number, job: PredictJob): Promise<void> {
  const artifact = decodeArtifact(job.artifact);
  const kind = resolveModelKind(artifact.kind);
  await ready(kind);
  const model = kind.load(artifact);
  try {
    const output = model.predict({ data: job.x, rows: job.rows, cols: job.cols });
    post({ type: 'predicted', id, output }, [output.buffer as ArrayBuffer]);
  } finally {
    model.dispose();
  }
}

/**
 * Lent to another thread's fit: once the leader sends the shared memory on `teamPort`, this thread
 * runs the leader's steps (blocking) until the team is left, then takes messages again.
 */
function join(id: number, control: Int32Array, index: number, teamPort: MessagePort): void {
  let done = false;
  const leave = (): void => {
    if (done) return;
    done = true;
    teamPort.close();
    post({ type: 'left', id });
  };
  teamPort.once('message', (payload: { memory: KernelMemory; module: KernelModule }) => {
    try {
      memberLoop(control, index, teamMember(payload));
    } catch {
      breakTeam(control); // the leader's step throws rather than waiting for this thread
    } finally {
      leave();
    }
  });
  // The leader ended (or never needed the team) before handing over its memory.
  teamPort.once('close', leave);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'join') return join(message.id, message.control, message.index, message.port);
  const run = async (): Promise<void> =>
    message.type === 'fit' ? fit(message.id, message.job, message.cancel, message.team) : predict(message.id, message.job);
  run().catch((err) => post({ type: 'error', id: message.id, error: toWorkerError(err) }));
});
post({ type: 'ready' });
