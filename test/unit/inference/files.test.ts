/**
 * Issue 6, files: an uploaded CSV encoded for a version by column name (whatever types the reader
 * gave its columns), the labels of a labelled file, and the CSV of predictions.
 */
import { Readable } from 'node:stream';
import { ingestCsv } from '../../../lib/data/ingest';
import type { Table } from '../../../lib/data/table';
import { csvField, predictionCsv } from '../../../lib/inference/csv-out';
import { encodeTable, labelledRows } from '../../../lib/inference/table-encoder';
import { probabilityText } from '../../../lib/inference/result';
import { ENCODER, fixedEnsemble, forestEnsemble, forestRows, versionMeta } from '../../fixtures/versions';

const table = (columns: Table['columns']): Table => ({
  nRows: columns[0].type === 'categorical' ? columns[0].codes.length : columns[0].values.length,
  columns,
});
const nan = (a: ArrayLike<number>) => Array.from(a, (v) => (Number.isNaN(v) ? null : v));

describe('encoding an uploaded table by column name (issue 6)', () => {
  it('converts columns the reader typed otherwise, by their spelling', () => {
    // 'x' arrived as text (one cell is 'NA'), 'colour' as it should; an extra column 'note'
    const t = table([
      { name: 'x', type: 'categorical', codes: Int32Array.from([0, 1, 2]), categories: ['1.5', 'NA', ' 3'] },
      { name: 'colour', type: 'categorical', codes: Int32Array.from([1, 0, 2]), categories: ['red', 'blue', 'green'] },
      { name: 'note', type: 'numeric', values: Float64Array.from([1, 2, 3]) },
    ]);
    const { x, warnings } = encodeTable(ENCODER, t);
    expect(x.cols).toBe(2);
    // x: 1.5, missing, 3 · colour codes of the model (red 0, blue 1), green never seen → missing
    expect(nan(x.data)).toEqual([1.5, 1, null, 0, 3, null]);
    expect(warnings).toEqual(["column 'colour': unseen values treated as missing: green", 'unknown columns ignored: note']);
  });

  it('categories that look like numbers are matched by their text', () => {
    const spec = { version: 1 as const, columns: [{ name: 'zip', type: 'categorical' as const, categories: ['75001', '10115'] }], missing: [] };
    const { x } = encodeTable(spec, table([{ name: 'zip', type: 'numeric', values: Float64Array.from([10115, 75001, NaN, 99999]) }]));
    expect(nan(x.data)).toEqual([1, 0, null, null]);
  });

  it("imputes an absent column, and refuses a file with none of the model's columns or a bad value", () => {
    const { x, warnings } = encodeTable(ENCODER, table([{ name: 'x', type: 'numeric', values: Float64Array.from([2]) }]));
    expect(nan(x.data)).toEqual([2, null]);
    expect(warnings).toEqual(['missing columns imputed: colour']);
    expect(() => encodeTable(ENCODER, table([{ name: 'y', type: 'numeric', values: Float64Array.from([2]) }]))).toThrow(
      expect.objectContaining({ code: 'MISSING_COLUMNS' }),
    );
    const bad = table([{ name: 'x', type: 'categorical', codes: Int32Array.from([0, 0, 1]), categories: ['1', 'lots'] }]);
    expect(() => encodeTable(ENCODER, bad)).toThrow(expect.objectContaining({ code: 'BAD_VALUE', message: "line 4, column 'x': 'lots' is not a number" }));
    expect(() => encodeTable(ENCODER, table([{ name: 'x', type: 'numeric', values: Float64Array.from([2]) }]), { strict: true })).toThrow(
      /missing columns: colour/,
    );
  });

  it('labels of a labelled file: by class label; unknown and missing labels are left out and reported', () => {
    const meta = versionMeta('v-v1', 'classification', [{ id: 'm', output: [0.5, 0.5] }], ['no', 'yes']);
    const t = table([
      { name: 'x', type: 'numeric', values: Float64Array.from([1, 2, 3, 4]) },
      { name: 'y', type: 'categorical', codes: Int32Array.from([1, 0, -1, 2]), categories: ['no', 'yes', 'maybe'] },
    ]);
    const labelled = labelledRows(meta, t);
    expect(Array.from(labelled.y)).toEqual([1, 0]);
    expect(Array.from(labelled.rows)).toEqual([0, 1]);
    expect(labelled.warnings).toEqual([
      "1 row(s) without a value in 'y' left out",
      "1 row(s) with label(s) the model never learnt ('no' or 'yes' are its classes) left out: maybe",
    ]);
    expect(() => labelledRows(meta, table([{ name: 'x', type: 'numeric', values: Float64Array.from([1]) }]))).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_COLUMN' }),
    );
  });
});

describe('CSV of predictions (issue 6)', () => {
  it('quotes only what needs it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('a;b', ';')).toBe('"a;b"');
  });

  it('writes echoed columns, the prediction and the probabilities, slice by slice', async () => {
    const e = await fixedEnsemble(
      'classification',
      [
        { id: 'm1', output: [0.75, 0.25] },
        { id: 'm2', output: [0.25, 0.75] },
        { id: 'm3', output: [0.5, 0.5] },
      ],
      ['ok', 'not, ok'],
      'hard',
    );
    const upload = await ingestCsv(Readable.from([Buffer.from('id,x,colour\nr1,1,red\nr2,2,blue\nr3,3,red\n')]));
    const { x } = encodeTable(e.meta.encoder, upload.table);
    const slices: number[] = [];
    const text: string[] = [];
    const votesFor = async (part: typeof x) => {
      slices.push(part.rows);
      return { votes: e.votes(part), missing: [] };
    };
    for await (const chunk of predictionCsv(e, upload.table, x, 'hard', votesFor, { echo: ['id'], sliceRows: 2 })) text.push(chunk.toString('utf8'));
    expect(slices).toEqual([2, 1]);
    // hard voting: m1 → ok, m2 → 'not, ok', m3 ties → the first class (ok): 2 of 3 for ok
    expect(text.join('')).toBe('id,prediction,p_ok,"p_not, ok"\nr1,ok,0.666667,0.333333\nr2,ok,0.666667,0.333333\nr3,ok,0.666667,0.333333\n');
  });

  it('writes every probability as the JSON answer spells it, and values for regression', async () => {
    const f = await forestEnsemble();
    const rows = forestRows(300);
    const upload = await ingestCsv(Readable.from([Buffer.from('x,colour\n' + rows.map((r) => `${r.x},${r.colour}`).join('\n') + '\n')]));
    const { x } = encodeTable(f.meta.encoder, upload.table);
    const chunks: string[] = [];
    for await (const chunk of predictionCsv(f, upload.table, x, 'soft', async (part) => ({ votes: f.votes(part), missing: [] }), { sliceRows: 128 }))
      chunks.push(chunk.toString('utf8'));
    const lines = chunks.join('').trim().split('\n');
    expect(lines).toHaveLength(301);
    const combined = f.combine(f.votes(x), x.rows, 'soft');
    const expected = Array.from({ length: 300 }, (_, r) => {
      const p = Array.from(combined.subarray(r * 3, r * 3 + 3));
      return [f.meta.classes![p.indexOf(Math.max(...p))], ...p.map(probabilityText)].join(',');
    });
    expect(lines.slice(1)).toEqual(expected);

    const reg = await fixedEnsemble('regression', [
      { id: 'a', output: [1] },
      { id: 'b', output: [2.5] },
    ]);
    const t = await ingestCsv(Readable.from([Buffer.from('x\n1\n2\n')]));
    const out: string[] = [];
    for await (const chunk of predictionCsv(reg, t.table, encodeTable(reg.meta.encoder, t.table).x, 'mean', async (part) => ({
      votes: reg.votes(part),
      missing: [],
    })))
      out.push(chunk.toString('utf8'));
    expect(out.join('')).toBe('prediction\n1.75\n1.75\n');
  });
});
