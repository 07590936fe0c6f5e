/**
 * Local voting: every member runs in this process. Small batches run at once on the event loop;
 * large ones run on the prediction threads when there are any (every core, event loop free), else
 * in slices with a turn of the event loop between them (see `slices.ts`).
 */
import type { Matrix } from '../models/model';
import type { Ensemble, MemberSet } from './ensemble';
import { PredictPool } from './predict-pool';
import { inSlices, SLICE_ROWS } from './slices';
import type { MemberVote } from './version-view';

export interface LocalVoting {
  /** Each member's aligned output on `x` (voters; with 'all' the baseline members after them). */
  votes(ensemble: Ensemble, x: Matrix, which: MemberSet): Promise<MemberVote[]>;
  /** An ensemble left memory: free what the threads hold for it. */
  forget(ensemble: Ensemble): void;
  close(): Promise<void>;
}

export interface LocalOptions {
  /** Prediction threads (0: none). */
  workers?: number;
  sliceRows?: number;
  tfBackend?: string;
}

/**
 * Local voting with `workers` prediction threads (0: none; batches of at least 1,024 rows go to
 * the threads, the rest run on the event loop in slices of `sliceRows`, default 2,048).
 */
export function localVoting(options: LocalOptions = {}): LocalVoting {
  const sliceRows = options.sliceRows ?? SLICE_ROWS;
  const pool = options.workers ? new PredictPool(options.workers, { tfBackend: options.tfBackend }) : undefined;
  return {
    votes: (ensemble, x, which) =>
      pool && ensemble.artifacts && pool.worthIt(x.rows) ? pool.votes(ensemble, x, which) : inSlices(x, (part) => ensemble.votes(part, which), sliceRows),
    forget: (ensemble) => pool?.forget(ensemble),
    close: async () => pool?.close(),
  };
}
