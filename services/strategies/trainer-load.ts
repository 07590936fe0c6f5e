/**
 * The latest load each trainer node reported (`trainer.load` events): worker threads, threads busy,
 * fits queued. Filled by the services that listen to the event; read by the FreeSlots strategy.
 */
export interface TrainerLoad {
  nodeID: string;
  workers: number;
  busy: number;
  queued: number;
  /** Fits this node accepts at once (its bulkhead). */
  slots: number;
  /** Fits running or queued there. */
  fits: number;
  memory?: { totalMB: number; freeMB: number; rssMB: number; threadHeapMB: number };
  at: number;
}

const loads = new Map<string, TrainerLoad>();

export function recordTrainerLoad(load: TrainerLoad): void {
  loads.set(load.nodeID, { ...load, at: Date.now() });
}

export function forgetTrainer(nodeID: string): void {
  loads.delete(nodeID);
}

export function trainerLoad(nodeID: string): TrainerLoad | undefined {
  return loads.get(nodeID);
}

/** Counts a fit sent to a node before its next report arrives, so a burst spreads out. */
export function reserveSlot(nodeID: string): void {
  const load = loads.get(nodeID);
  if (load) load.fits++;
}
