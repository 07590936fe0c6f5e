/**
 * Messages between the worker pool (main thread) and a fit worker. Matrices travel in
 * SharedArrayBuffers so the parts of one parallel fit read the same rows without copies.
 */
import type { MessagePort } from 'node:worker_threads';
import type { FeatureInfo, FitProgress, Task } from '../models/model';

export interface SharedSet {
  x: Float32Array;
  rows: number;
  cols: number;
  y: Float32Array;
}

export interface FitJob {
  kind: string;
  params: unknown;
  seed: number;
  task: Task;
  nClasses: number;
  classes?: string[];
  features: FeatureInfo[];
  train: SharedSet;
  validation?: SharedSet;
  /** Encoded artifact to start from (training by parameter averaging). */
  initial?: Uint8Array;
  /** A part of a parallel fit: the thread answers with the kind's part data (`parallel.part`), not an artifact. */
  part?: boolean;
  /** What the kind's `parallel.prepare` computed once for every part (`FitContext.shared`). */
  shared?: unknown;
}

export interface PredictJob {
  artifact: Uint8Array;
  x: Float32Array;
  rows: number;
  cols: number;
}

/**
 * A fit spread over a team (core/team.ts): the leader gets one port per member (to hand them the
 * shared memory) and the control block; each member gets its port, its index and the control block.
 */
export interface TeamLead {
  control: Int32Array;
  ports: MessagePort[];
}

export type ToWorker =
  | { type: 'fit'; id: number; job: FitJob; cancel: Int32Array; team?: TeamLead }
  | { type: 'predict'; id: number; job: PredictJob }
  | { type: 'join'; id: number; control: Int32Array; index: number; port: MessagePort };

/** Given to every pool thread at start. */
export interface WorkerSettings {
  /** TensorFlow.js backend preference: 'auto', 'node', 'wasm' or 'cpu'. */
  tfBackend: string;
}

export interface WorkerError {
  code: string;
  message: string;
  data?: Record<string, unknown>;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'initialised'; kind: string; info: Record<string, unknown> }
  | { type: 'progress'; id: number; progress: FitProgress }
  | { type: 'fitted'; id: number; artifact: Uint8Array; summary: Record<string, unknown>; fitMs: number }
  | { type: 'fitted-part'; id: number; part: unknown; fitMs: number }
  | { type: 'predicted'; id: number; output: Float32Array }
  /** A thread lent to a team is back (the fit ended, or the pool took it back): its slot is free. */
  | { type: 'left'; id: number }
  | { type: 'error'; id: number; error: WorkerError };
