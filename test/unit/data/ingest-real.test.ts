/**
 * Ingestion of real files: the shipped data/ samples always; the seven sets of ../shared/data
 * when present (counts from its README.md). Each guard prints "skipped: …" once when absent.
 */
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import { ingestCsv, ingestFile } from '../../../lib/data/ingest';
import { findColumn, type IngestResult } from '../../../lib/data/table';
import { DATA, SHARED, cells, shared } from './csv/helpers';

const profileOf = (r: IngestResult, name: string) => {
  const p = r.profile.find((x) => x.name === name);
  if (!p) throw new Error(`no column ${name}`);
  return p;
};

const classCounts = (r: IngestResult): Record<string, number> =>
  Object.fromEntries((r.target?.classes ?? []).map((c) => [c.label, c.count]));

describe('shipped data/ files', () => {
  it('reads Iris: 150 rows, 4 numeric features, 3 balanced classes, the trailing blank line skipped', async () => {
    const r = await ingestFile(DATA, 'iris.csv', { target: 'class' });
    expect(r.table.nRows).toBe(150);
    expect(r.table.columns.map((c) => c.type)).toEqual(['numeric', 'numeric', 'numeric', 'numeric', 'categorical']);
    expect(r.target).toMatchObject({ task: 'classification', inferred: true, droppedRows: 0 });
    expect(classCounts(r)).toEqual({ 'Iris-setosa': 50, 'Iris-versicolor': 50, 'Iris-virginica': 50 });
    expect(r.stats?.blankLines).toBe(1);
    expect(profileOf(r, 'sepal_length')).toMatchObject({ min: 4.3, max: 7.9, missing: 0, role: 'feature' });
    expect(profileOf(r, 'sepal_length').mean).toBeCloseTo(5.8433, 4);
  });

  it('reads Letter: 20,000 rows × 17, 26 classes with the UCI counts (A 789 … Z 734)', async () => {
    const r = await ingestCsv(createReadStream(path.join(DATA, 'letter-recognition.csv')), { target: 'lettr' });
    expect(r.table.nRows).toBe(20000);
    expect(r.table.columns).toHaveLength(17);
    const counts = classCounts(r);
    expect(Object.keys(counts)).toHaveLength(26);
    expect(counts.A).toBe(789);
    expect(counts.Z).toBe(734);
    for (const p of r.profile.slice(1)) expect(p).toMatchObject({ type: 'numeric', min: 0, max: 15, distinct: 16 });
  });
});

describe('real datasets in ../shared/data', () => {
  it('Titanic: 891 × 12, CRLF, quoted commas in names, identifiers found, 342 survived / 549 not', async () => {
    if (!shared('titanic-train.csv')) return;
    const r = await ingestFile(SHARED, 'titanic-train.csv', { target: 'Survived' });
    expect(r.table.nRows).toBe(891);
    expect(r.table.columns).toHaveLength(12);
    expect(r.dialect.lineEnding).toBe('crlf');
    expect(cells(findColumn(r.table, 'Name')!)[0]).toBe('Braund, Mr. Owen Harris');
    expect(r.target).toMatchObject({ task: 'classification', inferred: true });
    expect(classCounts(r)).toEqual({ '0': 549, '1': 342 });
    expect(profileOf(r, 'PassengerId').role).toBe('identifier');
    expect(profileOf(r, 'Name').role).toBe('identifier');
    expect(profileOf(r, 'Age')).toMatchObject({ type: 'numeric', missing: 177, role: 'feature' });
    expect(profileOf(r, 'Cabin')).toMatchObject({ type: 'categorical', missing: 687 });
    expect(profileOf(r, 'Embarked').missing).toBe(2);
    expect(r.stats?.missingTokens).toEqual({ '': 866 });
  });

  it('House Prices: 1,460 × 81, 6,965 NA cells, 43 text columns, SalePrice a regression target', async () => {
    if (!shared('house-prices-train.csv')) return;
    const r = await ingestFile(SHARED, 'house-prices-train.csv', { target: 'SalePrice' });
    expect(r.table.nRows).toBe(1460);
    expect(r.table.columns).toHaveLength(81);
    expect(r.stats?.missingTokens).toEqual({ NA: 6965 });
    // 43 text columns; CentralAir (Y/N) is read as a boolean
    expect(r.profile.filter((p) => p.type === 'categorical' || p.type === 'boolean')).toHaveLength(43);
    expect(profileOf(r, 'CentralAir')).toMatchObject({ type: 'boolean' });
    expect(findColumn(r.table, 'CentralAir')).toMatchObject({ labels: ['N', 'Y'] });
    expect(r.target).toMatchObject({ task: 'regression', inferred: true, droppedRows: 0 });
    expect(profileOf(r, 'SalePrice')).toMatchObject({ min: 34900, max: 755000 });
    expect(profileOf(r, 'SalePrice').mean).toBeCloseTo(180921.196, 3);
    expect(profileOf(r, 'Id').role).toBe('identifier');
  });

  it('Skin segmentation: 245,057 × 4, CRLF, numeric, class 1 = 50,859 and 2 = 194,198', async () => {
    if (!shared('skin-segmentation.csv')) return;
    const r = await ingestFile(SHARED, 'skin-segmentation.csv', { target: 'class' });
    expect(r.table.nRows).toBe(245057);
    expect(r.dialect.lineEnding).toBe('crlf');
    expect(r.table.columns.map((c) => c.type)).toEqual(['numeric', 'numeric', 'numeric', 'numeric']);
    expect(classCounts(r)).toEqual({ '1': 50859, '2': 194198 });
    for (const name of ['B', 'G', 'R']) expect(profileOf(r, name)).toMatchObject({ min: expect.any(Number), max: 255 });
  });

  it('Weather AUS: 142,193 × 24, 316,559 NA, ISO dates, 49 locations, Yes/No kept as labels, RISK_MM ignored', async () => {
    if (!shared('weather-aus.csv')) return;
    const r = await ingestFile(SHARED, 'weather-aus.csv', { target: 'RainTomorrow', ignore: ['RISK_MM'] });
    expect(r.table.nRows).toBe(142193);
    expect(r.table.columns).toHaveLength(24);
    expect(r.stats?.missingTokens).toEqual({ NA: 316559 });
    expect(profileOf(r, 'Date')).toMatchObject({ type: 'datetime', min: Date.UTC(2007, 10, 1), max: Date.UTC(2017, 5, 25) });
    expect(profileOf(r, 'Location')).toMatchObject({ type: 'categorical', distinct: 49 });
    expect(profileOf(r, 'RISK_MM').role).toBe('ignored');
    expect(findColumn(r.table, 'RainTomorrow')).toMatchObject({ type: 'boolean', labels: ['No', 'Yes'] });
    expect(r.target).toMatchObject({ task: 'classification', droppedRows: 0 });
    expect(classCounts(r)).toEqual({ No: 110316, Yes: 31877 });
    expect(profileOf(r, 'RainToday')).toMatchObject({ type: 'boolean', missing: 1406 });
  });

  it('Bank marketing: 41,188 × 21, every string quoted, "unknown" read as missing on request, 36,548 no / 4,640 yes', async () => {
    if (!shared('bank-additional-full.csv')) return;
    const plain = await ingestFile(SHARED, 'bank-additional-full.csv');
    expect(profileOf(plain, 'default').top?.map((t) => t.value)).toContain('unknown');
    const r = await ingestFile(SHARED, 'bank-additional-full.csv', { missing: ['unknown'], target: 'y' });
    expect(r.table.nRows).toBe(41188);
    expect(r.table.columns).toHaveLength(21);
    expect(classCounts(r)).toEqual({ no: 36548, yes: 4640 });
    expect(profileOf(r, 'job').top?.map((t) => t.value)).not.toContain('unknown');
    expect(profileOf(r, 'job').missing).toBe(330);
    expect(profileOf(r, 'euribor3m').type).toBe('numeric');
  });

  it('Letter and Iris copies match the shipped ones', async () => {
    if (!shared('letter-recognition.csv')) return;
    const a = await ingestFile(SHARED, 'letter-recognition.csv');
    const b = await ingestFile(DATA, 'letter-recognition.csv');
    expect(a.profile).toEqual(b.profile);
    const i = await ingestFile(SHARED, 'iris.csv');
    expect(i.table.nRows).toBe(150);
  });
});
