/**
 * Issue 11: a NATS server that requires a user and password. Nodes given NATS_USER/NATS_PASSWORD
 * form the cluster (a training runs on the trainer node, /metrics shows both nodes); a node with a
 * wrong password is refused by the server and never joins; the password never reaches a log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bodyOf } from '../helpers/http';
import { ROOT, waitFor } from '../helpers/broker';
import { freePort, natsAvailable, startNats, type NatsServer } from '../../fixtures/nats';
import { startProcess, type NodeProcess } from '../../fixtures/processes';
import { parsePrometheus } from '../helpers/prometheus';

const run = natsAvailable() ? describe : describe.skip; // skip reason printed by natsAvailable()
const USER = 'quorum';
const SECRET = 'nats-secret-7f3a9c21';

run('a cluster over a NATS server that requires a user and password (issue 11)', () => {
  let nats: NatsServer;
  const nodes: NodeProcess[] = [];
  let base: string;
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'quorum-natsauth-'));
    dirs.push(d);
    return d;
  };
  const common = () => ({ TRANSPORTER: nats.url, NAMESPACE: `auth-${process.pid}`, HEARTBEAT_INTERVAL: '1', HEARTBEAT_TIMEOUT: '4' });

  beforeAll(async () => {
    nats = await startNats(['--user', USER, '--pass', SECRET]);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const auth = { NATS_USER: USER, NATS_PASSWORD: SECRET };
    nodes.push(
      startProcess('auth-core', {
        ...common(),
        ...auth,
        SERVICES: 'api,coordinator,registry,inference',
        PORT: String(port),
        STATE_DIR: tmp(),
        DATA_DIR: path.join(ROOT, 'data'),
      }),
      startProcess('auth-trainer', { ...common(), ...auth, SERVICES: 'trainer', TRAINER_WORKERS: '1', STATE_DIR: tmp() }),
    );
    await Promise.all(nodes.map((n) => n.ready));
    await waitFor(
      async () => (await bodyOf(await fetch(`${base}/api/cluster`))).trainers.some((t: { size?: number }) => t.size),
      'the trainer in /api/cluster',
      30_000,
      250,
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await nats?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('trains on the trainer node through the authenticated server; /metrics gathers both nodes', async () => {
    const ingest = await fetch(`${base}/api/datasets/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'iris.csv' }),
    });
    expect(ingest.status).toBe(200);
    const dataset = await bodyOf(ingest);
    const started = await fetch(`${base}/api/trainings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: dataset.id, target: 'class', shards: 1, seed: 1, model: { kind: 'forest', params: { nEstimators: 10 } } }),
    });
    expect(started.status).toBe(202);
    const { id } = await bodyOf(started);
    const job = await waitFor(
      async () => {
        const j = await bodyOf(await fetch(`${base}/api/trainings/${id}`));
        return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
      },
      'the job',
      120_000,
      250,
    );
    expect(job.status).toBe('completed');
    expect(job.members.map((m: { node: string }) => m.node)).toEqual([nodes[1].nodeID]);

    const page = await fetch(`${base}/metrics`);
    expect(page.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await page.text();
    const { types } = parsePrometheus(text); // throws on any line Prometheus would refuse
    expect(types.get('moleculer_request_total')).toBe('counter'); // Moleculer's own, from every call
    expect(text).toMatch(new RegExp(`^quorum_fit_seconds_count\\{node="${nodes[1].nodeID}",kind="forest"\\} 1$`, 'm'));
    expect(text).toMatch(new RegExp(`^quorum_jobs\\{node="${nodes[0].nodeID}",state="completed"\\} 1$`, 'm'));
    expect(text).toMatch(/^quorum_scrape_nodes\{node="[^"]+",answered="true"\} 2$/m);
  });

  it('a node with a wrong password is refused by the server and never joins', async () => {
    const intruder = startProcess('auth-intruder', {
      ...common(),
      NATS_USER: USER,
      NATS_PASSWORD: 'not-the-password',
      SERVICES: 'trainer',
      TRAINER_WORKERS: '1',
      STATE_DIR: tmp(),
    });
    nodes.push(intruder);
    await waitFor(async () => /authorization violation/i.test(intruder.log()), 'the refusal in the intruder log', 20_000, 100);
    const cluster = await bodyOf(await fetch(`${base}/api/cluster`));
    expect(JSON.stringify(cluster)).not.toContain(intruder.nodeID);
  });

  it('the password never reaches a log', () => {
    for (const n of nodes) expect(n.log()).not.toContain(SECRET);
  });
});
