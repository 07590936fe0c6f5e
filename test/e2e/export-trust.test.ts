/**
 * Issue 29: exports are signed (HMAC-SHA256 with the registry's key) and imports believe nothing a
 * file says about itself. Two real clusters (processes with their own state folders and keys):
 * an edited file no longer verifies; an admin may take it as unverified, and then its metrics are
 * the registry's own, it never wins "activate if better", and an honest retrain replaces it; a
 * cluster imports another's exports as verified only when it lists that cluster's key.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, waitFor } from '../helpers/broker';
import { bodyOf } from '../helpers/http';
import { freePort } from '../../fixtures/nats';
import { startProcess, type NodeProcess } from '../../fixtures/processes';
import { editMeta } from '../fixtures/hostile-exports';

jest.setTimeout(120_000);

const TRAILER = 48;

interface Cluster {
  node: NodeProcess;
  base: string;
  state: string;
}

async function start(name: string, env: Record<string, string> = {}): Promise<Cluster> {
  const state = mkdtempSync(path.join(os.tmpdir(), `quorum-${name}-`));
  const port = await freePort();
  const node = startProcess(name, {
    PORT: String(port),
    STATE_DIR: state,
    DATA_DIR: path.join(ROOT, 'data'),
    TRANSPORTER: '',
    TRAINER_WORKERS: '1',
    LOGLEVEL: 'info',
    ...env,
  });
  await node.ready;
  const base = `http://127.0.0.1:${port}/api`;
  await waitFor(async () => (await fetch(`${base}/health`).catch(() => undefined))?.ok === true, 'gateway up', 30_000, 100);
  return { node, base, state };
}

async function stop(c?: Cluster): Promise<void> {
  if (!c) return;
  await c.node.kill();
  rmSync(c.state, { recursive: true, force: true });
}

const json = { 'content-type': 'application/json' };

async function train(c: Cluster, body: Record<string, unknown>): Promise<{ version: string; message: string }> {
  const started = await fetch(`${c.base}/trainings`, { method: 'POST', headers: json, body: JSON.stringify({ shards: 1, seed: 7, ...body }) });
  expect(started.status).toBe(202);
  const { id } = await bodyOf(started);
  return waitFor(
    async () => {
      const job = await bodyOf(await fetch(`${c.base}/trainings/${id}`));
      if (job.status === 'failed') throw new Error(`job failed: ${JSON.stringify(job.error)}`);
      return job.status === 'completed' ? job : undefined;
    },
    'job',
    60_000,
    100,
  );
}

const importFile = (c: Cluster, bytes: Uint8Array, query = '') =>
  fetch(`${c.base}/models/import${query}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });

/** The file with its container edited by `edit` and the original signature kept (what a forger can do without the key). */
function forge(file: Buffer, edit: (meta: Record<string, any>) => void): Buffer {
  const container = file.subarray(0, file.length - TRAILER);
  return Buffer.concat([editMeta(container, edit), file.subarray(file.length - TRAILER)]);
}

describe('signed exports and honest imports (issue 29)', () => {
  let a: Cluster;
  let version: string;
  let file: Buffer;
  let truth: Record<string, number>;

  beforeAll(async () => {
    a = await start('export-a', { ACTIVATION: 'if-better' });
    expect((await fetch(`${a.base}/datasets/ingest`, { method: 'POST', headers: json, body: JSON.stringify({ path: 'iris.csv' }) })).status).toBe(200);
    const job = await train(a, { dataset: 'iris', target: 'class', model: { kind: 'forest', params: { nEstimators: 10 } } });
    version = job.version;
    truth = (await bodyOf(await fetch(`${a.base}/models/${version}`))).metrics;
    file = Buffer.from(await (await fetch(`${a.base}/models/${version}/export`)).arrayBuffer());
  });
  afterAll(async () => stop(a));

  it("an export ends with the registry's signature; its own registry imports it as verified, with the same metrics recomputed", async () => {
    expect(file.toString('latin1', file.length - TRAILER, file.length - TRAILER + 4)).toBe('QSIG');
    const res = await importFile(a, file, '?name=copy');
    expect(res.status).toBe(201);
    const imported = await bodyOf(res);
    expect(imported.unverified).toBeUndefined();
    const meta = await bodyOf(await fetch(`${a.base}/models/${imported.id}`));
    expect(meta.imported).toMatchObject({ signature: 'verified', metrics: 'recomputed' });
    expect(meta.metrics).toEqual(truth);
    expect(a.node.log()).not.toContain(readFileSync(path.join(a.state, 'registry', 'export-key'), 'utf8').trim());
  });

  it('an edited file (forged metrics, a node, rotated labels) no longer verifies: 422 UNSIGNED_EXPORT, nothing registered', async () => {
    const before = (await bodyOf(await fetch(`${a.base}/models`))).length;
    const forged = forge(file, (m) => {
      m.metrics = { accuracy: 1 };
      m.members[0].node = 'trusted-prod-trainer';
    });
    const res = await importFile(a, forged, '?name=forged');
    const err = await bodyOf(res);
    expect([res.status, err.type, err.message]).toEqual([422, 'UNSIGNED_EXPORT', expect.stringContaining('changed after it was signed')]);
    expect((await bodyOf(await fetch(`${a.base}/models`))).length).toBe(before);
  });

  it('taken with trust=unsigned it is marked unverified, its metrics are recomputed, and it never blocks an honest retrain', async () => {
    const forged = forge(file, (m) => {
      m.metrics = { accuracy: 1 };
      m.report.accuracy = 1;
      m.members[0].metrics = { accuracy: 1 };
      m.members[0].weight = 1e300;
      m.members[0].node = 'trusted-prod-trainer';
      m.classes = [m.classes[1], m.classes[2], m.classes[0]]; // rotated labels: a setosa row would be called another class
    });
    const res = await importFile(a, forged, '?name=iris&trust=unsigned');
    expect(res.status).toBe(201);
    const imported = await bodyOf(res);
    expect(imported.unverified).toBe(true);
    const meta = await bodyOf(await fetch(`${a.base}/models/${imported.id}`));
    expect(meta.imported).toMatchObject({ signature: 'altered', metrics: 'recomputed' });
    expect(meta.metrics.accuracy).toBeLessThan(0.5); // the rotation shows in the registry's own numbers
    expect(meta.members[0].weight).toBeLessThan(1);
    expect(meta.members[0].node).toBeUndefined();
    // An admin activates it by hand; the next honest job of the same name replaces it (its metrics do not count).
    expect((await fetch(`${a.base}/models/${imported.id}/activate`, { method: 'POST' })).status).toBe(200);
    const honest = await train(a, { dataset: 'iris', target: 'class', model: 'baseline' });
    expect(honest.message).toContain('is an unverified import: its metrics do not count');
    expect((await bodyOf(await fetch(`${a.base}/models/active`))).iris).toBe(honest.version);
  });

  it("another cluster refuses the file (unknown key) until it lists this cluster's key in EXPORT_TRUSTED_KEYS", async () => {
    let b: Cluster | undefined;
    let c: Cluster | undefined;
    try {
      b = await start('export-b');
      const refused = await importFile(b, file);
      const err = await bodyOf(refused);
      expect([refused.status, err.type, err.message]).toEqual([422, 'UNSIGNED_EXPORT', expect.stringContaining('which this registry does not know')]);
      const key = readFileSync(path.join(a.state, 'registry', 'export-key'), 'utf8').trim();
      c = await start('export-c', { EXPORT_TRUSTED_KEYS: key, EXPORT_KEY: 'c-cluster-export-key-0001' });
      const res = await importFile(c, file);
      expect(res.status).toBe(201);
      const meta = await bodyOf(await fetch(`${c.base}/models/${(await bodyOf(res)).id}`));
      expect(meta.imported).toMatchObject({ signature: 'verified' });
      expect(meta.metrics).toEqual(truth);
      expect(c.node.log()).not.toContain('c-cluster-export-key-0001');
      expect(c.node.log()).not.toContain(key);
    } finally {
      await stop(b);
      await stop(c);
    }
  });
});
