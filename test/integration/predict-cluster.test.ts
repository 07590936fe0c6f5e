/**
 * Issue 6 over a real NATS server with real processes: a core (gateway, coordinator, inference),
 * the registry in its own process, and two trainers. Broadcast voting through the trainers' own
 * members; one trainer killed: the answer comes from the quorum that is left, then from the
 * survivor, which loads the lost members from the registry; the registry killed and restarted:
 * predictions never stop, and it serves every version it had.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bodyOf } from '../helpers/http';
import { ROOT, waitFor } from '../helpers/broker';
import { freePort, natsAvailable, startNats, type NatsServer } from '../../fixtures/nats';
import { startProcess, type NodeProcess } from '../../fixtures/processes';

const run = natsAvailable() ? describe : describe.skip; // skip reason printed by natsAvailable()

const ROWS = [
  { sepal_length: 6.3, sepal_width: 3.3, petal_length: 6, petal_width: 2.5 },
  { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
  { sepal_length: 5.9, sepal_width: 3.0, petal_length: 4.2, petal_width: 1.5 },
];

run('prediction in a cluster of processes (issue 6)', () => {
  let nats: NatsServer;
  let core: NodeProcess;
  let registry: NodeProcess;
  let trainers: NodeProcess[];
  let base: string;
  let common: Record<string, string>;
  let registryDir: string;
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'quorum-it-'));
    dirs.push(d);
    return d;
  };
  const predict = async (body: Record<string, unknown>) => {
    const res = await fetch(`${base}/api/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: ROWS, ...body }),
    });
    return { status: res.status, body: await bodyOf(res) };
  };
  /** Each process has discovered the others (both ways: a trainer must see the core before it is sent work). */
  const discovered = (p: NodeProcess, others: NodeProcess[]) =>
    waitFor(
      async () => others.every((o) => p.log().includes(`Node '${o.nodeID}' connected`)),
      `${p.name} to see ${others.map((o) => o.name).join(', ')}`,
      30_000,
      100,
    );

  beforeAll(async () => {
    nats = await startNats();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    common = { TRANSPORTER: nats.url, NAMESPACE: `it-predict-${process.pid}`, HEARTBEAT_INTERVAL: '1', HEARTBEAT_TIMEOUT: '4', PREDICT_TIMEOUT_MS: '1500' };
    registryDir = tmp();
    core = startProcess('core', {
      ...common,
      NODEID: `core-p${process.pid}`,
      SERVICES: 'api,coordinator,inference',
      PORT: String(port),
      STATE_DIR: tmp(),
      DATA_DIR: path.join(ROOT, 'data'),
      INFERENCE_WORKERS: '0',
    });
    registry = startProcess('registry', { ...common, NODEID: `registry-p${process.pid}`, SERVICES: 'registry', STATE_DIR: registryDir });
    trainers = ['a', 'b'].map((n) =>
      startProcess(`trainer-${n}`, { ...common, NODEID: `trainer-${n}-p${process.pid}`, SERVICES: 'trainer', TRAINER_WORKERS: '1', STATE_DIR: tmp() }),
    );
    await Promise.all([core, registry, ...trainers].map((n) => n.ready));
    await Promise.all([discovered(core, [registry, ...trainers]), ...trainers.map((t) => discovered(t, [core, registry]))]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([core, registry, ...(trainers ?? [])].filter(Boolean).map((n) => n.kill()));
    await nats?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('votes by broadcast, survives a killed trainer and a restarted registry', async () => {
    const form = new FormData();
    form.append('file', new Blob([readFileSync(path.join(ROOT, 'data', 'iris.csv'))]), 'iris.csv');
    const dataset = await bodyOf(await fetch(`${base}/api/datasets`, { method: 'POST', body: form }));
    const started = await bodyOf(
      await fetch(`${base}/api/trainings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dataset: dataset.id, target: 'class', shards: 4, seed: 3, model: { kind: 'forest', params: { nEstimators: 15 } } }),
      }),
    );
    const job = await waitFor(
      async () => {
        const j = await bodyOf(await fetch(`${base}/api/trainings/${started.id}`));
        return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
      },
      'the job',
      120_000,
      300,
    );
    expect(job.error).toBeUndefined();
    const version: string = job.version;
    const nodeOf = new Map<string, string>(job.members.map((m: { id: string; node: string }) => [m.id, m.node]));
    const [a, b] = trainers;
    const onB = [...nodeOf].filter(([, n]) => n === b.nodeID).map(([m]) => m);
    const onA = [...nodeOf].filter(([, n]) => n === a.nodeID).map(([m]) => m);
    expect(onA.length + onB.length).toBe(4);
    // FreeSlots spreads the shards: both trainers hold members
    expect(onA.length).toBeGreaterThan(0);
    expect(onB.length).toBeGreaterThan(0);

    // Broadcast: every member votes on the node that fitted it; the same answer as local voting.
    const local = await predict({ mode: 'local', members: true });
    const all = await predict({ mode: 'broadcast', members: true });
    // Whole answers compared, so that a failure shows its error body.
    expect(local).toMatchObject({ status: 200 });
    expect(all).toMatchObject({ status: 200 });
    expect(all.body).toMatchObject({ version, mode: 'broadcast', voted: 4, expected: 4 });
    expect(all.body.predictions).toEqual(local.body.predictions);
    expect(Object.fromEntries(all.body.members.map((m: { id: string; node: string }) => [m.id, m.node]))).toEqual(Object.fromEntries(nodeOf));

    // Kill trainer b (no goodbye): until the cluster notices, its members miss the deadline.
    await b.kill('SIGKILL');
    const partial = await predict({ mode: 'broadcast', quorum: onA.length });
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({ voted: onA.length, expected: 4 });
    expect(partial.body.missing.map((m: { member: string }) => m.member).sort()).toEqual(onB.sort());
    expect(partial.body.missing[0].reason).toMatch(/no answer in time/);
    const strict = await predict({ mode: 'broadcast', quorum: 4 });
    expect(strict.status).toBe(503);
    expect(strict.body.type).toBe('QUORUM_NOT_REACHED');

    // Once b is declared gone, a takes over b's members (loaded from the registry): all vote again.
    const healed = await waitFor(
      async () => {
        const r = await predict({ mode: 'broadcast', members: true });
        return r.status === 200 && r.body.voted === 4 ? r : undefined;
      },
      'the survivor to vote with all four members',
      30_000,
      250,
    );
    expect(healed.body.members.every((m: { node: string }) => m.node === a.nodeID)).toBe(true);
    expect(healed.body.predictions).toEqual(local.body.predictions);

    // Kill the registry (a crash): local voting goes on from memory.
    await registry.kill('SIGKILL');
    expect((await predict({ mode: 'local' })).body.predictions).toEqual(local.body.predictions);
    // Restarted on the same state folder, it serves every version it had.
    registry = startProcess('registry', { ...common, NODEID: registry.nodeID, SERVICES: 'registry', STATE_DIR: registryDir });
    await registry.ready;
    await waitFor(async () => (await fetch(`${base}/api/models`)).status === 200, 'the registry back', 30_000, 200);
    const versions = await bodyOf(await fetch(`${base}/api/models`));
    expect(versions.map((v: { id: string; active: boolean }) => [v.id, v.active])).toEqual([[version, true]]);
    expect((await bodyOf(await fetch(`${base}/api/models/${version}/metrics`))).members).toHaveLength(4);
    // Its artifacts too: export, import under another name, predict with the copy.
    const exported = Buffer.from(await (await fetch(`${base}/api/models/${version}/export`)).arrayBuffer());
    const imported = await bodyOf(
      await fetch(`${base}/api/models/import?name=copy`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: exported }),
    );
    expect(imported.status).toBe('ready');
    const copy = await predict({ version: imported.id, mode: 'local' });
    expect(copy.body.predictions).toEqual(local.body.predictions);
  }, 240_000);
});
