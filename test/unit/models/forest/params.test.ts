/**
 * Issue 3 (random forest): parameters are validated once, at the boundary, with errors that name
 * the parameter and the allowed range; task-dependent defaults resolve at fit time.
 */
import { QuorumError } from '../../../../lib/errors';
import { forestKind } from '../../../../lib/models/forest';
import { DEFAULT_PARAMS, resolveCriterion, resolveMaxFeatures } from '../../../../lib/models/forest/params';
import { resolveModelKind } from '../../../../lib/models/kinds';

function rejects(raw: unknown, message: RegExp): void {
  let err: unknown;
  try {
    forestKind.params(raw);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(QuorumError);
  expect((err as QuorumError).code).toBe('BAD_MODEL_PARAMS');
  expect((err as QuorumError).message).toMatch(message);
}

describe('forest parameters (issue 3)', () => {
  it('is registered as the lazy kind "forest" with native input', () => {
    const kind = resolveModelKind('forest');
    expect(kind).toBe(forestKind);
    expect(kind.input).toBe('native');
    expect(kind.tasks).toEqual(['classification', 'regression']);
  });

  it('defaults like scikit-learn where it makes sense', () => {
    expect(forestKind.params(undefined)).toEqual(DEFAULT_PARAMS);
    expect(forestKind.params({})).toMatchObject({
      nEstimators: 100,
      maxDepth: null,
      minSamplesSplit: 2,
      minSamplesLeaf: 1,
      bootstrap: true,
      maxBins: 255,
      extraTrees: false,
      classWeight: null,
    });
    expect(forestKind.params({ nEstimators: 7, maxDepth: 3, maxFeatures: 0.5, criterion: 'entropy' })).toMatchObject({
      nEstimators: 7,
      maxDepth: 3,
      maxFeatures: 0.5,
      criterion: 'entropy',
    });
  });

  it('resolves maxFeatures by task and feature count', () => {
    const p = (maxFeatures: unknown) => forestKind.params({ maxFeatures });
    expect(resolveMaxFeatures(p(null), 'classification', 16)).toBe(4);
    expect(resolveMaxFeatures(p(null), 'regression', 79)).toBe(79);
    expect(resolveMaxFeatures(p('sqrt'), 'regression', 79)).toBe(8);
    expect(resolveMaxFeatures(p('log2'), 'classification', 79)).toBe(6);
    expect(resolveMaxFeatures(p('all'), 'classification', 16)).toBe(16);
    expect(resolveMaxFeatures(p(0.25), 'classification', 16)).toBe(4);
    expect(resolveMaxFeatures(p(1), 'classification', 16)).toBe(16); // the fraction 1.0
    expect(resolveMaxFeatures(p(0.01), 'classification', 16)).toBe(1); // at least one
    expect(resolveMaxFeatures(p(5), 'classification', 16)).toBe(5);
    expect(resolveMaxFeatures(p(50), 'classification', 16)).toBe(16); // at most all
    expect(resolveCriterion(forestKind.params({}), 'classification')).toBe('gini');
    expect(resolveCriterion(forestKind.params({}), 'regression')).toBe('mse');
  });

  it('names the parameter and the allowed range when a value is wrong', () => {
    rejects({ nEstimators: 0 }, /'nEstimators' is 0: use an integer from 1 to 100000/);
    rejects({ nEstimators: 2.5 }, /'nEstimators' is 2.5/);
    rejects({ maxDepth: 0 }, /'maxDepth' is 0: use an integer from 1/);
    rejects({ minSamplesSplit: 1 }, /'minSamplesSplit' is 1: use an integer from 2/);
    rejects({ minSamplesLeaf: 0 }, /'minSamplesLeaf' is 0/);
    rejects({ maxFeatures: 'half' }, /'maxFeatures' is "half": use 'sqrt', 'log2', 'all', a fraction in \(0, 1\] or an integer count ≥ 2/);
    rejects({ maxFeatures: 1.5 }, /'maxFeatures' is 1.5/);
    rejects({ maxFeatures: -1 }, /'maxFeatures' is -1/);
    rejects({ criterion: 'gain' }, /'criterion' is "gain": use 'gini', 'entropy' or 'mse'/);
    rejects({ bootstrap: 'yes' }, /'bootstrap' is "yes": use true or false/);
    rejects({ maxBins: 256 }, /'maxBins' is 256: use an integer from 2 to 255/);
    rejects({ maxBins: 1 }, /'maxBins' is 1/);
    rejects({ classWeight: 'auto' }, /'classWeight' is "auto": use 'balanced'/);
    rejects({ importance: 'gain' }, /'importance' is "gain": use 'impurity' or 'permutation'/);
    rejects({ treeOffset: 90, totalTrees: 100 }, /trees 90..189 lie outside a forest of 100/);
    rejects({ nTrees: 10 }, /unknown forest parameter 'nTrees': use 'nEstimators', /);
    // Issue 30: the parameters Quorum sets itself (a forest split over threads) are never offered.
    expect(() => forestKind.params({ nTrees: 10 })).toThrow(expect.objectContaining({ message: expect.not.stringMatching(/treeOffset|totalTrees/) }));
    rejects([1], /must be an object/);
    rejects('forest', /must be an object/);
  });
});
