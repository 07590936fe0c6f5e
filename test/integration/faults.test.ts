/**
 * Issue 7: the cluster keeps working while nodes come and go — real processes over a real NATS
 * server, killed with SIGKILL mid-fit.
 */
import { waitFor } from '../helpers/broker';
import { Cluster } from '../../fixtures/cluster';
import { natsAvailable } from '../../fixtures/nats';

const run = natsAvailable() ? describe : describe.skip; // skip reason printed by natsAvailable()

/** Slow enough (a few seconds per shard on one thread) to be killed mid-fit. */
const SLOW_FOREST = { kind: 'forest', params: { nEstimators: 250 } };

run('trainers dying mid-fit (issue 7)', () => {
  const cluster = new Cluster();
  let dataset: string;

  beforeAll(async () => {
    await cluster.start();
    await cluster.node('core', 'api,coordinator,registry,inference');
    await Promise.all(['t1', 't2', 't3'].map((t) => cluster.node(t, 'trainer')));
    await cluster.trainers(3);
    dataset = (await cluster.api('POST', '/datasets/ingest', { path: 'letter-recognition.csv', name: 'letter' })).body.id;
  }, 90_000);

  afterAll(() => cluster.stop());

  const request = { target: 'lettr', shards: 3, seed: 5, model: SLOW_FOREST, name: 'letter-faults' };

  it('SIGKILL of one of three trainers mid-fit: its shard is refitted elsewhere and the job completes as if undisturbed', async () => {
    const calm = await cluster.finished((await cluster.api('POST', '/trainings', { ...request, dataset })).body.id);
    expect(calm.status).toBe('completed');

    const { body: started } = await cluster.api('POST', '/trainings', { ...request, dataset });
    const midFit = (m: any) => m.status === 'running' && m.progress >= 0.1 && m.progress <= 0.8;
    const running = await cluster.job(started.id, (j) => j.members.some(midFit), 120_000, 50);
    const victim = running.members.find(midFit);
    const cluster1 = (await cluster.api('GET', '/cluster')).body;
    const busy = cluster1.trainers.find((t: any) => t.fits?.some((f: any) => f.member === victim.id && f.job === started.id));
    expect(busy).toBeDefined();
    await cluster.kill(busy.nodeID);

    const done = await cluster.finished(started.id);
    expect(done.status).toBe('completed');
    expect(done.members).toHaveLength(3);
    expect(done.members.every((m: any) => m.status === 'done' && m.node !== busy.nodeID)).toBe(true);
    const retried = done.members.find((m: any) => m.id === victim.id);
    expect(retried.attempts).toBe(2);
    expect(retried.errors[0].code).toMatch(/REQUEST_REJECTED|SERVICE_NOT_AVAILABLE|TRAINER_LEAVING/);
    // Same seed, same shards: the refitted member is the same forest, so the accuracy matches.
    expect(Math.abs(done.metrics.accuracy - calm.metrics.accuracy)).toBeLessThanOrEqual(0.01);
  }, 300_000);

  it('parameter averaging: a trainer killed mid-round is left out of that round and the job completes (issue 4)', async () => {
    const { body: started } = await cluster.api('POST', '/trainings', {
      dataset,
      target: 'lettr',
      mode: 'average',
      shards: 4,
      rounds: 5,
      seed: 6,
      name: 'letter-avg-faults',
      model: { kind: 'mlp', params: { epochs: 4, learningRate: 0.004 } },
    });
    const inRound = await cluster.job(
      started.id,
      (j) => /round [2-3] of 5/.test(j.message ?? '') && j.members.some((m: any) => m.status === 'running'),
      120_000,
      50,
    );
    const alive = (await cluster.api('GET', '/cluster')).body.trainers.filter((t: any) => t.fits?.some((f: any) => f.job === started.id));
    expect(alive.length).toBeGreaterThan(0);
    await cluster.kill(alive[0].nodeID);
    const done = await cluster.finished(started.id);
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('completed');
    expect(done.rounds).toHaveLength(5);
    // The round the trainer died in averaged fewer shards; the job went on with the others.
    const round = Number(/round (\d)/.exec(inRound.message)![1]);
    expect(done.rounds.some((r: any) => r.round >= round && r.trainers < 4)).toBe(true);
    expect(done.metrics.accuracy).toBeGreaterThan(0.6);
  }, 300_000);

  it('every trainer killed: the job waits for trainers and completes once a new one joins', async () => {
    const { body: started } = await cluster.api('POST', '/trainings', { ...request, dataset, shards: 2 });
    await cluster.job(started.id, (j) => j.members.some((m: any) => m.status === 'running' && m.progress > 0), 120_000, 50);
    const alive = [...cluster.nodes.entries()].filter(([name, n]) => name.startsWith('t') && n.process.exitCode === null && n.process.signalCode === null);
    await Promise.all(alive.map(([name]) => cluster.kill(name)));
    const waiting = await cluster.job(started.id, (j) => j.status === 'waiting', 60_000, 100);
    expect(waiting.message).toMatch(/waiting for trainers/);

    await cluster.node('t4', 'trainer');
    const done = await cluster.finished(started.id);
    expect(done.status).toBe('completed');
    expect(done.members.every((m: any) => m.status === 'done' && m.node === 't4')).toBe(true);
  }, 300_000);
});

run('coordinator and registry restarts (issue 7)', () => {
  const cluster = new Cluster();
  let dataset: string;

  beforeAll(async () => {
    await cluster.start();
    await cluster.node('gateway', 'api,inference');
    await cluster.node('registry', 'registry');
    await cluster.node('coordinator', 'coordinator');
    await Promise.all(['ta', 'tb'].map((t) => cluster.node(t, 'trainer')));
    await cluster.trainers(2);
    dataset = (await cluster.api('POST', '/datasets/ingest', { path: 'letter-recognition.csv', name: 'letter' })).body.id;
  }, 90_000);

  afterAll(() => cluster.stop());

  it('a coordinator killed mid-job resumes it on restart without retraining finished members', async () => {
    const { body: started } = await cluster.api('POST', '/trainings', { dataset, target: 'lettr', shards: 4, seed: 9, model: SLOW_FOREST });
    const partway = await cluster.job(
      started.id,
      (j) => j.members.some((m: any) => m.status === 'done') && j.members.some((m: any) => m.status !== 'done'),
      180_000,
      50,
    );
    const finishedBefore = partway.members.filter((m: any) => m.status === 'done').map((m: any) => m.id);
    await cluster.kill('coordinator');
    await cluster.node('coordinator', 'coordinator');

    const done = await cluster.finished(started.id);
    expect(done.status).toBe('completed');
    expect(done.warnings.join(' ')).toMatch(/resumed after a coordinator restart/);
    expect(done.members).toHaveLength(4);
    for (const id of finishedBefore) expect(done.members.find((m: any) => m.id === id).attempts).toBe(1);
    expect(done.metrics.accuracy).toBeGreaterThan(0.9);
  }, 300_000);

  it('a coordinator stopped gracefully (SIGTERM) pauses its jobs and resumes them on restart', async () => {
    const { body: started } = await cluster.api('POST', '/trainings', { dataset, target: 'lettr', shards: 2, seed: 10, model: SLOW_FOREST });
    await cluster.job(started.id, (j) => j.members.some((m: any) => m.status === 'running'), 120_000, 50);
    await cluster.kill('coordinator', 'SIGTERM');
    await cluster.node('coordinator', 'coordinator');
    const done = await cluster.finished(started.id);
    expect(done.status).toBe('completed');
    expect(done.warnings.join(' ')).toMatch(/resumed after a coordinator restart/);
  }, 300_000);

  it('a registry killed and restarted serves every version it had', async () => {
    const before = (await cluster.api('GET', '/models')).body;
    expect(before.length).toBeGreaterThan(0);
    const version = before[before.length - 1];
    await cluster.kill('registry');
    await cluster.node('registry', 'registry');
    const after = (await cluster.api('GET', '/models')).body;
    expect(after.map((v: any) => v.id)).toEqual(before.map((v: any) => v.id));
    const metrics = (await cluster.api('GET', `/models/${version.id}/metrics`)).body;
    expect(metrics.metrics).toEqual(version.metrics);
    const exported = await fetch(`${cluster.base}/models/${version.id}/export`);
    expect(exported.status).toBe(200);
    expect((await exported.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  }, 120_000);

  it('cancelling a job stops the work on every node and frees the workers', async () => {
    const { body: started } = await cluster.api('POST', '/trainings', {
      dataset,
      target: 'lettr',
      shards: 2,
      seed: 12,
      model: SLOW_FOREST,
      name: 'letter-cancel',
    });
    await cluster.job(started.id, (j) => j.members.filter((m: any) => m.status === 'running' && m.progress > 0).length === 2, 120_000, 50);
    const { status, body: cancelled } = await cluster.api('DELETE', `/trainings/${started.id}`);
    expect(status).toBe(200);
    expect(cancelled.status).toBe('cancelled');
    const idle = await waitFor(
      async () => {
        const { body } = await cluster.api('GET', '/cluster');
        return body.trainers.every((t: any) => t.busy === 0 && t.fits.length === 0) ? body.trainers : undefined;
      },
      'idle trainers',
      10_000,
      100,
    );
    expect(idle).toHaveLength(2);
    const versions = (await cluster.api('GET', '/models')).body;
    expect(versions.some((v: any) => v.job === started.id)).toBe(false);
    expect((await cluster.api('DELETE', `/trainings/${started.id}`)).body.type).toBe('JOB_FINISHED');
  }, 180_000);

  it('a trainer stopped with SIGTERM hands its shard back and the job completes', async () => {
    const { body: started } = await cluster.api('POST', '/trainings', {
      dataset,
      target: 'lettr',
      shards: 2,
      seed: 13,
      model: SLOW_FOREST,
      name: 'letter-sigterm',
    });
    await cluster.job(started.id, (j) => j.members.some((m: any) => m.status === 'running' && m.progress >= 0.1 && m.progress <= 0.8), 120_000, 50);
    const busy = (await cluster.api('GET', '/cluster')).body.trainers.find((t: any) => t.fits?.some((f: any) => f.job === started.id));
    await cluster.kill(busy.nodeID, 'SIGTERM');
    const done = await cluster.finished(started.id);
    expect(done.status).toBe('completed');
    const handed = done.members.find((m: any) => m.errors?.length);
    expect(handed.attempts).toBe(2);
    expect(handed.errors[0].code).toMatch(/TRAINER_LEAVING|REQUEST_REJECTED/);
    expect(done.members.every((m: any) => m.status === 'done' && m.node !== busy.nodeID)).toBe(true);
  }, 180_000);
});
