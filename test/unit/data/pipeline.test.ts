import { RowEncoder, encodeTable, featureInfo, fitEncoder } from '../../../lib/data/encode';
import { applyDense, fitDense } from '../../../lib/data/preprocess';
import { splitRows } from '../../../lib/data/split';
import { resolveSharding } from '../../../lib/data/sharding';
import { resolveTarget } from '../../../lib/data/target';
import type { ColumnProfile, Table } from '../../../lib/data/table';

function table(): Table {
  // 10 rows: a numeric feature with a gap, a colour, a date, an id and a 3-class target
  return {
    nRows: 10,
    columns: [
      { name: 'id', type: 'numeric', values: Float64Array.from({ length: 10 }, (_, i) => i + 1) },
      { name: 'size', type: 'numeric', values: new Float64Array([1, 2, NaN, 4, 5, 6, 7, 8, 9, 10]) },
      { name: 'colour', type: 'categorical', codes: new Int32Array([0, 1, 2, 0, 1, -1, 0, 1, 2, 0]), categories: ['red', 'green', 'blue'] },
      { name: 'when', type: 'datetime', values: Float64Array.from({ length: 10 }, (_, i) => Date.UTC(2020, i, 3)) },
      { name: 'kind', type: 'categorical', codes: new Int32Array([0, 1, 2, 0, 1, 2, 0, -1, 2, 0]), categories: ['z', 'x', 'y'] },
    ],
  };
}
const profile: ColumnProfile[] = [
  { name: 'id', type: 'numeric', role: 'identifier', missing: 0, distinct: 10 },
  { name: 'size', type: 'numeric', role: 'feature', missing: 1, distinct: 9 },
  { name: 'colour', type: 'categorical', role: 'feature', missing: 1, distinct: 3 },
  { name: 'when', type: 'datetime', role: 'feature', missing: 0, distinct: 10 },
  { name: 'kind', type: 'categorical', role: 'feature', missing: 1, distinct: 3 },
];

describe('target, encoder, dense transform, split, sharding', () => {
  it('resolves a class target with labels in natural order and drops rows without target', () => {
    const t = resolveTarget(table(), profile, 'kind');
    expect(t.task).toBe('classification');
    expect(t.classes).toEqual(['x', 'y', 'z']);
    expect(t.dropped).toBe(1);
    expect(Array.from(t.y.subarray(0, 3))).toEqual([2, 0, 1]);
    expect(t.balance).toEqual([{ label: 'x', count: 2 }, { label: 'y', count: 3 }, { label: 'z', count: 4 }]);
  });

  it('names the columns when the target is unknown, refuses one class and all-missing', () => {
    expect(() => resolveTarget(table(), profile, 'nope')).toThrow(/unknown target column 'nope'.*'size'/);
    const one: Table = { nRows: 3, columns: [{ name: 't', type: 'categorical', codes: new Int32Array([0, 0, -1]), categories: ['a'] }] };
    expect(() => resolveTarget(one, undefined, 't')).toThrow(expect.objectContaining({ code: 'TARGET_ONE_CLASS' }));
    const none: Table = { nRows: 2, columns: [{ name: 't', type: 'numeric', values: new Float64Array([NaN, NaN]) }] };
    expect(() => resolveTarget(none, undefined, 't')).toThrow(expect.objectContaining({ code: 'TARGET_ALL_MISSING' }));
    const text: Table = { nRows: 2, columns: [{ name: 't', type: 'categorical', codes: new Int32Array([0, 1]), categories: ['a', 'b'] }] };
    expect(() => resolveTarget(text, undefined, 't', 'regression')).toThrow(expect.objectContaining({ code: 'TARGET_NOT_NUMERIC' }));
  });

  it('infers regression for a continuous numeric target', () => {
    const t = resolveTarget(table(), profile, 'when');
    expect(t.task).toBe('regression');
    const ints: Table = { nRows: 30, columns: [{ name: 'n', type: 'numeric', values: Float64Array.from({ length: 30 }, (_, i) => i) }] };
    expect(resolveTarget(ints, undefined, 'n').task).toBe('regression');
    expect(resolveTarget(ints, undefined, 'n', 'classification').classes).toHaveLength(30);
    expect(resolveTarget(table(), profile, 'size').task).toBe('regression');
    const flags: Table = { nRows: 6, columns: [{ name: 'f', type: 'numeric', values: new Float64Array([0, 1, 1, 0, 1, 0]) }] };
    expect(resolveTarget(flags, undefined, 'f')).toMatchObject({ task: 'classification', classes: ['0', '1'] });
  });

  it('encodes the table and JSON rows identically, skipping identifiers and the target', () => {
    const spec = fitEncoder(table(), profile, 'kind');
    expect(featureInfo(spec).map((f) => f.name)).toEqual(['size', 'colour', 'when.year', 'when.month', 'when.day', 'when.weekday']);
    const x = encodeTable(spec, table(), Int32Array.from([0, 2, 5]));
    const rows = new RowEncoder(spec).encode([
      { size: 1, colour: 'red', when: '2020-01-03', id: 99 },
      { size: 'NA', colour: 'blue', when: '2020-03-03' },
      { size: '6', colour: null, when: '2020-06-03' },
    ], { ignore: ['id'] });
    expect(Array.from(rows.x.data)).toEqual(Array.from(x.data));
    expect(Array.from(x.data.subarray(0, 6))).toEqual([1, 0, 2020, 1, 3, 5]);
    expect(rows.warnings).toEqual([]);
  });

  it('imputes missing columns with a warning, ignores unknown ones, and is strict on request', () => {
    const enc = new RowEncoder(fitEncoder(table(), profile, 'kind'));
    const out = enc.encode([{ size: 3, colour: 'purple', extra: 1 }]);
    expect(out.warnings.join('\n')).toMatch(/missing columns imputed: when/);
    expect(out.warnings.join('\n')).toMatch(/unknown columns ignored: extra/);
    expect(out.warnings.join('\n')).toMatch(/unseen values treated as missing: purple/);
    expect(Number.isNaN(out.x.data[1])).toBe(true);
    expect(() => enc.encode([{ size: 3, extra: 1 }], { strict: true })).toThrow(/missing columns: colour, when; unknown columns: extra/);
    expect(() => enc.encode([{ foo: 1 }])).toThrow(expect.objectContaining({ code: 'MISSING_COLUMNS' }));
    expect(() => enc.encode([{ size: 'big' }])).toThrow(/row 0, column 'size': "big" is not a number/);
    expect(() => enc.encode([{ size: 1, when: 'yesterday' }])).toThrow(/is not a date/);
  });

  it('encodeInSlices (large batches on the event loop) equals encode, warnings and errors included; warnings are bounded (issue 29)', async () => {
    const enc = new RowEncoder(fitEncoder(table(), profile, 'kind'));
    const rows = Array.from({ length: 50 }, (_, i) => ({ size: i, colour: ['red', 'blue', `new${i}`][i % 3], ...(i % 4 ? { when: '2020-01-03' } : {}), [`junk${i}`]: 1 }));
    let pauses = 0;
    const sliced = await enc.encodeInSlices(rows, {}, async () => void pauses++, 7);
    const whole = enc.encode(rows);
    expect(Array.from(sliced.x.data)).toEqual(Array.from(whole.x.data));
    expect(sliced.warnings).toEqual(whole.warnings);
    expect(pauses).toBe(7);
    expect(whole.warnings.join('\n')).toMatch(/unknown columns ignored: (junk\d+, ){19}junk\d+, …/);
    await expect(enc.encodeInSlices([...rows, { size: 'big' }], {}, async () => undefined, 7)).rejects.toThrow(/row 50, column 'size': "big" is not a number/);
    expect(() => enc.encode([{ size: 'x'.repeat(100_000) }])).toThrow(expect.objectContaining({ message: expect.stringMatching(/^.{0,300}$/) }));
  });

  it('dense transform: imputes, one-hot encodes, standardises; unseen → zeros', () => {
    const spec = fitEncoder(table(), profile, 'kind');
    const rows = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const x = encodeTable(spec, table(), rows);
    const dense = fitDense(x, featureInfo(spec));
    expect(dense.names.slice(0, 4)).toEqual(['size', 'colour=0', 'colour=1', 'colour=2']);
    const out = applyDense(dense, x);
    expect(out.data.every(Number.isFinite)).toBe(true);
    // size column: mean 0 after standardising
    let sum = 0;
    for (let r = 0; r < out.rows; r++) sum += out.data[r * out.cols];
    expect(Math.abs(sum)).toBeLessThan(1e-4);
    // row 5 has no colour → most frequent (red, code 0)
    expect(Array.from(out.data.subarray(5 * out.cols + 1, 5 * out.cols + 4))).toEqual([1, 0, 0]);
    const unseen = applyDense(dense, { data: new Float32Array([1, 7, 2020, 1, 1, 1]), rows: 1, cols: 6 });
    expect(Array.from(unseen.data.subarray(1, 4))).toEqual([0, 0, 0]);
  });

  it('stratified split keeps every class on both sides and is seeded', () => {
    const classOf = Float32Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : i < 95 ? 1 : 2));
    const rows = Int32Array.from({ length: 100 }, (_, i) => i);
    const s = splitRows(rows, { method: 'stratified', seed: 3, classOf });
    expect(s.train.length + s.validation.length).toBe(100);
    const count = (part: Int32Array, k: number) => Array.from(part).filter((r) => classOf[r] === k).length;
    expect([count(s.validation, 0), count(s.validation, 1), count(s.validation, 2)]).toEqual([16, 3, 1]);
    expect(splitRows(rows, { method: 'stratified', seed: 3, classOf })).toEqual(s);
  });

  it('sharding strategies cover every row exactly once; stratified keeps the class mix', () => {
    const n = 90;
    const classOf = Float32Array.from({ length: n }, (_, i) => i % 3);
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const t: Table = { nRows: n, columns: [{ name: 'store', type: 'numeric', values: Float64Array.from({ length: n }, (_, i) => i % 7) }] };
    for (const spec of ['random', 'stratified', 'contiguous', 'hash:store']) {
      const { strategy, argument } = resolveSharding(spec);
      const shards = strategy.assign(rows, 4, { table: t, seed: 1, classOf, argument });
      const all = shards.flatMap((s) => Array.from(s)).sort((a, b) => a - b);
      expect(all).toEqual(Array.from(rows));
      if (spec === 'stratified') for (const s of shards) for (let k = 0; k < 3; k++) expect(Array.from(s).some((r) => classOf[r] === k)).toBe(true);
      if (spec === 'hash:store') {
        const home = new Map<number, number>();
        shards.forEach((s, i) => s.forEach((r) => {
          const key = r % 7;
          expect(home.get(key) ?? i).toBe(i);
          home.set(key, i);
        }));
      }
    }
    expect(() => resolveSharding('round')).toThrow(/'random', 'stratified', 'contiguous' or 'hash:<column>'/);
    expect(() => resolveSharding('hash')).toThrow(expect.objectContaining({ code: 'UNKNOWN_STRATEGY' }));
  });
});
