/** Issue 17: the depth check over raw JSON text and the bounded copy of error data. */
import { boundedData, checkJsonDepth, findPrototypeKey, jsonDepth, parseJson, scanJson } from '../../../lib/util/json-guard';

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

describe('prototype keys (issue 29)', () => {
  it.each([
    ['{"__proto__":{"shards":1000}}', '__proto__'],
    ['{"a":[{"constructor":{"prototype":1}}]}', 'constructor'],
    ['{"model":{"params":{"prototype" : 2}}}', 'prototype'],
    ['{"__pro\\u0074o__":{}}', '__proto__'],
    ['{"\\u005f_proto__" \n:1}', '__proto__'],
  ])('%s is refused naming the key', (text, key) => {
    expect(scanJson(text).prototypeKey).toBe(key);
    expect(() => parseJson(text)).toThrow(expect.objectContaining({ code: 'PROTOTYPE_KEY', message: expect.stringContaining(key) }));
    expect(() => checkJsonDepth(Buffer.from(text))).toThrow(expect.objectContaining({ code: 'PROTOTYPE_KEY' }));
  });

  it('the same words as values, or inside longer keys, are data', () => {
    for (const text of ['{"name":"__proto__"}', '["constructor"]', '{"my_constructor":1,"prototypes":2}', '{"a":"\\"__proto__\\":1"}']) {
      expect(scanJson(text).prototypeKey).toBeUndefined();
      expect(() => parseJson(text)).not.toThrow();
    }
  });

  it('findPrototypeKey sees own keys at any depth, and a prototype replaced by a merge', () => {
    expect(findPrototypeKey(JSON.parse('{"a":{"b":[{"__proto__":1}]}}'))).toBe('a.b.0.__proto__');
    const merged = Object.assign({}, JSON.parse('{"__proto__":{"shards":1000}}'));
    expect((merged as { shards?: number }).shards).toBe(1000);
    expect(findPrototypeKey(merged)).toBe('__proto__');
    expect(findPrototypeKey({ a: [1, { b: 'constructor' }], d: new Date(0) })).toBeNull();
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
    const hostile = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get: () => {
        throw new Error('no');
      },
    });
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const out = boundedData({ deep, cyclic, hostile, wide, long: 'x'.repeat(10_000), list: Array.from({ length: 1000 }, (_, i) => i) });
    const text = JSON.stringify(out);
    expect(text.length).toBeLessThan(3000);
    expect(Object.keys((out as { wide: object }).wide)).toHaveLength(21);
    expect((out as { list: unknown[] }).list).toHaveLength(21);
    expect((out as { long: string }).long.length).toBe(200);
  });
});
