/**
 * Issue 11 (no cross-site requests) and issue 17 (a deep body cannot kill the node), at the HTTP
 * level: a preflight never runs the action it asks about, a state-changing request carrying a
 * foreign Origin is refused whatever its content type, listed origins (CORS_ORIGINS) work, and a
 * body nested thousands deep gets a 400 while the node keeps answering.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bodyOf } from '../helpers/http';
import { ROOT, startNode, type TestNode } from '../helpers/broker';

const EVIL = 'http://evil.example';
const LISTED = 'http://app.example:8080';

describe('origin guard and deep bodies (issues 11, 17)', () => {
  let node: TestNode;
  let base: string;
  beforeAll(async () => {
    node = await startNode({ env: { CORS_ORIGINS: LISTED } });
    base = `${node.url}/api`;
  });
  afterAll(() => node.stop());

  const upload = async (name: string, headers: Record<string, string> = {}) => {
    const form = new FormData();
    form.append('name', name);
    form.append('file', new Blob([readFileSync(path.join(ROOT, 'data', 'iris.csv'))]), 'iris.csv');
    return fetch(`${base}/datasets`, { method: 'POST', body: form, headers });
  };
  const datasetNames = async (): Promise<string[]> => (await bodyOf(await fetch(`${base}/datasets`))).map((d: { name: string }) => d.name);

  it('answers preflights itself: a foreign one is refused and the action it names never runs', async () => {
    const up = await upload('kept');
    expect(up.status).toBe(201);
    const id = (await bodyOf(up)).id as string;

    const pre = await fetch(`${base}/datasets/${id}`, { method: 'OPTIONS', headers: { Origin: EVIL, 'Access-Control-Request-Method': 'DELETE' } });
    expect(pre.status).toBe(403);
    expect((await bodyOf(pre)).type).toBe('CROSS_ORIGIN_FORBIDDEN');
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();

    const plain = await fetch(`${base}/datasets/${id}`, { method: 'OPTIONS', headers: { 'Access-Control-Request-Method': 'DELETE' } });
    expect(plain.status).toBe(204);

    const listed = await fetch(`${base}/datasets/${id}`, { method: 'OPTIONS', headers: { Origin: LISTED, 'Access-Control-Request-Method': 'DELETE' } });
    expect(listed.status).toBe(204);
    expect(listed.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(listed.headers.get('access-control-allow-methods')).toContain('DELETE');

    expect((await fetch(`${base}/datasets/${id}`)).status).toBe(200);
  });

  it('refuses writes with a foreign Origin (delete, text/plain POST, multipart upload) and changes nothing', async () => {
    const up = await upload('target');
    const id = (await bodyOf(up)).id as string;
    const before = await datasetNames();

    const del = await fetch(`${base}/datasets/${id}`, { method: 'DELETE', headers: { Origin: EVIL } });
    expect(del.status).toBe(403);
    expect((await bodyOf(del)).message).toContain('CORS_ORIGINS');

    const jobsBefore = (await bodyOf(await fetch(`${base}/trainings`))).length;
    const form = await fetch(`${base}/trainings`, {
      method: 'POST',
      headers: { Origin: EVIL, 'content-type': 'text/plain' },
      body: JSON.stringify({ dataset: 'target', target: 'class', model: 'baseline' }),
    });
    expect(form.status).toBe(403);
    expect((await upload('smuggled', { Origin: EVIL })).status).toBe(403);
    const nullOrigin = await fetch(`${base}/datasets/${id}`, { method: 'DELETE', headers: { Origin: 'null' } });
    expect(nullOrigin.status).toBe(403);
    const crossSite = await fetch(`${base}/datasets/${id}`, { method: 'DELETE', headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(crossSite.status).toBe(403);

    expect(await datasetNames()).toEqual(before);
    expect((await bodyOf(await fetch(`${base}/trainings`))).length).toBe(jobsBefore);

    // The gateway's own pages and listed origins may write.
    const listed = await fetch(`${base}/trainings`, {
      method: 'POST',
      headers: { Origin: LISTED, 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: 'target', target: 'class', model: 'baseline' }),
    });
    expect(listed.status).toBe(202);
    expect(listed.headers.get('access-control-allow-origin')).toBe(LISTED);
    const spare = (await bodyOf(await upload('spare'))).id as string;
    const own = await fetch(`${base}/datasets/${spare}`, { method: 'DELETE', headers: { Origin: node.url! } });
    expect(own.status).toBe(200);
    expect(await datasetNames()).not.toContain('spare');
  });

  it('answers a body nested 5,000 deep with a 400 on every JSON route, and stays up', async () => {
    const n = 5000;
    const deep = `{"a":`.repeat(n) + '1' + '}'.repeat(n);
    const cases: Array<[string, string]> = [
      ['/datasets/ingest', `{"path":${deep}}`],
      ['/trainings', `{"dataset":${deep},"target":"class"}`],
      ['/trainings', `{"dataset":"x","target":"class","preprocess":{"imputation":${deep}}}`],
      ['/predict', `{"rows":[${deep}]}`],
    ];
    for (const [url, body] of cases) {
      const res = await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const err = await bodyOf(res);
      expect([url, res.status, err.type]).toEqual([url, 400, 'JSON_TOO_DEEP']);
      expect(err.message).toContain('32 levels');
    }
    // Under the limit, a value that fails validation is echoed as a bounded preview.
    const shallow = `{"a":`.repeat(30) + '1' + '}'.repeat(30);
    const res = await fetch(`${base}/datasets/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"path":${shallow}}` });
    expect(res.status).toBe(422);
    expect((await res.text()).length).toBeLessThan(2000);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});
