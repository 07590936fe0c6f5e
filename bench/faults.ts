/**
 * `npm run bench:faults` — what a trainer dying mid-fit costs. A real nats-server, a core node and
 * three trainer processes (one worker thread each); Letter in three shards, a 300-tree forest per
 * shard. Each repetition runs the job undisturbed, then again killing (SIGKILL) the trainer of one
 * shard a third of the way through its fit, and measures:
 *   detect  — kill → the coordinator gives up on that fit (heartbeat timeout) and re-dispatches it
 *   recover — re-dispatch → the shard is trained elsewhere
 *   extra   — wall time of the disturbed job minus the undisturbed one
 * for the heartbeat settings of a LAN (interval 2 s, timeout 8 s) and of a fast test network
 * (1 s / 4 s). Prints a table and writes bench/results/faults.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Cluster } from '../fixtures/cluster';
import { NATS_INSTALL, natsServerBinary } from '../fixtures/nats';

const REPEATS = Number(process.env.REPEATS ?? 3);
const REQUEST = { target: 'lettr', shards: 3, seed: 11, model: { kind: 'forest', params: { nEstimators: 300 } } };

interface Run {
  heartbeat: string;
  calmMs: number;
  disturbedMs: number;
  detectMs: number;
  recoverMs: number;
  extraMs: number;
  accuracyCalm: number;
  accuracyDisturbed: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

async function timedJob(cluster: Cluster, dataset: string): Promise<{ ms: number; job: any }> {
  const started = Date.now();
  const { body } = await cluster.api('POST', '/trainings', { ...REQUEST, dataset });
  const job = await cluster.finished(body.id, 600_000);
  if (job.status !== 'completed') throw new Error(`job ${job.id} ${job.status}: ${job.error?.message}`);
  return { ms: Date.now() - started, job };
}

async function one(interval: number, timeout: number, repeat: number): Promise<Run> {
  const cluster = await new Cluster().start();
  const env = { HEARTBEAT_INTERVAL: String(interval), HEARTBEAT_TIMEOUT: String(timeout), LOGLEVEL: 'warn' };
  try {
    await cluster.node('core', 'api,coordinator,registry,inference', env);
    await Promise.all(['t1', 't2', 't3'].map((t) => cluster.node(t, 'trainer', env)));
    await cluster.trainers(3);
    const dataset = (await cluster.api('POST', '/datasets/ingest', { path: 'letter-recognition.csv', name: `letter-${repeat}` })).body.id;

    const calm = await timedJob(cluster, dataset);

    const started = Date.now();
    const { body } = await cluster.api('POST', '/trainings', { ...REQUEST, dataset });
    const midFit = (m: any) => m.status === 'running' && m.progress >= 0.3 && m.progress <= 0.8;
    const running = await cluster.job(body.id, (j) => j.members.some(midFit), 600_000, 25);
    const victim = running.members.find(midFit);
    const trainers = (await cluster.api('GET', '/cluster')).body.trainers;
    const node = trainers.find((t: any) => t.fits?.some((f: any) => f.member === victim.id && f.job === body.id))?.nodeID;
    if (!node) throw new Error('could not find the trainer of the running shard');
    const killedAt = Date.now();
    await cluster.kill(node);
    const redispatched = await cluster.job(body.id, (j) => (j.members.find((m: any) => m.id === victim.id)?.attempts ?? 0) >= 2, 600_000, 25);
    const detectedAt = Date.now();
    void redispatched;
    const done = await cluster.job(
      body.id,
      (j) => j.members.find((m: any) => m.id === victim.id)?.status === 'done' || ['completed', 'failed'].includes(j.status),
      600_000,
      25,
    );
    const recoveredAt = Date.now();
    const finished = await cluster.finished(body.id, 600_000);
    void done;
    const disturbedMs = new Date(finished.finishedAt).getTime() - started;
    return {
      heartbeat: `${interval} s / ${timeout} s`,
      calmMs: calm.ms,
      disturbedMs,
      detectMs: detectedAt - killedAt,
      recoverMs: recoveredAt - detectedAt,
      extraMs: disturbedMs - calm.ms,
      accuracyCalm: calm.job.metrics.accuracy,
      accuracyDisturbed: finished.metrics.accuracy,
    };
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  if (!natsServerBinary()) {
    console.log(`bench:faults needs nats-server; skipped. Install it with: ${NATS_INSTALL}`);
    return;
  }
  const runs: Run[] = [];
  for (const [interval, timeout] of [
    [2, 8],
    [1, 4],
  ]) {
    for (let r = 0; r < REPEATS; r++) {
      const run = await one(interval, timeout, r);
      console.log(
        `heartbeat ${run.heartbeat} #${r + 1}: detect ${(run.detectMs / 1000).toFixed(1)} s, recover ${(run.recoverMs / 1000).toFixed(1)} s, extra ${(run.extraMs / 1000).toFixed(1)} s (calm ${(run.calmMs / 1000).toFixed(1)} s)`,
      );
      runs.push(run);
    }
  }
  const rows = [...new Set(runs.map((r) => r.heartbeat))].map((hb) => {
    const rs = runs.filter((r) => r.heartbeat === hb);
    const s = (f: (r: Run) => number) => (median(rs.map(f)) / 1000).toFixed(1);
    return {
      heartbeat: hb,
      runs: rs.length,
      calm: s((r) => r.calmMs),
      disturbed: s((r) => r.disturbedMs),
      detect: s((r) => r.detectMs),
      recover: s((r) => r.recoverMs),
      extra: s((r) => r.extraMs),
      accuracy: `${(median(rs.map((r) => r.accuracyCalm)) * 100).toFixed(2)} % / ${(median(rs.map((r) => r.accuracyDisturbed)) * 100).toFixed(2)} %`,
    };
  });
  console.log(
    '\n| heartbeat (interval / timeout) | runs | undisturbed job | disturbed job | time to detect | time to recover | extra wall time | accuracy undisturbed / disturbed |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows)
    console.log(`| ${r.heartbeat} | ${r.runs} | ${r.calm} s | ${r.disturbed} s | ${r.detect} s | ${r.recover} s | ${r.extra} s | ${r.accuracy} |`);
  const out = path.resolve(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'faults.json'), JSON.stringify({ runs, summary: rows }, null, 2));
  console.log(`\nwrote ${path.join(out, 'faults.json')} (medians of ${REPEATS} runs per setting)`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
