/**
 * The trainer's side of a boosted round's reduce-scatter. A step (round open or level) has every
 * trainer build the histograms the driver asks for over the shards it holds and add them up
 * locally ({@link localStep}); the sums are cut into feature blocks, block j going to trainer j.
 * Trainer j adds the blocks it receives ({@link BlockOwner.reduce}), keeps the histograms of its
 * block that later levels subtract from (the larger child is its parent minus the smaller), and
 * answers the driver with the best split of each node among its own features: a few numbers per
 * node, whatever the size of the histograms.
 *
 * Every sum is of whole numbers (quantised derivatives), so it does not depend on how rows are
 * spread over shards, shards over trainers, or in what order parts arrive; the best split of
 * the best block is the one a scan of the whole histogram finds (ties: the first feature in the
 * round's order, see {@link bestOf}). The same model for any number of shards and trainers.
 */
import { QuorumError } from '../../../errors';
import type { HistLayout } from '../../../models/gbm/histogram';
import { BestSplit, findBestSplit } from '../../../models/gbm/split';
import { type BoostSession } from './boost';
import { addPackedHistograms, packHistograms } from '../wire';
import { ROUND_HEAD } from '../wire';
import { WINNER, headLength, type GroupStep, type ReducePlan } from '../wire';

/**
 * Runs the step on every session and adds their histograms (sums of quantised derivatives: exact).
 * Returns the head (summed over the sessions) and the local sums, one histogram per built node.
 */
export function localStep(sessions: BoostSession[], step: GroupStep, outputs: number, histLength: number): { head: Float64Array; hists: Float64Array[] } {
  if (sessions.length === 0) throw new QuorumError('BAD_VALUE', 'a data-parallel step needs at least one session on this trainer');
  const L = histLength;
  const head = new Float64Array(headLength(outputs));
  for (const s of sessions) {
    if (step.round) {
      const out = s.roundStep({ ...step.round, hist: false });
      head[0] += out[0];
      head[1] += out[1];
      head[2] = Math.max(head[2], out[2]);
      head[3] = Math.max(head[3], out[3]);
    } else if (step.level) {
      s.levelStep({ ...step.level, hist: [] });
    } else throw new QuorumError('BAD_VALUE', 'a data-parallel step is a round or a level');
  }
  // The first session builds into the sums, the others through one buffer added after.
  const hists = step.plan.built.map(() => new Float64Array(L));
  const part = sessions.length > 1 ? new Float64Array(L) : null;
  step.plan.built.forEach((ref, q) => {
    sessions[0].buildInto(ref, hists[q]);
    for (let i = 1; i < sessions.length; i++) {
      sessions[i].buildInto(ref, part!);
      const h = hists[q];
      for (let j = 0; j < L; j++) h[j] += part![j];
    }
  });
  return { head, hists };
}

/** Root sums per output into the head (from feature 0's bins: every row is in exactly one). */
export function rootTotals(head: Float64Array, hists: Float64Array[], layout: HistLayout): void {
  const end = layout.binOffset[1];
  hists.forEach((h, k) => {
    let G = 0;
    let H = 0;
    for (let b = 0; b < end; b++) {
      G += h[2 * b];
      H += h[2 * b + 1];
    }
    head[ROUND_HEAD + 2 * k] = G;
    head[ROUND_HEAD + 2 * k + 1] = H;
  });
}

/** The doubles of block j of a histogram: from .. to. */
export function blockRange(layout: HistLayout, blocks: number[], j: number): [number, number] {
  return [2 * layout.binOffset[blocks[j]], 2 * layout.binOffset[blocks[j + 1]]];
}

/** What turns a histogram's (Σ g, Σ h) into whole numbers: the round's quantisation steps. */
export function stepScales(plan: Pick<ReducePlan, 'gradShift' | 'hessShift'>): number[] {
  return [2 ** plan.gradShift, 2 ** plan.hessShift];
}

/** Block j of every histogram, packed (wire.ts) as whole numbers of the round's steps. */
export function packBlock(hists: Float64Array[], layout: HistLayout, plan: ReducePlan, j: number): Uint8Array {
  const [from, to] = blockRange(layout, plan.blocks, j);
  return packHistograms(hists, from, to, 2, stepScales(plan));
}

const key = (tree: number, node: number): string => `${tree}/${node}`;

/**
 * One job's block on this trainer: the histograms (their block's values, scaled) a step keeps for
 * the next, where the larger child of each split is its parent minus the smaller. Only the last
 * step's are kept: the next step's parents are the nodes this one considered.
 */
export class BlockOwner {
  private kept = new Map<string, Float64Array>();
  private readonly best = new BestSplit();

  constructor(
    private readonly layout: HistLayout,
    readonly histLength: number,
  ) {}

  get memoryBytes(): number {
    return this.kept.size * 8 * this.histLength;
  }

  /**
   * Block `block` of the step's histograms: `parts` are every trainer's local sums of it — packed
   * bytes, or (this trainer's own) the histograms themselves. Returns the winners of plan.consider
   * ({@link WINNER} values each).
   */
  reduce(plan: ReducePlan, block: number, parts: Array<Uint8Array | Float64Array[]>): Float64Array {
    const [from, to] = blockRange(this.layout, plan.blocks, block);
    const L = this.histLength;
    // This trainer's own sums are the start (taken over, not copied); the others' blocks added.
    const own = parts.find((p): p is Float64Array[] => !(p instanceof Uint8Array));
    const built = own ?? plan.built.map(() => new Float64Array(L));
    const scales = stepScales(plan);
    for (const part of parts) {
      if (part === own) continue;
      if (part instanceof Uint8Array) {
        const used = addPackedHistograms(part, built, from, to, 2, scales);
        if (used !== part.length) throw new QuorumError('BAD_VALUE', `a histogram part has ${part.length - used} bytes too many`);
      } else {
        part.forEach((h, q) => {
          const b = built[q];
          for (let j = from; j < to; j++) b[j] += h[j];
        });
      }
    }
    const before = this.kept;
    const kept = new Map<string, Float64Array>();
    plan.built.forEach((ref, q) => {
      const h = built[q];
      if (ref.parent !== undefined && ref.sibling !== undefined) {
        const parent = before.get(key(ref.tree, ref.parent));
        if (!parent) throw new QuorumError('BAD_VALUE', `no kept histogram of node ${ref.parent} of tree ${ref.tree} to subtract from (rebuild the level)`);
        for (let j = from; j < to; j++) parent[j] -= h[j];
        if (ref.siblingKeep) kept.set(key(ref.tree, ref.sibling), parent);
      }
      if (ref.keep) kept.set(key(ref.tree, ref.node), h);
    });
    this.kept = kept;
    const mine = Int32Array.from(plan.features.filter((f) => f >= plan.blocks[block] && f < plan.blocks[block + 1]));
    const out = new Float64Array(plan.consider.length * WINNER);
    plan.consider.forEach((c, q) => {
      const h = kept.get(key(c.tree, c.node));
      if (!h) throw new QuorumError('BAD_VALUE', `no histogram of node ${c.node} of tree ${c.tree} to split`);
      const s = this.best;
      const o = q * WINNER;
      if (mine.length === 0) return;
      // A root's sums: from its first feature's bins, where every row is.
      let G = c.G ?? NaN;
      let H = c.H ?? NaN;
      if (c.G === undefined || c.H === undefined) {
        G = 0;
        H = 0;
        const f = plan.blocks[block];
        for (let j = 2 * this.layout.binOffset[f]; j < 2 * this.layout.binOffset[f + 1]; j += 2) {
          G += h[j];
          H += h[j + 1];
        }
      }
      if (findBestSplit(h, this.layout, mine, mine.length, G, H, plan.split, s)) {
        out[o] = 1;
        out[o + 1] = s.feature;
        out[o + 2] = s.bin;
        out[o + 3] = s.missLeft ? 1 : 0;
        out[o + 4] = s.gain;
        out[o + 5] = s.gl;
        out[o + 6] = s.hl;
      }
    });
    return out;
  }
}
