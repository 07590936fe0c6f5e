/**
 * What a data-parallel fit costs, as the drivers count it: round trips, bytes, time waiting for the
 * trainers and of it their compute.
 */

export interface DriverCost {
  roundTrips: number;
  /** Reply bytes (histograms, counts, rows) and request bytes (JSON) over all shards. */
  bytesIn: number;
  bytesOut: number;
  /** Waiting for ports (communication plus the sessions' compute) and the driver's own compute. */
  portMs: number;
  /**
   * The sessions' compute on the critical path: per call, the slowest shard's compute time (0 when
   * the ports cannot tell). portMs − sessionMs is the time in communication.
   */
  sessionMs: number;
  driverMs: number;
  levels: number;
  treesPerBatch: number;
  histNodes: number;
  rowNodes: number;
  /** Bytes the trainers sent each other (boosted reduce-scatter: blocks of their local sums). */
  peerBytes?: number;
  /** Shards and trainers the fit ran over (trainers: at the end). */
  shards?: number;
  trainers?: number;
  /** Steps run again from the rows after a trainer was lost. */
  rebuilds?: number;
  /**
   * Boosted steps: per step the longest a trainer spent on it, from the request's arrival to its
   * answer (its compute, the hops to its session thread, the exchange with the other trainers);
   * portMs − trainerMs is the broker's part.
   */
  trainerMs?: number;
}

/**
 * One round trip: `fn` on every port in parallel. The wait counts as port time, the slowest
 * shard's compute in it as session time; `requestBytes` is sent to every port, and the bytes that
 * came back are what the ports count (`receivedBytes`).
 */
export async function callAll<P extends { readonly computeMs?: number; readonly receivedBytes?: number }, T>(
  ports: P[],
  fn: (port: P) => Promise<T>,
  requestBytes: number,
  cost: DriverCost,
): Promise<T[]> {
  const a = performance.now();
  const before = ports.map((port) => port.computeMs ?? 0);
  const received = ports.map((port) => port.receivedBytes ?? 0);
  const out = await Promise.all(ports.map(fn));
  cost.portMs += performance.now() - a;
  cost.sessionMs += Math.max(...ports.map((port, s) => (port.computeMs ?? 0) - before[s]));
  cost.bytesIn += ports.reduce((sum, port, s) => sum + (port.receivedBytes ?? 0) - received[s], 0);
  cost.roundTrips++;
  cost.bytesOut += requestBytes * ports.length;
  return out;
}

export function emptyCost(): DriverCost {
  return {
    roundTrips: 0,
    bytesIn: 0,
    bytesOut: 0,
    portMs: 0,
    sessionMs: 0,
    driverMs: 0,
    levels: 0,
    treesPerBatch: 1,
    histNodes: 0,
    rowNodes: 0,
    peerBytes: 0,
    rebuilds: 0,
    trainerMs: 0,
  };
}
