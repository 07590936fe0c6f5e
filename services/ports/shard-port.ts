/**
 * A data-parallel forest shard session over the broker ({@link RemoteShard}): it reaches the
 * trainer node that holds the shard's session through `trainer.dpOpen` / `trainer.dp` calls. A port
 * survives its trainer: when a call fails (the node died or left, the session was swept), it opens
 * the session again on another trainer from the shard's blob, replays the splits of the trees still
 * open, and repeats the call — so the model is the one an undisturbed run makes. Replies over
 * 512 KB come back as streams (no message over 1 MB). (Boosted jobs: boost-link.ts.)
 */
import type { ServiceBroker } from 'moleculer';
import { QuorumError } from '../../lib/errors';
import type { RemoteShard, RemoteShardEvents } from '../../lib/jobs/cluster';
import { HostPort, type ApplyRequest, type HostRequest, type NodeRef, type NodeRows } from '../../lib/jobs/data-parallel';
import type { BlobRef } from '../../lib/jobs/job';
import { nodesWith, readReply } from './cluster';

export class ClusterShardPort implements RemoteShard {
  private port: HostPort | null = null;
  private node: string | null = null;
  private opens = 0;
  /** applySplits of the trees still open, in order (replayed on a new session). */
  private log: ApplyRequest[] = [];
  private readonly failed = new Set<string>();
  /** Session ids are unique per coordinator run: a restarted coordinator never meets its old ones. */
  private readonly nonce = Date.now().toString(36);

  constructor(
    private readonly broker: ServiceBroker,
    private readonly job: string,
    readonly shard: number,
    private readonly blob: BlobRef & { nodeID: string },
    private readonly preferred: string,
    private readonly attempts: number,
    /** Longest a call may take (the session computes before it replies). */
    private readonly timeoutMs: number,
    /** Longest gap between two chunks of a streamed reply: the reply is sent whole once computed. */
    private readonly idleMs: number,
    private readonly events: RemoteShardEvents,
  ) {}

  /** Compute time of the sessions this port closed or lost (ms). */
  private pastComputeMs = 0;

  /** The shard's sessions' compute time so far (ms), over every trainer that held it. */
  get computeMs(): number {
    return this.pastComputeMs + (this.port?.computeMs ?? 0);
  }

  /** Answer bytes of the sessions this port closed or lost. */
  private pastReceivedBytes = 0;

  /** Bytes of the shard's sessions' answers so far, over every trainer that held it. */
  get receivedBytes(): number {
    return this.pastReceivedBytes + (this.port?.receivedBytes ?? 0);
  }

  /** Where the session is now (null before the first call). */
  get nodeID(): string | null {
    return this.node;
  }

  private pick(): string {
    const trainers = nodesWith(this.broker, 'trainer');
    if (!trainers.length) throw new QuorumError('NO_TRAINERS', `no trainer online to hold shard ${this.shard} of job ${this.job}`);
    if (trainers.includes(this.preferred) && !this.failed.has(this.preferred)) return this.preferred;
    const fresh = trainers.filter((t) => !this.failed.has(t));
    const pool = fresh.length ? fresh : trainers;
    return pool[(this.shard + this.opens) % pool.length];
  }

  private async open(why?: string): Promise<HostPort> {
    const node = this.pick();
    const id = `${this.job}/${this.shard}/${this.nonce}-${this.opens++}`;
    await this.broker.call('trainer.dpOpen', { id, blob: this.blob }, { nodeID: node, timeout: this.timeoutMs, retries: 0 });
    const port = new HostPort(id, (msg) => this.send(node, msg));
    for (const req of this.log) await port.applySplits({ splits: req.splits, release: [] });
    this.node = node;
    this.port = port;
    this.events.opened(this.shard, node, why !== undefined, why);
    return port;
  }

  private async send(node: string, msg: HostRequest): Promise<Uint8Array[]> {
    const reply = await this.broker.call<Buffer | NodeJS.ReadableStream, HostRequest>('trainer.dp', msg, { nodeID: node, timeout: this.timeoutMs, retries: 0 });
    const bytes =
      Buffer.isBuffer(reply) || reply instanceof Uint8Array
        ? reply
        : await readReply(this.broker, node, reply as NodeJS.ReadableStream, { idleMs: this.idleMs });
    return [new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
  }

  /** Runs `fn` on the session, moving it to another trainer after a failure (up to `attempts`). */
  private async run<T>(fn: (port: HostPort) => Promise<T>): Promise<T> {
    let why: string | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        const port = this.port ?? (await this.open(why));
        return await fn(port);
      } catch (err) {
        const e = err as Error & { type?: string };
        if (e.type === 'CANCELLED' || e.type === 'NO_TRAINERS' || attempt >= this.attempts) throw err;
        why = `${this.node ?? 'a trainer'}: ${e.message}`;
        if (this.node) this.failed.add(this.node);
        this.pastComputeMs += this.port?.computeMs ?? 0;
        this.pastReceivedBytes += this.port?.receivedBytes ?? 0;
        this.port = null;
        this.node = null;
      }
    }
  }

  histograms(nodes: NodeRef[]): Promise<Float64Array> {
    return this.run((p) => p.histograms(nodes));
  }

  async applySplits(req: ApplyRequest): Promise<Float64Array> {
    const out = await this.run((p) => p.applySplits(req));
    if (req.release.length) {
      const done = new Set(req.release);
      this.log = this.log.map((r) => ({ splits: r.splits.filter((s) => !done.has(s.tree)), release: [] })).filter((r) => r.splits.length > 0);
    }
    const open = req.splits.filter((s) => !req.release.includes(s.tree));
    if (open.length) this.log.push({ splits: open, release: [] });
    return out;
  }

  rows(nodes: NodeRef[]): Promise<NodeRows[]> {
    return this.run((p) => p.rows(nodes));
  }

  /** Frees the session (best effort: a node that is gone has nothing left to free). */
  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    await port?.close().catch(() => undefined);
  }
}
