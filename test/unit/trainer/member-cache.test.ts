/**
 * Issue 6: a trainer node holding its own members for broadcast voting (kept after a fit, fetched
 * from the registry once when missing, reported when damaged).
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromWire, toWire } from '../../../lib/inference/wire';
import { encodeArtifact } from '../../../lib/core/container';
import { TrainerModels, type MemberSource } from '../../../lib/trainer/member-cache';
import { constantArtifact, versionMeta } from '../../fixtures/versions';

describe('members held by a trainer node (issue 6)', () => {
  const meta = versionMeta(
    'kept-v1',
    'classification',
    [
      { id: 'a', output: [0.9, 0.1] },
      { id: 'b', output: [0.2, 0.8] },
    ],
    ['no', 'yes'],
  );
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'quorum-trainer-models-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function source(gate: Promise<void> = Promise.resolve()) {
    const calls: string[] = [];
    const s: MemberSource = {
      meta: async () => (calls.push('meta'), meta),
      artifact: async (_v, member) => {
        calls.push(`artifact:${member}`);
        await gate;
        return constantArtifact('classification', member === 'a' ? [0.9, 0.1] : [0.2, 0.8]);
      },
    };
    return { s, calls };
  }
  const x = toWire(new Float32Array([1, 0, 2, 1]));
  const request = (members: string[], waitMs = 1000) => ({ version: 'kept-v1', members, x, rows: 2, cols: 2, waitMs });

  it('predicts with a member it kept after fitting, without asking the registry for it', async () => {
    const { s, calls } = source();
    const models = new TrainerModels(dir, s, { nodeID: 't1' });
    await models.keep('kept-v1', 'a', constantArtifact('classification', [0.9, 0.1]));
    const reply = await models.predict(request(['a']));
    expect(reply.node).toBe('t1');
    expect(reply.missing).toEqual([]);
    expect(Array.from(fromWire(reply.outputs[0].output))).toEqual([0.9, 0.1, 0.9, 0.1].map(Math.fround));
    expect(calls).toEqual(['meta']);
    expect(models.held()).toEqual({ 'kept-v1': ['a'] });
    models.dispose();
  });

  it('a member it lost is fetched from the registry once and kept on disk', async () => {
    const { s, calls } = source();
    const first = new TrainerModels(dir, s, { nodeID: 't1' });
    expect((await first.predict(request(['b']))).outputs.map((o) => o.member)).toEqual(['b']);
    expect(existsSync(path.join(dir, 'kept-v1', 'b.qm'))).toBe(true);
    first.dispose();
    // a restarted trainer reads it from its disk
    const restarted = new TrainerModels(dir, s, { nodeID: 't1' });
    await restarted.predict(request(['b']));
    expect(calls.filter((c) => c.startsWith('artifact'))).toEqual(['artifact:b']);
    await restarted.forget('kept-v1');
    expect(existsSync(path.join(dir, 'kept-v1'))).toBe(false);
    restarted.dispose();
  });

  it('answers without a member still loading after waitMs, and with it on the next call', async () => {
    let release!: () => void;
    const { s } = source(new Promise<void>((r) => (release = r)));
    const models = new TrainerModels(dir, s, { nodeID: 't1' });
    await models.keep('kept-v1', 'a', constantArtifact('classification', [0.9, 0.1]));
    const early = await models.predict(request(['a', 'b'], 50));
    expect(early.outputs.map((o) => o.member)).toEqual(['a']);
    expect(early.missing).toEqual([{ member: 'b', reason: 'still loading on t1' }]);
    // The registry answers; a call that may wait long enough gets the member as soon as it is loaded.
    release();
    const later = await models.predict(request(['a', 'b'], 30_000));
    expect(later.outputs.map((o) => o.member)).toEqual(['a', 'b']);
    const unknown = await models.predict(request(['zz']));
    expect(unknown.missing).toEqual([{ member: 'zz', reason: "not a member of 'kept-v1'" }]);
    models.dispose();
  });

  it('a damaged kept artifact is reported, not used', async () => {
    const { s } = source();
    const models = new TrainerModels(dir, s, { nodeID: 't1' });
    const bytes = encodeArtifact({
      kind: 'baseline',
      formatVersion: 1,
      header: { task: 'classification', nFeatures: 2, nClasses: 2 },
      arrays: { output: new Float32Array([0.5, 0.5]) },
    });
    bytes[bytes.length - 1] ^= 0xff;
    await models.keep('kept-v1', 'a', bytes);
    const reply = await models.predict(request(['a']));
    expect(reply.outputs).toEqual([]);
    expect(reply.missing[0].reason).toMatch(/cannot be loaded: damaged model artifact: checksum mismatch/);
    models.dispose();
  });
});
