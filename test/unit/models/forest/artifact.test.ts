/**
 * Issue 3 (random forest): serialisation. A round trip through the project container predicts
 * identically; the artifact is small; a damaged artifact fails with BAD_ARTIFACT and can never
 * make prediction read out of bounds or loop.
 */
import { QuorumError } from '../../../../lib/errors';
import { forestKind, type ForestModel } from '../../../../lib/models/forest';
import { decodeArtifact, encodeArtifact, type Artifact } from '../../../../lib/core/container';
import type { Matrix } from '../../../../lib/models/model';
import { Rng } from '../../../../lib/util/random';
import { synthetic } from './fixtures';

async function fitted(task: 'classification' | 'regression', params: Record<string, unknown> = {}): Promise<ForestModel> {
  const data = synthetic({ rows: 600, seed: 3, task });
  return (await forestKind.fit(data, forestKind.params({ nEstimators: 20, ...params }), { seed: 9 })) as ForestModel;
}

const probe = (): Matrix => synthetic({ rows: 300, seed: 4 }).x;

function reload(model: ForestModel): ForestModel {
  return forestKind.load(decodeArtifact(encodeArtifact(model.toArtifact()))) as ForestModel;
}

/** A deep copy of an artifact whose arrays can be damaged freely. */
function copy(a: Artifact): Artifact {
  return decodeArtifact(encodeArtifact(a));
}

function expectBad(a: Artifact, message?: RegExp): void {
  let err: unknown;
  try {
    forestKind.load(a);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(QuorumError);
  expect((err as QuorumError).code).toBe('BAD_ARTIFACT');
  if (message) expect((err as QuorumError).message).toMatch(message);
}

describe('forest artifact (issue 3)', () => {
  it('round-trips classification and regression forests with identical predictions and summaries', async () => {
    for (const task of ['classification', 'regression'] as const) {
      for (const params of [{}, { extraTrees: true, maxDepth: 6 }, { criterion: task === 'classification' ? 'entropy' : 'mse', minSamplesLeaf: 4 }]) {
        const model = await fitted(task, params);
        const back = reload(model);
        expect(back.predict(probe())).toEqual(model.predict(probe()));
        expect(back.summary()).toEqual(model.summary());
        expect(back.task).toBe(task);
        // and a second trip gives the very same bytes
        expect(encodeArtifact(back.toArtifact()).equals(encodeArtifact(model.toArtifact()))).toBe(true);
      }
    }
  });

  it('is compact: about 4–5 bytes per node (pure leaves store no probabilities)', async () => {
    const model = await fitted('classification');
    const bytes = encodeArtifact(model.toArtifact()).length;
    const nodes = model.summary().totalNodes as number;
    // measured: Letter, 100 trees: 1.88 MB for 417,496 nodes (4.5 B/node; scikit-learn's pickle: 111 MB)
    expect(bytes / nodes).toBeLessThan(6 + 8000 / nodes); // ~8 KB of header and edges
    const a = model.toArtifact();
    expect(a.arrays.thrBin).toBeInstanceOf(Uint8Array);
    expect(a.arrays.node).toBeInstanceOf(Uint16Array);
    expect(a.arrays.right).toBeInstanceOf(Uint8Array); // 20-tree synthetic trees have < 256 nodes
  });

  it('refuses another kind and a newer format version', async () => {
    const a = (await fitted('classification')).toArtifact();
    expectBad({ ...a, kind: 'baseline' }, /not a 'forest'/);
    expect(() => forestKind.load({ ...a, formatVersion: 2 })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_FORMAT_VERSION' }));
  });

  it('refuses damaged structure with BAD_ARTIFACT naming the problem', async () => {
    const a = (await fitted('classification')).toArtifact();
    const nodeArray = (x: Artifact): Uint16Array => x.arrays.node as Uint16Array;
    const firstInternal = (x: Artifact): number => nodeArray(x).findIndex((v) => v !== 0xffff);

    let b = copy(a);
    (b.arrays.right as Uint8Array)[0] = 0; // right child pointing back at the root: a loop
    expectBad(b, /right child 0 outside/);

    b = copy(a);
    nodeArray(b)[firstInternal(b)] = 2 * 57; // feature 57 of 4
    expectBad(b, /feature 57 of 4/);

    b = copy(a);
    (b.arrays.thrBin as Uint8Array)[0] = 255; // past the last bin (at most 255 bins: edges 0..253)
    expectBad(b, /past the last bin/);

    b = copy(a);
    (b.arrays.treeSize as Uint32Array)[0] += 1;
    expectBad(b, /tree sizes add up/);

    b = copy(a);
    (b.arrays.leafClass as Uint8Array)[0] = 7; // class 7 of 2
    expectBad(b, /names class 7 of 2/);

    // Shallow trees have impure leaves, whose probabilities are stored.
    b = copy((await fitted('classification', { maxDepth: 3 })).toArtifact());
    expect(b.arrays.leafProb.length).toBeGreaterThan(0);
    b.arrays.leafProb = b.arrays.leafProb.subarray(1);
    expectBad(b, /fewer leaf probabilities/);

    b = copy(a);
    b.header = { ...b.header, params: { nEstimators: -1 } };
    expectBad(b, /bad parameters/);

    b = copy(a);
    b.header = { ...b.header, features: [] };
    expectBad(b, /feature list/);

    b = copy(a);
    delete b.arrays.edges;
    expectBad(b, /lacks array 'edges'/);
  });

  it('never crashes or loops on randomly damaged node arrays (seeded fuzz)', async () => {
    const a = (await fitted('regression')).toArtifact();
    const rng = new Rng(11);
    let loaded = 0;
    for (let k = 0; k < 300; k++) {
      const b = copy(a);
      const names = ['node', 'right', 'thrBin', 'treeSize', 'edgeStart'] as const;
      const arr = b.arrays[names[rng.int(names.length)]];
      for (let j = 0; j < 1 + rng.int(3); j++) arr[rng.int(arr.length)] = rng.int(300);
      try {
        const model = forestKind.load(b);
        // What loads is a well-formed forest: prediction terminates with finite values.
        const out = model.predict(probe());
        expect(out.every(Number.isFinite)).toBe(true);
        loaded++;
      } catch (e) {
        expect((e as QuorumError).code).toBe('BAD_ARTIFACT');
      }
    }
    expect(loaded).toBeLessThan(300); // most damage is caught
  });
});
