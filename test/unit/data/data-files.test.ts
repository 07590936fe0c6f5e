/** Issue 29: the data folder's listing names files relative to it and never a link that leaves it. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listDataFiles, resolveDataPath } from '../../../lib/data/catalog';

describe('data folder (lib/data/catalog)', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'quorum-files-'));
    mkdirSync(path.join(root, 'data'));
    mkdirSync(path.join(root, 'outside'));
    writeFileSync(path.join(root, 'data', 'a.csv'), 'x\n1\n');
    writeFileSync(path.join(root, 'data', 'notes.md'), 'no');
    writeFileSync(path.join(root, 'outside', 'secret.csv'), 'x\n'.repeat(1000));
    symlinkSync(path.join(root, 'outside', 'secret.csv'), path.join(root, 'data', 'link-out.csv'));
    symlinkSync(path.join(root, 'data', 'a.csv'), path.join(root, 'data', 'link-in.csv'));
    symlinkSync(path.join(root, 'nowhere.csv'), path.join(root, 'data', 'dangling.csv'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists CSV files by name and size only; links leaving the folder and dangling ones are not listed', async () => {
    const files = await listDataFiles([path.join(root, 'data')]);
    expect(files).toEqual([
      { path: 'a.csv', bytes: 4 },
      { path: 'link-in.csv', bytes: 4 },
    ]);
    expect(JSON.stringify(files)).not.toContain(root);
  });

  it('a link leaving the folder cannot be ingested either, and errors name no folder', async () => {
    await expect(resolveDataPath([path.join(root, 'data')], 'link-out.csv')).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    const missing = await resolveDataPath([path.join(root, 'data')], 'none.csv').catch((e: Error) => e);
    expect(missing).toMatchObject({ code: 'FILE_NOT_FOUND' });
    expect((missing as Error).message).not.toContain(root);
    const noFolder = await resolveDataPath([path.join(root, 'gone')], 'a.csv').catch((e: Error) => e);
    expect((noFolder as Error).message).not.toContain(root);
  });
});
