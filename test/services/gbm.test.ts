/**
 * Issue 12 on one broker: train `gbm` on the Iris sample in data/, watch its learning curve in the
 * job, predict, read metrics; bad gbm params and keys outside `params` are 400s naming them.
 */
import { startNode, waitForJob, type TestNode } from '../helpers/broker';

describe('gbm through the services (issue 12)', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startNode({ services: ['coordinator', 'trainer', 'registry', 'inference'] });
  });
  afterAll(() => node.stop());

  const call = <T = any>(action: string, params: unknown = {}) => node.broker.call<T, unknown>(action, params);

  it('trains gbm, keeps its learning curve, predicts and scores', async () => {
    const dataset = await call('coordinator.ingest', { path: 'iris.csv', name: 'iris-gbm' });
    const job = await call('coordinator.train', {
      dataset: dataset.id,
      target: 'class',
      model: { kind: 'gbm', params: { nEstimators: 30 } },
      shards: 1,
      seed: 7,
    });
    const done = await waitForJob(node.broker, job.id);
    expect(done.status).toBe('completed');
    expect(done.metrics.accuracy).toBeGreaterThanOrEqual(0.9); // measured 0.933 (28 of 30 validation rows, seed 7)
    const curve = done.members[0].curve;
    expect(curve).toHaveLength(30);
    expect(curve[0]).toMatchObject({ epoch: 1 });
    expect(curve[29].loss).toBeLessThan(curve[0].loss);
    expect(typeof curve[29].valLoss).toBe('number');
    const prediction = await call('inference.predict', { rows: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] });
    expect(prediction.predictions[0].label).toBe('Iris-setosa');
  });

  it('refuses bad gbm params and misplaced keys with 400s naming them', async () => {
    await expect(
      call('coordinator.train', { dataset: 'iris-gbm', target: 'class', model: { kind: 'gbm', params: { learningRate: 2 } } }),
    ).rejects.toMatchObject({
      type: 'BAD_MODEL_PARAMS',
      code: 400,
      message: expect.stringMatching(/gbm parameter 'learningRate' is 2: use a number above 0 to 1/),
    });
    await expect(call('coordinator.train', { dataset: 'iris-gbm', target: 'class', model: { kind: 'gbm', maxDepth: 3 } })).rejects.toMatchObject({
      code: 400,
      message: expect.stringMatching(/unknown key "maxDepth"/),
    });
  });
});
