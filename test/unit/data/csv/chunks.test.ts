/**
 * The table must not depend on where the input is cut into chunks: a quoted field, a CRLF pair, a
 * doubled quote or a multi-byte UTF-8 character may all be split between two chunks.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ingestFile } from '../../../../lib/data/ingest';
import { DATA, digest, ingestText, shared } from './helpers';

const TRICKY = Buffer.from(
  '\uFEFFid,name,when,flag,score,note\r\n' +
    '1,"Braund, Mr. ""Owen""",2008-12-01,Yes,13.4,"multi\r\nline"\r\n' +
    '\r\n' +
    '2, Zürich ,2008-12-02T10:30:00Z,No,NA,  spaced  \r\n' +
    '3,東京 🚀,2008-12-03,yes,-1e-3,""\r\n' +
    '4,"",NA,No,?,"a ""quoted"" word"\n' +
    '5,Ωmega,2009-01-01,YES,1007.7,last',
  'utf8',
);

describe('chunk boundaries', () => {
  it('gives identical tables for a tricky file fed whole or in chunks of 1, 2, 3, 7 and 64 KiB bytes', async () => {
    const whole = digest(await ingestText(TRICKY));
    const r = await ingestText(TRICKY);
    expect(r.table.nRows).toBe(5);
    expect(r.table.columns.map((c) => c.type)).toEqual(['numeric', 'categorical', 'datetime', 'boolean', 'numeric', 'categorical']);
    for (const size of [1, 2, 3, 7, 64 * 1024]) {
      expect(digest(await ingestText(TRICKY, {}, size))).toBe(whole);
    }
  });

  it('gives identical tables for the shipped Iris and Letter files in chunks of 1 (Iris), 7 and 64 KiB bytes', async () => {
    const iris = readFileSync(path.join(DATA, 'iris.csv'));
    const irisWhole = digest(await ingestText(iris));
    for (const size of [1, 7, 64 * 1024]) expect(digest(await ingestText(iris, {}, size))).toBe(irisWhole);
    const letter = readFileSync(path.join(DATA, 'letter-recognition.csv'));
    const letterWhole = digest(await ingestText(letter));
    for (const size of [7, 64 * 1024]) expect(digest(await ingestText(letter, {}, size))).toBe(letterWhole);
  });

  it('gives identical tables whatever the size hint: exact, too small, too large, absurd', async () => {
    const letter = readFileSync(path.join(DATA, 'letter-recognition.csv'));
    const plain = await ingestText(letter, {}, 64 * 1024);
    const whole = digest(plain);
    for (const sizeHint of [letter.length, 1000, letter.length * 1.5, 1e12]) {
      const r = await ingestText(letter, { sizeHint }, 64 * 1024);
      expect(digest(r)).toBe(whole);
      for (const c of r.table.columns) {
        const a = c.type === 'categorical' ? c.codes : c.values;
        expect(a.length).toBe(20000);
        expect(a.byteOffset).toBe(0);
      }
    }
  });

  it('gives the same table from a file read with reused buffers as from memory', async () => {
    const letter = readFileSync(path.join(DATA, 'letter-recognition.csv'));
    expect(digest(await ingestFile(DATA, 'letter-recognition.csv'))).toBe(digest(await ingestText(letter)));
    const file = shared('weather-aus.csv');
    if (!file) return;
    // 14 MB: about 55 reads, each buffer reused many times
    const fromFile = await ingestFile(path.dirname(file), path.basename(file));
    expect(digest(fromFile)).toBe(digest(await ingestText(readFileSync(file), {}, 256 * 1024)));
  });

  it('gives identical tables from gzip input cut into 1-byte and 7-byte chunks', async () => {
    const iris = readFileSync(path.join(DATA, 'iris.csv'));
    const plain = digest(await ingestText(iris));
    const gz = gzipSync(iris);
    for (const size of [1, 7]) {
      const d = digest(await ingestText(gz, {}, size));
      expect(d).toContain('"gzip":true');
      expect(d.replace('"gzip":true', '"gzip":false')).toBe(plain);
    }
  });

  it('gives identical tables for Titanic (quoted commas, CRLF) in chunks of 1 and 7 bytes', async () => {
    const file = shared('titanic-train.csv');
    if (!file) return;
    const bytes = readFileSync(file);
    const whole = digest(await ingestText(bytes));
    for (const size of [1, 7]) expect(digest(await ingestText(bytes, {}, size))).toBe(whole);
  });

  it('gives identical tables for Bank marketing (every string quoted, CRLF) in chunks of 4,099 bytes', async () => {
    const file = shared('bank-additional-full.csv');
    if (!file) return;
    const bytes = readFileSync(file);
    const whole = digest(await ingestText(bytes));
    expect(digest(await ingestText(bytes, {}, 4099))).toBe(whole);
  });
});
