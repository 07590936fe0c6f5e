/**
 * `npm run bench:average` — training by parameter averaging against one model on all rows, through
 * the real system: a nats-server, a core node and two trainer processes. On Letter (Quorum's own
 * stratified 80/20 split), a 64-unit mlp, batch 64, 20 epochs in total:
 *   one      — one shard: a single mlp on every training row, 20 epochs
 *   average  — 4 shards over the 2 trainers, 10 rounds × 2 epochs, learning rate × 4 (averaging
 *              4 shards shrinks each round's step about 4-fold)
 *   ensemble — for reference: 4 independent mlps (20 epochs each), soft voting
 * The accuracy is each job's validation accuracy (the same rows for all: same seed, same split).
 * Prints a table and writes bench/results/average.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Cluster } from '../fixtures/cluster';
import { NATS_INSTALL, natsServerBinary } from '../fixtures/nats';

const SEEDS = (process.env.SEEDS ?? '1,2,3').split(',').map(Number);
const LR = 1e-3;

const configs = {
  one: (seed: number) => ({ shards: 1, seed, model: { kind: 'mlp', params: { hidden: [64], batchSize: 64, epochs: 20, learningRate: LR } } }),
  average: (seed: number) => ({
    shards: 4,
    seed,
    mode: 'average',
    rounds: 10,
    model: { kind: 'mlp', params: { hidden: [64], batchSize: 64, epochs: 2, learningRate: 4 * LR } },
  }),
  ensemble: (seed: number) => ({ shards: 4, seed, model: { kind: 'mlp', params: { hidden: [64], batchSize: 64, epochs: 20, learningRate: LR } } }),
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  if (!natsServerBinary()) {
    console.log(`bench:average needs nats-server; skipped. Install it with: ${NATS_INSTALL}`);
    return;
  }
  const cluster = await new Cluster().start();
  const results: { config: string; seed: number; accuracy: number; ms: number; rounds?: number[] }[] = [];
  try {
    const env = { LOGLEVEL: 'warn' };
    await cluster.node('core', 'api,coordinator,registry,inference', env);
    await Promise.all(['t1', 't2'].map((t) => cluster.node(t, 'trainer', env)));
    await cluster.trainers(2);
    const dataset = (await cluster.api('POST', '/datasets/ingest', { path: 'letter-recognition.csv', name: 'letter' })).body.id;
    for (const seed of SEEDS) {
      for (const [config, make] of Object.entries(configs)) {
        const started = Date.now();
        const { body } = await cluster.api('POST', '/trainings', { dataset, target: 'lettr', name: `letter-${config}`, ...make(seed) });
        if (!body.id) throw new Error(`could not start ${config}: ${JSON.stringify(body)}`);
        const job = await cluster.finished(body.id, 900_000);
        if (job.status !== 'completed') throw new Error(`${config} seed ${seed}: ${job.status} ${job.error?.message}`);
        const rounds = job.rounds?.map((r: { metrics: { accuracy: number } }) => r.metrics.accuracy);
        results.push({ config, seed, accuracy: job.metrics.accuracy, ms: Date.now() - started, rounds });
        console.log(
          `${config.padEnd(8)} seed ${seed}: accuracy ${(job.metrics.accuracy * 100).toFixed(2)} % in ${((Date.now() - started) / 1000).toFixed(1)} s${rounds ? ` (rounds: ${rounds.map((a: number) => (a * 100).toFixed(1)).join(' ')})` : ''}`,
        );
      }
    }
  } finally {
    await cluster.stop();
  }
  const acc = (c: string) => median(results.filter((r) => r.config === c).map((r) => r.accuracy));
  const time = (c: string) => median(results.filter((r) => r.config === c).map((r) => r.ms)) / 1000;
  const gaps = SEEDS.map((seed) => {
    const one = results.find((r) => r.config === 'one' && r.seed === seed)!.accuracy;
    return results.find((r) => r.config === 'average' && r.seed === seed)!.accuracy - one;
  });
  console.log(`\n| training (Letter, mlp 64, 20 epochs in all) | seeds | validation accuracy (median) | vs one model | job wall time (median) |`);
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [c, label] of [
    ['one', 'one model on all rows (1 shard)'],
    ['average', '`average`: 4 shards on 2 trainers, 10 rounds × 2 epochs'],
    ['ensemble', '`ensemble`: 4 mlps, soft voting'],
  ] as const) {
    const gap = c === 'one' ? '—' : `${((acc(c) - acc('one')) * 100).toFixed(2)} pt`;
    console.log(`| ${label} | ${SEEDS.length} | ${(acc(c) * 100).toFixed(2)} % | ${gap} | ${time(c).toFixed(1)} s |`);
  }
  console.log(`\naverage − one, per seed: ${gaps.map((g) => `${(g * 100).toFixed(2)} pt`).join(', ')}`);
  const out = path.resolve(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'average.json'), JSON.stringify({ results, gaps }, null, 2));
  console.log(`wrote ${path.join(out, 'average.json')}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
