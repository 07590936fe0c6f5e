/**
 * Issue 6, the registry's library: versions on disk that survive a restart and a crash mid-write,
 * the active pointer and its history, activation policies, and the portable export file.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decideActivation } from '../../../lib/registry/activation';
import { decodeExport, encodeExport, EXPORT_KIND } from '../../../lib/registry/portable';
import { VersionStore } from '../../../lib/registry/store';
import type { VersionMeta } from '../../../lib/registry/version';
import { decodeArtifact, encodeArtifact } from '../../../lib/core/container';
import { sha256 } from '../../../lib/store/streams';
import { constantArtifact, versionMeta } from '../../fixtures/versions';

type NewVersion = Omit<VersionMeta, 'id' | 'status' | 'createdAt'>;
const fresh = (name: string): NewVersion => {
  const { id: _id, status: _s, createdAt: _c, ...rest } = versionMeta(`${name}-v1`, 'classification', [], ['no', 'yes']);
  return { ...rest, name, members: [] };
};
const report = (accuracy: number) => ({ task: 'classification', accuracy }) as unknown as VersionMeta['report'];

describe('version store on disk (issue 6)', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'quorum-registry-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  async function readyVersion(store: VersionStore, name: string) {
    const v = await store.create(fresh(name));
    const bytes = constantArtifact('classification', [0.3, 0.7]);
    await store.putMember(
      v.id,
      { id: 'm0', kind: 'baseline', params: {}, input: 'native', shard: 0, rows: 10, artifact: { size: bytes.length, sha256: sha256(bytes) } },
      bytes,
    );
    await store.update(v.id, { status: 'ready', report: report(0.8) });
    return v.id;
  }

  it('a restarted store serves every version, artifact, pointer and activation it had', async () => {
    const store = new VersionStore(root);
    await store.init();
    const v1 = await readyVersion(store, 'churn');
    const v2 = await readyVersion(store, 'churn');
    expect([v1, v2]).toEqual(['churn-v1', 'churn-v2']);
    await store.activate(v2, 'first');
    await store.activate(v1, 'rolled back');

    const again = new VersionStore(root);
    await again.init();
    expect(again.list().map((v) => [v.id, v.status, v.members.length])).toEqual([
      ['churn-v1', 'ready', 1],
      ['churn-v2', 'ready', 1],
    ]);
    expect(again.activeVersions()).toEqual({ churn: 'churn-v1' });
    expect(again.activations().map((a) => [a.version, a.previous, a.reason])).toEqual([
      ['churn-v2', undefined, 'first'],
      ['churn-v1', 'churn-v2', 'rolled back'],
    ]);
    expect(decodeArtifact(await again.readMember(v2, 'm0')).kind).toBe('baseline');
    // ids are never reused, even after a removal
    await again.remove(v2);
    expect((await again.create(fresh('churn'))).id).toBe('churn-v3');
  });

  it('a crash mid-write leaves the previous state: temp files and half-removed versions are cleaned at start', async () => {
    const store = new VersionStore(root);
    await store.init();
    const v1 = await readyVersion(store, 'loans');
    // what a crash leaves: a temp file beside version.json and a member, a removal renamed away
    const dir = path.join(root, 'versions', v1);
    writeFileSync(path.join(dir, '.version.json.abc123.tmp'), '{"half":');
    writeFileSync(path.join(dir, 'members', '.m1.qm.def456.tmp'), Buffer.alloc(10));
    mkdirSync(path.join(root, 'versions', '.removed-loans-v9-1'), { recursive: true });
    writeFileSync(path.join(root, '.active.json.777.tmp'), '{');
    const again = new VersionStore(root);
    await again.init();
    expect(again.list().map((v) => v.id)).toEqual([v1]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(path.join(dir, 'members'))).toEqual(['m0.qm']);
    expect(readdirSync(path.join(root, 'versions'))).toEqual([v1]);
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses an artifact whose bytes do not match the announced checksum, and keeps the active version unless forced', async () => {
    const store = new VersionStore(root);
    await store.init();
    const v = await store.create(fresh('fraud'));
    const bytes = constantArtifact('classification', [0.5, 0.5]);
    const wrong = {
      id: 'm0',
      kind: 'baseline',
      params: {},
      input: 'native' as const,
      shard: 0,
      rows: 1,
      artifact: { size: bytes.length, sha256: '0'.repeat(64) },
    };
    await expect(store.putMember(v.id, wrong, bytes)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(store.get(v.id).members).toEqual([]);
    const ready = await readyVersion(store, 'fraud');
    await store.activate(ready, 'test');
    await expect(store.remove(ready)).rejects.toMatchObject({ code: 'CONFLICT' });
    await store.remove(ready, true);
    expect(store.activeVersions()).toEqual({});
    await expect(store.activate(v.id, 'x')).rejects.toMatchObject({ code: 'VERSION_NOT_READY' });
  });
});

describe('activation policy (issue 6)', () => {
  const candidate = (accuracy: number, target = 'y') => ({ ...versionMeta('a-v2', 'classification', [], ['no', 'yes']), target, report: report(accuracy) });
  const current = { ...versionMeta('a-v1', 'classification', [], ['no', 'yes']), report: report(0.8) };

  it('always, manual, and if-better (not worse on validation)', () => {
    expect(decideActivation('always', candidate(0.1), current).activate).toBe(true);
    expect(decideActivation('manual', candidate(0.99), current).activate).toBe(false);
    expect(decideActivation('if-better', candidate(0.79), current)).toEqual({
      activate: false,
      reason: "validation accuracy 79.00 % is worse than 80.00 % of active 'a-v1'",
    });
    expect(decideActivation('if-better', candidate(0.8), current).activate).toBe(true);
    expect(decideActivation('if-better', candidate(0.9), current).activate).toBe(true);
    expect(decideActivation('if-better', candidate(0.1)).activate).toBe(true);
  });

  it('never replaces the active version with one that answers other requests: target, task, columns (issue 29)', () => {
    const other = decideActivation('always', candidate(0.99, 'other'), current);
    expect(other).toEqual({ activate: false, reason: expect.stringContaining("predicts 'other' (classification) where the active 'a-v1' predicts 'y'") });
    expect(other.reason).toContain('an admin activates it by hand');
    const regression = { ...versionMeta('a-v2', 'regression', []), report: report(0.9) };
    expect(decideActivation('if-better', regression, current).activate).toBe(false);
    const fewer = { ...candidate(0.99), encoder: { ...current.encoder, columns: current.encoder.columns.slice(1) } };
    expect(decideActivation('always', fewer, current)).toEqual({
      activate: false,
      reason: expect.stringContaining("does not take column 'x' of the active 'a-v1'"),
    });
    const retyped = {
      ...candidate(0.99),
      encoder: {
        ...current.encoder,
        columns: current.encoder.columns.map((c) => (c.name === 'x' ? { name: 'x', type: 'categorical' as const, categories: ['a'] } : c)),
      },
    };
    expect(decideActivation('always', retyped, current).reason).toContain("reads 'x' as categorical where the active 'a-v1' reads numeric");
  });

  it("only an admin's job takes over a name whose active version came from another dataset or an import (issue 29)", () => {
    const foreign = { ...candidate(0.99), dataset: { id: 'e', name: 'evil', rows: 10, schemaHash: 'h' } };
    expect(decideActivation('if-better', foreign, current, { takeover: false })).toEqual({
      activate: false,
      reason: expect.stringContaining("comes from dataset 'd', this version from dataset 'evil': only an admin's job takes over"),
    });
    expect(decideActivation('if-better', foreign, current, { takeover: true }).activate).toBe(true);
    // retraining on the same dataset is not a take-over
    expect(decideActivation('if-better', candidate(0.9), current, { takeover: false }).activate).toBe(true);
    const imported = { ...current, importedFrom: 'a-v9 (a.quorum)' };
    expect(decideActivation('if-better', candidate(0.9), imported, { takeover: false }).activate).toBe(false);
  });

  it('an unverified import never counts: not activated by policy, and its metrics are not compared against (issue 29)', () => {
    const forged = { ...current, importedFrom: 'a-v9', unverified: true, report: report(1) };
    expect(decideActivation('if-better', candidate(0.7), forged)).toEqual({
      activate: true,
      reason: "the active 'a-v1' is an unverified import: its metrics do not count",
    });
    expect(decideActivation('always', { ...candidate(0.99), unverified: true }, current).activate).toBe(false);
    expect(decideActivation('always', { ...candidate(0.99), unverified: true }).activate).toBe(false);
  });
});

describe('portable export file (issue 6)', () => {
  const meta = { ...versionMeta('p-v1', 'classification', [{ id: 'm0', output: [0.25, 0.75] }], ['no', 'yes']) };
  const members = new Map([['m0', constantArtifact('classification', [0.25, 0.75])]]);

  it('round-trips a version with its members and validation rows', () => {
    const bytes = encodeExport(meta, members, new Uint8Array([1, 2, 3]));
    const back = decodeExport(bytes);
    expect(back.meta).toEqual(meta);
    expect(Buffer.from(back.members.get('m0')!).equals(Buffer.from(members.get('m0')!))).toBe(true);
    expect(Array.from(back.validation!)).toEqual([1, 2, 3]);
  });

  it('a newer format or a damaged file is refused with a clear error', () => {
    const newer = encodeArtifact({ kind: EXPORT_KIND, formatVersion: 2, header: { version: meta }, arrays: { 'member:m0': members.get('m0')! } });
    expect(() => decodeExport(newer)).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED_FORMAT_VERSION',
        message: expect.stringMatching(/format 2 is newer than this Quorum reads \(1\); upgrade Quorum/),
      }),
    );
    const damaged = encodeExport(meta, members);
    damaged[damaged.length - 3] ^= 0x01;
    expect(() => decodeExport(damaged)).toThrow(expect.objectContaining({ code: 'BAD_ARTIFACT', message: expect.stringMatching(/checksum mismatch/) }));
    const truncated = encodeExport(meta, members).subarray(0, 100);
    expect(() => decodeExport(truncated)).toThrow(expect.objectContaining({ code: 'BAD_ARTIFACT' }));
    const lying = encodeExport({ ...meta, members: [{ ...meta.members[0], kind: 'forest' }] }, members);
    expect(() => decodeExport(lying)).toThrow(/claims kind 'forest' but holds a 'baseline'/);
  });
});
