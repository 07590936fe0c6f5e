/**
 * Issue 4 (model part): each worker thread starts its own TensorFlow.js backend — the trainer fits
 * in worker threads. Runs the compiled code in dist/ (`npm test` builds first).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

const DIST = join(__dirname, '../../../../dist');
const built = existsSync(join(DIST, 'lib/models/tf/mlp.js'));
if (!built) {
  console.log('skipped: tfjs worker-thread tests — dist/ is not built (run `npm test`, which builds first)');
}

/** Runs `body` (CommonJS, with `dist` in scope) in a fresh worker and resolves what it posts. */
function inWorker<T>(body: string): Promise<T> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const dist = workerData;
    (async () => { ${body} })().then((r) => parentPort.postMessage({ ok: r }), (e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: DIST });
    worker.once('message', (m: { ok?: T; error?: string }) => {
      void worker.terminate();
      if (m.error) reject(new Error(m.error));
      else resolve(m.ok as T);
    });
    worker.once('error', reject);
  });
}

const FIT_IRIS = `
  const { irisSplit, accuracy } = require(dist + '/fixtures/tf-data.js');
  const { mlpKind } = require(dist + '/lib/models/tf/mlp.js');
  const tf = require('@tensorflow/tfjs');
  const iris = irisSplit();
  const before = tf.memory().numTensors;
  const model = await mlpKind.fit(iris.train, mlpKind.params({ hidden: [16], epochs: 60, learningRate: 0.01, batchSize: 16 }), { seed: 1 });
  const acc = accuracy(model.predict(iris.test.x), iris.test.y, 3);
  model.dispose();
`;

(built ? describe : describe.skip)('tfjs kinds in worker threads (skipped when dist/ is absent, see above)', () => {
  it('two workers each start their own backend (wasm here and cpu there) and fit alike', async () => {
    const run = (backend: string): Promise<{ name: string; acc: number; leaked: number }> =>
      inWorker(`
        const { initBackend } = require(dist + '/lib/models/tf/backend.js');
        const info = await initBackend(${JSON.stringify(backend)});
        ${FIT_IRIS}
        return { name: info.name, acc, leaked: tf.memory().numTensors - before };
      `);
    const [wasm, cpu] = await Promise.all([run('wasm'), run('cpu')]);
    expect(wasm.name).toBe('wasm');
    expect(cpu.name).toBe('cpu');
    // Measured 0.94 on both backends (seed 1, same split as tf-mlp.test.ts).
    expect(wasm.acc).toBeGreaterThanOrEqual(0.9);
    expect(cpu.acc).toBeGreaterThanOrEqual(0.9);
    expect([wasm.leaked, cpu.leaked]).toEqual([0, 0]);
  });

  it('a model loaded in a thread that never initialised a backend predicts on the synchronous cpu backend', async () => {
    const result = await inWorker<{ sum: number; name: string; note: string }>(`
      const { irisSplit } = require(dist + '/fixtures/tf-data.js');
      const { initialArtifact } = require(dist + '/lib/models/tf/initial.js');
      const { mlpKind } = require(dist + '/lib/models/tf/mlp.js');
      const { backendInfo } = require(dist + '/lib/models/tf/backend.js');
      const artifact = initialArtifact('mlp', { task: 'classification', nFeatures: 4, nClasses: 3 }, { hidden: [5] }, 9);
      const probs = mlpKind.load(artifact).predict(irisSplit().test.x);
      return { sum: probs[0] + probs[1] + probs[2], name: backendInfo().name, note: backendInfo().fallbacks.join() };
    `);
    expect(result.sum).toBeCloseTo(1, 5);
    expect(result.name).toBe('cpu');
    expect(result.note).toMatch(/predict was called before initBackend/);
  });
});
