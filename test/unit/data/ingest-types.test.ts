/** Column typing, roles, missing tokens and target rules (the policies documented in lib/data). */
import { RowEncoder, encodeTable, featureInfo, fitEncoder } from '../../../lib/data/encode';
import { withTarget } from '../../../lib/data/ingest';
import { fitDense } from '../../../lib/data/preprocess';
import { encodeTable as encodeFile } from '../../../lib/inference/table-encoder';
import { countDistinct, estimateDistinct } from '../../../lib/data/profile';
import { Rng } from '../../../lib/util/random';
import { findColumn, type IngestResult } from '../../../lib/data/table';
import { cells, ingestText, rejection } from './csv/helpers';

const column = (r: IngestResult, name: string) => {
  const c = findColumn(r.table, name);
  if (!c) throw new Error(`no column ${name}`);
  return c;
};
const profile = (r: IngestResult, name: string) => r.profile.find((p) => p.name === name)!;
const lines = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => `${f(i)}\n`).join('');

describe('column types', () => {
  it('reads Yes/No, true/false, t/f and y/n pairs as booleans with the spellings kept as labels', async () => {
    const r = await ingestText('a,b,c,d,e\nYes,TRUE,t,n,yes\nNo,false,f,y,Yes\nNA,TRUE,t,y,no\n');
    expect(column(r, 'a')).toMatchObject({ type: 'boolean', labels: ['No', 'Yes'] });
    expect(cells(column(r, 'a'))).toEqual([1, 0, null]);
    expect(column(r, 'b')).toMatchObject({ type: 'boolean', labels: ['false', 'TRUE'] });
    expect(column(r, 'c')).toMatchObject({ type: 'boolean', labels: ['f', 't'] });
    expect(column(r, 'd')).toMatchObject({ type: 'boolean', labels: ['n', 'y'] });
    // mixed spellings of one pair: the most frequent spelling labels each side
    expect(column(r, 'e')).toMatchObject({ type: 'boolean', labels: ['no', 'yes'] });
    expect(profile(r, 'a').top).toEqual([{ value: 'No', count: 1 }, { value: 'Yes', count: 1 }]);
  });

  it('keeps 0/1 numeric, and yes/true mixes or a single word categorical', async () => {
    const r = await ingestText('z,m,s\n0,yes,on\n1,true,on\n1,no,on\n');
    expect(column(r, 'z').type).toBe('numeric');
    expect(profile(r, 'z').note).toMatch(/only 0 and 1/);
    expect(column(r, 'm').type).toBe('categorical');
    expect(column(r, 's').type).toBe('categorical');
  });

  it('reads ISO dates and date-times as epoch milliseconds (UTC)', async () => {
    const r = await ingestText('d,t\n2008-12-01,2020-01-01T10:00:00Z\n2008-12-02,2020-01-01 12:30\nNA,\n');
    expect(column(r, 'd').type).toBe('datetime');
    expect(cells(column(r, 'd'))).toEqual([Date.UTC(2008, 11, 1), Date.UTC(2008, 11, 2), null]);
    expect(cells(column(r, 't'))).toEqual([Date.UTC(2020, 0, 1, 10), Date.UTC(2020, 0, 1, 12, 30), null]);
  });

  it('turns a column that looked numeric into text when text follows, keeping first spellings', async () => {
    // 60 % numeric codes, 40 % letters: a categorical column, not stray text
    const r = await ingestText(`code,x\n${lines(10, (i) => (i < 6 ? `0${i},1` : `K${i},1`))}`);
    const c = column(r, 'code');
    expect(c.type).toBe('categorical');
    expect(cells(c)).toEqual(['00', '01', '02', '03', '04', '05', 'K6', 'K7', 'K8', 'K9']);
  });

  it('keeps columns of only missing values as empty, and forced types apply', async () => {
    const r = await ingestText('a,b,c,d\n1,NA,5,2020-01-01\n2,,6,2020-01-02\n', { types: { c: 'categorical', d: 'categorical' } });
    expect(profile(r, 'b')).toMatchObject({ role: 'empty', missing: 2 });
    expect(cells(column(r, 'c'))).toEqual(['5', '6']);
    expect(column(r, 'd').type).toBe('categorical');
    const forced = await ingestText('f\n1\n0\n1\n', { types: { f: 'boolean' } });
    expect(column(forced, 'f')).toMatchObject({ type: 'boolean', labels: ['0', '1'] });
    const numeric = await ingestText('n\n1\n2\n', { types: { n: 'numeric' } });
    expect(cells(column(numeric, 'n'))).toEqual([1, 2]);
  });

  it('replaces the missing tokens when given, matching them case-insensitively; the empty field stays missing', async () => {
    const r = await ingestText('a,b\nunknown,NA\nUNKNOWN,x\n,y\n5,z\n', { missing: ['unknown'] });
    expect(cells(column(r, 'a'))).toEqual([null, null, null, 5]);
    expect(cells(column(r, 'b'))).toEqual(['NA', 'x', 'y', 'z']);
    expect(r.stats?.missingTokens).toEqual({ '': 1, unknown: 2 });
  });
});

describe('column roles', () => {
  const n = 30;
  const text = `id,name,const,constNA,val,score,PassengerId\n${lines(n, (i) => `${i + 1},person ${i},k,${i % 2 ? 'k' : ''},${i % 5},${(i * 7) % n},${(i * 13) % n}`)}`;

  it('marks identifiers, constants and empty columns, and keeps the rest as features', async () => {
    const r = await ingestText(text, { ignore: ['val'] });
    expect(profile(r, 'id')).toMatchObject({ role: 'identifier', note: expect.stringMatching(/file order/) });
    expect(profile(r, 'name')).toMatchObject({ role: 'identifier', distinct: n });
    expect(profile(r, 'const')).toMatchObject({ role: 'constant', distinct: 1 });
    // one value plus missing cells: whether it is there may carry information
    expect(profile(r, 'constNA')).toMatchObject({ role: 'feature', distinct: 1, missing: n / 2 });
    expect(profile(r, 'val').role).toBe('ignored');
    // all distinct whole numbers in shuffled order: a feature, unless named like an id
    expect(profile(r, 'score').role).toBe('feature');
    expect(profile(r, 'PassengerId').role).toBe('identifier');
    expect(r.warnings.some((w) => /'id' is not a feature/.test(w))).toBe(true);
  });

  it('calls nothing an identifier in a table of fewer than 20 rows', async () => {
    const r = await ingestText(`id,name\n${lines(10, (i) => `${i},n${i}`)}`);
    expect(r.profile.map((p) => p.role)).toEqual(['feature', 'feature']);
  });

  it('a profile echoes at most 200 characters of a value (issue 29: ten 1 MB values were echoed whole)', async () => {
    const big = (i: number) => `${String.fromCharCode(97 + i)}${'x'.repeat(1024 * 1024)}`;
    const r = await ingestText(`k,n\n${lines(20, (i) => `${big(i % 10)},${i}`)}`, { maxFieldBytes: 2 * 1024 * 1024 });
    const top = profile(r, 'k').top!;
    expect(top.length).toBeGreaterThan(1);
    for (const t of top) expect(t.value.length).toBeLessThanOrEqual(200);
    expect(top[0].value.endsWith('…')).toBe(true);
    expect(JSON.stringify(r.profile).length).toBeLessThan(20_000);
  });

  it('profiles numbers with min, max, mean, std and text with its top values', async () => {
    const r = await ingestText('x,c\n1,a\n2,b\n3,a\nNA,a\n');
    expect(profile(r, 'x')).toMatchObject({ min: 1, max: 3, mean: 2, std: 1, missing: 1, distinct: 3 });
    expect(profile(r, 'c').top).toEqual([{ value: 'a', count: 3 }, { value: 'b', count: 1 }]);
  });
});

describe('distinct counts', () => {
  it('counts exactly with a hash set and estimates within 5 % with HyperLogLog', () => {
    const rng = new Rng(11);
    for (const distinct of [10, 3000, 50000, 150000]) {
      // every value of 0..distinct-1 (× 0.37) once, then repeats, then one missing value
      const values = new Float64Array(200001);
      for (let i = 0; i < 200000; i++) values[i] = (i < distinct ? i : rng.int(distinct)) * 0.37;
      values[200000] = NaN;
      expect(countDistinct(values)).toBe(distinct);
      expect(Math.abs(estimateDistinct(values) - distinct) / distinct).toBeLessThan(0.05);
    }
  });

  it('marks estimates in the profile, and stays exact for ids and monotone columns', async () => {
    const n = 120000;
    const r = await ingestText(`a,b,c_id\n${lines(n, (i) => `${(i * 7919) % n}.5,${i},${(i * 31) % n}`)}`);
    expect(profile(r, 'a')).toMatchObject({ distinct: expect.any(Number), distinctApprox: true });
    expect(Math.abs(profile(r, 'a').distinct - n) / n).toBeLessThan(0.05);
    expect(profile(r, 'b')).toMatchObject({ distinct: n, role: 'identifier' });
    expect(profile(r, 'b').distinctApprox).toBeUndefined();
    expect(profile(r, 'c_id')).toMatchObject({ distinct: n, role: 'identifier' });
  });
});

describe('targets', () => {
  it('infers classification for text, booleans and few whole numbers; regression otherwise', async () => {
    const base = await ingestText(`t,b,k,r,f\n${lines(40, (i) => `c${i % 3},${i % 2 ? 'Yes' : 'No'},${i % 4},${i * 10},${i / 3}`)}`);
    expect(withTarget(base, 't').target).toMatchObject({ task: 'classification', inferred: true });
    expect(withTarget(base, 'b').target?.classes).toEqual([{ label: 'No', count: 20 }, { label: 'Yes', count: 20 }]);
    expect(withTarget(base, 'k').target?.task).toBe('classification');
    expect(withTarget(base, 'r').target?.task).toBe('regression');
    expect(withTarget(base, 'f').target?.task).toBe('regression');
    expect(withTarget(base, 'k', 'regression').target).toMatchObject({ task: 'regression', inferred: false });
  });

  it('drops and counts rows whose target is missing, and re-profiles what is left', async () => {
    const r = await ingestText('x,y\n1,a\n2,NA\n3,b\n4,\n5,a\n', { target: 'y' });
    expect(r.table.nRows).toBe(3);
    expect(cells(column(r, 'x'))).toEqual([1, 3, 5]);
    expect(r.target).toMatchObject({ droppedRows: 2, classes: [{ label: 'a', count: 2 }, { label: 'b', count: 1 }] });
    expect(profile(r, 'x')).toMatchObject({ min: 1, max: 5, distinct: 3 });
    expect(r.warnings).toContain("dropped 2 rows whose target 'y' is missing");
  });
});

describe('issue 30: columns of mostly numbers with a few codes that are not', () => {
  // a hospital's diagnosis codes: mostly numbers ("250.83"), some V and E codes
  const NUMBERS = ['250.83', '428', '414', '276', '250.01', '427', '786'];
  const diag = (i: number, shift: number): string => (i % 40 === 7 + shift ? ['V57', 'E812', 'V45'][(i >> 3) % 3] : NUMBERS[(i + shift) % NUMBERS.length]);
  const hospital = (n: number): string => `age,diag_1,diag_2,days\n${lines(n, (i) => `${20 + (i % 60)},${diag(i, 0)},${diag(i, 1)},${1 + (i % 14)}`)}`;
  const warningOf = (r: IngestResult, name: string): string => {
    const found = r.warnings.filter((w) => w.startsWith(`column '${name}' (#`));
    expect(found).toHaveLength(1);
    return found[0];
  };

  it('issue 30: a column of mostly numbers with stray codes ingests as categorical, with a warning naming it, the count, examples and the fix', async () => {
    const r = await ingestText(hospital(400));
    const c = column(r, 'diag_1');
    expect(c.type).toBe('categorical');
    expect(cells(c).slice(0, 8)).toEqual(['250.83', '428', '414', '276', '250.01', '427', '786', 'V57']);
    const w = warningOf(r, 'diag_1');
    // which column, how many of how many, a few spellings with the first line, the reading chosen
    expect(w).toMatch(/^column 'diag_1' \(#2\) holds numbers \(390 of 400 values\) and 10 values that are not \(3 spellings: "V57", "V45", "E812"; first on line 9\): read as categorical/);
    // the way back to numbers: the values must be missing, since forcing numeric refuses them
    expect(w).toMatch(/correct them in the file, or add them to the missing tokens \(missing: \[\.\.\., "V57", "V45", "E812"\]\); types: \{"diag_1": 'numeric'\} alone refuses them$/);
    expect(profile(r, 'diag_1')).toMatchObject({ type: 'categorical', role: 'feature', distinct: 10, missing: 0 });
    expect(column(r, 'age').type).toBe('numeric');
  });

  it('issue 30: the old "stray words" cases ingest: a number column with one word, a date column with one word', async () => {
    // formerly STRAY_TEXT on line 57 and line 32
    const ages = await ingestText(`age,x\n${lines(100, (i) => (i === 55 ? 'unknown,1' : `${20 + (i % 50)},1`))}`);
    expect(column(ages, 'age').type).toBe('categorical');
    expect(warningOf(ages, 'age')).toMatch(/holds numbers \(99 of 100 values\) and 1 value that is not \(1 spelling: "unknown"; first on line 57\)/);
    const dates = await ingestText(`d,x\n${lines(60, (i) => (i === 30 ? 'soon,1' : `2020-01-${String(1 + (i % 28)).padStart(2, '0')},1`))}`);
    expect(column(dates, 'd').type).toBe('categorical');
    expect(warningOf(dates, 'd')).toMatch(/holds dates \(59 of 60 values\).*"soon"; first on line 32\).*read it as dates.*types: \{"d": 'datetime'\} alone refuses them/);
    // a long stray value is cut short in the warning
    const long = await ingestText(`n\n${lines(40, (i) => (i === 3 ? 'x'.repeat(500) : String(i)))}`);
    expect(warningOf(long, 'n')).toContain(`"${'x'.repeat(37)}..."`);
    expect(warningOf(long, 'n').length).toBeLessThan(600);
  });

  it('issue 30: two such columns are both named in the warnings of one ingest; past ten, the rest are named in one line', async () => {
    const r = await ingestText(hospital(400));
    expect(warningOf(r, 'diag_1')).toMatch(/^column 'diag_1'/);
    expect(warningOf(r, 'diag_2')).toMatch(/^column 'diag_2' \(#3\) holds numbers \(390 of 400 values\) and 10 values/);
    // a mostly-numbers column below 95 % stays categorical without a warning, as before
    expect(r.warnings.some((w) => /'age'|'days'/.test(w))).toBe(false);
    const wide = await ingestText(`${Array.from({ length: 12 }, (_, k) => `c${k}`).join(',')}\n${lines(30, (i) => Array.from({ length: 12 }, () => (i === 4 ? 'V57' : String(i))).join(','))}`);
    const notes = wide.warnings.filter((w) => /read as categorical/.test(w));
    expect(notes).toHaveLength(11);
    expect(notes[10]).toBe("2 more columns of mostly numbers or dates were read as categorical the same way: 'c10', 'c11'");
  });

  it('issue 30: forcing numeric on columns with text names every such column in one STRAY_TEXT', async () => {
    const e = await rejection(ingestText(hospital(400), { types: { diag_1: 'numeric', diag_2: 'numeric' } }), 'STRAY_TEXT');
    expect(e.message).toMatch(/^2 columns hold values their type cannot: \(1\) line 9: column 'diag_1' \(#2\) is forced to numeric, but 10 values are not numbers \("V57", "V45", "E812"\)/);
    expect(e.message).toMatch(/\(2\) line 10: column 'diag_2' \(#3\) is forced to numeric, but 10 values are not numbers/);
    expect(e.message).toContain(`types: {"diag_2": 'categorical'}`);
    expect(e.data).toMatchObject({
      line: 9,
      column: 'diag_1',
      value: 'V57',
      columns: [
        { column: 'diag_1', line: 9, value: 'V57', count: 10 },
        { column: 'diag_2', line: 10, value: 'E812', count: 10 },
      ],
    });
    // one forced, one not: the error also says what the next upload will read as categorical
    const one = await rejection(ingestText(hospital(400), { types: { diag_1: 'numeric' } }), 'STRAY_TEXT');
    expect(one.message).toMatch(/^line 9: column 'diag_1' \(#2\) is forced to numeric.*Once this is fixed, column 'diag_2' will be read as categorical/);
    // more spellings than the three quoted: the list ends in "..."
    const many = await rejection(ingestText(`k\n${lines(10, (i) => `V${i}`)}`, { types: { k: 'numeric' } }), 'STRAY_TEXT');
    expect(many.message).toContain('10 values are not numbers ("V0", "V1", "V2", ...)');
  });

  it('issue 30: text after more than 4,096 distinct numbers is refused at the end, naming every such column', async () => {
    // the reader keeps no spellings past 4,096 distinct numbers, so it cannot read these as categorical
    const text = `v,w,z\n${lines(5000, (i) => `${i * 1.5},${i * 2.5},${i % 3}`)}oops,n/a!,1\n${lines(3, (i) => `${i},oops,${i}`)}`;
    const e = await rejection(ingestText(text), 'STRAY_TEXT');
    expect(e.message).toMatch(/^2 columns .*\(1\) line 5,002: column 'v' \(#1\) held only numbers for more than 4,096 distinct values, but 1 value is not a number \("oops"\)/);
    expect(e.message).toMatch(/\(2\) line 5,002: column 'w' \(#2\) .* but 4 values are not numbers \("n\/a!", "oops"\)/);
    expect((e.data?.columns as unknown[]).length).toBe(2);
  });

  it('issue 30: a categorical column of thousands of codes is profiled, encoded for training and predicted by column name', async () => {
    // 3,000 distinct numeric codes and a few V codes: more than one-hot takes (frequency encoding)
    const n = 6000;
    const code = (i: number): string => (i % 500 === 9 ? `V${i % 7}` : String(100 + (i % 3000) / 4));
    const r = await ingestText(`code,y\n${lines(n, (i) => `${code(i)},${i % 2 ? 'yes' : 'no'}`)}`);
    const c = column(r, 'code');
    expect(c.type).toBe('categorical');
    // 3,000 numbers less the 6 whose both rows hold a V code instead, and 7 V codes
    expect(profile(r, 'code')).toMatchObject({ role: 'feature', distinct: 3001 });
    const spec = fitEncoder(r.table, r.profile, 'y');
    expect(featureInfo(spec)).toEqual([{ name: 'code', kind: 'categorical', cardinality: (c as { categories: string[] }).categories.length }]);
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const x = encodeTable(spec, r.table, rows);
    const dense = fitDense(x, featureInfo(spec));
    expect(dense.columns[0].kind).toBe('frequency');
    // by column name at predict time: a code as text or as a number, a V code, an unseen one
    const at = (value: string): number => x.data[cells(c).indexOf(value)];
    const out = new RowEncoder(spec).encode([{ code: '100.25' }, { code: 100.25 }, { code: 'V2' }, { code: 'V99' }]);
    expect(Array.from(out.x.data.subarray(0, 3))).toEqual([at('100.25'), at('100.25'), at('V2')]);
    expect(Number.isNaN(out.x.data[3])).toBe(true);
    expect(out.warnings).toEqual(["column 'code': unseen values treated as missing: V99"]);
    // a prediction file whose codes are all numbers is read numeric: encoded by spelling all the same
    const file = await ingestText('code\n100.25\n101\n');
    expect(Array.from(encodeFile(spec, file.table).x.data)).toEqual([at('100.25'), at('101')]);
  });
});
