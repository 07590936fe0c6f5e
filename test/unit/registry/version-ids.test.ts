/**
 * Issue 17: version ids from one serialised allocator. Concurrent creations, restarts (a new store
 * on the same folder, with a stale counter on disk) and two stores at once on one folder never
 * reuse an id nor overwrite a version's files; active.json and history.json keep every activation.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VersionStore } from '../../../lib/registry/store';
import type { VersionMeta } from '../../../lib/registry/version';
import { versionMeta } from '../../fixtures/versions';

type NewVersion = Omit<VersionMeta, 'id' | 'status' | 'createdAt'>;
const fresh = (name: string, job: string): NewVersion => {
  const { id: _id, status: _s, createdAt: _c, ...rest } = versionMeta(`${name}-v1`, 'classification', [], ['no', 'yes']);
  return { ...rest, name, job, members: [] };
};

describe('version id allocation (issue 17)', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'quorum-ids-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Every version folder on disk → the job written in its version.json. */
  const onDisk = () =>
    new Map(
      readdirSync(path.join(root, 'versions'))
        .filter((d) => !d.startsWith('.'))
        .map((d) => [d, (JSON.parse(readFileSync(path.join(root, 'versions', d, 'version.json'), 'utf8')) as VersionMeta).job]),
    );

  it('concurrent creations across restarts, a stale counter and two stores at once: no id reused, no file overwritten', async () => {
    const created = new Map<string, string>(); // id → job
    const record = (v: VersionMeta) => {
      expect(created.has(v.id)).toBe(false);
      created.set(v.id, v.job!);
    };
    let job = 0;
    for (let round = 0; round < 5; round++) {
      const store = new VersionStore(root);
      await store.init();
      if (round === 2) writeFileSync(path.join(root, 'names.json'), JSON.stringify({ churn: 3 })); // an old count landed last
      const other = new VersionStore(root); // a second store on the same folder, started at the same time
      await other.init();
      const made = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 4 === 3 ? other : store).create(fresh(i % 2 ? 'churn' : 'iris', `job-${job++}`))),
      );
      made.forEach(record);
    }
    expect(created.size).toBe(200);
    // every version on disk is the one its creator made (no job's files replaced by another's)
    const disk = onDisk();
    expect(disk.size).toBe(200);
    for (const [id, j] of created) expect(disk.get(id)).toBe(j);
    // a last restart continues after the highest id on disk
    const last = new VersionStore(root);
    await last.init();
    const next = await last.create(fresh('churn', 'last'));
    const highest = Math.max(...[...created.keys()].filter((id) => id.startsWith('churn-')).map((id) => Number(id.split('-v')[1])));
    expect(Number(next.id.split('-v')[1])).toBeGreaterThan(highest);
  });

  it('concurrent activations are all kept in history.json and active.json holds the last', async () => {
    const store = new VersionStore(root);
    await store.init();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const v = await store.create(fresh(`m${i % 4}`, `job-${i}`));
      await store.update(v.id, { status: 'ready' });
      ids.push(v.id);
    }
    await Promise.all(ids.map((id) => store.activate(id, 'test')));
    const history = JSON.parse(readFileSync(path.join(root, 'history.json'), 'utf8')) as { version: string }[];
    expect(history.map((h) => h.version).sort()).toEqual([...ids].sort());
    const active = JSON.parse(readFileSync(path.join(root, 'active.json'), 'utf8')) as Record<string, string>;
    expect(active).toEqual(store.activeVersions());
    expect(active.m0).toBe(ids[16]);
  });
});
