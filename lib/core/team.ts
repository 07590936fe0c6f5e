/**
 * A team of threads that work on one shared memory for one fit: a leader (the thread running the
 * fit) and members (other threads of the trainer's pool, lent to it for the fit). The leader hands
 * every member a part of a step — a kernel call with its arguments — runs its own part, and waits
 * until all are done; then the next step. Signalling is through a control block of 32-bit integers
 * in a SharedArrayBuffer (Atomics.wait / notify: a few microseconds, against tens for a message),
 * so steps of a millisecond are worth handing out.
 *
 * Control block (Int32Array):
 *   [SEQ]   the step number, raised by the leader when the members' arguments are written
 *   [DONE]  members that finished the current step
 *   [STATE] RUNNING, LEAVE (members go back to their event loops) or BROKEN (a member died: the
 *           pool sets it, and the leader's wait throws instead of waiting forever)
 *   [READY] members that have joined (instantiated what they run on the shared memory)
 *   [OP]    the step's operation, [ARGS + member·ARG_SLOTS ..] each member's arguments
 *   [WANT]  members the team may keep (written by the pool: it lowers it to take threads back for
 *           other fits waiting; the leader reads it before each step)
 *   [ACTIVE] members taking part from this step on (written by the leader): a member whose index is
 *           not below it goes back to its event loop — the team shrinks, the results do not change
 *
 * Nothing here knows what the steps compute: the leader passes an operation number and integers,
 * and each member's `execute` (given by the code that knows the kernels) runs them.
 */

const SEQ = 0;
const DONE = 1;
const STATE = 2;
const READY = 3;
const OP = 4;
const WANT = 5;
const ACTIVE = 6;
const ARGS = 8;
/** Integer arguments of one member's part of a step. */
export const ARG_SLOTS = 16;

export const RUNNING = 0;
export const LEAVE = 1;
export const BROKEN = 2;

/** How long a wait lasts before it looks at STATE again (a member that died never notifies). */
const POLL_MS = 1000;

/** A control block for a team of `members` members (besides the leader). */
export function teamControl(members: number): Int32Array {
  const c = new Int32Array(new SharedArrayBuffer(4 * (ARGS + ARG_SLOTS * Math.max(1, members))));
  c[WANT] = members;
  c[ACTIVE] = members;
  return c;
}

/** Lets a running team keep at most `members` members: the others leave at the leader's next step (the pool takes threads back). */
export function shrinkTeam(control: Int32Array, members: number): void {
  Atomics.store(control, WANT, Math.max(0, members));
}

export class TeamBroken extends Error {}

/** The leader's side. */
export class ThreadTeam {
  private seq = 0;
  /** Members that take part in steps (falls when the pool takes threads back). */
  private active: number;

  /**
   * `members` other threads wait on `control`; `send(i, payload)` reaches member i (a message port),
   * used once, by {@link join}, to hand over what they run on.
   */
  constructor(
    readonly control: Int32Array,
    readonly members: number,
    private readonly send: (member: number, payload: unknown) => void,
  ) {
    this.active = members;
  }

  /** Threads in the team now, the leader included. */
  get size(): number {
    return this.active + 1;
  }

  /**
   * Hands `payload` (a shared memory, a compiled module) to every member and waits until all have
   * joined (set themselves up on it); false when they did not within `timeoutMs` (the leader then
   * works alone).
   */
  join(payload: unknown, timeoutMs = 10_000): boolean {
    if (this.members === 0) return true;
    const c = this.control;
    Atomics.store(c, READY, 0);
    for (let i = 0; i < this.members; i++) this.send(i, payload);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = Atomics.load(c, READY);
      if (ready >= this.members) return true;
      if (Atomics.load(c, STATE) === BROKEN || Date.now() > deadline) return false;
      Atomics.wait(c, READY, ready, Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
    }
  }

  /**
   * One step in `parts` parts (the threads of the team now, the leader's is part 0): the member of
   * part p runs `op` with `args(p, parts)` while the leader runs `own(args(0, parts))`; returns when
   * every part is done. Throws {@link TeamBroken} when a member died.
   */
  run(op: number, args: (part: number, parts: number) => ArrayLike<number>, own: (args: ArrayLike<number>) => void): void {
    const c = this.control;
    if (Atomics.load(c, STATE) !== RUNNING) throw new TeamBroken('a thread of the team is gone');
    // Members the pool took back leave with this step's wake-up (they see ACTIVE).
    this.active = Math.min(this.active, Math.max(0, Atomics.load(c, WANT)));
    Atomics.store(c, ACTIVE, this.active);
    const parts = this.active + 1;
    Atomics.store(c, DONE, 0);
    Atomics.store(c, OP, op);
    for (let i = 0; i < this.active; i++) {
      const a = args(i + 1, parts);
      const at = ARGS + i * ARG_SLOTS;
      for (let j = 0; j < a.length; j++) c[at + j] = a[j];
    }
    Atomics.store(c, SEQ, ++this.seq);
    Atomics.notify(c, SEQ);
    own(args(0, parts));
    for (;;) {
      const done = Atomics.load(c, DONE);
      if (done >= this.active) return;
      if (Atomics.load(c, STATE) === BROKEN) throw new TeamBroken('a thread of the team died during a step');
      Atomics.wait(c, DONE, done, POLL_MS);
    }
  }

  /** The members go back to their event loops (the fit is over, or failed). */
  leave(): void {
    leaveTeam(this.control);
  }
}

/** Sends every member of the team on `control` back to its event loop (the pool does it too when a leader's fit ends). */
export function leaveTeam(control: Int32Array): void {
  if (Atomics.load(control, STATE) === RUNNING) Atomics.store(control, STATE, LEAVE);
  Atomics.add(control, SEQ, 1);
  Atomics.notify(control, SEQ);
}

/** Marks the team broken (a member died): the leader's current or next step throws. */
export function breakTeam(control: Int32Array): void {
  Atomics.store(control, STATE, BROKEN);
  Atomics.notify(control, DONE);
  Atomics.notify(control, READY);
  Atomics.notify(control, SEQ);
}

/**
 * A member's side: says it joined, then runs steps until the team is left. Blocks the thread (it
 * is lent to the leader for the fit); returns when the leader leaves or the team breaks.
 */
export function memberLoop(control: Int32Array, index: number, execute: (op: number, args: Int32Array) => void): void {
  const c = control;
  let seen = Atomics.load(c, SEQ);
  Atomics.add(c, READY, 1);
  Atomics.notify(c, READY);
  const args = c.subarray(ARGS + index * ARG_SLOTS, ARGS + (index + 1) * ARG_SLOTS);
  for (;;) {
    if (Atomics.load(c, STATE) !== RUNNING) return;
    if (Atomics.wait(c, SEQ, seen, POLL_MS) === 'timed-out') continue;
    const now = Atomics.load(c, SEQ);
    if (now === seen) continue;
    seen = now;
    if (Atomics.load(c, STATE) !== RUNNING || index >= Atomics.load(c, ACTIVE)) return;
    execute(Atomics.load(c, OP), args);
    Atomics.add(c, DONE, 1);
    Atomics.notify(c, DONE);
  }
}
