/**
 * Issue 6 through the gateway: POST /api/predict (JSON, both voting modes, member votes, a large
 * batch answered as a stream), POST /api/predict/csv (a CSV in, a CSV out), and POST
 * /api/models/:version/evaluate (a labelled file); each bad input a 4xx JSON error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bodyOf } from '../helpers/http';
import { ROOT, startNode, waitForJob, type TestNode } from '../helpers/broker';

const IRIS = readFileSync(path.join(ROOT, 'data', 'iris.csv'), 'utf8');

describe('prediction over HTTP (issue 6)', () => {
  let node: TestNode;
  let base: string;
  let version: string;
  beforeAll(async () => {
    node = await startNode({ env: { INFERENCE_WORKERS: '1' } });
    base = `${node.url}/api`;
    const dataset = await node.broker.call<any, unknown>('coordinator.ingest', { path: 'iris.csv' });
    const job = await node.broker.call<any, unknown>('coordinator.train', {
      dataset: dataset.id,
      target: 'class',
      model: { kind: 'forest', params: { nEstimators: 20 } },
      shards: 3,
      seed: 5,
    });
    const done = await waitForJob(node.broker, job.id);
    expect(done.status).toBe('completed');
    version = done.version;
  }, 60_000);
  afterAll(() => node.stop());

  const post = (url: string, body: unknown, type = 'application/json') =>
    fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it("predicts rows by column name, locally or by broadcast, with each member's vote on request", async () => {
    const rows = [
      { sepal_length: 6.3, sepal_width: 3.3, petal_length: 6, petal_width: 2.5 },
      { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2, colour: 'x' },
    ];
    const local = await post('/predict', { rows, members: true });
    expect(local.status).toBe(200);
    expect(local.headers.get('transfer-encoding')).toBeNull();
    expect(local.headers.get('content-type')).toMatch(/application\/json/);
    const a = await bodyOf(local);
    expect(a).toMatchObject({ version, mode: 'local', voting: 'soft', voted: 3, expected: 3, warnings: ['unknown columns ignored: colour'] });
    expect(a.predictions.map((p: { label: string }) => p.label)).toEqual(['Iris-virginica', 'Iris-setosa']);
    expect(Object.values(a.predictions[0].probabilities).reduce((s: number, p) => s + (p as number), 0)).toBeCloseTo(1, 5);
    expect(a.members.map((m: { predictions: string[] }) => m.predictions.length)).toEqual([2, 2, 2]);
    const b = await bodyOf(await post('/predict', { rows, members: true, mode: 'broadcast', voting: 'hard' }));
    expect(b).toMatchObject({ version, mode: 'broadcast', voting: 'hard', voted: 3, expected: 3 });
    expect(b.members.map((m: { predictions: string[] }) => m.predictions)).toEqual(a.members.map((m: { predictions: string[] }) => m.predictions));
  });

  it('answers a large batch (a streamed answer over 512 KB) row for row', async () => {
    const lines = IRIS.trim().split('\n').slice(1);
    const rows = Array.from({ length: 6000 }, (_, i) => {
      const [sepal_length, sepal_width, petal_length, petal_width] = lines[i % lines.length].split(',').map(Number);
      return { sepal_length, sepal_width, petal_length, petal_width };
    });
    const res = await post('/predict', { rows });
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const text = await res.text();
    expect(text.length).toBeGreaterThan(512 * 1024);
    const body = JSON.parse(text);
    expect(body.predictions).toHaveLength(6000);
    // the training rows come back mostly right (a forest fits its own rows closely)
    const truth = lines.map((l) => l.split(',')[4]);
    const right = body.predictions.filter((p: { label: string }, i: number) => p.label === truth[i % truth.length]).length;
    expect(right / 6000).toBeGreaterThan(0.9);
  });

  it('predicts an uploaded CSV into a CSV (multipart or raw), echoing chosen columns', async () => {
    const form = new FormData();
    form.append('echo', 'class');
    form.append('file', new Blob([IRIS]), 'iris.csv');
    const res = await fetch(`${base}/predict/csv`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    expect(res.headers.get('x-quorum-version')).toBe(version);
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toBe('class,prediction,p_Iris-setosa,p_Iris-versicolor,p_Iris-virginica');
    expect(lines).toHaveLength(151);
    const right = lines.slice(1).filter((l) => l.split(',')[0] === l.split(',')[1]).length;
    expect(right / 150).toBeGreaterThan(0.9);

    const raw = await fetch(`${base}/predict/csv?probabilities=false&mode=broadcast`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'petal_length,petal_width,sepal_length,sepal_width\n1.4,0.2,5.1,3.5\n6,2.5,6.3,3.3\n',
    });
    expect(raw.status).toBe(200);
    expect(await raw.text()).toBe('prediction\nIris-setosa\nIris-virginica\n');
  });

  it('evaluates a version on an uploaded labelled file', async () => {
    const form = new FormData();
    form.append('voting', 'hard');
    form.append('file', new Blob([IRIS]), 'iris.csv');
    const res = await fetch(`${base}/models/${version}/evaluate`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const evaluation = await bodyOf(res);
    expect(evaluation).toMatchObject({ version, voting: 'hard', rows: 150 });
    expect(evaluation.report.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(150);
    expect(evaluation.report.accuracy).toBeGreaterThan(0.9);
    expect(evaluation.report.perClass).toHaveLength(3);
    expect(evaluation.report.roc).toHaveLength(3);
    expect(evaluation.members).toHaveLength(3);
    expect(typeof evaluation.gainOverBestMember).toBe('number');
  });

  it('answers bad prediction input with a 4xx JSON error naming the problem', async () => {
    const cases: [string, Promise<Response>, number, string, RegExp][] = [
      ['malformed JSON', post('/predict', '{"rows":'), 400, 'BAD_JSON', /not valid JSON/],
      ['no rows', post('/predict', { rows: [] }), 422, 'VALIDATION_ERROR', /invalid request: The 'rows' field must contain at least 1 items/],
      ['a form instead of JSON', post('/predict', 'rows=1', 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE', /application\/json/],
      ['unknown voting rule', post('/predict', { rows: [{ sepal_length: 1 }], voting: 'mean' }), 400, 'UNKNOWN_VOTING_RULE', /'soft', 'hard' or 'weighted'/],
      ['unknown version', post('/predict', { rows: [{ sepal_length: 1 }], version: 'iris-v99' }), 404, 'VERSION_NOT_FOUND', /iris-v99/],
      ['a bad value', post('/predict', { rows: [{ sepal_length: 'long' }] }), 400, 'BAD_VALUE', /row 0, column 'sepal_length'/],
      ['unknown CSV option', post('/predict/csv?colour=red', 'a\n1\n', 'text/csv'), 400, 'BAD_REQUEST', /unknown option 'colour'/],
      ['CSV without model columns', post('/predict/csv', 'a,b\n1,2\n', 'text/csv'), 400, 'MISSING_COLUMNS', /none of the model's columns/],
      ['echo of a column the CSV lacks', post('/predict/csv?echo=id', 'petal_length\n1\n', 'text/csv'), 400, 'UNKNOWN_COLUMN', /cannot echo column 'id'/],
      [
        'CSV by broadcast with an impossible quorum',
        post('/predict/csv?mode=broadcast&quorum=9', 'petal_length\n1\n', 'text/csv'),
        503,
        'QUORUM_NOT_REACHED',
        /3 of 3 members .* voted, 9 needed/,
      ],
      ['labelled file without the target', post(`/models/${version}/evaluate`, 'sepal_length\n1\n', 'text/csv'), 400, 'UNKNOWN_COLUMN', /no column 'class'/],
    ];
    for (const [what, pending, status, type, message] of cases) {
      const res = await pending;
      const body = await bodyOf(res);
      expect({ what, status: res.status, type: body.type }).toEqual({ what, status, type });
      expect(body.message).toMatch(message);
    }
  });
});
