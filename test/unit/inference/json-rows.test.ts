/** Issue 29: a JSON prediction body read in slices gives what JSON.parse gives, and the same refusals. */
import { readJsonRows } from '../../../lib/inference/json-rows';

const read = (text: string, extra: Partial<Parameters<typeof readJsonRows>[1]> = {}) =>
  readJsonRows(Buffer.from(text), { maxRows: 1000, sliceBytes: 64, ...extra });

describe('readJsonRows', () => {
  it('equals JSON.parse for bodies of every shape of row, in slices far smaller than the body', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ a: i, b: `x,"]}${i}`, c: i % 3 ? null : [1, { d: '[' }], é: true }));
    const bodies = [
      { rows, name: 'iris', members: true },
      { name: 'iris', rows: [] },
      { rows: [1, 'two', [3], { four: 4 }, null, true] },
      { voting: 'hard', rows: [{}], strict: false },
    ];
    for (const body of bodies) {
      for (const text of [JSON.stringify(body), JSON.stringify(body, null, 2)]) {
        let pauses = 0;
        const got = await read(text, { pause: async () => void pauses++ });
        expect(got).toEqual(JSON.parse(text));
        if (text.length > 64 * 4) expect(pauses).toBeGreaterThan(2);
      }
    }
  });

  it('a body without a rows array parses whole when small; nested "rows" keys are not the top-level one', async () => {
    expect(await read('{"name":"x"}')).toEqual({ name: 'x' });
    expect(await read('{"a":{"rows":[1,2]},"rows":[3]}')).toEqual({ a: { rows: [1, 2] }, rows: [3] });
    expect(await read('[1,2]')).toEqual([1, 2]);
  });

  it('refuses too many rows before parsing any, a second rows array, prototype keys, depth and bad JSON', async () => {
    await expect(read(JSON.stringify({ rows: Array(1001).fill({}) }))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('at most 1000'),
    });
    await expect(read('{"rows":[{}],"rows":[{}]}')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining("'rows' twice") });
    await expect(read('{"rows":[{"__proto__":{"x":1}}]}')).rejects.toMatchObject({ code: 'PROTOTYPE_KEY' });
    await expect(read('{"rows":[{"a":1}],"constructor":{}}')).rejects.toMatchObject({ code: 'PROTOTYPE_KEY' });
    await expect(read(`{"rows":[${'['.repeat(40)}${']'.repeat(40)}]}`)).rejects.toMatchObject({ code: 'JSON_TOO_DEEP' });
    await expect(read('{"rows":[{"a":1},{"a":}]}')).rejects.toMatchObject({ code: 'BAD_JSON' });
    await expect(read('{"rows":[{"a":1}')).rejects.toMatchObject({ code: 'BAD_JSON' });
    await expect(read(`{"other":"${'x'.repeat(200)}"}`)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining("top-level 'rows'") });
  });
});
