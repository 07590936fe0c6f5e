/**
 * Issue 11, in a real Chromium: a page served from another port (another origin) tries what a
 * hostile site would — a DELETE (preflighted), a multipart upload and a `text/plain` fetch with
 * `no-cors`, and a plain HTML form POST that activates an old model version. None of them changes
 * anything. The same requests from a page of an origin listed in CORS_ORIGINS do go through, so the
 * test would see a guard that refuses everything, and one that refuses nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { bodyOf } from '../helpers/http';
import { startNode, waitFor, waitForJob, type TestNode } from '../helpers/broker';
import { chromiumAvailable, launchChromium } from '../helpers/browser';

const run = chromiumAvailable() ? describe : describe.skip; // skip reason printed by chromiumAvailable()

/** A page server on a free loopback port: every path answers an empty HTML page. */
async function pageServer(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>another site</title><body></body>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** What the page does, in the browser: every attempt, with what the page could see of it. */
async function attack(page: Page, api: string, dataset: string, oldVersion: string): Promise<Record<string, string>> {
  return page.evaluate(
    async ({ api, dataset, oldVersion }) => {
      const seen: Record<string, string> = {};
      const attempt = async (name: string, run: () => Promise<Response>) => {
        try {
          const res = await run();
          seen[name] = res.type === 'opaque' ? 'opaque' : String(res.status);
        } catch (err) {
          seen[name] = `blocked: ${(err as Error).name}`;
        }
      };
      await attempt('delete', () => fetch(`${api}/datasets/${dataset}`, { method: 'DELETE' }));
      const form = new FormData();
      form.append('name', 'planted');
      form.append('file', new Blob(['a,b\n1,2\n3,4\n'], { type: 'text/csv' }), 'planted.csv');
      await attempt('upload', () => fetch(`${api}/datasets`, { method: 'POST', body: form, mode: 'no-cors' }));
      await attempt('activate', () =>
        fetch(`${api}/models/${oldVersion}/activate`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' }, mode: 'no-cors' }),
      );
      return seen;
    },
    { api, dataset, oldVersion },
  );
}

/** A plain HTML form posted by the page (no script can stop a browser sending this). */
async function formPost(page: Page, action: string): Promise<void> {
  await page.evaluate((action) => {
    // runs in the page (the test's TypeScript has no DOM types)
    const document = (globalThis as unknown as { document: { createElement(t: string): any; body: { appendChild(e: unknown): void } } }).document;
    const f = document.createElement('form');
    f.method = 'POST';
    f.action = action;
    f.enctype = 'text/plain';
    const i = document.createElement('input');
    i.name = 'x';
    i.value = 'y';
    f.appendChild(i);
    document.body.appendChild(f);
    f.submit();
  }, action);
  await page.waitForLoadState('load');
}

run('cross-origin requests from a real browser page (issue 11)', () => {
  let node: TestNode;
  let browser: Browser;
  let evil: { origin: string; close(): Promise<void> };
  let friend: { origin: string; close(): Promise<void> };
  let api: string;
  let dataset: string;
  let versions: string[];

  const datasetNames = async () => (await bodyOf(await fetch(`${api}/datasets`))).map((d: { name: string }) => d.name).sort();

  beforeAll(async () => {
    [evil, friend] = await Promise.all([pageServer(), pageServer()]);
    node = await startNode({ env: { CORS_ORIGINS: friend.origin, ACTIVATION: 'always', TRAINER_WORKERS: '1' } });
    api = `${node.url}/api`;
    const ingest = await fetch(`${api}/datasets/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'iris.csv' }),
    });
    dataset = (await bodyOf(ingest)).id;
    versions = [];
    for (const seed of [1, 2]) {
      const started = await bodyOf(
        await fetch(`${api}/trainings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ dataset, target: 'class', shards: 1, seed, model: { kind: 'forest', params: { nEstimators: 5 } } }),
        }),
      );
      const job = await waitForJob(node.broker, started.id);
      versions.push(job.version);
    }
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await node?.stop();
    await evil?.close();
    await friend?.close();
  });

  const activeVersion = async (): Promise<string> => {
    const list = await bodyOf(await fetch(`${api}/models/active`));
    return (Array.isArray(list) ? list : Object.values(list)).map((a: { version?: string }) => a.version ?? a).join(',');
  };

  it('a page of another origin changes nothing: preflighted DELETE, no-cors upload and activate, a form POST', async () => {
    expect(await activeVersion()).toBe(versions[1]);
    const before = await datasetNames();
    const page = await browser.newPage();
    try {
      await page.goto(`${evil.origin}/`);
      const seen = await attack(page, api, dataset, versions[0]);
      expect(seen.delete).toMatch(/^blocked/); // the preflight was refused, the DELETE never sent
      // Sent (simple requests) and refused 403 by the origin guard; since issue 29 the browser also withholds
      // even the opaque answer from the page (Cross-Origin-Resource-Policy: same-origin). The state checks below show nothing changed.
      expect(seen.upload).toMatch(/^blocked/);
      expect(seen.activate).toMatch(/^blocked/);
      await page.goto(`${evil.origin}/`);
      await formPost(page, `${api}/models/${versions[0]}/activate`);
      expect(await page.textContent('body')).toContain('CROSS_ORIGIN_FORBIDDEN');
    } finally {
      await page.close();
    }
    expect(await datasetNames()).toEqual(before);
    expect(await activeVersion()).toBe(versions[1]);
    expect((await fetch(`${api}/datasets/${dataset}`)).status).toBe(200);
  });

  it('a page of a listed origin (CORS_ORIGINS) can do the same: the guard tells the two apart', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${friend.origin}/`);
      const status = await page.evaluate(async ({ api, v }) => (await fetch(`${api}/models/${v}/activate`, { method: 'POST' })).status, {
        api,
        v: versions[0],
      });
      expect(status).toBe(200);
      await waitFor(async () => (await activeVersion()) === versions[0], 'the activation', 10_000);
      const del = await page.evaluate(async ({ api, id }) => (await fetch(`${api}/datasets/${id}`, { method: 'DELETE' })).status, { api, id: dataset });
      expect(del).toBe(200);
      expect((await fetch(`${api}/datasets/${dataset}`)).status).toBe(404);
    } finally {
      await page.close();
    }
  });
});
