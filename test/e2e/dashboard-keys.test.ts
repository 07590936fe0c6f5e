/**
 * Issue 11: the dashboard against a gateway with API keys, in a real Chromium. The page loads
 * without a key, asks for one on the first 401 (again after a wrong one), keeps it for the session
 * (a reload asks nothing), opens the live event stream with it and works with the role it has.
 */
import type { Browser, Page } from 'playwright-core';
import { startNode, type TestNode } from '../helpers/broker';
import { chromiumAvailable, launchChromium } from '../helpers/browser';

const run = chromiumAvailable() ? describe : describe.skip; // skip reason printed by chromiumAvailable()
const TRAIN = 'train-key-for-the-dashboard-test-1';
const ADMIN = 'admin-key-for-the-dashboard-test-1';

run('dashboard with API keys (issue 11)', () => {
  let node: TestNode;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    node = await startNode({ env: { API_KEYS: `train:${TRAIN},admin:${ADMIN}` } });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await node?.stop();
  });

  it('asks for a key, again after a wrong one, keeps it for the session and goes live with it', async () => {
    await page.goto(`${node.url}/`);
    await page.waitForSelector('#key-modal');
    expect(await page.textContent('#key-modal')).toContain('needs an API key');
    await page.fill('#key-input', 'wrong-key-of-no-one-at-all');
    await page.click('#key-modal button');
    await page.waitForSelector('#key-modal');
    expect(await page.textContent('#key-modal')).toContain('not one this gateway knows');
    await page.fill('#key-input', TRAIN);
    await page.click('#key-modal button');

    await page.waitForSelector('#live.ok'); // the event stream opened with ?key=
    await page.waitForSelector('.nodeCard');
    await page.click('button.file[data-path="iris.csv"]'); // ingesting needs the train role
    await page.waitForSelector('#datasets tbody tr[data-id]');

    await page.reload();
    await page.waitForSelector('#live.ok');
    await page.waitForSelector('#datasets tbody tr[data-id]');
    expect(await page.locator('#key-modal').count()).toBe(0);
    expect(
      await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('quorum.apiKey')),
    ).toBe(TRAIN);
    // 401s were answered by the modal; 403s are not expected for what the train role does
    expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
  }, 90_000);
});
