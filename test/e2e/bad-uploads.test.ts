/**
 * Issue 5's bad-input suite through the HTTP gateway: the same malformed files as the lib-level
 * suite, uploaded for real (multipart, options as form fields), and the target mistakes as training
 * requests. Each is a 4xx JSON error naming the problem (and the line); the node stays up; nothing
 * is half-registered; memory returns to its baseline.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { CASES, type Case } from '../helpers/bad-inputs';
import { startNode, type TestNode } from '../helpers/broker';
import { bodyOf } from '../helpers/http';

/** Options a user can send with an upload; the others (limits, target) are not upload fields. */
const UPLOAD_OPTIONS = new Set(['delimiter', 'quote', 'header', 'missing', 'ignore', 'types']);
const TRAINING_OPTIONS = new Set(['target', 'task']);

async function bytesOf(c: Case): Promise<Buffer> {
  if (typeof c.input === 'string') return Buffer.from(c.input);
  if (Buffer.isBuffer(c.input)) return c.input;
  const parts: Buffer[] = [];
  for await (const chunk of c.input()) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

function form(c: Case, bytes: Buffer): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(c.options ?? {})) {
    if (UPLOAD_OPTIONS.has(k)) f.append(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  f.append('file', new Blob([bytes]), 'upload.csv');
  return f;
}

const options = (c: Case) => Object.keys(c.options ?? {});
const asUpload = CASES.filter((c) => options(c).every((k) => UPLOAD_OPTIONS.has(k)) && !(typeof c.input === 'function' && c.name.includes('strings')));
const asTraining = CASES.filter((c) => options(c).some((k) => TRAINING_OPTIONS.has(k)) && options(c).every((k) => TRAINING_OPTIONS.has(k)));

describe('malformed uploads through the gateway (issue 5)', () => {
  let node: TestNode;
  let gc: () => void;
  beforeAll(async () => {
    node = await startNode({ services: ['api', 'coordinator', 'trainer', 'registry', 'inference'] });
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc');
  });
  afterAll(() => node.stop());

  it('covers at least 40 malformed inputs over HTTP', () => {
    expect(asUpload.length + asTraining.length).toBeGreaterThanOrEqual(40);
  });

  it('answers every malformed upload with a 4xx naming the problem, and registers nothing', async () => {
    const before = (await bodyOf(await fetch(`${node.url}/api/datasets`))).length;
    gc();
    const baseline = process.memoryUsage().heapUsed;
    for (const c of asUpload) {
      const res = await fetch(`${node.url}/api/datasets`, { method: 'POST', body: form(c, await bytesOf(c)) });
      const body = await bodyOf(res);
      expect({ case: c.name, status: res.status, type: body.type }).toEqual({ case: c.name, status: expect.any(Number), type: c.code });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      if (c.line !== undefined) expect(body.message).toContain(`line ${c.line.toLocaleString('en-US')}`);
      if (c.message) expect(body.message).toMatch(c.message);
    }
    expect((await bodyOf(await fetch(`${node.url}/api/datasets`))).length).toBe(before);
    // Nothing half-written stays on disk: only registered datasets have a folder.
    expect(readdirSync(path.join(node.stateDir, 'datasets')).filter((d) => !d.startsWith('.'))).toHaveLength(before);
    // The 10 MB field, the 5 MB gzip bomb and the rest are gone once collected.
    gc();
    expect(process.memoryUsage().heapUsed - baseline).toBeLessThan(30 * 1024 * 1024);
    expect((await bodyOf(await fetch(`${node.url}/api/health`))).status).toBe('ok');
  }, 120_000);

  it('answers target mistakes at training time with a 4xx, and starts no job', async () => {
    for (const c of asTraining) {
      const bytes = await bytesOf(c);
      const up = await fetch(`${node.url}/api/datasets`, { method: 'POST', body: form(c, bytes) });
      expect(up.status).toBe(201);
      const dataset = await bodyOf(up);
      const jobsBefore = (await bodyOf(await fetch(`${node.url}/api/trainings`))).length;
      const res = await fetch(`${node.url}/api/trainings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          dataset: dataset.id,
          model: 'baseline',
          target: c.options!.target,
          task: c.options!.task,
          ignore: (c.options as { ignore?: string[] }).ignore,
        }),
      });
      const body = await bodyOf(res);
      expect({ case: c.name, status: res.status >= 400 && res.status < 500, type: body.type }).toEqual({ case: c.name, status: true, type: c.code });
      expect((await bodyOf(await fetch(`${node.url}/api/trainings`))).length).toBe(jobsBefore);
    }
  }, 60_000);

  it('takes concurrent uploads, good and bad, each answered on its own', async () => {
    const good = 'a,b,y\n' + Array.from({ length: 2000 }, (_, i) => `${i},${i % 7},${i % 2 ? 'x' : 'z'}`).join('\n') + '\n';
    const bad = 'a,b,y\n1,2,x\n3,4\n';
    const uploads = Array.from({ length: 8 }, (_, i) => {
      const f = new FormData();
      f.append('name', `concurrent-${i}`);
      f.append('file', new Blob([i % 2 ? bad : good]), 'c.csv');
      return fetch(`${node.url}/api/datasets`, { method: 'POST', body: f });
    });
    const answers = await Promise.all(uploads);
    expect(answers.map((r) => r.status)).toEqual([201, 400, 201, 400, 201, 400, 201, 400]);
    const names = (await bodyOf(await fetch(`${node.url}/api/datasets`))).map((d: { name: string }) => d.name);
    for (const i of [0, 2, 4, 6]) expect(names).toContain(`concurrent-${i}`);
    for (const i of [1, 3, 5, 7]) expect(names).not.toContain(`concurrent-${i}`);
  }, 60_000);

  it('issue 30: takes a column of mostly numbers with a few codes as categorical, and the dataset names it in its warnings', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => `${20 + (i % 50)},${i % 25 === 3 ? 'V57' : 250 + (i % 9)},${i % 2 ? 'a' : 'b'}`);
    const f = new FormData();
    f.append('name', 'issue-30-codes');
    f.append('file', new Blob([`age,diag_1,y\n${rows.join('\n')}\n`]), 'codes.csv');
    const res = await fetch(`${node.url}/api/datasets`, { method: 'POST', body: f });
    expect(res.status).toBe(201);
    const meta = await bodyOf(res);
    expect(meta.profile.find((p: { name: string }) => p.name === 'diag_1')).toMatchObject({ type: 'categorical', role: 'feature' });
    expect(meta.warnings).toEqual([
      expect.stringMatching(
        /^column 'diag_1' \(#2\) holds numbers \(96 of 100 values\) and 4 values that are not \(1 spelling: "V57"; first on line 5\): read as categorical/,
      ),
    ]);
  }, 30_000);
});
