/**
 * What a trainer runs for data-parallel fits, as messages (so the same code serves a worker
 * thread's postMessage or a Moleculer action): shard sessions by id, opened from shard bytes,
 * answering requests with packed typed-array bytes cut into chunks of at most 1 MB, closed by the
 * coordinator — per session or for a whole job — or after an idle timeout, so a coordinator that
 * died leaks nothing. {@link HostPort} is the driver's side of it over any async transport.
 */
import { QuorumError } from '../../../errors';
import type { BoostSession } from './boost';
import { BlockOwner, localStep, packBlock, rootTotals } from './reduce';
import { histLayout, type HistLayout } from '../../../models/gbm/histogram';
import { decodeBinnedShard } from '../shard';
import { chunkBytes, MAX_MESSAGE, packArrays, type GroupStep, type HostReply, type HostRequest, type SessionStatus } from '../wire';
import { kindOfShard, type DataParallelKind, type DataParallelSession } from '../kinds';

interface Entry {
  /** Of the kind the shard's config says (kinds.ts). */
  session: DataParallelSession;
  kind: DataParallelKind;
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
      const kind = kindOfShard(shard.config);
      this.sessions.set(msg.id, { session: kind.openSession(shard), kind, rows, lastUsed: this.now() });
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
    const arrays = s.answer(msg);
    // Every answer ends with the session's compute time so far (the driver splits wait from work).
    if (arrays) return this.reply([...arrays, Float64Array.of(s.computeMs)]);
    throw new QuorumError('BAD_VALUE', `shard session '${msg.id}' holds a ${e.kind.name} shard and does not answer '${msg.op}'`);
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
      const e = this.session(id);
      if (!e.kind.reduceSteps)
        throw new QuorumError('BAD_VALUE', `shard session '${id}' holds a ${e.kind.name} shard and does not answer reduce-scatter steps`);
      return e.session as BoostSession;
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
