/**
 * The lib-level bad-input suite (issue 5): every malformed file or request gets a QuorumError
 * with a 4xx code naming the problem, and the line (and column) where one applies.
 */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ERRORS } from '../../../lib/errors';
import { ingestCsv, ingestFile } from '../../../lib/data/ingest';
import { chunked, rejection } from './csv/helpers';
import { CASES, type Case } from '../../helpers/bad-inputs';

async function run(c: Case) {
  const source = typeof c.input === 'function' ? c.input() : chunked(typeof c.input === 'string' ? Buffer.from(c.input) : c.input, 64 * 1024);
  return rejection(ingestCsv(source, c.options), c.code);
}

describe('malformed inputs', () => {
  it('has at least 40 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(40));

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const e = await run(c);
    expect(e.status).toBeGreaterThanOrEqual(400);
    expect(e.status).toBeLessThan(500);
    expect(ERRORS[e.code].retryable).toBe(false);
    if (c.line !== undefined) {
      expect(e.data?.line).toBe(c.line);
      expect(e.message).toContain(`line ${c.line.toLocaleString('en-US')}`);
    }
    if (c.column !== undefined) {
      expect(e.data?.column).toBe(c.column);
      expect(e.message).toContain(`'${c.column}'`);
    }
    if (c.message) expect(e.message).toMatch(c.message);
  });

  it('refuses a source that is not a stream', async () => {
    await rejection(ingestCsv(42 as never), 'BAD_REQUEST');
  });
});

describe('ingest by path', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'quorum-ingest-'));
  const data = path.join(dir, 'data');
  mkdirSync(path.join(data, 'sub'), { recursive: true });
  writeFileSync(path.join(data, 'ok.csv'), 'a,b\n1,2\n');
  writeFileSync(path.join(dir, 'secret.csv'), 'a,b\n1,2\n');
  symlinkSync('/etc/passwd', path.join(data, 'passwd.csv'));
  symlinkSync(path.join(dir, 'secret.csv'), path.join(data, 'escape.csv'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['../../etc/passwd', 'PATH_NOT_ALLOWED'],
    ['/etc/passwd', 'PATH_NOT_ALLOWED'],
    ['sub/../../secret.csv', 'PATH_NOT_ALLOWED'],
    ['..\\..\\etc\\passwd', 'PATH_NOT_ALLOWED'],
    ['ok.csv\0.txt', 'PATH_NOT_ALLOWED'],
    ['', 'PATH_NOT_ALLOWED'],
    ['passwd.csv', 'PATH_NOT_ALLOWED'],
    ['escape.csv', 'PATH_NOT_ALLOWED'],
    ['missing.csv', 'FILE_NOT_FOUND'],
    ['sub', 'BAD_REQUEST'],
  ] as const)('refuses %j with %s', async (name, code) => {
    const e = await rejection(ingestFile(data, name), code);
    expect(e.status).toBeLessThan(500);
  });

  it('reads a file inside the data directory', async () => {
    const r = await ingestFile(data, 'ok.csv');
    expect(r.table.nRows).toBe(1);
  });
});
