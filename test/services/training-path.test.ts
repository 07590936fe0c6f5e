/**
 * Issue 2, the path a user walks, on one broker: ingest by path → train → progress → predict →
 * metrics; and the bad inputs of that path each answered with a catalogue error, nothing left behind.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startNode, waitForJob, type TestNode } from '../helpers/broker';

describe('training path on one broker (issue 2)', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startNode({ services: ['coordinator', 'trainer', 'registry', 'inference'] });
  });
  afterAll(() => node.stop());

  const call = <T = any>(action: string, params: unknown = {}) => node.broker.call<T, unknown>(action, params);

  it('ingests, trains two shards, completes a version and predicts by voting', async () => {
    const dataset = await call('coordinator.ingest', { path: 'iris.csv' });
    expect(dataset).toMatchObject({ name: 'iris', rows: 150, columns: 5 });
    const job = await call('coordinator.train', { dataset: dataset.id, target: 'class', model: 'baseline', shards: 2, seed: 7 });
    expect(job.status).toBe('preparing');
    const done = await waitForJob(node.broker, job.id);
    expect(done.status).toBe('completed');
    expect(done.members).toHaveLength(2);
    expect(done.split).toEqual({
      train: 120,
      validation: 30,
      method: 'stratified',
      droppedRows: 0,
      balance: ['Iris-setosa', 'Iris-versicolor', 'Iris-virginica'].map((label) => ({ label, count: 50 })),
    });
    expect(done.shards.map((s: any) => s.rows)).toEqual([60, 60]);
    // the baseline predicts class shares: a third of the stratified validation rows are right
    expect(done.metrics.accuracy).toBeCloseTo(1 / 3, 5);

    const prediction = await call('inference.predict', { rows: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }], members: true });
    expect(prediction.version).toBe(done.version);
    expect(prediction.voted).toBe(2);
    expect(Object.keys(prediction.predictions[0].probabilities)).toEqual(['Iris-setosa', 'Iris-versicolor', 'Iris-virginica']);
    expect(prediction.members).toHaveLength(2);

    const version = await call('registry.get', { version: done.version });
    expect(version).toMatchObject({ status: 'ready', active: true, target: 'class', task: 'classification' });
    expect(version.members.map((m: any) => m.artifact.size > 0)).toEqual([true, true]);
    expect(version.report.confusion).toHaveLength(3);
  });

  it('trains a baseline on all rows beside the shards when asked', async () => {
    const job = await call('coordinator.train', {
      dataset: 'iris',
      target: 'class',
      model: 'baseline',
      shards: 2,
      seed: 7,
      baseline: true,
      name: 'iris-with-baseline',
    });
    const done = await waitForJob(node.broker, job.id);
    expect(done.status).toBe('completed');
    expect(done.members.map((m: any) => [m.id, m.shard, m.rows])).toEqual([
      ['m0', 0, 60],
      ['m1', 1, 60],
      ['baseline', -1, 120],
    ]);
    const version = await call('registry.get', { version: done.version });
    expect(version.members.find((m: any) => m.id === 'baseline').baseline).toBe(true);
  });

  it('refuses bad requests at once, with the catalogue code, and registers nothing', async () => {
    const dataset = await call('coordinator.ingest', { path: 'iris.csv', name: 'iris-bad' });
    const versions = async () => (await call<any[]>('registry.list')).map((v) => v.id).sort();
    const jobs = async () => (await call<any[]>('coordinator.jobs')).map((j) => j.id).sort();
    const [versionsBefore, jobsBefore] = [await versions(), await jobs()];
    await expect(call('coordinator.train', { dataset: dataset.id, target: 'nope', model: 'baseline' })).rejects.toMatchObject({
      type: 'UNKNOWN_COLUMN',
      code: 400,
    });
    await expect(call('coordinator.train', { dataset: 'no-such-set', target: 'class', model: 'baseline' })).rejects.toMatchObject({
      type: 'DATASET_NOT_FOUND',
      code: 404,
    });
    await expect(call('coordinator.train', { dataset: dataset.id, target: 'class', model: 'nope' })).rejects.toMatchObject({ type: 'UNKNOWN_MODEL_KIND' });
    await expect(call('coordinator.train', { dataset: dataset.id, target: 'class', model: 'baseline', sharding: 'round' })).rejects.toMatchObject({
      type: 'UNKNOWN_STRATEGY',
    });
    await expect(call('coordinator.train', { dataset: dataset.id })).rejects.toMatchObject({ type: 'VALIDATION_ERROR', code: 422 });
    // Issue 30: this used to end with "at least as many versions as before", which nothing could fail.
    expect(await jobs()).toEqual(jobsBefore);
    expect(await versions()).toEqual(versionsBefore);
  });

  it('a job that cannot make its shards fails cleanly and discards its version', async () => {
    const dataset = await call('coordinator.ingest', { path: 'iris.csv', name: 'iris-tiny' });
    const job = await call('coordinator.train', { dataset: dataset.id, target: 'class', model: 'baseline', shards: 50 });
    const done = await waitForJob(node.broker, job.id);
    expect(done.status).toBe('failed');
    expect(done.error.code).toBe('TOO_FEW_ROWS');
    expect(done.error.message).toMatch(/ask for at most 12/);
    const versions = await call<any[]>('registry.list', { name: 'iris-tiny' });
    expect(versions).toHaveLength(0);
    expect(existsSync(path.join(node.stateDir, 'blobs', 'jobs', job.id))).toBe(false);
  });

  it('ingest by path stays inside the data folder', async () => {
    await expect(call('coordinator.ingest', { path: '../../etc/passwd' })).rejects.toMatchObject({ type: 'PATH_NOT_ALLOWED', code: 403 });
    await expect(call('coordinator.ingest', { path: '/etc/passwd' })).rejects.toMatchObject({ type: 'PATH_NOT_ALLOWED' });
    await expect(call('coordinator.ingest', { path: 'missing.csv' })).rejects.toMatchObject({ type: 'FILE_NOT_FOUND', code: 404 });
    const datasets = readdirSync(path.join(node.stateDir, 'datasets'));
    expect(datasets.every((d) => !d.startsWith('.'))).toBe(true);
  });

  it('predict errors name the problem', async () => {
    await expect(call('inference.predict', { rows: [{ sepal_length: 1 }] })).rejects.toMatchObject({
      type: 'BAD_REQUEST',
      message: expect.stringMatching(/several models are active: pass 'name'/),
    });
    await expect(call('inference.predict', { rows: [{ foo: 1 }], name: 'iris' })).rejects.toMatchObject({ type: 'MISSING_COLUMNS', code: 400 });
    await expect(call('inference.predict', { rows: [{ sepal_length: 'long' }], name: 'iris' })).rejects.toMatchObject({ type: 'BAD_VALUE' });
    await expect(call('inference.predict', { rows: [] })).rejects.toMatchObject({ type: 'VALIDATION_ERROR' });
    await expect(call('inference.predict', { rows: [{ sepal_length: 1 }], version: 'iris-v99' })).rejects.toMatchObject({
      type: 'VERSION_NOT_FOUND',
      code: 404,
    });
  });
});
