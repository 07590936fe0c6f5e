/**
 * Where a trainer collects the blocks the other trainers of a data-parallel job send it during a
 * step (data-parallel/session/reduce.ts's reduce-scatter): parts by step number and sender, each possibly in
 * chunks (no message over the broker's limit). The step waits until every other trainer's part
 * is in; a part of an older step is dropped; the driver aborts a step whose trainer failed, and
 * the wait ends at once (STEP_ABORTED) instead of waiting for a part that will never come.
 */
import { QuorumError } from '../errors';

/** Largest part one trainer may send for one step (bounds what a confused peer can make us hold). */
export const MAX_PART_BYTES = 256 * 1024 * 1024;
/** Most chunks of one part. */
export const MAX_PART_CHUNKS = 1024;

interface Box {
  seq: number;
  /** Chunks per sender, and how many each sends. */
  chunks: Map<number, Uint8Array[]>;
  expected: Map<number, number>;
  bytes: number;
  waiter: { count: number; resolve: (parts: Map<number, Uint8Array>) => void; reject: (err: Error) => void; timer: NodeJS.Timeout } | null;
}

export class PartInbox {
  private readonly boxes = new Map<string, Box>();
  /** Per job, the last step whose wait ended (done or aborted): its late parts, and older ones, are dropped. */
  private readonly ended = new Map<string, number>();

  /** The box of (job, seq): a newer step replaces an older one (whose wait, if any, fails); null for a step that has ended. */
  private box(job: string, seq: number): Box | null {
    if (seq <= (this.ended.get(job) ?? -Infinity)) return null;
    const had = this.boxes.get(job);
    if (had && had.seq > seq) return null;
    if (had && had.seq === seq) return had;
    if (had?.waiter) this.fail(had, new QuorumError('STEP_ABORTED', `step ${had.seq} of job ${job} was replaced by step ${seq}`));
    const box: Box = { seq, chunks: new Map(), expected: new Map(), bytes: 0, waiter: null };
    this.boxes.set(job, box);
    return box;
  }

  private fail(box: Box, err: Error): void {
    const w = box.waiter;
    box.waiter = null;
    if (!w) return;
    clearTimeout(w.timer);
    w.reject(err);
  }

  /** Senders whose every chunk is in. */
  private complete(box: Box): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (const [from, n] of box.expected) {
      const chunks = box.chunks.get(from)!;
      if (chunks.filter(Boolean).length !== n) continue;
      const size = chunks.reduce((s, c) => s + c.length, 0);
      const whole = new Uint8Array(size);
      let o = 0;
      for (const c of chunks) {
        whole.set(c, o);
        o += c.length;
      }
      out.set(from, whole);
    }
    return out;
  }

  private settle(box: Box): void {
    const w = box.waiter;
    if (!w) return;
    const done = this.complete(box);
    if (done.size < w.count) return;
    box.waiter = null;
    clearTimeout(w.timer);
    w.resolve(done);
  }

  /** Chunk `chunk` of `of` of sender `from`'s part for step `seq` of `job`. */
  put(job: string, seq: number, from: number, chunk: number, of: number, bytes: Uint8Array): void {
    if (!(Number.isInteger(of) && of >= 1 && of <= MAX_PART_CHUNKS && Number.isInteger(chunk) && chunk >= 0 && chunk < of)) {
      throw new QuorumError('BAD_VALUE', `part chunk ${chunk} of ${of} is out of range (1 .. ${MAX_PART_CHUNKS} chunks)`);
    }
    const box = this.box(job, seq);
    if (!box) return; // an older or ended step: nobody waits for it
    if (box.bytes + bytes.length > MAX_PART_BYTES * Math.max(1, box.expected.size + 1)) {
      throw new QuorumError('PAYLOAD_TOO_LARGE', `the parts of step ${seq} of job ${job} exceed ${MAX_PART_BYTES / 2 ** 20} MB per trainer`);
    }
    const known = box.expected.get(from);
    if (known !== undefined && known !== of) throw new QuorumError('BAD_VALUE', `trainer ${from} announced ${known} chunks, then ${of}`);
    box.expected.set(from, of);
    const list = box.chunks.get(from) ?? new Array<Uint8Array>(of);
    if (!list[chunk]) box.bytes += bytes.length;
    list[chunk] = bytes;
    box.chunks.set(from, list);
    this.settle(box);
  }

  /** The parts of `count` senders for step `seq` of `job`, by sender; fails after `timeoutMs` or when the step is aborted. */
  wait(job: string, seq: number, count: number, timeoutMs: number): Promise<Map<number, Uint8Array>> {
    const box = this.box(job, seq);
    if (!box) return Promise.reject(new QuorumError('STEP_ABORTED', `step ${seq} of job ${job} was abandoned`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.fail(
            box,
            new QuorumError('STEP_ABORTED', `step ${seq} of job ${job}: the other trainers' parts did not all come within ${Math.round(timeoutMs / 1000)} s`),
          ),
        timeoutMs,
      );
      timer.unref();
      box.waiter = { count, resolve, reject, timer };
      this.settle(box);
      if (box.waiter) return;
    }).finally(() => {
      if (this.boxes.get(job) === box) this.boxes.delete(job);
    }) as Promise<Map<number, Uint8Array>>;
  }

  /** Step `seq` of `job` is over: its box goes, and its late parts (and older steps') are dropped. */
  private end(job: string, seq: number): void {
    if ((this.ended.get(job) ?? -Infinity) < seq) {
      this.ended.delete(job);
      this.ended.set(job, seq);
      // One number per job; the oldest jobs' go first (they ended long ago).
      if (this.ended.size > 1000) this.ended.delete(this.ended.keys().next().value!);
    }
    const box = this.boxes.get(job);
    if (box && box.seq <= seq) this.boxes.delete(job);
  }

  /** Abandons step `seq` of `job` (and any older one): a wait on it fails at once with STEP_ABORTED. */
  abort(job: string, seq: number): void {
    const box = this.box(job, seq);
    if (box) this.fail(box, new QuorumError('STEP_ABORTED', `step ${seq} of job ${job} was abandoned: another trainer of the job failed`));
    this.end(job, seq);
  }

  /** Forgets the job (it ended or was cancelled). */
  drop(job: string): void {
    const box = this.boxes.get(job);
    if (box) this.fail(box, new QuorumError('STEP_ABORTED', `job ${job} ended`));
    this.boxes.delete(job);
    this.ended.delete(job);
  }

  /** Jobs with a step collecting parts now. */
  get size(): number {
    return this.boxes.size;
  }
}
