/**
 * Issue 4 (model part): tfjs artifacts (round trip, damaged or mismatched artifacts), parameter
 * validation, and the backend loader.
 */
import * as tf from '@tensorflow/tfjs';
import { irisSplit, syntheticRegression } from '../../../../fixtures/tf-data';
import { QuorumError } from '../../../../lib/errors';
import { decodeArtifact, encodeArtifact } from '../../../../lib/core/container';
import type { Artifact } from '../../../../lib/core/container';
import { backendInfo, describeBackend, initBackend } from '../../../../lib/models/tf/backend';
import { linearKind } from '../../../../lib/models/tf/linear';
import { mlpKind } from '../../../../lib/models/tf/mlp';
import { toLayersModel } from '../../../../lib/models/tf/tfjs-io';

const iris = irisSplit();

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as QuorumError).code;
  }
  return undefined;
}

describe('tfjs backend', () => {
  const hasNode = ((): boolean => {
    try {
      require.resolve('@tensorflow/tfjs-node');
      return true;
    } catch {
      return false;
    }
  })();

  it('starts tfjs-node when installed, else wasm with SIMD, once', async () => {
    const info = await initBackend();
    if (hasNode) {
      expect(info.name).toBe('node');
    } else {
      expect(info.name).toBe('wasm');
      expect(info.simd).toBe(true);
      expect(info.threads).toBe(false); // the wasm thread pool is off in Node (tfjs#3830)
      expect(info.fallbacks.join()).toMatch(/@tensorflow\/tfjs-node is not installed/);
      expect(tf.getBackend()).toBe('wasm');
      expect(describeBackend(info)).toMatch(/^wasm \(SIMD, 1 thread\) tfjs 4\./);
    }
    expect(await initBackend('cpu')).toBe(info);
    expect(backendInfo()).toBe(info);
  });

  it('rejects an unknown backend name', async () => {
    await expect(initBackend('gpu' as never)).rejects.toThrow(/unknown TensorFlow.js backend 'gpu': use 'node', 'wasm' or 'cpu'/);
  });
});

describe('tfjs artifacts', () => {
  let artifact: Artifact;
  beforeAll(async () => {
    const model = await mlpKind.fit(iris.train, mlpKind.params({ hidden: [8, 4], epochs: 5 }), { seed: 5 });
    artifact = model.toArtifact();
    model.dispose();
  });

  it('round-trips through the container and predicts identically', async () => {
    const model = await mlpKind.fit(iris.train, mlpKind.params({ hidden: [8, 4], epochs: 5, activation: 'tanh' }), { seed: 5 });
    const bytes = encodeArtifact(model.toArtifact());
    const back = mlpKind.load(decodeArtifact(bytes));
    expect(back.predict(iris.test.x)).toEqual(model.predict(iris.test.x));
    expect(back.summary()).toEqual(model.summary());
    expect(Object.keys(model.toArtifact().arrays).sort()).toEqual(['b0', 'b1', 'b2', 'w0', 'w1', 'w2']);
    expect(model.toArtifact().header.shapes).toEqual({ w0: [4, 8], b0: [8], w1: [8, 4], b1: [4], w2: [4, 3], b2: [3] });
    model.dispose();
    back.dispose();
  });

  it('round-trips a regression model with its target scaling', async () => {
    const train = syntheticRegression(500, 3);
    const model = await linearKind.fit(train, linearKind.params({ epochs: 3 }), { seed: 1 });
    const back = linearKind.load(decodeArtifact(encodeArtifact(model.toArtifact())));
    const pred = back.predict(train.x);
    expect(pred).toEqual(model.predict(train.x));
    // The target has mean ≈ 3 and std ≈ 3: values come back in the target's units.
    expect(pred.reduce((s, v) => s + v, 0) / pred.length).toBeGreaterThan(2);
    model.dispose();
    back.dispose();
  });

  it('refuses damaged or mismatched artifacts with BAD_ARTIFACT naming the problem', () => {
    const variants: [string, Artifact, RegExp][] = [
      ['another kind', { ...artifact, kind: 'linear' }, /artifact is a 'linear', not a 'mlp'/],
      ['no spec', { ...artifact, header: { ...artifact.header, spec: undefined } }, /header.spec is missing or malformed/],
      ['bad activation', { ...artifact, header: { ...artifact.header, spec: { ...(artifact.header.spec as object), activation: 'swish' } } }, /spec/],
      ['short weights', { ...artifact, arrays: { ...artifact.arrays, w1: new Float32Array(5) } }, /layer 1 should be 8×4 \+ 4, found 5 \+ 4 values/],
      ['missing bias', { ...artifact, arrays: { ...artifact.arrays, b2: undefined as never } }, /lacks Float32 arrays 'w2'\/'b2'/],
      ['extra layer', { ...artifact, arrays: { ...artifact.arrays, w3: new Float32Array(1) } }, /more layers than its spec/],
      ['wrong outputs', { ...artifact, header: { ...artifact.header, nClasses: 4 } }, /3 output units for classification with 4 classes/],
      ['no target', { ...artifact, header: { ...artifact.header, target: undefined } }, /header.target is missing/],
    ];
    for (const [, bad, message] of variants) {
      expect(() => mlpKind.load(bad)).toThrow(message);
      expect(code(() => mlpKind.load(bad))).toBe('BAD_ARTIFACT');
    }
    expect(code(() => mlpKind.load({ ...artifact, formatVersion: 2 }))).toBe('UNSUPPORTED_FORMAT_VERSION');
  });

  it('refuses rows with the wrong number of features and use after dispose', () => {
    const model = mlpKind.load(artifact);
    expect(() => model.predict({ data: new Float32Array(10), rows: 2, cols: 5 })).toThrow(/expects 4 features per row, got 5/);
    model.dispose();
    expect(() => model.predict(iris.test.x)).toThrow(/disposed/);
  });
});

describe('tfjs io export', () => {
  const close = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

  it('loads an mlp artifact as a tf.LayersModel through tf.io.fromMemory and predicts the same', async () => {
    const model = await mlpKind.fit(iris.train, mlpKind.params({ hidden: [8, 4], activation: 'elu', epochs: 5 }), { seed: 5 });
    const before = tf.memory().numTensors;
    const layers = await toLayersModel(model.toArtifact());
    expect(layers.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense', 'Dense']);
    const probs = tf.tidy(() => (layers.predict(tf.tensor2d(iris.test.x.data, [50, 4])) as tf.Tensor).dataSync() as Float32Array);
    expect(close(probs, model.predict(iris.test.x))).toBeLessThan(1e-5);
    layers.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('folds the regression target scaling into the last layer', async () => {
    const train = syntheticRegression(300, 4);
    const model = await mlpKind.fit(train, mlpKind.params({ hidden: [6], epochs: 3 }), { seed: 1 });
    const layers = await toLayersModel(model.toArtifact());
    const pred = tf.tidy(() => (layers.predict(tf.tensor2d(train.x.data, [300, 4])) as tf.Tensor).dataSync() as Float32Array);
    expect(close(pred, model.predict(train.x))).toBeLessThan(1e-4);
    layers.dispose();
    model.dispose();
  });
});

describe('tfjs kind parameters', () => {
  it('merges defaults', () => {
    expect(mlpKind.params(undefined)).toEqual({
      hidden: [64],
      activation: 'relu',
      dropout: 0,
      learningRate: 1e-3,
      batchSize: 64,
      epochs: 20,
      l2: 0,
      optimizer: 'adam',
      earlyStopping: false,
      validationFraction: 0.1,
    });
    expect(linearKind.params({ optimizer: 'sgd' })).toMatchObject({ optimizer: 'sgd', l2: 1e-4, learningRate: 1e-2, epochs: 30 });
    expect(mlpKind.params({ earlyStopping: true }).earlyStopping).toEqual({ patience: 5, minDelta: 1e-4 });
    expect(mlpKind.params({ earlyStopping: { patience: 2 } }).earlyStopping).toEqual({ patience: 2, minDelta: 1e-4 });
  });

  it('names the parameter, the allowed range and the value in BAD_MODEL_PARAMS', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => mlpKind.params({ dropout: 0.95 }), /mlp parameter 'dropout' is 0.95: use a number from 0 to 0.9/],
      [() => mlpKind.params({ hidden: [] }), /'hidden' is \[\]: use an array of 1 to 16 layer sizes/],
      [() => mlpKind.params({ hidden: [64, 2.5] }), /'hidden\[1\]' is 2.5: use an integer from 1 to 8192/],
      [() => mlpKind.params({ activation: 'swish' }), /'activation' is "swish": use 'relu', 'tanh', 'sigmoid' or 'elu'/],
      [() => mlpKind.params({ learningRate: 0 }), /'learningRate' is 0: use a number above 0 to 10/],
      [() => mlpKind.params({ batchSize: '64' }), /'batchSize' is "64": use an integer from 1 to 65536/],
      [() => mlpKind.params({ epochs: -1 }), /'epochs' is -1: use an integer/],
      [() => mlpKind.params({ earlyStopping: { patience: 0 } }), /'earlyStopping.patience' is 0: use an integer from 1/],
      [() => mlpKind.params({ earlyStopping: { wait: 3 } }), /'earlyStopping.wait'/],
      [() => mlpKind.params({ optimiser: 'adam' }), /unknown mlp parameter 'optimiser': use 'hidden', 'activation'/],
      [() => linearKind.params({ dropout: 0.1 }), /unknown linear parameter 'dropout'/],
      [() => linearKind.params({ l2: -1 }), /linear parameter 'l2' is -1: use a number from 0 to 100/],
      [() => linearKind.params([1]), /linear parameters must be an object/],
    ];
    for (const [fn, message] of cases) {
      expect(fn).toThrow(message);
      expect(code(fn)).toBe('BAD_MODEL_PARAMS');
    }
  });
});
