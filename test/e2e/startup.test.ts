/**
 * Issue 17, start-up: a second node on a used port ends at once with a clear message and exit code 3
 * (and starts no service on the state folder), and until every service of a node has started the
 * gateway answers 503 with Retry-After instead of 500s.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ServiceBroker } from 'moleculer';
import { parseConfig } from '../../lib/config';
import { brokerOptions } from '../../moleculer.config';
import { ROOT, waitFor } from '../helpers/broker';
import { freePort } from '../../fixtures/nats';
import { startProcess, type NodeProcess } from '../../fixtures/processes';

jest.setTimeout(90_000);

describe('start-up (issue 17)', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'quorum-startup-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a second node on a used port exits with code 3 naming the port, and the first keeps serving', async () => {
    const port = await freePort();
    const first = startProcess('startup-first', { PORT: String(port), HOST: '127.0.0.1', STATE_DIR: tmp(), TRANSPORTER: '', TRAINER_WORKERS: '1' });
    let second: NodeProcess | undefined;
    try {
      await first.ready;
      const secondState = path.join(tmp(), 'state');
      second = startProcess('startup-second', { PORT: String(port), HOST: '127.0.0.1', STATE_DIR: secondState, TRANSPORTER: '', TRAINER_WORKERS: '1' });
      const code = await new Promise<number | null>((resolve) => second!.process.once('exit', (c) => resolve(c)));
      expect(code).toBe(3);
      expect(second.log()).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(second.log()).toContain('PORT=');
      // No service ran: nothing was written into the second node's state folder.
      expect(existsSync(secondState) ? readdirSync(secondState) : []).toEqual([]);
      const health = await fetch(`http://127.0.0.1:${port}/api/health`);
      expect(health.status).toBe(200);
    } finally {
      await second?.kill();
      await first.kill();
    }
  });

  it('LOG_FORMAT=json: every line the node writes is one JSON object with ts, level and msg', async () => {
    const port = await freePort();
    const node = startProcess('startup-json', {
      PORT: String(port),
      HOST: '127.0.0.1',
      STATE_DIR: tmp(),
      TRANSPORTER: '',
      TRAINER_WORKERS: '1',
      LOG_FORMAT: 'json',
    });
    try {
      await node.ready;
      await fetch(`http://127.0.0.1:${port}/api/datasets/nope`); // a 404 on the way
      const lines = node.log().split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(5);
      for (const line of lines) expect(JSON.parse(line)).toMatchObject({ ts: expect.any(Number), level: expect.any(String), msg: expect.any(String) });
      expect(lines.some((l) => JSON.parse(l).msg.includes(' up: '))).toBe(true);
    } finally {
      await node.kill();
    }
  });

  it('answers 503 with Retry-After while a service is still starting, then serves', async () => {
    const config = parseConfig({
      STATE_DIR: tmp(),
      DATA_DIR: path.join(ROOT, 'data'),
      PORT: '0',
      LOGLEVEL: 'warn',
      TRAINER_WORKERS: '1',
      SERVICES: 'api,coordinator,registry',
    });
    const broker = new ServiceBroker({ ...brokerOptions(config), nodeID: `startup-${process.pid}`, logger: false });
    for (const name of ['api', 'coordinator', 'registry']) broker.loadService(path.join(ROOT, 'services', `${name}.service.ts`));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    broker.createService({ name: 'slow-start', started: () => gate });
    const starting = broker.start();
    try {
      const api = broker.getLocalService('api') as unknown as { server: import('node:http').Server };
      await waitFor(async () => api.server.listening, 'gateway listening', 30_000, 10);
      const base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}/api`;

      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(503);
      expect(health.headers.get('retry-after')).toBe('1');
      expect(await health.json()).toMatchObject({ status: 'starting' });
      const datasets = await fetch(`${base}/datasets`);
      expect(datasets.status).toBe(503);
      expect(await datasets.json()).toMatchObject({ type: 'STARTING' });

      release();
      await starting;
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/datasets`)).status).toBe(200);
      // A service whose node is not in the cluster is a retryable 503, not a 404 or a 500.
      const predict = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [{ a: 1 }] }),
      });
      expect(predict.status).toBe(503);
      expect(predict.headers.get('retry-after')).not.toBeNull();
    } finally {
      release();
      await starting.catch(() => undefined);
      await broker.stop();
    }
  });
});
