/**
 * Broadcast voting: the encoded features go to the trainer nodes, each predicts with the members it
 * holds, and the inference node aggregates. Pure logic with the calls behind a port, so the plan,
 * the chunking, the timeouts and the quorum are tested without a cluster.
 *
 * - A member is asked of the node that fitted it while that node is up; a member whose node is gone
 *   goes to a live trainer (spread by a stable order), which loads it from its disk or the registry.
 * - Features and outputs travel as raw float32 bytes, cut into calls of at most `maxMessageBytes`
 *   each way (NATS refuses messages over 1 MB).
 * - Every call has the same deadline; a node that misses it, fails, or lacks a member simply does
 *   not vote for it. Fewer voters than the quorum is QUORUM_NOT_REACHED (503, retryable).
 */
import { QuorumError } from '../errors';
import type { Matrix } from '../models/model';
import type { MemberMeta } from '../registry/version';
import { fromWire, toWire } from './wire';
import type { MemberVote, MissingMember, VersionView } from './version-view';

/** `trainer.predict` parameters. */
export interface TrainerPredictRequest {
  version: string;
  members: string[];
  /** Native features, float32 little-endian, rows × cols. */
  x: Uint8Array;
  rows: number;
  cols: number;
  /** How long the trainer may wait for members it still has to load before answering without them. */
  waitMs: number;
}

/** `trainer.predict` answer: raw model outputs (not aligned), and the members it could not run. */
export interface TrainerPredictReply {
  node: string;
  outputs: { member: string; output: Uint8Array }[];
  missing: { member: string; reason: string }[];
}

export interface BroadcastPorts {
  /** Trainer nodes available now. */
  trainers(): string[];
  call(node: string, request: TrainerPredictRequest, timeoutMs: number): Promise<TrainerPredictReply>;
}

export interface BroadcastOptions {
  timeoutMs: number;
  /** ≥ 1: members that must vote; below 1: the share of the voters that must. */
  quorum: number;
  /** Largest request or reply of one call. Default 512 KB (half of NATS's limit). */
  maxMessageBytes?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 512 * 1024;

/** Members that must vote for `quorum` out of `total`. */
export function requiredVotes(quorum: number, total: number): number {
  return quorum < 1 ? Math.max(1, Math.ceil(quorum * total - 1e-9)) : quorum;
}

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Node → members it is asked for. Members of a node that is not up are spread over the live ones. */
export function assignMembers(version: string, members: readonly MemberMeta[], live: readonly string[]): Map<string, MemberMeta[]> {
  const nodes = [...live].sort();
  const plan = new Map<string, MemberMeta[]>();
  if (nodes.length === 0) return plan;
  const up = new Set(nodes);
  const orphans = members.filter((m) => !m.node || !up.has(m.node)).sort((a, b) => a.id.localeCompare(b.id));
  const start = hash(version) % nodes.length;
  const add = (node: string, m: MemberMeta) => plan.set(node, [...(plan.get(node) ?? []), m]);
  for (const m of members) if (m.node && up.has(m.node)) add(m.node, m);
  orphans.forEach((m, i) => add(nodes[(start + i) % nodes.length], m));
  return plan;
}

/** Rows per call so that neither the features nor the outputs of `members` exceed `maxBytes`. */
export function rowsPerCall(cols: number, width: number, members: number, maxBytes: number): number {
  const bytesPerRow = 4 * Math.max(cols, width * Math.max(1, members));
  return Math.max(1, Math.floor(maxBytes / bytesPerRow));
}

interface NodeAnswer {
  node: string;
  /** member id → chunk outputs by chunk index */
  outputs: Map<string, Uint8Array[]>;
  missing: Map<string, string>;
}

/** Asks every node for its members' outputs on `x`; returns the votes in member order. */
export async function broadcastVotes(
  view: VersionView,
  x: Matrix,
  options: BroadcastOptions,
  ports: BroadcastPorts,
): Promise<{ votes: MemberVote[]; missing: MissingMember[] }> {
  const voters = view.voters;
  const required = requiredVotes(options.quorum, voters.length);
  const live = ports.trainers();
  if (live.length === 0) throw new QuorumError('NO_TRAINERS', `broadcast voting needs trainer nodes and none is up: start one, or vote with mode 'local'`);
  const plan = assignMembers(view.id, voters, live);
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const deadline = Date.now() + options.timeoutMs;

  const ask = async (node: string, members: MemberMeta[]): Promise<NodeAnswer> => {
    const answer: NodeAnswer = { node, outputs: new Map(), missing: new Map() };
    const memberWidth = Math.max(...members.map((m) => (view.meta.task === 'classification' ? (m.classes?.length ?? view.width) : 1)));
    const step = rowsPerCall(x.cols, memberWidth, members.length, maxBytes);
    const chunks: Promise<void>[] = [];
    for (let start = 0, index = 0; start < x.rows; start += step, index++) {
      const end = Math.min(x.rows, start + step);
      const request: TrainerPredictRequest = {
        version: view.id,
        members: members.map((m) => m.id),
        x: toWire(x.data.subarray(start * x.cols, end * x.cols)),
        rows: end - start,
        cols: x.cols,
        waitMs: Math.max(0, Math.floor(options.timeoutMs / 2)),
      };
      const chunk = index;
      chunks.push(
        ports.call(node, request, Math.max(1, deadline - Date.now())).then(
          (reply) => {
            for (const o of reply.outputs) {
              const list = answer.outputs.get(o.member) ?? [];
              list[chunk] = o.output;
              answer.outputs.set(o.member, list);
            }
            for (const m of reply.missing) answer.missing.set(m.member, m.reason);
          },
          (err: Error) => {
            for (const m of members) answer.missing.set(m.id, `${/timeout|timed out/i.test(err.message) ? 'no answer in time' : 'failed'}: ${err.message}`);
          },
        ),
      );
    }
    await Promise.all(chunks);
    // A member votes only if every chunk of its rows came back.
    const count = chunks.length;
    for (const [member, list] of answer.outputs) {
      let complete = list.length === count;
      for (let i = 0; complete && i < count; i++) complete = list[i] !== undefined;
      if (!complete) {
        answer.outputs.delete(member);
        if (!answer.missing.has(member)) answer.missing.set(member, 'part of its rows got no answer in time');
      }
    }
    return answer;
  };

  const answers = await Promise.all([...plan].map(([node, members]) => ask(node, members)));
  const byMember = new Map<string, { node: string; parts: Uint8Array[] }>();
  const missing: MissingMember[] = [];
  for (const a of answers) {
    for (const [member, parts] of a.outputs) byMember.set(member, { node: a.node, parts });
    for (const [member, reason] of a.missing) if (!a.outputs.has(member)) missing.push({ member, node: a.node, reason });
  }
  const votes: MemberVote[] = [];
  for (const member of voters) {
    const got = byMember.get(member.id);
    if (!got) {
      if (!missing.some((m) => m.member === member.id)) missing.push({ member: member.id, reason: 'no trainer node was asked for it' });
      continue;
    }
    votes.push({ member, node: got.node, output: view.align(member, concat(got.parts.map(fromWire)), x.rows) });
  }
  if (votes.length < required) {
    throw new QuorumError(
      'QUORUM_NOT_REACHED',
      `${votes.length} of ${voters.length} members of '${view.id}' voted, ${required} needed: ${missing.map((m) => `${m.member}${m.node ? ` @ ${m.node}` : ''} (${m.reason})`).join('; ')}`,
      {
        voted: votes.length,
        required,
        missing,
      },
    );
  }
  return { votes, missing };
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
