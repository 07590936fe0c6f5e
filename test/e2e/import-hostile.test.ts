/**
 * Issue 11 over HTTP: the hostile-export corpus through POST /api/models/import on a real
 * `node dist/bin/quorum.js` — each case 422 BAD_ARTIFACT and nothing registered, the bomb refused
 * with the server's resident memory bounded, and a good import still working afterwards.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../helpers/broker';
import { freePort } from '../../fixtures/nats';
import { startProcess, type NodeProcess } from '../../fixtures/processes';
import { bombExport, goodExport, hostileCases } from '../fixtures/hostile-exports';

jest.setTimeout(120_000);

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, '')) * 1024;
}

describe('hostile imports over HTTP (issue 11)', () => {
  let node: NodeProcess;
  let base: string;
  let state: string;

  beforeAll(async () => {
    state = mkdtempSync(path.join(os.tmpdir(), 'quorum-import-'));
    const port = await freePort();
    node = startProcess('import-hostile', { PORT: String(port), HOST: '127.0.0.1', STATE_DIR: state, TRANSPORTER: '', TRAINER_WORKERS: '1' });
    await node.ready;
    base = `http://127.0.0.1:${port}/api`;
    await waitFor(async () => (await fetch(`${base}/health`).catch(() => undefined))?.ok === true, 'gateway up', 30_000, 100);
  });
  afterAll(async () => {
    await node?.kill();
    rmSync(state, { recursive: true, force: true });
  });

  // trust=unsigned: these files are made by the test, not signed by this registry; the content checks run whatever the signature.
  const post = (bytes: Uint8Array, name: string, trust = true) =>
    fetch(`${base}/models/import?name=${name}${trust ? '&trust=unsigned' : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });

  it('a file no trusted key signed is refused without trust=unsigned, and trust takes no other value (issue 29)', async () => {
    const good = await goodExport();
    const refused = await post(good.bytes, 'hostile-unsigned', false);
    expect([refused.status, ((await refused.json()) as { type: string; message: string }).message]).toEqual([422, expect.stringContaining('is not signed')]);
    const odd = await fetch(`${base}/models/import?trust=yes`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: good.bytes });
    expect(odd.status).toBe(400);
    expect(((await (await fetch(`${base}/models`)).json()) as unknown[]).length).toBe(0);
  });

  it('refuses every hostile case and the bomb, registers none, and still imports a good export', async () => {
    const good = await goodExport();
    for (const c of hostileCases(good.bytes, good.member)) {
      const res = await post(c.bytes, 'hostile-bad');
      const body = (await res.json()) as { type?: string };
      expect({ name: c.name, status: res.status, type: body.type }).toEqual({ name: c.name, status: 422, type: 'BAD_ARTIFACT' });
    }

    const before = rssBytes(node.process.pid!);
    const bomb = bombExport(good.bytes, 4, 1000);
    const answers = await Promise.all([0, 1, 2].map(() => post(bomb, 'hostile-bomb')));
    expect(answers.map((r) => r.status)).toEqual([422, 422, 422]);
    const growth = rssBytes(node.process.pid!) - before;
    // measured: a few MB (three 4 MB uploads buffered); before the guard 145 MB → 4.1 GB
    expect(growth).toBeLessThan(200 * 1024 * 1024);

    const ok = await post(good.bytes, 'hostile-good');
    expect(ok.status).toBe(201);
    const imported = (await ok.json()) as { id: string };
    const list = (await (await fetch(`${base}/models`)).json()) as { name: string }[];
    expect(list.map((v) => v.name).filter((n) => n.startsWith('hostile'))).toEqual(['hostile-good']);
    const predicted = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version: imported.id, rows: [{ signal: 1, noise: 0, colour: 2, extra: 0.5 }] }),
    });
    expect(predicted.status).toBe(200);
  });
});
