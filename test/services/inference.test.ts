/**
 * Issue 6 on one broker: predictions keep coming from the active version while a new version
 * trains and loads (no downtime), rollback by activating an older version, broadcast voting through
 * the trainer's own members, and evaluation (ensemble and each member) on the validation rows.
 */
import { startNode, waitFor, waitForJob, type TestNode } from '../helpers/broker';

const IRIS_ROW = { sepal_length: 6.3, sepal_width: 3.3, petal_length: 6, petal_width: 2.5 };

describe('inference on one broker (issue 6)', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startNode({ services: ['coordinator', 'trainer', 'registry', 'inference'], env: { ACTIVATION: 'always', INFERENCE_WORKERS: '1' } });
  });
  afterAll(() => node.stop());

  const call = <T = any>(action: string, params: unknown = {}) => node.broker.call<T, unknown>(action, params);
  const train = async (dataset: string, target: string, extra: Record<string, unknown>) => {
    const job = await call('coordinator.train', { dataset, target, ...extra });
    return job.id as string;
  };

  it('answers from the active version while a new one trains and loads; rollback by activation', async () => {
    const iris = await call('coordinator.ingest', { path: 'iris.csv', name: 'flowers' });
    const first = await waitForJob(node.broker, await train(iris.id, 'class', { model: 'baseline', shards: 2, seed: 1 }));
    expect(first.status).toBe('completed');
    const v1 = first.version;
    await waitFor(async () => (await call('inference.predict', { rows: [IRIS_ROW], name: 'flowers' })).version === v1, 'v1 answering');

    // A slower job for the same name (forests of many trees). Predict without pause until the new
    // version answers: through its training, its evaluation, its activation and its loading.
    const second = await train(iris.id, 'class', { model: { kind: 'forest', params: { nEstimators: 400 } }, shards: 2, seed: 2 });
    const seen: string[] = [];
    const errors: string[] = [];
    const statuses = new Set<string>();
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && seen[seen.length - 1] !== 'switched') {
      const job = await call('coordinator.job', { id: second });
      statuses.add(job.status);
      await call('inference.predict', { rows: [IRIS_ROW], name: 'flowers' }).then(
        (r) => seen.push(r.version === v1 ? r.version : 'switched'),
        (err: Error) => errors.push(err.message),
      );
      await new Promise((r) => setTimeout(r, 10));
    }
    const done = await waitForJob(node.broker, second);
    expect(done.status).toBe('completed');
    const v2 = done.version as string;
    // Every request was answered: by v1 until v2 was loaded, then by v2, never by nothing.
    expect(errors).toEqual([]);
    expect(statuses.has('training')).toBe(true);
    expect(seen.filter((v) => v === v1).length).toBeGreaterThan(3);
    expect(seen[seen.length - 1]).toBe('switched');
    expect(seen.indexOf('switched')).toBe(seen.length - 1);
    const after = await call('inference.predict', { rows: [IRIS_ROW], name: 'flowers' });
    expect(after.version).toBe(v2);
    expect(after.predictions[0].label).toBe('Iris-virginica');

    // Rollback: activate v1 again; inference follows, v1 (the baseline) answers.
    const rollback = await call('registry.activate', { version: v1 });
    expect(rollback).toMatchObject({ activated: true, name: 'flowers', previous: v2 });
    await waitFor(async () => (await call('inference.predict', { rows: [IRIS_ROW], name: 'flowers' })).version === v1, 'rollback to v1');
    expect((await call('registry.active'))['flowers']).toBe(v1);
    const history = await call<any[]>('registry.activations');
    expect(history.filter((h) => h.name === 'flowers').map((h) => h.version)).toEqual([v1, v2, v1]);
    // An explicit version still answers from v2.
    expect((await call('inference.predict', { rows: [IRIS_ROW], version: v2 })).version).toBe(v2);
  }, 120_000);

  it('broadcast voting: the trainer predicts with the members it fitted; the answer says who voted', async () => {
    const iris = await call('coordinator.ingest', { path: 'iris.csv', name: 'petals' });
    const job = await waitForJob(node.broker, await train(iris.id, 'class', { model: { kind: 'forest', params: { nEstimators: 20 } }, shards: 3, seed: 4 }));
    expect(job.status).toBe('completed');
    const rows = [IRIS_ROW, { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }];
    const local = await call('inference.predict', { rows, name: 'petals', mode: 'local', members: true });
    const broadcast = await call('inference.predict', { rows, name: 'petals', mode: 'broadcast', members: true });
    expect(broadcast).toMatchObject({ version: job.version, mode: 'broadcast', voted: 3, expected: 3 });
    // The same members, the same numbers, whichever process runs them.
    expect(broadcast.predictions).toEqual(local.predictions);
    expect(broadcast.members.map((m: any) => m.predictions)).toEqual(local.members.map((m: any) => m.predictions));
    expect(broadcast.members.every((m: any) => m.node === node.broker.nodeID)).toBe(true);
    const status = await call('trainer.predict', { version: job.version, members: ['nope'], x: Buffer.alloc(16), rows: 1, cols: 4 });
    expect(status.missing).toEqual([{ member: 'nope', reason: `not a member of '${job.version}'` }]);
    // Quorum larger than the members: refused with the numbers
    await expect(call('inference.predict', { rows, name: 'petals', mode: 'broadcast', quorum: 4 })).rejects.toMatchObject({
      type: 'QUORUM_NOT_REACHED',
      code: 503,
    });
    await expect(call('inference.predict', { rows, name: 'petals', quorum: 1.5 })).rejects.toMatchObject({ type: 'BAD_REQUEST' });
  }, 60_000);

  it('a baseline member (one model on all rows) never votes, and is evaluated beside the ensemble', async () => {
    const iris = await call('coordinator.ingest', { path: 'iris.csv', name: 'sepals' });
    const job = await waitForJob(
      node.broker,
      await train(iris.id, 'class', { model: { kind: 'forest', params: { nEstimators: 10 } }, shards: 2, seed: 6, baseline: true }),
    );
    expect(job.status).toBe('completed');
    const version = await call('registry.get', { version: job.version });
    expect(version.members.map((m: any) => [m.id, !!m.baseline])).toEqual([
      ['baseline', true],
      ['m0', false],
      ['m1', false],
    ]);
    const answer = await call('inference.predict', { rows: [IRIS_ROW], name: 'sepals', members: true });
    expect(answer).toMatchObject({ voted: 2, expected: 2 });
    expect(answer.members.map((m: any) => m.id)).toEqual(['m0', 'm1']);
    const broadcast = await call('inference.predict', { rows: [IRIS_ROW], name: 'sepals', mode: 'broadcast' });
    expect(broadcast).toMatchObject({ voted: 2, expected: 2 });
    const evaluation = await call('inference.evaluate', { version: job.version });
    expect(evaluation.members.map((m: any) => [m.id, m.baseline ?? false])).toEqual([
      ['m0', false],
      ['m1', false],
      ['baseline', true],
    ]);
    expect(evaluation.baseline.id).toBe('baseline');
    expect(evaluation.baseline.report.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(30);
    // the registry kept the baseline's own metrics
    expect(version.members.find((m: any) => m.baseline).metrics.accuracy).toBeGreaterThan(0.8);
  }, 60_000);

  it('evaluates a version: the ensemble, each member alone, and what voting gains', async () => {
    const active = await call<Record<string, string>>('registry.active');
    const evaluation = await call('inference.evaluate', { version: active.petals });
    expect(evaluation.report.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(30);
    expect(evaluation.members).toHaveLength(3);
    expect(evaluation.members.every((m: any) => m.metrics.accuracy > 0.8)).toBe(true);
    expect(evaluation.gainOverBestMember).toBeCloseTo(evaluation.report.accuracy - Math.max(...evaluation.members.map((m: any) => m.score)), 10);
    const hard = await call('inference.evaluate', { version: active.petals, voting: 'hard' });
    expect(hard.voting).toBe('hard');
    await expect(call('inference.evaluate', { version: active.petals, voting: 'mean' })).rejects.toMatchObject({ type: 'UNKNOWN_VOTING_RULE' });
  });
});

describe('the first version of a name (issue 6)', () => {
  let node: TestNode;
  beforeAll(async () => {
    // Manual activation: the version is ready but not active, so no inference node has loaded it.
    node = await startNode({ services: ['coordinator', 'trainer', 'registry', 'inference'], env: { ACTIVATION: 'manual', INFERENCE_WORKERS: '0' } });
  });
  afterAll(() => node.stop());

  it('is answered as soon as it is activated: requests wait for its load instead of hearing that nothing is active', async () => {
    const call = <T = any>(action: string, params: unknown = {}) => node.broker.call<T, unknown>(action, params);
    const iris = await call('coordinator.ingest', { path: 'iris.csv', name: 'orchids' });
    const job = await waitForJob(
      node.broker,
      (await call('coordinator.train', { dataset: iris.id, target: 'class', model: { kind: 'forest', params: { nEstimators: 50 } }, shards: 2, seed: 6 })).id,
    );
    expect(job.status).toBe('completed');
    // Not active yet: a clear 404 naming the way out.
    await expect(call('inference.predict', { rows: [IRIS_ROW], name: 'orchids' })).rejects.toMatchObject({ code: 404, type: 'NO_ACTIVE_MODEL' });
    // Activate, then ask at once: the inference service is still loading the version (reading its
    // record and two artifacts from the registry), and the request waits for that load.
    expect(await call('registry.activate', { version: job.version })).toMatchObject({ activated: true, name: 'orchids' });
    const answer = await call('inference.predict', { rows: [IRIS_ROW], name: 'orchids' }).catch((err: Error) => err);
    expect(answer).toMatchObject({ version: job.version });
  }, 60_000);
});
