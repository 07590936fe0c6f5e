/**
 * Issue 6, broadcast voting without a cluster: trainer nodes are functions that predict with real
 * loaded members (or never answer, or fail). Checks the plan (each member asked of its own node,
 * orphans spread), chunking under the message limit, the deadline, and the quorum.
 */
import {
  assignMembers,
  broadcastVotes,
  requiredVotes,
  rowsPerCall,
  type BroadcastPorts,
  type TrainerPredictReply,
  type TrainerPredictRequest,
} from '../../../lib/inference/broadcast';
import type { Ensemble } from '../../../lib/inference/ensemble';
import { fromWire, toWire } from '../../../lib/inference/wire';
import type { MemberMeta } from '../../../lib/registry/version';
import { fixedEnsemble, forestEnsemble, forestRows } from '../../fixtures/versions';

const CLASSES = ['A', 'B', 'C'];
const MEMBERS = [
  { id: 'm1', output: [0.6, 0.3, 0.1], node: 'n1' },
  { id: 'm2', output: [0.1, 0.5, 0.4], node: 'n1' },
  { id: 'm3', output: [0.3, 0.4, 0.3], node: 'n2' },
  { id: 'm4', output: [0.2, 0.2, 0.6], node: 'n2', classes: ['A', 'B', 'C'] },
];

/** A node that predicts with the ensemble's own (local) models: what a trainer holding them would answer. */
function node(e: Ensemble, name: string, calls: TrainerPredictRequest[], behaviour: 'ok' | 'silent' | 'fail' = 'ok') {
  return async (request: TrainerPredictRequest, timeoutMs: number): Promise<TrainerPredictReply> => {
    calls.push(request);
    if (behaviour === 'fail') throw new Error('boom');
    if (behaviour === 'silent') {
      await new Promise((r) => setTimeout(r, timeoutMs));
      throw Object.assign(new Error(`Request is timed out when call 'trainer.predict' action on '${name}' node.`), { code: 504 });
    }
    const x = { data: fromWire(request.x), rows: request.rows, cols: request.cols };
    const models = new Map(e.members.map((m) => [m.meta.id, m.model]));
    return { node: name, outputs: request.members.map((id) => ({ member: id, output: toWire(models.get(id)!.predict(x)) })), missing: [] };
  };
}

function ports(nodes: Record<string, ReturnType<typeof node>>): BroadcastPorts {
  return { trainers: () => Object.keys(nodes), call: (n, request, timeout) => nodes[n](request, timeout) };
}

const ids = (members: MemberMeta[] | undefined) => (members ?? []).map((m) => m.id);

describe('broadcast voting (issue 6)', () => {
  it('asks each node for its own members, and spreads members whose node is gone', () => {
    const members = MEMBERS.map((m) => ({ id: m.id, node: m.node }) as MemberMeta);
    const both = assignMembers('v1', members, ['n2', 'n1']);
    expect(ids(both.get('n1'))).toEqual(['m1', 'm2']);
    expect(ids(both.get('n2'))).toEqual(['m3', 'm4']);
    const one = assignMembers('v1', members, ['n1']);
    expect(ids(one.get('n1')).sort()).toEqual(['m1', 'm2', 'm3', 'm4']);
    const fresh = assignMembers('v1', members, ['n3', 'n4']);
    expect([...ids(fresh.get('n3')), ...ids(fresh.get('n4'))].sort()).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(ids(fresh.get('n3'))).toHaveLength(2);
    expect(assignMembers('v1', members, []).size).toBe(0);
  });

  it('quorum: a count, or a share of the voters', () => {
    expect(requiredVotes(0.5, 4)).toBe(2);
    expect(requiredVotes(0.6, 4)).toBe(3);
    expect(requiredVotes(0.01, 4)).toBe(1);
    expect(requiredVotes(3, 4)).toBe(3);
    // 26 classes × 2 members × 4 bytes = 208 bytes a row → 2,520 rows in 512 KB
    expect(rowsPerCall(16, 26, 2, 512 * 1024)).toBe(2520);
  });

  it("gathers every member's vote: the same outputs as local voting, in member order", async () => {
    const e = await forestEnsemble();
    const calls: TrainerPredictRequest[] = [];
    const x = e.encodeRows(forestRows(10)).x;
    const { votes, missing } = await broadcastVotes(e, x, { timeoutMs: 1000, quorum: 1 }, ports({ n1: node(e, 'n1', calls), n2: node(e, 'n2', calls) }));
    expect(missing).toEqual([]);
    expect(votes.map((v) => [v.member.id, v.node])).toEqual([
      ['m1', 'n1'],
      ['m2', 'n1'],
      ['m3', 'n2'],
      ['m4', 'n2'],
    ]);
    const local = e.votes(x);
    votes.forEach((v, i) => expect(Array.from(v.output)).toEqual(Array.from(local[i].output)));
    expect(calls.map((c) => c.members)).toEqual([
      ['m1', 'm2'],
      ['m3', 'm4'],
    ]);
  });

  it('cuts large batches into calls under the message limit and joins them in order', async () => {
    const e = await forestEnsemble();
    const calls: TrainerPredictRequest[] = [];
    const x = e.encodeRows(forestRows(1000)).x;
    // 3 classes × 2 members × 4 bytes = 24 bytes a row: 4 KB → 170 rows a call → 6 calls a node
    const { votes } = await broadcastVotes(
      e,
      x,
      { timeoutMs: 1000, quorum: 4, maxMessageBytes: 4096 },
      ports({ n1: node(e, 'n1', calls), n2: node(e, 'n2', calls) }),
    );
    expect(calls).toHaveLength(12);
    expect(Math.max(...calls.map((c) => c.x.byteLength))).toBeLessThanOrEqual(4096);
    expect(calls.filter((c) => c.members[0] === 'm1').reduce((n, c) => n + c.rows, 0)).toBe(1000);
    const local = e.votes(x);
    votes.forEach((v, i) => expect(Array.from(v.output)).toEqual(Array.from(local[i].output)));
    // the rows really differ (a misplaced chunk would show)
    expect(new Set(Array.from(local[0].output.subarray(0, 3000))).size).toBeGreaterThan(5);
    // m4 knows only B and C: aligned, its A column is 0 throughout
    expect(votes[3].output.filter((_, i) => i % 3 === 0).every((p) => p === 0)).toBe(true);
  });

  it('a node that does not answer in time is left out; the answer says who voted', async () => {
    const e = await fixedEnsemble('classification', MEMBERS, CLASSES);
    const x = e.encodeRows([{ x: 1 }]).x;
    const { votes, missing } = await broadcastVotes(e, x, { timeoutMs: 100, quorum: 0.5 }, ports({ n1: node(e, 'n1', []), n2: node(e, 'n2', [], 'silent') }));
    expect(votes.map((v) => v.member.id)).toEqual(['m1', 'm2']);
    expect(missing.map((m) => [m.member, m.node])).toEqual([
      ['m3', 'n2'],
      ['m4', 'n2'],
    ]);
    expect(missing[0].reason).toMatch(/no answer in time/);
  });

  it('fewer voters than the quorum is QUORUM_NOT_REACHED, naming who is missing', async () => {
    const e = await fixedEnsemble('classification', MEMBERS, CLASSES);
    const x = e.encodeRows([{ x: 1 }]).x;
    const failing = broadcastVotes(e, x, { timeoutMs: 100, quorum: 3 }, ports({ n1: node(e, 'n1', []), n2: node(e, 'n2', [], 'fail') }));
    await expect(failing).rejects.toMatchObject({ code: 'QUORUM_NOT_REACHED', status: 503, data: { voted: 2, required: 3 } });
    await expect(failing).rejects.toThrow(/m3 @ n2 \(failed: boom\)/);
    await expect(broadcastVotes(e, x, { timeoutMs: 100, quorum: 1 }, ports({}))).rejects.toMatchObject({ code: 'NO_TRAINERS' });
  });

  it('a member a node reports missing does not vote', async () => {
    const e = await fixedEnsemble('classification', MEMBERS, CLASSES);
    const x = e.encodeRows([{ x: 1 }]).x;
    const forgetful: BroadcastPorts = {
      trainers: () => ['n1'],
      call: async (_n, request) => {
        const full = await node(e, 'n1', [])(request, 100);
        return { ...full, outputs: full.outputs.filter((o) => o.member !== 'm2'), missing: [{ member: 'm2', reason: 'still loading on n1' }] };
      },
    };
    const { votes, missing } = await broadcastVotes(e, x, { timeoutMs: 100, quorum: 1 }, forgetful);
    expect(votes.map((v) => v.member.id)).toEqual(['m1', 'm3', 'm4']);
    expect(missing).toEqual([{ member: 'm2', node: 'n1', reason: 'still loading on n1' }]);
  });
});
