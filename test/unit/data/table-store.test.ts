import { mkdtempSync, promises as fs, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadTable, saveTable } from '../../../lib/data/table-store';
import { cells, digest, ingestText, rejection } from './csv/helpers';

const CSV = 'when,where,rain,today,amount\n2008-12-01,Albury,No,Yes,0.6\n2008-12-02,Zürich,Yes,NA,NA\n2008-12-03,東京,No,No,1e3\n';

describe('table store', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'quorum-store-'));
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it('round-trips every column type, the profile, dialect, target and meta', async () => {
    const result = await ingestText(CSV, { target: 'rain' });
    const dir = path.join(root, 'ds1');
    await saveTable(dir, { ...result, meta: { id: 'ds1', uploadedBy: 'test' } });
    const back = await loadTable(dir);
    expect(digest(back)).toBe(digest(result));
    expect(back.meta).toEqual({ id: 'ds1', uploadedBy: 'test' });
    expect(back.target).toEqual(result.target);
    expect(back.stats).toEqual(result.stats);
    expect(cells(back.table.columns[1])).toEqual(['Albury', 'Zürich', '東京']);
    expect(back.table.columns[2]).toMatchObject({ type: 'boolean', labels: ['No', 'Yes'] });
    expect(readdirSync(root).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses to overwrite an existing dataset (CONFLICT) and leaves no temporary directory', async () => {
    const result = await ingestText(CSV);
    const dir = path.join(root, 'ds2');
    await saveTable(dir, result);
    await rejection(saveTable(dir, result), 'CONFLICT');
    expect(readdirSync(root).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses damaged, truncated or foreign files with BAD_ARTIFACT, a newer format with UNSUPPORTED_FORMAT_VERSION', async () => {
    const result = await ingestText(CSV);
    const dir = path.join(root, 'ds3');
    await saveTable(dir, result);
    const file = path.join(dir, 'col-00001.qrma');
    const good = await fs.readFile(file);

    const flipped = Buffer.from(good);
    flipped[flipped.length - 2] ^= 0x55;
    await fs.writeFile(file, flipped);
    await rejection(loadTable(dir), 'BAD_ARTIFACT');

    await fs.writeFile(file, good.subarray(0, good.length - 8));
    await rejection(loadTable(dir), 'BAD_ARTIFACT');

    // a valid column file in the wrong place
    await fs.writeFile(file, await fs.readFile(path.join(dir, 'col-00000.qrma')));
    await rejection(loadTable(dir), 'BAD_ARTIFACT');
    await fs.writeFile(file, good);
    expect((await loadTable(dir)).table.nRows).toBe(3);

    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'table.json'), 'utf8'));
    await fs.writeFile(path.join(dir, 'table.json'), JSON.stringify({ ...manifest, nRows: 4 }));
    const e = await rejection(loadTable(dir), 'BAD_ARTIFACT');
    expect(e.message).toMatch(/has 3 rows, not 4/);
    await fs.writeFile(path.join(dir, 'table.json'), JSON.stringify({ ...manifest, formatVersion: 99 }));
    await rejection(loadTable(dir), 'UNSUPPORTED_FORMAT_VERSION');
    await fs.writeFile(path.join(dir, 'table.json'), '{"format":');
    await rejection(loadTable(dir), 'BAD_ARTIFACT');
    await fs.writeFile(path.join(dir, 'table.json'), JSON.stringify({ ...manifest, columns: [{ ...manifest.columns[0], file: '../../etc/passwd' }] }));
    await rejection(loadTable(dir), 'BAD_ARTIFACT');
  });

  it('answers DATASET_NOT_FOUND for a directory without a dataset', async () => {
    await rejection(loadTable(path.join(root, 'nothing-here')), 'DATASET_NOT_FOUND');
  });
});
