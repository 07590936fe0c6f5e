/**
 * Issue 2: the REPL on a node (`npm run repl` = `quorum --repl`), driven through its stdin as a user
 * types: ingest, train, follow, predict, evaluate; a data-parallel gbm job (issue 13).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/broker';

describe('REPL (issue 2)', () => {
  let child: ChildProcessWithoutNullStreams;
  let out = '';
  const state = mkdtempSync(path.join(os.tmpdir(), 'quorum-repl-'));

  /** Sends a line and waits until the output (after it) matches. */
  async function type(line: string, expect: RegExp, timeoutMs = 30_000): Promise<string> {
    const from = out.length;
    child.stdin.write(`${line}\n`);
    const deadline = Date.now() + timeoutMs;
    while (!expect.test(out.slice(from))) {
      if (Date.now() > deadline) throw new Error(`no ${expect} after '${line}':\n${out.slice(from)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out.slice(from);
  }

  beforeAll(async () => {
    child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bin', 'quorum.js'), '--repl'], {
      cwd: ROOT,
      env: { ...process.env, STATE_DIR: state, DATA_DIR: path.join(ROOT, 'data'), PORT: '0', LOGLEVEL: 'warn', TRAINER_WORKERS: '1' },
    });
    // The REPL colours its output: compare the plain text.
    // eslint-disable-next-line no-control-regex -- ANSI colour escapes start with ESC (\x1b)
    const plain = (d: Buffer) => (out += d.toString().replace(/\x1b\[[0-9;]*m/g, ''));
    child.stdout.on('data', plain);
    child.stderr.on('data', plain);
    const deadline = Date.now() + 30_000;
    while (!/ up: /.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the node did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 40_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(state, { recursive: true, force: true });
  });

  it('ingests, trains, follows the job, predicts and evaluates from the REPL', async () => {
    expect(await type('call coordinator.ingest --path iris.csv', /rows: 150/)).toMatch(/name: 'iris'/);
    expect(await type('call coordinator.train --dataset iris --target class --shards 2', /status: 'preparing'/)).toMatch(/job-/);
    let jobs = '';
    for (let i = 0; i < 100 && !/status: 'completed'/.test(jobs); i++) {
      jobs = await type('call coordinator.jobs', /Response:[\s\S]*\]/);
      if (/status: 'failed'/.test(jobs)) throw new Error(jobs);
    }
    expect(jobs).toMatch(/status: 'completed'/);
    const predicted = await type('call inference.predict {"rows":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}', /label: '/);
    expect(predicted).toMatch(/label: 'Iris-setosa'/);
    expect(await type('call inference.evaluate --version iris-v1', /accuracy: /)).toMatch(/confusion/);
    // Issue 13: one gbm over both shards, followed round by round
    const started = await type(
      'call coordinator.train {"dataset":"iris","target":"class","mode":"data-parallel","shards":2,"model":{"kind":"gbm","params":{"nEstimators":20}}}',
      /status: 'preparing'/,
    );
    const id = /id: '(job-[^']+)'/.exec(started)![1];
    let job = '';
    for (let i = 0; i < 100 && !/status: 'completed'/.test(job); i++) {
      job = await type(`call coordinator.job --id ${id}`, /Response:[\s\S]*status: '\w+'/);
      if (/status: 'failed'/.test(job)) throw new Error(job);
    }
    expect(job).toMatch(/mode: 'data-parallel'/);
    expect(job).toMatch(/kind: 'gbm'/);
    // Unknown keys are refused here too, not only over HTTP
    expect(await type('call coordinator.train {"dataset":"iris","target":"class","shard":2}', /UNKNOWN_KEY|unknown key/)).toMatch(
      /unknown key 'shard' for action coordinator.train: valid keys: .*shards/,
    );
    await type('quit', /$/);
  }, 120_000);
});
