/**
 * Issue 6: voting through a loaded version — soft, hard and weighted against hand-computed
 * results, members aligned by class label when a shard never saw a class, baseline members kept
 * out of the vote but shown in the evaluation, and the two answer forms (objects, JSON text) equal.
 */
import { evaluateVotes } from '../../../lib/inference/evaluation';
import { predictionJson, predictionObject, keyOrder, probabilityText, type Prediction } from '../../../lib/inference/result';
import type { Ensemble } from '../../../lib/inference/ensemble';
import { fixedEnsemble, forestEnsemble, forestRows } from '../../fixtures/versions';

const CLASSES = ['A', 'B', 'C'];
const rows = [
  { x: 1, colour: 'red' },
  { x: 2, colour: 'blue' },
];

function predict(e: Ensemble, voting?: string, withMembers = false): Prediction {
  const name = e.votingName(voting);
  const { x, warnings } = e.encodeRows(rows);
  const votes = e.votes(x);
  return { view: e, voting: name, mode: 'local', rows: x.rows, combined: e.combine(votes, x.rows, name), votes, missing: [], warnings, withMembers };
}

const probs = (p: Prediction, row = 0) => (predictionObject(p).predictions[row] as { probabilities: Record<string, number> }).probabilities;

describe('voting through a loaded version (issue 6)', () => {
  // Three members, the same for every row: m1 → A, m2 → B, m3 → B (by their largest probability).
  const members = [
    { id: 'm1', output: [0.6, 0.3, 0.1], weight: 0.9 },
    { id: 'm2', output: [0.1, 0.5, 0.4], weight: 0.3 },
    { id: 'm3', output: [0.3, 0.4, 0.3], weight: 0.3 },
  ];

  it('soft: the mean of the probabilities', async () => {
    const e = await fixedEnsemble('classification', members, CLASSES);
    const p = predict(e);
    // A: (0.6+0.1+0.3)/3 = 0.333333, B: (0.3+0.5+0.4)/3 = 0.4, C: (0.1+0.4+0.3)/3 = 0.266667
    expect(probs(p)).toEqual({ A: 0.333333, B: 0.4, C: 0.266667 });
    expect(predictionObject(p).predictions.map((r) => (r as { label: string }).label)).toEqual(['B', 'B']);
    expect(predictionObject(p)).toMatchObject({ voted: 3, expected: 3, voting: 'soft', mode: 'local' });
  });

  it("hard: the majority of the members' classes (shares of the votes)", async () => {
    const e = await fixedEnsemble('classification', members, CLASSES);
    const p = predict(e, 'hard');
    expect(probs(p)).toEqual({ A: 0.333333, B: 0.666667, C: 0 });
    expect((predictionObject(p).predictions[0] as { label: string }).label).toBe('B');
  });

  it('weighted: validation scores as weights can overturn the majority', async () => {
    const e = await fixedEnsemble('classification', members, CLASSES);
    const p = predict(e, 'weighted');
    // weights 0.9, 0.3, 0.3 → shares 0.6, 0.2, 0.2
    // A: 0.6·0.6 + 0.2·0.1 + 0.2·0.3 = 0.44; B: 0.6·0.3 + 0.2·0.5 + 0.2·0.4 = 0.36; C: 0.06 + 0.08 + 0.06 = 0.2
    expect(probs(p)).toEqual({ A: 0.44, B: 0.36, C: 0.2 });
    expect((predictionObject(p).predictions[0] as { label: string }).label).toBe('A');
  });

  it('aligns a member that never saw a class by label: it gives that class 0, nothing shifts', async () => {
    // m2 was fitted on a shard without class A and lists its outputs as [C, B].
    const e = await fixedEnsemble(
      'classification',
      [
        { id: 'm1', output: [0.5, 0.25, 0.25] },
        { id: 'm2', output: [0.8, 0.2], classes: ['C', 'B'] },
      ],
      CLASSES,
    );
    const p = predict(e, undefined, true);
    // A: (0.5 + 0)/2 = 0.25; B: (0.25 + 0.2)/2 = 0.225; C: (0.25 + 0.8)/2 = 0.525
    expect(probs(p)).toEqual({ A: 0.25, B: 0.225, C: 0.525 });
    expect(predictionObject(p).members).toEqual([
      { id: 'm1', kind: 'baseline', predictions: ['A', 'A'] },
      { id: 'm2', kind: 'baseline', predictions: ['C', 'C'] },
    ]);
  });

  it('a baseline member never votes, and is evaluated beside the voters', async () => {
    const e = await fixedEnsemble('classification', [...members, { id: 'all-rows', output: [0, 0, 1], baseline: true }], CLASSES);
    expect(e.voters.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
    const p = predict(e);
    expect(probs(p)).toEqual({ A: 0.333333, B: 0.4, C: 0.266667 });
    expect(predictionObject(p)).toMatchObject({ voted: 3, expected: 3 });

    // Labels A, B, C on three rows: the ensemble says B everywhere (1/3 right), m1 says A (1/3),
    // the baseline says C (1/3).
    const x = e.encodeRows([{ x: 1 }, { x: 2 }, { x: 3 }]).x;
    const evaluation = evaluateVotes(e, [0, 1, 2], e.votes(x, 'all'), 'soft');
    expect(evaluation.members.map((m) => [m.id, m.baseline ?? false, m.metrics.accuracy])).toEqual([
      ['m1', false, 1 / 3],
      ['m2', false, 1 / 3],
      ['m3', false, 1 / 3],
      ['all-rows', true, 1 / 3],
    ]);
    expect(evaluation.report).toMatchObject({ task: 'classification', accuracy: 1 / 3 });
    expect(evaluation.baseline).toMatchObject({
      id: 'all-rows',
      report: {
        accuracy: 1 / 3,
        confusion: [
          [0, 0, 1],
          [0, 0, 1],
          [0, 0, 1],
        ],
      },
    });
  });

  it("regression: mean and median of the members' values", async () => {
    const e = await fixedEnsemble('regression', [
      { id: 'a', output: [1] },
      { id: 'b', output: [2] },
      { id: 'c', output: [9] },
    ]);
    expect(predictionObject(predict(e)).predictions[0]).toEqual({ value: 4 });
    expect(predictionObject(predict(e, 'median')).predictions[0]).toEqual({ value: 2 });
    expect(() => e.votingName('hard')).toThrow(expect.objectContaining({ code: 'UNKNOWN_VOTING_RULE' }));
  });

  it('the JSON text answer equals the object answer (integer-like labels, members, missing, warnings)', async () => {
    const classes = ['10', 'b', '2', 'a"quote'];
    const e = await fixedEnsemble(
      'classification',
      [
        { id: 'm1', output: [0.1, 0.2, 0.3, 0.4] },
        { id: 'm2', output: [0.4, 0.3, 0.2, 0.1] },
      ],
      classes,
    );
    const p = predict(e, 'soft', true);
    p.missing = [{ member: 'm3', node: 'n1', reason: 'no answer in time' }];
    p.warnings = ['unknown columns ignored: z'];
    const text = predictionJson(p).toString('utf8');
    expect(JSON.parse(text)).toEqual(predictionObject(p));
    // An object lists integer-like keys first, ascending: the text does the same.
    expect(Object.keys(JSON.parse(text).predictions[0].probabilities)).toEqual(['2', '10', 'b', 'a"quote']);
    expect(keyOrder(classes).map((i) => classes[i])).toEqual(['2', '10', 'b', 'a"quote']);
    // probabilities written from their millionths print as JavaScript prints the rounded double
    const values = [0, 1, 1e-7, 5e-7, 0.000001, 0.0000015, 0.1, 0.123456, 0.1234565, 0.5, 0.999999, 0.9999996, 1 / 3, 2 / 3, Math.fround(0.7), -0.25, 1.5, NaN];
    for (const v of values) expect(probabilityText(v)).toBe(JSON.stringify(Math.round(v * 1e6) / 1e6));
    const wrong: number[] = [];
    for (let k = 0; k <= 1e6; k++) if (probabilityText(k / 1e6) !== String(k / 1e6)) wrong.push(k);
    expect(wrong).toEqual([]);
    // forests: many distinct probabilities over 500 rows
    const f = await forestEnsemble();
    const fx = f.encodeRows(forestRows(500)).x;
    const fv = f.votes(fx);
    const fp: Prediction = {
      view: f,
      voting: 'soft',
      mode: 'local',
      rows: 500,
      combined: f.combine(fv, 500, 'soft'),
      votes: fv,
      missing: [],
      warnings: [],
      withMembers: true,
    };
    expect(JSON.parse(predictionJson(fp).toString('utf8'))).toEqual(predictionObject(fp));
    expect(new Set(Array.from(fp.combined)).size).toBeGreaterThan(20);
    const r = await fixedEnsemble('regression', [{ id: 'a', output: [1.5] }]);
    const q = predict(r);
    expect(JSON.parse(predictionJson(q).toString('utf8'))).toEqual(predictionObject(q));
  });
});

describe('what each member reads (issue 6)', () => {
  it("native features, the version's dense transform (computed once), or a node-local member's own", async () => {
    const { fitDense, applyDense } = await import('../../../lib/data/preprocess');
    const { memberInputs } = await import('../../../lib/inference/inputs');
    const features = [
      { name: 'x', kind: 'numeric' as const },
      { name: 'colour', kind: 'categorical' as const, cardinality: 2 },
    ];
    const x = { data: Float32Array.from([1, 0, 3, 1, NaN, 0]), rows: 3, cols: 2 };
    const versionDense = fitDense(x, features);
    const ownDense = fitDense({ data: Float32Array.from([10, 1, 30, 1]), rows: 2, cols: 2 }, features);
    const input = memberInputs(versionDense, x);
    expect(input({ id: 'tree', input: 'native' })).toBe(x);
    const shared = input({ id: 'mlp', input: 'dense' });
    expect(Array.from(shared.data)).toEqual(Array.from(applyDense(versionDense, x).data));
    expect(input({ id: 'mlp2', input: 'dense' })).toBe(shared);
    const own = input({ id: 'local', input: 'dense', dense: ownDense });
    expect(Array.from(own.data)).toEqual(Array.from(applyDense(ownDense, x).data));
    expect(Array.from(own.data)).not.toEqual(Array.from(shared.data));
    expect(() => memberInputs(undefined, x)({ id: 'mlp', input: 'dense' })).toThrow(expect.objectContaining({ code: 'BAD_ARTIFACT' }));
  });
});
