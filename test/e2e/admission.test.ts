/**
 * Issue 29: the concurrent-jobs limit holds under a burst. Fifty training requests sent at once to
 * a real process with MAX_CONCURRENT_JOBS 3 get exactly three 202s (the slot is taken before the
 * admission's first await); the rest get 429 TOO_MANY_JOBS naming the limit. Before the fix all
 * fifty were accepted. The running jobs are cancelled at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, waitFor } from '../helpers/broker';
import { bodyOf } from '../helpers/http';
import { freePort } from '../../fixtures/nats';
import { startProcess, type NodeProcess } from '../../fixtures/processes';

jest.setTimeout(120_000);

describe('admission under a burst (issue 29)', () => {
  let node: NodeProcess;
  let base: string;
  let state: string;

  beforeAll(async () => {
    state = mkdtempSync(path.join(os.tmpdir(), 'quorum-admission-'));
    const port = await freePort();
    node = startProcess('admission', {
      PORT: String(port),
      STATE_DIR: state,
      DATA_DIR: path.join(ROOT, 'data'),
      TRANSPORTER: '',
      TRAINER_WORKERS: '1',
      MAX_CONCURRENT_JOBS: '3',
      LOGLEVEL: 'warn',
    });
    await node.ready;
    base = `http://127.0.0.1:${port}/api`;
    await waitFor(async () => (await fetch(`${base}/health`).catch(() => undefined))?.ok === true, 'gateway up', 30_000, 100);
    expect(
      (
        await fetch(`${base}/datasets/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ path: 'letter-recognition.csv' }),
        })
      ).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await node?.kill();
    rmSync(state, { recursive: true, force: true });
  });

  it('50 requests at once: exactly MAX_CONCURRENT_JOBS are accepted', async () => {
    // A job that takes seconds (500 gbm rounds of 26 trees on one thread), so none ends during the burst.
    const body = JSON.stringify({ dataset: 'letter-recognition', target: 'lettr', shards: 1, model: { kind: 'gbm', params: { nEstimators: 500 } } });
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`${base}/trainings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => ({
          status: r.status,
          body: await bodyOf(r),
        })),
      ),
    );
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted).toHaveLength(3);
    const refused = answers.filter((a) => a.status !== 202);
    expect(new Set(refused.map((a) => `${a.status} ${a.body.type}`))).toEqual(new Set(['429 TOO_MANY_JOBS']));
    expect(refused[0].body.message).toContain('MAX_CONCURRENT_JOBS 3');
    expect((await bodyOf(await fetch(`${base}/trainings`))).length).toBe(3);
    for (const a of accepted) expect((await fetch(`${base}/trainings/${a.body.id}`, { method: 'DELETE' })).status).toBe(200);
  });
});
