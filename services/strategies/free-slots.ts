/**
 * Quorum's balancing strategy: a call goes to the node with the most free fit slots (worker
 * threads not yet promised to a fit), as last reported in `trainer.load` events. Nodes without a
 * report (or actions other than trainer's) fall back to round robin.
 */
import { Strategies, type Endpoint } from 'moleculer';
import { reserveSlot, trainerLoad } from './trainer-load';

export class FreeSlotsStrategy extends Strategies.Base {
  private counter = 0;

  override select(list: Endpoint[]): Endpoint {
    let best: Endpoint | undefined;
    let bestFree = -Infinity;
    const start = this.counter++ % list.length;
    for (let i = 0; i < list.length; i++) {
      const ep = list[(start + i) % list.length];
      const load = trainerLoad(ep.node.id);
      if (!load) continue;
      const free = load.slots - load.fits;
      if (free > bestFree) {
        best = ep;
        bestFree = free;
      }
    }
    if (!best) return list[start];
    reserveSlot(best.node.id);
    return best;
  }
}
