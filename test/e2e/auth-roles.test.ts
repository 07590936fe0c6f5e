/**
 * Issue 11, keys and roles, against real `node dist/bin/quorum.js` processes. The role test is
 * generated from the gateway's own alias list: a route without an entry in ROUTE_ACCESS fails here,
 * and every route is called with no key, a wrong key and a key of each role.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import ApiService from '../../services/api.service';
import { ROUTE_ACCESS } from '../../lib/security/access';
import { roleAllows, ROLES, type Role } from '../../lib/security/keys';
import { waitFor } from '../helpers/broker';
import { freePort } from '../../fixtures/nats';
import { startProcess, type NodeProcess } from '../../fixtures/processes';

jest.setTimeout(120_000);

const KEYS: Record<Role, string> = {
  read: 'r'.repeat(8) + '-read-key-0001',
  train: 't'.repeat(8) + '-train-key-0001',
  admin: 'a'.repeat(8) + '-admin-key-0001',
};
const API_KEYS = ROLES.map((r) => `${r}:${KEYS[r]}`).join(',');

function gatewayAliases(): string[] {
  // Under /api an alias is keyed as written ('GET models'); elsewhere by its whole path ('GET /metrics').
  const routes = (ApiService.settings as { routes: { path: string; aliases: Record<string, unknown> }[] }).routes;
  return routes.flatMap((r) =>
    Object.keys(r.aliases).map((alias) => {
      if (r.path === '/api') return alias;
      const [method, rest] = alias.split(' ');
      return `${method} ${r.path}${rest === '/' ? '' : rest}`;
    }),
  );
}

/** A request through node:http (fetch may not set Host), answering status, headers and body text. */
function raw(
  base: string,
  method: string,
  urlPath: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${urlPath}`, { method, headers }, (res) => {
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.destroy();
        return resolve({ status: res.statusCode!, headers: res.headers, text: '' });
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function startGateway(name: string, env: Record<string, string>, state: string): Promise<{ node: NodeProcess; base: string }> {
  const port = await freePort();
  const node = startProcess(name, { PORT: String(port), HOST: '127.0.0.1', STATE_DIR: state, TRANSPORTER: '', TRAINER_WORKERS: '1', ...env });
  await node.ready;
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/api/health`).catch(() => undefined))?.ok === true, 'gateway up', 30_000, 100);
  return { node, base };
}

describe('API keys and roles (issue 11)', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'quorum-auth-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('every gateway route has a role in ROUTE_ACCESS, and no entry names a route that does not exist', () => {
    const aliases = gatewayAliases().sort();
    expect(aliases.filter((a) => !(a in ROUTE_ACCESS))).toEqual([]);
    expect(Object.keys(ROUTE_ACCESS).filter((r) => !aliases.includes(r))).toEqual([]);
  });

  describe('with API_KEYS set', () => {
    let node: NodeProcess;
    let base: string;
    // AUTH_FAILURE_LIMIT 0: this sweep sends two failed authentications per route from one address.
    beforeAll(async () => ({ node, base } = await startGateway('auth-roles', { API_KEYS, AUTH_FAILURE_LIMIT: '0' }, tmp())));
    afterAll(async () => node?.kill());

    it.each(gatewayAliases())('%s: 401 without a key or with a wrong one, 403 naming the role below it, served at or above it', async (alias) => {
      const [method, route] = alias.split(' ');
      const url = route.startsWith('/') ? route : `/api/${route.replace(':id', 'no-such-thing').replace(':version', 'no-such-v1')}`;
      const need = ROUTE_ACCESS[alias];
      const json = { 'content-type': 'application/json' };
      const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
      const anonymous = await raw(base, method, url, body ? json : {}, body);
      const wrong = await raw(base, method, url, { ...(body ? json : {}), authorization: 'Bearer not-a-key-of-this-gateway' }, body);
      if (need === 'open') {
        expect(anonymous.status).toBe(200);
        return;
      }
      expect({ anonymous: anonymous.status, wrong: wrong.status }).toEqual({ anonymous: 401, wrong: 401 });
      expect(JSON.parse(anonymous.text)).toMatchObject({ type: 'UNAUTHORIZED', message: expect.stringContaining('Authorization: Bearer') });
      expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="quorum"');
      for (const role of ROLES) {
        const answer = await raw(base, method, url, { ...(body ? json : {}), authorization: `Bearer ${KEYS[role]}` }, body);
        if (roleAllows(role, need)) {
          expect({ role, status: answer.status }).not.toEqual({ role, status: 401 });
          expect({ role, status: answer.status }).not.toEqual({ role, status: 403 });
        } else {
          expect({ role, status: answer.status }).toEqual({ role, status: 403 });
          expect(JSON.parse(answer.text)).toMatchObject({ type: 'FORBIDDEN', message: expect.stringContaining(`needs the '${need}' role`) });
        }
      }
    });

    it('the event stream takes ?key= (browsers cannot set headers there); other routes do not', async () => {
      expect((await raw(base, 'GET', `/api/events?key=${KEYS.read}`)).status).toBe(200);
      expect((await raw(base, 'GET', `/api/datasets?key=${KEYS.read}`)).status).toBe(401);
    });

    it('a path that is no route and no dashboard file is a 404 for every key, and names the fix', async () => {
      for (const key of [undefined, KEYS.read, KEYS.admin]) {
        const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
        for (const [method, url] of [
          ['GET', '/api/nothing/here'],
          ['PATCH', '/api/datasets/x'],
          ['GET', '/API/datasets'],
          ['GET', '/nothing.js'],
        ]) {
          const answer = await raw(base, method, url, headers);
          expect([method, url, answer.status]).toEqual([method, url, 404]);
          expect(JSON.parse(answer.text)).toMatchObject({ type: 'NOT_FOUND', message: expect.stringContaining('case-sensitive') });
        }
      }
    });

    it('the dashboard page itself loads without a key (it asks for one on the first 401)', async () => {
      expect((await raw(base, 'GET', '/')).status).toBe(200);
    });

    it('a Host header naming another site is refused (DNS rebinding); IP literals and localhost are served', async () => {
      const evil = await raw(base, 'GET', '/api/health', { host: 'evil.example:3000' });
      expect(evil.status).toBe(403);
      expect(JSON.parse(evil.text)).toMatchObject({ type: 'HOST_NOT_ALLOWED', message: expect.stringContaining('ALLOWED_HOSTS') });
      expect((await raw(base, 'GET', '/api/health', { host: 'localhost:3000' })).status).toBe(200);
      expect((await raw(base, 'GET', '/api/health', { host: '127.0.0.1' })).status).toBe(200);
    });

    it("a train key cannot take over an admin's model name: its version is registered inactive with a note (issue 29)", async () => {
      const json = (key: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` });
      const train = async (key: string, body: Record<string, unknown>) => {
        const started = await raw(base, 'POST', '/api/trainings', json(key), JSON.stringify({ shards: 1, seed: 1, model: 'baseline', ...body }));
        expect(started.status).toBe(202);
        const id = JSON.parse(started.text).id as string;
        return waitFor(
          async () => {
            const job = JSON.parse((await raw(base, 'GET', `/api/trainings/${id}`, json(KEYS.read))).text);
            return job.status === 'completed' || job.status === 'failed' ? job : undefined;
          },
          'job',
          60_000,
          100,
        );
      };
      expect((await raw(base, 'POST', '/api/datasets/ingest', json(KEYS.admin), JSON.stringify({ path: 'iris.csv', name: 'flowers' }))).status).toBe(200);
      const first = await train(KEYS.admin, { dataset: 'flowers', target: 'class', name: 'prod' });
      expect(first.message).toContain('active: first version');
      // The reproduction: another dataset, the same name, another target, a train key.
      expect((await raw(base, 'POST', '/api/datasets/ingest', json(KEYS.train), JSON.stringify({ path: 'iris.csv', name: 'other' }))).status).toBe(200);
      const takeover = await train(KEYS.train, { dataset: 'other', target: 'petal_width', name: 'prod' });
      expect(takeover.status).toBe('completed');
      expect(takeover.message).toMatch(/^not activated: it predicts 'petal_width'/);
      // Same target and columns, another dataset, still a train key: not a take-over an admin allowed.
      const sameShape = await train(KEYS.train, { dataset: 'other', target: 'class', name: 'prod' });
      expect(sameShape.message).toMatch(/^not activated: .*only an admin's job takes over a model name/);
      // Retraining on the dataset the active version came from is ordinary work for a train key.
      const retrain = await train(KEYS.train, { dataset: 'flowers', target: 'class', name: 'prod' });
      expect(retrain.message).toMatch(/^active: /);
      const active = JSON.parse((await raw(base, 'GET', '/api/models/active', json(KEYS.read))).text);
      expect(active.prod).toBe(retrain.version);
      const predicted = await raw(
        base,
        'POST',
        '/api/predict',
        json(KEYS.read),
        JSON.stringify({ name: 'prod', rows: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] }),
      );
      expect([predicted.status, JSON.parse(predicted.text).predictions[0].label]).toEqual([200, expect.stringMatching(/^Iris-/)]);
      // An admin may still replace it by hand.
      expect((await raw(base, 'POST', `/api/models/${takeover.version}/activate`, json(KEYS.admin))).status).toBe(200);
    });

    it('keys never reach the log', () => {
      for (const key of Object.values(KEYS)) expect(node.log()).not.toContain(key);
      expect(node.log()).toContain('API keys: 3 (1 read, 1 train, 1 admin)');
    });
  });

  it('limits: requests a minute per client (429 with Retry-After), event streams per client, ALLOWED_HOSTS', async () => {
    const { node, base } = await startGateway('auth-limits', { RATE_LIMIT: '5', MAX_SSE_PER_CLIENT: '1', ALLOWED_HOSTS: 'quorum.example' }, tmp());
    try {
      // the readiness polls above went to the open health route, which is not counted
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await raw(base, 'GET', '/api/datasets')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const limited = await raw(base, 'GET', '/api/datasets');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(limited.text)).toMatchObject({ type: 'RATE_LIMITED', message: expect.stringContaining('RATE_LIMIT') });
      expect((await raw(base, 'GET', '/api/health', { host: 'quorum.example' })).status).toBe(200);
    } finally {
      await node.kill();
    }
    const streams = await startGateway('auth-streams', { MAX_SSE_PER_CLIENT: '1' }, tmp());
    try {
      const first = new AbortController();
      const open = await fetch(`${streams.base}/api/events`, { signal: first.signal });
      expect(open.status).toBe(200);
      const second = await raw(streams.base, 'GET', '/api/events');
      expect(second.status).toBe(429);
      expect(JSON.parse(second.text)).toMatchObject({ type: 'TOO_MANY_STREAMS' });
      first.abort();
      await waitFor(async () => (await raw(streams.base, 'GET', '/api/events')).status === 200, 'a stream slot free again', 10_000, 50);
    } finally {
      await streams.node.kill();
    }
  });

  it('failed authentications are braked per address: past AUTH_FAILURE_LIMIT every request of it waits (429), even with a good key', async () => {
    const { node, base } = await startGateway('auth-brake', { API_KEYS, AUTH_FAILURE_LIMIT: '3' }, tmp());
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await raw(base, 'GET', '/api/datasets', { authorization: 'Bearer guessed-key-0000000000' })).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      const braked = await raw(base, 'GET', '/api/datasets', { authorization: `Bearer ${KEYS.read}` });
      expect(braked.status).toBe(429);
      expect(Number(braked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(braked.text)).toMatchObject({ type: 'RATE_LIMITED', message: expect.stringContaining('AUTH_FAILURE_LIMIT') });
      expect((await raw(base, 'GET', '/api/health')).status).toBe(200);
    } finally {
      await node.kill();
    }
  });

  it('API_KEYS_FILE is re-read on SIGHUP: the new key works, the removed one is refused', async () => {
    const dir = tmp();
    const file = path.join(dir, 'keys');
    const before = 'admin:first-admin-key-000000001';
    const after = 'admin:second-admin-key-00000002';
    writeFileSync(file, `# keys\n${before}\n`);
    const { node, base } = await startGateway('auth-file', { API_KEYS_FILE: file }, tmp());
    try {
      const bearer = (k: string) => ({ authorization: `Bearer ${k.split(':')[1]}` });
      expect((await raw(base, 'GET', '/api/datasets', bearer(before))).status).toBe(200);
      writeFileSync(file, `${after}\n`);
      node.process.kill('SIGHUP');
      await waitFor(async () => (await raw(base, 'GET', '/api/datasets', bearer(after))).status === 200, 'the new key accepted', 10_000, 50);
      expect((await raw(base, 'GET', '/api/datasets', bearer(before))).status).toBe(401);
    } finally {
      await node.kill();
    }
  });

  it('HOST=0.0.0.0 without keys does not start, and says how to set keys', async () => {
    const node = startProcess('auth-open-host', {
      PORT: String(await freePort()),
      HOST: '0.0.0.0',
      STATE_DIR: tmp(),
      TRANSPORTER: '',
      API_KEYS: '',
      API_KEYS_FILE: '',
    });
    const code = await new Promise<number | null>((resolve) => node.process.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(node.log()).toContain('no API keys are set: set API_KEYS=admin:<key>');
  });
});
