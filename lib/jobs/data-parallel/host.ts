/**
 * What a trainer runs for data-parallel fits, as messages (so the same code serves a worker
 * thread's postMessage or a Moleculer action): shard sessions by id, opened from shard bytes,
 * answering requests with packed typed-array bytes cut into chunks of at most 1 MB, closed by the
 * coordinator — per session or for a whole job — or after an idle timeout, so a coordinator that
 * died leaks nothing. {@link HostPort} is the driver's side of it over any async transport.
 */
import { QuorumError } from '../../errors';
import type { ShardPort } from './port';
import { BoostSession, type LevelRequest, type RoundRequest } from './boost-session';
import { BlockOwner, localStep, packBlock, rootTotals, type GroupStep } from './boost-reduce';
import { histLayout, type HistLayout } from '../../models/gbm/histogram';
import { ShardSession, type ApplyRequest, type NodeRef, type NodeRows } from './session';
import { decodeBinnedShard } from './shard';
import { chunkBytes, joinChunks, MAX_MESSAGE, packArrays, unpackArrays } from './wire';

export type HostRequest =
  | { op: 'open'; id: string; shard: Uint8Array }
  | { op: 'histograms'; id: string; nodes: NodeRef[] }
  | { op: 'applySplits'; id: string; req: ApplyRequest }
  | { op: 'rows'; id: string; nodes: NodeRef[] }
  | { op: 'round'; id: string; req: RoundRequest }
  | { op: 'level'; id: string; req: LevelRequest }
  | { op: 'close'; id: string }
  /**
   * A boosted step over the job's sessions on this trainer (`ids`), which owns feature block
   * `block` of `peers`: with one peer the answer is [head, winners]; else [head, then each peer's
   * block of the local sums, packed (this trainer's own is empty: it stays here for 'reduce')].
   * The step travels as JSON text (a broker and a thread pass one string far faster than the
   * objects of a multiclass round's 26 trees).
   */
  | { op: 'step'; job: string; ids: string[]; step: string; block: number; peers: number }
  /** The blocks the other trainers sent for this trainer's block of step `seq`: [winners]. */
  | { op: 'reduce'; job: string; seq: number; parts: Uint8Array[] };

/** A reply: packed typed arrays (see packArrays), in chunks of at most the message limit. */
export type HostReply = Uint8Array[];

export interface SessionStatus {
  id: string;
  rows: number;
  openTrees: number;
  memoryBytes: number;
  idleMs: number;
  computeMs: number;
}

interface Entry {
  /** A forest's session, or a boosted model's (the shard's config says which). */
  session: ShardSession | BoostSession;
  rows: number;
  lastUsed: number;
}

/** A job's reduce-scatter state on this trainer: its block's kept histograms, the last step's own sums. */
interface JobBlock {
  owner: BlockOwner;
  layout: HistLayout;
  pending: { seq: number; step: GroupStep; block: number; hists: Float64Array[] } | null;
}

/** A step's JSON text (HostRequest 'step'), checked for the fields every step has. */
function parseStep(text: string): GroupStep {
  let step: GroupStep;
  try {
    step = JSON.parse(text) as GroupStep;
  } catch (err) {
    throw new QuorumError('BAD_VALUE', `a data-parallel step is not JSON: ${(err as Error).message}`);
  }
  const plan = step?.plan;
  if (
    !Number.isInteger(step?.seq) ||
    !plan ||
    !Array.isArray(plan.blocks) ||
    !Array.isArray(plan.built) ||
    !Array.isArray(plan.consider) ||
    !Array.isArray(plan.features)
  ) {
    throw new QuorumError('BAD_VALUE', 'a data-parallel step needs seq and a plan with blocks, built, consider and features');
  }
  return step;
}

export class SessionHost {
  private readonly sessions = new Map<string, Entry>();
  private readonly blocks = new Map<string, JobBlock>();
  private readonly now: () => number;

  constructor(
    /** Sessions unused for longer than this are closed by {@link sweep}. */
    readonly idleMs: number,
    now?: () => number,
    private readonly maxMessage = MAX_MESSAGE,
  ) {
    if (!(idleMs > 0)) throw new QuorumError('BAD_VALUE', `the shard session idle timeout must be > 0 ms, got ${idleMs}`);
    this.now = now ?? ((): number => Date.now());
  }

  handle(msg: HostRequest): HostReply {
    if (msg.op === 'open') {
      if (this.sessions.has(msg.id))
        throw new QuorumError('CONFLICT', `shard session '${msg.id}' is already open on this trainer; close it first or use another id`);
      const shard = decodeBinnedShard(msg.shard);
      const rows = shard.rows;
      this.sessions.set(msg.id, { session: shard.config.boost ? new BoostSession(shard) : new ShardSession(shard), rows, lastUsed: this.now() });
      return this.reply([Int32Array.of(rows)]);
    }
    if (msg.op === 'step') return this.step(msg.job, msg.ids, parseStep(msg.step), msg.block, msg.peers);
    if (msg.op === 'reduce') return this.reduce(msg.job, msg.seq, msg.parts);
    if (msg.op === 'close') {
      const e = this.sessions.get(msg.id);
      e?.session.close();
      this.sessions.delete(msg.id);
      this.dropIdleBlocks();
      return this.reply([Int32Array.of(e ? 1 : 0)]);
    }
    const e = this.sessions.get(msg.id);
    if (!e) {
      throw new QuorumError(
        'NOT_FOUND',
        `no shard session '${msg.id}' on this trainer (never opened, closed, or idle for more than ${Math.round(this.idleMs / 1000)} s); the coordinator must open it again from the shard's blob`,
        { id: msg.id },
      );
    }
    e.lastUsed = this.now();
    const s = e.session;
    let arrays: Array<Float64Array | Int32Array | Uint8Array> | null = null;
    if (s instanceof BoostSession) {
      if (msg.op === 'round') arrays = [s.roundStep(msg.req)];
      else if (msg.op === 'level') arrays = [s.levelStep(msg.req)];
    } else if (msg.op === 'histograms') arrays = [s.histograms(msg.nodes)];
    else if (msg.op === 'applySplits') arrays = [s.applySplits(msg.req)];
    else if (msg.op === 'rows') arrays = s.rows(msg.nodes).flatMap((r) => [r.rowIndex, r.codes, r.y, r.weight]);
    // Every answer ends with the session's compute time so far (the driver splits wait from work).
    if (arrays) return this.reply([...arrays, Float64Array.of(s.computeMs)]);
    throw new QuorumError(
      'BAD_VALUE',
      `shard session '${msg.id}' holds a ${s instanceof BoostSession ? 'gbm' : 'forest'} shard and does not answer '${msg.op}'`,
    );
  }

  private session(id: string): Entry {
    const e = this.sessions.get(id);
    if (!e) {
      throw new QuorumError(
        'NOT_FOUND',
        `no shard session '${id}' on this trainer (never opened, closed, or idle for more than ${Math.round(this.idleMs / 1000)} s); the coordinator must open it again from the shard's blob`,
        { id },
      );
    }
    e.lastUsed = this.now();
    return e;
  }

  private step(job: string, ids: string[], step: GroupStep, block: number, peers: number): HostReply {
    const t0 = performance.now();
    const sessions = ids.map((id) => {
      const s = this.session(id).session;
      if (!(s instanceof BoostSession)) throw new QuorumError('BAD_VALUE', `shard session '${id}' holds a forest shard and does not answer boosted steps`);
      return s;
    });
    if (!(peers >= 1 && block >= 0 && block < peers && step.plan.blocks.length === peers + 1)) {
      throw new QuorumError('BAD_VALUE', `block ${block} of ${peers} does not match the plan's ${step.plan.blocks.length - 1} blocks`);
    }
    const first = sessions[0];
    let jb = this.blocks.get(job);
    if (!jb) {
      const layout = histLayout(first.valueBins);
      jb = { owner: new BlockOwner(layout, first.histLength), layout, pending: null };
      this.blocks.set(job, jb);
    }
    const { head, hists } = localStep(sessions, step, first.outputs, first.histLength);
    if (step.round) rootTotals(head, hists, jb.layout);
    if (peers === 1) {
      const winners = jb.owner.reduce(step.plan, 0, [hists]);
      return this.reply([head, winners, Float64Array.of(performance.now() - t0)]);
    }
    jb.pending = { seq: step.seq, step, block, hists };
    const packed = Array.from({ length: peers }, (_, j) => (j === block ? new Uint8Array(0) : packBlock(hists, jb.layout, step.plan, j)));
    return this.reply([head, ...packed, Float64Array.of(performance.now() - t0)]);
  }

  private reduce(job: string, seq: number, parts: Uint8Array[]): HostReply {
    const t0 = performance.now();
    const jb = this.blocks.get(job);
    const p = jb?.pending;
    if (!jb || !p || p.seq !== seq)
      throw new QuorumError('BAD_VALUE', `no step ${seq} of job ${job} waits for its parts on this trainer (a newer step replaced it, or it never ran)`);
    jb.pending = null;
    const winners = jb.owner.reduce(p.step.plan, p.block, [p.hists, ...parts]);
    return this.reply([winners, Float64Array.of(performance.now() - t0)]);
  }

  private reply(arrays: Array<Float64Array | Int32Array | Uint8Array>): HostReply {
    return chunkBytes(packArrays(arrays), this.maxMessage);
  }

  /** Closes every session whose id starts with `${jobId}/` (the job ended, failed or was cancelled). */
  closeJob(jobId: string): number {
    this.blocks.delete(jobId);
    let n = 0;
    for (const [id, e] of this.sessions) {
      if (id.startsWith(`${jobId}/`)) {
        e.session.close();
        this.sessions.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Closes every session (the trainer stops). */
  closeAll(): number {
    this.blocks.clear();
    const n = this.sessions.size;
    for (const e of this.sessions.values()) e.session.close();
    this.sessions.clear();
    return n;
  }

  /** Closes the sessions idle for longer than the timeout; returns their ids. */
  sweep(): string[] {
    const t = this.now();
    const closed: string[] = [];
    for (const [id, e] of this.sessions) {
      if (t - e.lastUsed > this.idleMs) {
        e.session.close();
        this.sessions.delete(id);
        closed.push(id);
      }
    }
    this.dropIdleBlocks();
    return closed;
  }

  /** A job whose sessions are all gone keeps no reduce state either. */
  private dropIdleBlocks(): void {
    for (const job of this.blocks.keys()) if (![...this.sessions.keys()].some((id) => id.startsWith(`${job}/`))) this.blocks.delete(job);
  }

  status(): { sessions: SessionStatus[]; memoryBytes: number; reduceJobs: string[] } {
    const t = this.now();
    const sessions = [...this.sessions].map(([id, e]) => ({
      id,
      rows: e.rows,
      openTrees: e.session.openTrees,
      memoryBytes: e.session.memoryBytes(),
      idleMs: t - e.lastUsed,
      computeMs: e.session.computeMs,
    }));
    const blockBytes = [...this.blocks.values()].reduce(
      (n, b) => n + b.owner.memoryBytes + (b.pending ? b.pending.hists.length * 8 * b.owner.histLength : 0),
      0,
    );
    return { sessions, memoryBytes: sessions.reduce((s, x) => s + x.memoryBytes, 0) + blockBytes, reduceJobs: [...this.blocks.keys()] };
  }
}

/** The driver's port to one session over a transport that delivers host requests. */
export class HostPort implements ShardPort {
  /** The session's compute time (ms) as of its last answer. */
  computeMs = 0;

  constructor(
    readonly id: string,
    private readonly send: (msg: HostRequest) => Promise<HostReply>,
  ) {}

  private async arrays(msg: HostRequest): Promise<Uint8Array[]> {
    const parts = unpackArrays(joinChunks(await this.send(msg)));
    if (msg.op !== 'open' && msg.op !== 'close') this.computeMs = new Float64Array(parts.pop()!.buffer)[0];
    return parts;
  }

  /** Opens the session from shard bytes; resolves to its row count. */
  async open(shard: Uint8Array): Promise<number> {
    const [rows] = await this.arrays({ op: 'open', id: this.id, shard });
    return new Int32Array(rows.buffer)[0];
  }

  async histograms(nodes: NodeRef[]): Promise<Float64Array> {
    const [h] = await this.arrays({ op: 'histograms', id: this.id, nodes });
    return new Float64Array(h.buffer);
  }

  async applySplits(req: ApplyRequest): Promise<Float64Array> {
    const [a] = await this.arrays({ op: 'applySplits', id: this.id, req });
    return new Float64Array(a.buffer);
  }

  async rows(nodes: NodeRef[]): Promise<NodeRows[]> {
    const parts = await this.arrays({ op: 'rows', id: this.id, nodes });
    return nodes.map((_, i) => ({
      rowIndex: new Int32Array(parts[4 * i].buffer),
      codes: parts[4 * i + 1],
      y: new Float64Array(parts[4 * i + 2].buffer),
      weight: new Float64Array(parts[4 * i + 3].buffer),
    }));
  }

  async round(req: RoundRequest): Promise<Float64Array> {
    const [a] = await this.arrays({ op: 'round', id: this.id, req });
    return new Float64Array(a.buffer);
  }

  async level(req: LevelRequest): Promise<Float64Array> {
    const [a] = await this.arrays({ op: 'level', id: this.id, req });
    return new Float64Array(a.buffer);
  }

  async close(): Promise<void> {
    await this.send({ op: 'close', id: this.id });
  }
}
