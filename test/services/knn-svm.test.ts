/**
 * Issue 14 through the services: the seed's three-model consensus in one job — `forest`, `knn`
 * and `svm` on the Iris sample, one kind per shard — then local and broadcast voting, the
 * per-member evaluation, export and import of the heterogeneous version, and the kinds' 400s.
 */
import { bodyOf } from '../helpers/http';
import { startNode, waitForJob, type TestNode } from '../helpers/broker';

describe('knn and svm beside a forest (issue 14)', () => {
  let node: TestNode;
  let api: string;
  beforeAll(async () => {
    node = await startNode();
    api = `${node.url}/api`;
  });
  afterAll(() => node.stop());

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${api}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await bodyOf(res) };
  };
  const row = { sepal_length: 6.7, sepal_width: 3.0, petal_length: 5.2, petal_width: 2.3 };

  it('trains forest + knn + svm as one ensemble, votes locally and by broadcast, exports and imports it', async () => {
    expect((await bodyOf(await fetch(`${api}/options`))).models.map((m: { name: string }) => m.name)).toEqual(expect.arrayContaining(['knn', 'svm']));
    const dataset = (await post('datasets/ingest', { path: 'iris.csv', name: 'iris-three' })).body;
    const started = await post('trainings', {
      dataset: dataset.id,
      target: 'class',
      model: ['forest', 'knn', { kind: 'svm', params: { kernel: 'rbf', nComponents: 200 } }],
      shards: 3,
      seed: 7,
    });
    expect(started.status).toBe(202);
    const job = await waitForJob(node.broker, started.body.id);
    expect(job.status).toBe('completed');
    expect(job.members.map((m: { kind: string }) => m.kind)).toEqual(['forest', 'knn', 'svm']);
    // measured with seed 7: 0.933 (28 of 30 validation rows); each member fits 40 rows
    expect(job.metrics.accuracy).toBeGreaterThanOrEqual(0.9);

    const metrics = await bodyOf(await fetch(`${api}/models/${job.version}/metrics`));
    const byKind = Object.fromEntries(metrics.members.map((m: { kind: string; metrics: { accuracy: number } }) => [m.kind, m.metrics.accuracy]));
    expect(byKind.knn).toBeGreaterThanOrEqual(0.9); // measured 0.933 alone
    expect(byKind.svm).toBeGreaterThanOrEqual(0.83); // measured 0.867 alone (rbf, 200 features, 40 rows)
    expect(metrics.members.find((m: { kind: string }) => m.kind === 'knn').summary).toMatchObject({ rows: 40, k: 5, search: 'brute force' });

    for (const mode of ['local', 'broadcast']) {
      const p = await post('predict', { rows: [row], version: job.version, mode, members: true });
      expect([mode, p.status, p.body.voted, p.body.predictions[0].label]).toEqual([mode, 200, 3, 'Iris-virginica']);
    }

    const exported = Buffer.from(await (await fetch(`${api}/models/${job.version}/export`)).arrayBuffer());
    const imported = await fetch(`${api}/models/import?name=iris-three-copy`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: exported,
    });
    expect(imported.status).toBe(201);
    const copy = await bodyOf(imported);
    const a = await post('predict', { rows: [row], version: job.version });
    const b = await post('predict', { rows: [row], version: copy.id });
    expect(b.body.predictions).toEqual(a.body.predictions);
  }, 120_000);

  it('refuses bad knn and svm params, a wrong loss for the task and an oversized knn shard before the 202', async () => {
    const bad = [
      [{ kind: 'knn', params: { k: 0 } }, "knn parameter 'k' is 0: use an integer from 1 to 1000"],
      [{ kind: 'svm', params: { kernel: 'poly' } }, "svm parameter 'kernel' is \"poly\": use 'linear' or 'rbf'"],
      [{ kind: 'svm', params: { loss: 'epsilon_insensitive' } }, "a classification target takes 'hinge' or 'squared_hinge'"],
      [{ kind: 'knn', params: { maxRows: 50 } }, 'this shard has 120: use more shards'],
      [{ kind: 'knn', k: 3 }, 'unknown key "k"'],
    ] as const;
    const before = (await bodyOf(await fetch(`${api}/trainings`))).length;
    for (const [model, message] of bad) {
      const res = await post('trainings', { dataset: 'iris-three', target: 'class', model, shards: 1 });
      expect([res.status, res.body.message]).toEqual([400, expect.stringContaining(message)]);
    }
    expect((await bodyOf(await fetch(`${api}/trainings`))).length).toBe(before);
  });
});
