/**
 * Unknown keys are refused at the boundary (issues 11, 12), never ignored: generated from the
 * gateway's route list, every route that calls an action gets a request with a key no action
 * declares — in the query, and for JSON routes in the body — and answers 400 UNKNOWN_KEY naming it
 * and the valid keys. Nested objects (`preprocess`) and the streamed JSON prediction too.
 */
import ApiService from '../../services/api.service';
import { findUnknownKey } from '../../services/mixins/unknown-keys';
import { bodyOf } from '../helpers/http';
import { startNode, type TestNode } from '../helpers/broker';

interface Route {
  path: string;
  bodyParsers?: unknown;
  aliases: Record<string, unknown>;
}

const actionRoutes = () =>
  (ApiService.settings as { routes: Route[] }).routes.flatMap((r) =>
    Object.entries(r.aliases)
      .filter(([, target]) => typeof target === 'string')
      .map(([alias]) => {
        const [method, rest] = alias.split(' ');
        const sub = rest === '/' ? '' : `/${rest.replace(':id', 'whatever').replace(':version', 'whatever-v1')}`;
        return { method, url: `${r.path}${sub}`, json: !!r.bodyParsers && method === 'POST' };
      }),
  );

describe('unknown keys (issues 11, 12)', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(() => node.stop());

  it('findUnknownKey follows nested props and ignores $$ options', () => {
    const schema = { $$strict: true, a: 'string', p: { type: 'object', props: { x: 'number' } } };
    expect(findUnknownKey(schema, { a: '1', p: { x: 1 } })).toBeNull();
    expect(findUnknownKey(schema, { a: '1', b: 2 })).toEqual({ path: 'b', valid: ['a', 'p'] });
    expect(findUnknownKey(schema, { p: { x: 1, y: 2 } })).toEqual({ path: 'p.y', valid: ['x'] });
    expect(findUnknownKey(undefined, { z: 1 })).toEqual({ path: 'z', valid: [] });
    expect(findUnknownKey(undefined, {})).toBeNull();
  });

  it.each(actionRoutes())('$method $url refuses an unknown query key', async ({ method, url, json }) => {
    const res = await fetch(`${node.url}${url}?zzUnknownKey=1`, { method, ...(json ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}) });
    const err = await bodyOf(res);
    expect([res.status, err.type]).toEqual([400, 'UNKNOWN_KEY']);
    expect(err.message).toContain("unknown key 'zzUnknownKey'");
  });

  it.each(actionRoutes().filter((r) => r.json))('$method $url refuses an unknown body key', async ({ method, url }) => {
    const res = await fetch(`${node.url}${url}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ zzUnknownKey: 1 }) });
    expect((await bodyOf(res)).type).toBe('UNKNOWN_KEY');
  });

  it('a training with a misspelt key or an unknown preprocess key: 400 naming it and the valid keys, no job', async () => {
    const post = (body: unknown) =>
      fetch(`${node.url}/api/trainings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const shard = await bodyOf(await post({ dataset: 'x', target: 'class', shard: 2 }));
    expect(shard).toMatchObject({
      type: 'UNKNOWN_KEY',
      message: expect.stringContaining("unknown key 'shard' for POST /api/trainings: valid keys: dataset, target"),
    });
    expect(shard.message).toContain('shards');
    const pre = await bodyOf(await post({ dataset: 'x', target: 'class', preprocess: { imputation: 'mean', fill: 0 } }));
    expect(pre.message).toBe("unknown key 'fill' in 'preprocess' for POST /api/trainings: valid keys in 'preprocess': imputation, fillValue, maxOneHot");
    expect(await bodyOf(await fetch(`${node.url}/api/trainings`))).toEqual([]);
  });

  it('the streamed JSON prediction refuses an unknown key too', async () => {
    const res = await fetch(`${node.url}/api/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ a: 1 }], votes: 'hard' }),
    });
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).message).toContain("unknown key 'votes' for POST /api/predict: valid keys: rows, name, version, voting");
  });

  it('a validation error names the problem instead of "Parameters validation error!"', async () => {
    const res = await fetch(`${node.url}/api/trainings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: 'x', target: 'class', shards: 100000 }),
    });
    expect(res.status).toBe(422);
    expect((await bodyOf(res)).message).toBe("invalid request: The 'shards' field must be less than or equal to 1024.");
  });
});
