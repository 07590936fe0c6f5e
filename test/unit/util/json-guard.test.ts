/** Issue 17: the depth check over raw JSON text and the bounded copy of error data. */
import { boundedData, checkJsonDepth, jsonDepth, parseJson } from '../../../lib/util/json-guard';

describe('jsonDepth', () => {
  it('counts nesting of objects and arrays, skipping brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":[1,{"b":2}]}')).toBe(3);
    expect(jsonDepth('{"a":"[[[{{{"}')).toBe(1);
    expect(jsonDepth('{"a":"\\"[[[\\\\"}')).toBe(1);
    expect(jsonDepth(Buffer.from('[[],[[]]]'))).toBe(3);
  });

  it('stops as soon as the limit is passed', () => {
    const n = 1_000_000;
    expect(jsonDepth('['.repeat(n), 32)).toBe(33);
    expect(() => checkJsonDepth('['.repeat(40))).toThrow(/more than 32 levels/);
    expect(() => checkJsonDepth('[[1]]')).not.toThrow();
  });

  it('parseJson names syntax errors as BAD_JSON and depth as JSON_TOO_DEEP', () => {
    expect(parseJson('{"a":1}')).toEqual({ a: 1 });
    expect(() => parseJson('{"a":')).toThrow(expect.objectContaining({ code: 'BAD_JSON' }));
    expect(() => parseJson('['.repeat(100) + ']'.repeat(100))).toThrow(expect.objectContaining({ code: 'JSON_TOO_DEEP' }));
  });
});

describe('boundedData', () => {
  it('keeps small data as it is', () => {
    const data = [{ type: 'string', field: 'path', actual: 3 }];
    expect(boundedData(data)).toEqual(data);
  });

  it('cuts depth, width and long strings, and survives cycles and throwing getters', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    const hostile = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('no'); } });
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const out = boundedData({ deep, cyclic, hostile, wide, long: 'x'.repeat(10_000), list: Array.from({ length: 1000 }, (_, i) => i) });
    const text = JSON.stringify(out);
    expect(text.length).toBeLessThan(3000);
    expect(Object.keys((out as { wide: object }).wide)).toHaveLength(21);
    expect((out as { list: unknown[] }).list).toHaveLength(21);
    expect(((out as { long: string }).long).length).toBe(200);
  });
});
