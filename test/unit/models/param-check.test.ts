/**
 * Issue 12: every model kind checks its parameters the same way — unknown keys refused at both
 * levels (the spec and its params), each value against its range, the message naming kind,
 * parameter, value and what is allowed; values echoed as a bounded preview.
 */
import { QuorumError, previewValue } from '../../../lib/errors';
import { validateModelParams } from '../../../lib/models/kinds';
import { paramChecker } from '../../../lib/models/param-check';
import { normaliseRequest } from '../../../lib/jobs/request';

function thrown(fn: () => unknown): QuorumError {
  try {
    fn();
  } catch (e) {
    return e as QuorumError;
  }
  throw new Error('did not throw');
}

describe('model parameter checks (issue 12)', () => {
  it('refuses a parameter written beside the kind, naming where it belongs', () => {
    const err = thrown(() => normaliseRequest({ dataset: 'd', target: 't', model: { kind: 'forest', nEstimators: 300 } as never }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(
      /model: unknown key "nEstimators" \(a spec has 'kind' or 'params'\); a model parameter goes inside 'params': \{"kind": "forest", "params": \{"nEstimators": …\}\}/,
    );
    const inList = thrown(() => normaliseRequest({ dataset: 'd', target: 't', model: ['mlp', { kind: 'forest', depth: 3 } as never] }));
    expect(inList.message).toMatch(/^model\[1\]: unknown key "depth"/);
    expect(thrown(() => normaliseRequest({ dataset: 'd', target: 't', model: { params: {} } as never })).message).toMatch(
      /model.kind: give a model kind name, got undefined/,
    );
  });

  it("refuses a forest's internal parameters (issue 16): they belong to the thread split, not to a request", () => {
    for (const param of ['treeOffset', 'totalTrees']) {
      const err = thrown(() => normaliseRequest({ dataset: 'd', target: 't', model: { kind: 'forest', params: { [param]: 10 } } }));
      expect([err.code, err.message]).toEqual([
        'BAD_MODEL_PARAMS',
        `forest parameter '${param}' is internal (set when a forest is fitted over several threads); leave it out`,
      ]);
    }
    expect(normaliseRequest({ dataset: 'd', target: 't' }).seed).toBe(42);
  });

  it('refuses unknown keys inside params for every kind, listing the valid ones', () => {
    for (const kind of ['forest', 'mlp', 'linear', 'baseline']) {
      const err = thrown(() => validateModelParams(kind, { nope: 1 }));
      expect(err.code).toBe('BAD_MODEL_PARAMS');
      expect(err.message).toMatch(new RegExp(`^unknown ${kind} parameter 'nope'`));
    }
    expect(thrown(() => validateModelParams('forest', { __proto__: { a: 1 }, constructor: 1 })).message).toMatch(/unknown forest parameter 'constructor'/);
  });

  it('names the kind, the parameter, the value and the range', () => {
    const check = paramChecker('demo');
    expect(() => check.int('n', 0, 1, 10)).toThrow("demo parameter 'n' is 0: use an integer from 1 to 10");
    expect(() => check.int('n', 1.5, 1)).toThrow("demo parameter 'n' is 1.5: use an integer from 1 to ∞");
    expect(() => check.num('rate', 0, 0, 1, { minExclusive: true })).toThrow("demo parameter 'rate' is 0: use a number above 0 to 1");
    expect(() => check.num('rate', Number.NaN, 0, 1)).toThrow("demo parameter 'rate' is NaN: use a number from 0 to 1");
    expect(() => check.oneOf('loss', 'l1', ['hinge', 'squared'])).toThrow(`demo parameter 'loss' is "l1": use 'hinge' or 'squared'`);
    expect(() => check.bool('on', 'yes')).toThrow(`demo parameter 'on' is "yes": use true or false`);
    expect(thrown(() => check.int('n', -1, 0)).data).toEqual({ kind: 'demo', param: 'n', value: '-1', expected: 'use an integer from 0 to ∞' });
  });

  it('echoes any value as a short flat preview that never throws', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect(previewValue(deep)).toBe('{"a": {…}}');
    expect(previewValue('x'.repeat(1000)).length).toBeLessThanOrEqual(120);
    expect(previewValue(Array.from({ length: 100 }, (_, i) => i))).toBe('[0, 1, 2, 3, 4, … (100 items)]');
    const hostile = {
      get boom() {
        throw new Error('no');
      },
    };
    expect(previewValue(hostile)).toBe('(a value that cannot be shown)');
    expect(thrown(() => paramChecker('demo').int('n', deep, 1)).message.length).toBeLessThan(200);
  });
});

describe('params are parsed once (issue 16)', () => {
  const given: [string, Record<string, unknown>][] = [
    ['forest', { nEstimators: 30, maxFeatures: 'sqrt', criterion: 'entropy', classWeight: 'balanced' }],
    ['gbm', { nEstimators: 50, earlyStopping: 5, subsample: 0.8, classWeight: 'balanced' }],
    ['mlp', { hidden: [16, 8], dropout: 0.2, earlyStopping: { patience: 3 } }],
    ['linear', { epochs: 3, l2: 0.01 }],
    ['knn', { k: 7, weights: 'distance' }],
    ['svm', {}],
    ['baseline', {}],
  ];
  it.each(given)('%s: normaliseRequest hands on the complete params, and parsing them again changes nothing', (kind, params) => {
    const request = normaliseRequest({ dataset: 'd', target: 't', model: { kind, params } });
    const parsed = request.models[0].params;
    expect(parsed).toEqual(validateModelParams(kind, params));
    expect(parsed).toMatchObject(params);
    expect(validateModelParams(kind, JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
  });
});
