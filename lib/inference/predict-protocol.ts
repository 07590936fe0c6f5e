/** Messages between the inference predict pool (main thread) and its threads. */
import type { DenseSpec } from '../data/preprocess';

export type ToPredictWorker =
  /** Load these members of a version (artifact bytes in SharedArrayBuffers: one copy for all threads). */
  | {
      type: 'load';
      id: number;
      version: string;
      members: { id: string; input: 'native' | 'dense'; dense?: DenseSpec; bytes: SharedArrayBuffer }[];
      dense?: DenseSpec;
    }
  /** Predict rows [start, end) of the shared row-major float32 matrix `x` with `members`. */
  | { type: 'predict'; id: number; version: string; members: string[]; x: SharedArrayBuffer; cols: number; start: number; end: number }
  | { type: 'drop'; id: number; version: string };

export type FromPredictWorker =
  | { type: 'done'; id: number }
  | { type: 'predicted'; id: number; outputs: Float32Array[] }
  | { type: 'error'; id: number; error: { code: string; message: string; data?: Record<string, unknown> } };
