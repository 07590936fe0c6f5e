import { gzipSync } from 'node:zlib';
import { cells, ingestText } from './helpers';

const col = (r: Awaited<ReturnType<typeof ingestText>>, name: string) => {
  const c = r.table.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name}`);
  return cells(c);
};

describe('dialect detection', () => {
  it.each([
    [',', 'a,b,c\n1,x,2.5\n2,y,3.5\n'],
    [';', 'a;b;c\n1;x;2,5\n2;y;3,5\n'],
    ['\t', 'a\tb\tc\n1\tx\t2.5\n2\ty\t3.5\n'],
    ['|', 'a|b|c\n1|x|2.5\n2|y|3.5\n'],
  ])('finds the delimiter %j', async (delimiter, text) => {
    const r = await ingestText(text);
    expect(r.dialect.delimiter).toBe(delimiter);
    expect(r.table.columns.map((c) => c.name)).toEqual(['a', 'b', 'c']);
    expect(col(r, 'a')).toEqual([1, 2]);
    expect(col(r, 'b')).toEqual(['x', 'y']);
  });

  it("prefers ';' over decimal commas, because the header has no commas", async () => {
    const r = await ingestText('temp;rain\n1,5;0,2\n2,5;0,4\n3,5;0,1\n');
    expect(r.dialect.delimiter).toBe(';');
    // decimal commas are not numbers here: the columns stay text (documented)
    expect(col(r, 'temp')).toEqual(['1,5', '2,5', '3,5']);
  });

  it('ignores delimiters inside quotes, doubled quotes, and newlines inside quoted fields', async () => {
    const text = 'id,name,note\r\n1,"Braund, Mr. Owen",plain\r\n2,"say ""hi""","two\r\nlines"\r\n3,x,\r\n';
    const r = await ingestText(text);
    expect(r.dialect).toMatchObject({ delimiter: ',', lineEnding: 'crlf', header: true });
    expect(col(r, 'name')).toEqual(['Braund, Mr. Owen', 'say "hi"', 'x']);
    expect(col(r, 'note')).toEqual(['plain', 'two\r\nlines', null]);
    expect(r.stats?.lines).toBe(5);
  });

  it("detects single quotes when they open fields and double quotes never appear", async () => {
    const r = await ingestText("a,b\n'x, y',1\n'z',2\n");
    expect(r.dialect.quote).toBe("'");
    expect(col(r, 'a')).toEqual(['x, y', 'z']);
  });

  it('takes a first row holding numbers or dates for data, not a header', async () => {
    const r = await ingestText('5.1,3.5,Iris-setosa\n4.9,3.0,Iris-setosa\n6.3,2.9,Iris-virginica\n');
    expect(r.dialect.header).toBe(false);
    expect(r.table.columns.map((c) => c.name)).toEqual(['column_1', 'column_2', 'column_3']);
    expect(col(r, 'column_1')).toEqual([5.1, 4.9, 6.3]);
    const forced = await ingestText('5.1,3.5\n4.9,3.0\n', { header: true });
    expect(forced.table.columns.map((c) => c.name)).toEqual(['5.1', '3.5']);
    expect(forced.table.nRows).toBe(1);
  });

  it('strips a UTF-8 BOM and reads UTF-8 text', async () => {
    const r = await ingestText('\uFEFFcity,temp\nZürich,12\nSão Paulo,25\n東京,18\n');
    expect(r.dialect.bom).toBe(true);
    expect(r.table.columns[0].name).toBe('city');
    expect(col(r, 'city')).toEqual(['Zürich', 'São Paulo', '東京']);
  });

  it('reads CR-only line endings, mixed endings, blank lines and surrounding spaces', async () => {
    const cr = await ingestText('a,b\r1,2\r3,4\r');
    expect(cr.dialect.lineEnding).toBe('cr');
    expect(col(cr, 'b')).toEqual([2, 4]);
    const mixed = await ingestText('\n\n a , b \n 1 , "x y" \r\n\n   \n2,z\r3,w');
    expect(mixed.table.columns.map((c) => c.name)).toEqual(['a', 'b']);
    expect(col(mixed, 'a')).toEqual([1, 2, 3]);
    expect(col(mixed, 'b')).toEqual(['x y', 'z', 'w']);
    expect(mixed.stats?.blankLines).toBe(4);
    expect(mixed.warnings).toContain('skipped 4 blank lines');
  });

  it('keeps surrounding spaces with trim: false', async () => {
    const r = await ingestText('a,b\n x , y\n z ,w\n', { trim: false });
    expect(col(r, 'a')).toEqual([' x ', ' z ']);
    expect(col(r, 'b')).toEqual([' y', 'w']);
  });

  it('keeps a quote inside an unquoted field as written', async () => {
    const r = await ingestText('name,height\nbob,5\'11"\nann,6\'0"\n');
    expect(col(r, 'height')).toEqual(['5\'11"', '6\'0"']);
  });

  it('reads gzip input, detected by its magic bytes', async () => {
    const text = 'a,b\n1,x\n2,y\n';
    const r = await ingestText(gzipSync(Buffer.from(text)), {}, 5);
    expect(r.dialect.gzip).toBe(true);
    expect(col(r, 'b')).toEqual(['x', 'y']);
    expect(r.stats?.textBytes).toBe(text.length);
    expect(r.bytes).toBe(gzipSync(Buffer.from(text)).length);
  });

  it('names unnamed header columns and tells the user', async () => {
    const r = await ingestText(',a,\n1,2,3\n4,5,6\n');
    expect(r.table.columns.map((c) => c.name)).toEqual(['column_1', 'a', 'column_3']);
    expect(r.warnings.join('\n')).toMatch(/unnamed columns.*'column_1' or 'column_3'/);
  });

  it('honours explicit options over detection', async () => {
    const r = await ingestText('a|b;c\n1|2;3\n', { delimiter: ';', header: true, quote: "'" });
    expect(r.dialect).toMatchObject({ delimiter: ';', quote: "'" });
    expect(r.table.columns.map((c) => c.name)).toEqual(['a|b', 'c']);
  });

  it('handles a file without a final newline and a last empty field', async () => {
    const r = await ingestText('a,b\n1,2\n3,');
    expect(col(r, 'b')).toEqual([2, null]);
  });
});
