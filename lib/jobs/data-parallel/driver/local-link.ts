/**
 * A {@link BoostLink} over trainers in this process (tests, benchmarks): `trainers` session hosts,
 * shard i on host i mod trainers, every request and reply through the wire format a trainer
 * speaks (JSON requests, packed replies, packed blocks between hosts) — the cluster's link
 * (services/ports/boost-link.ts) with function calls where it has broker calls.
 */
import { QuorumError } from '../../../errors';
import type { BoostLink, StepBody, StepResult, StepVariants } from './boost';
import { SessionHost } from '../session/host';
import { encodeBinnedShard, type BinnedShard } from '../shard';
import { featureBlocks, float64s, joinChunks, unpackArrays } from '../wire';
import { type GroupStep, type RoundRequest, type HostRequest } from '../wire';
import { addHead } from './boost';
import { emptyCost } from './cost';
import { ReplayLog } from './replay';

/** JSON through bytes, as a broker call carries it (typed arrays do not survive: none are sent). */
function viaJson<T>(msg: T): { value: T; bytes: number } {
  const text = JSON.stringify(msg);
  return { value: JSON.parse(text) as T, bytes: Buffer.byteLength(text) };
}

export interface LocalLinkOptions {
  /** Trainers (session hosts); shard i starts on trainer i mod trainers. Default 1. */
  trainers?: number;
  /**
   * Kill a trainer in the middle of step `step` (after every trainer built its sums, before the
   * reduction): its sessions are gone, its shards open again on the others, replayed, and the step
   * runs again as a rebuild — what the cluster does when a trainer dies (tests).
   */
  failAt?: { step: number; trainer: number };
}

export class LocalBoostLink implements BoostLink {
  readonly cost = emptyCost();
  readonly hosts: SessionHost[];
  /** Session ids per host. */
  private ids: string[][];
  /** Value bins per feature (the shards' config): the feature blocks' sizes. */
  private readonly valueBins: number[];
  private readonly shards: Uint8Array[];
  private readonly log = new ReplayLog();
  private seq = 0;
  private opens = 0;

  constructor(
    shards: BinnedShard[],
    private readonly options: LocalLinkOptions = {},
    private readonly job = 'local',
  ) {
    const trainers = options.trainers ?? 1;
    if (!(trainers >= 1) || shards.length === 0) throw new QuorumError('BAD_VALUE', `a local link needs shards and at least one trainer, got ${trainers}`);
    this.valueBins = [...shards[0].config.nBins];
    this.shards = shards.map((s) => encodeBinnedShard(s));
    const n = Math.min(trainers, shards.length);
    this.hosts = Array.from({ length: n }, () => new SessionHost(60_000));
    this.ids = Array.from({ length: n }, () => []);
    this.shards.forEach((_, i) => this.open(i, i % n));
    this.cost.shards = shards.length;
    this.cost.trainers = n;
  }

  /** Opens shard i on host t (a fresh session id), bringing it to the others' state. */
  private open(i: number, t: number): void {
    const id = `${this.job}/${i}/${this.opens++}`;
    this.hosts[t].handle({ op: 'open', id, shard: this.shards[i] });
    for (const msg of this.log.requests(id)) this.hosts[t].handle(viaJson(msg).value);
    this.ids[t].push(id);
  }

  private call(t: number, msg: HostRequest): Uint8Array[] {
    return unpackArrays(joinChunks(this.hosts[t].handle(msg)));
  }

  /** Trainer t is gone: its sessions with it; its shards open on the others (replayed). */
  private lose(t: number): void {
    const lost = this.ids[t].map((id) => Number(id.split('/')[1]));
    this.hosts[t].closeAll();
    this.hosts.splice(t, 1);
    this.ids.splice(t, 1);
    lost.forEach((i, j) => this.open(i, j % this.hosts.length));
  }

  async step(variants: StepVariants): Promise<StepResult> {
    const seq = ++this.seq;
    const fail = this.options.failAt;
    let rebuild = false;
    if (fail && fail.step === seq && this.hosts.length > 1) {
      // Every trainer builds its sums, then one dies before the reduction.
      this.run(seq, variants.normal, true);
      this.lose(fail.trainer % this.hosts.length);
      this.cost.trainers = this.hosts.length;
      this.cost.rebuilds! += 1;
      rebuild = true;
    }
    const out = this.run(rebuild ? ++this.seq : seq, rebuild ? variants.rebuild : variants.normal, false);
    this.log.step(variants.normal);
    return out;
  }

  /** One step on every host; `abandon`: the local sums only (the step is then lost). */
  private run(seq: number, body: StepBody, abandon: boolean): StepResult {
    const T = this.hosts.length;
    const blocks = featureBlocks(this.valueBins, T);
    const step: GroupStep = { seq, round: body.round, level: body.level, plan: { ...body.plan, blocks } };
    const text = JSON.stringify(step);
    this.cost.bytesOut += Buffer.byteLength(text) * T;
    this.cost.roundTrips++;
    this.cost.histNodes += body.plan.built.length;
    const replies = this.hosts.map((_, t) => this.call(t, { op: 'step', job: this.job, ids: this.ids[t], step: text, block: t, peers: T }));
    const head = new Float64Array(float64s(replies[0][0]).length);
    let compute = 0;
    for (const r of replies) {
      addHead(head, float64s(r[0]));
      compute = Math.max(compute, float64s(r[r.length - 1])[0]);
    }
    if (abandon) return { head, winners: [] };
    let winners: Float64Array[];
    // What reaches the driver: each trainer's head, winners and stats (blocks go between trainers).
    this.cost.bytesIn += replies.reduce((n, r) => n + r[0].byteLength + r[r.length - 1].byteLength, 0);
    if (T === 1) {
      winners = [float64s(replies[0][1])];
      this.cost.bytesIn += replies[0][1].byteLength;
    } else {
      // Block t of every other trainer's sums goes to trainer t, which answers its winners.
      let peerCompute = 0;
      winners = this.hosts.map((_, t) => {
        const parts = replies.flatMap((r, u) => (u === t ? [] : [r[1 + t]]));
        this.cost.peerBytes! += parts.reduce((s, p) => s + p.byteLength, 0);
        const [w, ms] = this.call(t, { op: 'reduce', job: this.job, seq, parts });
        peerCompute = Math.max(peerCompute, float64s(ms)[0]);
        this.cost.bytesIn += w.byteLength;
        return float64s(w);
      });
      compute += peerCompute;
    }
    this.cost.sessionMs += compute;
    return { head, winners };
  }

  async catchUp(req: RoundRequest): Promise<void> {
    this.hosts.forEach((_, t) => this.ids[t].forEach((id) => this.call(t, { op: 'round', id, req: viaJson(req).value })));
    this.log.catchUp(req);
  }

  async close(): Promise<void> {
    this.hosts.forEach((h, t) => this.ids[t].forEach((id) => h.handle({ op: 'close', id })));
  }
}
