/**
 * The trainers of a boosted data-parallel job over the broker (lib/jobs/data-parallel's
 * {@link BoostLink}). Every shard is a session on some trainer (`trainer.dpOpen`); a step is one
 * `trainer.dpStep` per trainer with the sessions it holds, and the trainers pass each other the
 * blocks of their sums (`trainer.dpPart`) — nothing but the winners comes back here.
 *
 * A trainer that fails during a step (killed, gone, its session swept): the others are told to
 * drop the step (`trainer.dpAbort`, so none waits for a part that will not come), the shards it held
 * open again on the trainers still online — replaying every round so far and the current round's
 * splits ({@link ReplayLog}) — and the step runs again as a rebuild (the moved blocks' kept
 * histograms are gone: every node the step needs is built from the rows). Sums of whole numbers:
 * the model is the one an undisturbed run makes.
 */
import type { ServiceBroker } from 'moleculer';
import { QuorumError } from '../../lib/errors';
import type { RemoteShardEvents } from '../../lib/jobs/cluster';
import {
  addHead,
  emptyCost,
  featureBlocks,
  float64s,
  joinChunks,
  ReplayLog,
  unpackArrays,
  type BoostLink,
  type GroupStep,
  type HostRequest,
  type RoundRequest,
  type StepResult,
  type StepVariants,
} from '../../lib/jobs/data-parallel';
import type { BlobRef } from '../../lib/jobs/job';
import { nodesWith, readReply } from './cluster';

interface Shard {
  index: number;
  blob: BlobRef & { nodeID: string };
  /** Where its session is (null: to be opened). */
  node: string | null;
  id: string;
  opens: number;
}

/** Failures after which the step runs again elsewhere: the trainer (or its session) is gone, or the step was abandoned. */
const MOVABLE = new Set([
  'REQUEST_TIMEOUT',
  'REQUEST_REJECTED',
  'SERVICE_NOT_AVAILABLE',
  'SERVICE_NOT_FOUND',
  'NOT_FOUND',
  'STREAM_STALLED',
  'STEP_ABORTED',
  'TRAINER_LEAVING',
]);

export interface BoostLinkOptions {
  job: string;
  shards: Array<{ index: number; blob: BlobRef }>;
  /** Trainer for shard i at the start (shard i on preferred[i % length]). */
  preferred: string[];
  /** Value bins per feature (the feature blocks' sizes). */
  valueBins: number[];
  /** Attempts per step (a trainer lost per attempt). */
  attempts: number;
  timeoutMs: number;
  idleMs: number;
  events: RemoteShardEvents;
}

export class ClusterBoostLink implements BoostLink {
  readonly cost = emptyCost();
  private readonly shards: Shard[];
  private readonly log = new ReplayLog();
  private readonly failed = new Set<string>();
  private seq = 0;
  /** Session ids are unique per coordinator run: a restarted coordinator never meets its old ones. */
  private readonly nonce = Date.now().toString(36);

  constructor(
    private readonly broker: ServiceBroker,
    private readonly o: BoostLinkOptions,
  ) {
    this.shards = o.shards.map((s) => ({
      index: s.index,
      blob: { ...s.blob, nodeID: broker.nodeID },
      node: null,
      id: '',
      opens: 0,
    }));
    this.cost.shards = this.shards.length;
  }

  /** A trainer for shard i: its preferred one while it is online and has not failed, else one of the others. */
  private pick(i: number): string {
    const trainers = nodesWith(this.broker, 'trainer');
    if (!trainers.length) throw new QuorumError('NO_TRAINERS', `no trainer online to hold shard ${this.shards[i].index} of job ${this.o.job}`);
    const preferred = this.o.preferred[i % this.o.preferred.length];
    if (trainers.includes(preferred) && !this.failed.has(preferred)) return preferred;
    const fresh = trainers.filter((t) => !this.failed.has(t)).sort();
    const pool = fresh.length ? fresh : trainers.sort();
    return pool[(i + this.shards[i].opens) % pool.length];
  }

  private async send(node: string, msg: HostRequest): Promise<Uint8Array[]> {
    const reply = await this.broker.call<Buffer | NodeJS.ReadableStream, HostRequest>('trainer.dp', msg, {
      nodeID: node,
      timeout: this.o.timeoutMs,
      retries: 0,
    });
    const bytes =
      Buffer.isBuffer(reply) || reply instanceof Uint8Array
        ? reply
        : await readReply(this.broker, node, reply as NodeJS.ReadableStream, { idleMs: this.o.idleMs });
    return unpackArrays(joinChunks([new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)]));
  }

  /** Opens shard i's session (again: `why`), brought to the state of the others. */
  private async open(i: number, why?: string): Promise<void> {
    const s = this.shards[i];
    const node = this.pick(i);
    const id = `${this.o.job}/${s.index}/${this.nonce}-${s.opens++}`;
    await this.broker.call('trainer.dpOpen', { id, blob: s.blob }, { nodeID: node, timeout: this.o.timeoutMs, retries: 0 });
    for (const msg of this.log.requests(id)) await this.send(node, msg);
    s.node = node;
    s.id = id;
    this.o.events.opened(s.index, node, why !== undefined, why);
  }

  async step(variants: StepVariants): Promise<StepResult> {
    let rebuild = false;
    let why: string | undefined;
    for (let attempt = 1; ; attempt++) {
      await Promise.all(this.shards.map((s, i) => (s.node ? undefined : this.open(i, why))));
      try {
        const out = await this.run(rebuild ? variants.rebuild : variants.normal);
        this.log.step(variants.normal);
        return out;
      } catch (err) {
        const lost = err as LostTrainers;
        if (!(lost instanceof LostTrainers) || attempt >= this.o.attempts) throw lost instanceof LostTrainers ? lost.failure : err;
        why = lost.message;
        for (const node of lost.nodes) {
          this.failed.add(node);
          for (const s of this.shards) if (s.node === node) s.node = null;
        }
        rebuild = true;
        this.cost.rebuilds! += 1;
      }
    }
  }

  /** One step on every trainer that holds sessions; throws LostTrainers when some failed (the others are told to drop it). */
  private async run(body: StepVariants['normal']): Promise<StepResult> {
    const nodes = [...new Set(this.shards.map((s) => s.node!))].sort();
    const seq = ++this.seq;
    const blocks = featureBlocks(this.o.valueBins, nodes.length);
    const step: GroupStep = { seq, round: body.round, level: body.level, plan: { ...body.plan, blocks } };
    // JSON text: one string through the broker and into the session thread (objects cost far more).
    const text = JSON.stringify(step);
    const requestBytes = Buffer.byteLength(text);
    this.cost.roundTrips++;
    this.cost.histNodes += body.plan.built.length;
    this.cost.bytesOut += requestBytes * nodes.length;
    this.cost.trainers = nodes.length;
    let aborted = false;
    const abort = (): void => {
      if (aborted) return;
      aborted = true;
      for (const node of nodes)
        void this.broker.call('trainer.dpAbort', { job: this.o.job, seq }, { nodeID: node, timeout: this.o.timeoutMs, retries: 0 }).catch(() => undefined);
    };
    const settled = await Promise.allSettled(
      nodes.map(async (node, j) => {
        try {
          const ids = this.shards.filter((s) => s.node === node).map((s) => s.id);
          const reply = await this.broker.call<Buffer, unknown>(
            'trainer.dpStep',
            { job: this.o.job, ids, seq, step: text, block: j, peers: nodes },
            { nodeID: node, timeout: this.o.timeoutMs, retries: 0 },
          );
          this.cost.bytesIn += reply.length;
          return unpackArrays(new Uint8Array(reply.buffer, reply.byteOffset, reply.byteLength));
        } catch (err) {
          abort();
          throw err;
        }
      }),
    );
    const failures = settled.flatMap((r, j) =>
      r.status === 'rejected' ? [{ node: nodes[j], err: r.reason as Error & { type?: string; code?: string } }] : [],
    );
    if (failures.length) {
      const online = new Set(nodesWith(this.broker, 'trainer'));
      const kind = (e: { type?: string; code?: string }): string => e.type ?? e.code ?? '';
      const fatal = failures.find((f) => !MOVABLE.has(kind(f.err)) && online.has(f.node));
      if (fatal) throw fatal.err;
      // The trainers to leave: gone from the cluster, or failed for themselves (not for a peer).
      const lost = failures.filter((f) => !online.has(f.node) || kind(f.err) !== 'STEP_ABORTED').map((f) => f.node);
      const first = failures.find((f) => kind(f.err) !== 'STEP_ABORTED') ?? failures[0];
      throw new LostTrainers(lost.length ? lost : [], `${first.node}: ${first.err.message}`, first.err);
    }
    const replies = settled.map((r) => (r as PromiseFulfilledResult<Uint8Array[]>).value);
    const head = new Float64Array(float64s(replies[0][0]).length);
    let compute = 0;
    let onTrainer = 0;
    const winners = replies.map((r) => {
      addHead(head, float64s(r[0]));
      const stats = float64s(r[2]);
      compute = Math.max(compute, stats[0]);
      onTrainer = Math.max(onTrainer, stats[3] ?? 0);
      this.cost.peerBytes! += stats[1] ?? 0;
      return float64s(r[1]);
    });
    this.cost.sessionMs += compute;
    this.cost.trainerMs! += onTrainer;
    return { head, winners };
  }

  async catchUp(req: RoundRequest): Promise<void> {
    await Promise.all(this.shards.map((s, i) => (s.node ? undefined : this.open(i))));
    await Promise.all(this.shards.map((s) => this.send(s.node!, { op: 'round', id: s.id, req })));
    this.log.catchUp(req);
  }

  /** Frees the sessions (best effort: a node that is gone has nothing left to free). */
  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => (s.node ? this.send(s.node, { op: 'close', id: s.id }).catch(() => undefined) : undefined)));
    for (const s of this.shards) s.node = null;
  }

  /** Where the sessions are now. */
  nodes(): string[] {
    return [...new Set(this.shards.map((s) => s.node).filter((n): n is string => !!n))].sort();
  }
}

/** Some trainers failed during a step; `nodes` are those to leave (empty: only peers of a failed one aborted). */
class LostTrainers extends Error {
  constructor(
    readonly nodes: string[],
    message: string,
    readonly failure: Error,
  ) {
    super(message);
  }
}
