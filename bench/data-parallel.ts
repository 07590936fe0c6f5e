/**
 * `npm run bench:data-parallel`: Letter (first 16,000 rows train, last 4,000 test), default
 * forest (100 trees), in one process: one shard (the one-node fit), 4 shards as today's ensemble
 * (a forest per shard, votes averaged by the default rule), and 4 shards data-parallel over
 * in-process ports (one exact forest; the bytes port, so every request and reply goes through
 * the wire format). Prints accuracy, fit time and the protocol's cost: round trips, bytes per
 * tree, time waiting for the ports vs in the driver, and whether 1- and 4-shard data-parallel
 * artifacts are byte-identical. Writes bench/results/data-parallel.json.
 *
 * The port time includes the sessions' compute (they run in this process); over a network, the
 * hops add about roundTrips × hop latency to it.
 *
 *   node dist/bench/data-parallel.js [--trees 100] [--shards 4]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { defaultVoting, resolveVoting } from '../lib/ensemble';
import { forestKind } from '../lib/models/forest';
import type { ForestModel } from '../lib/models/forest';
import { accuracy } from '../lib/models/forest/oob';
import { encodeArtifact } from '../lib/models/format';
import type { TrainingSet } from '../lib/models/model';
import { fitLocal } from '../lib/training/data-parallel';
import { letterSplit, ROOT } from './lib/datasets';
import { table } from './lib/report';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function rowsOf(data: TrainingSet, a: number, b: number): TrainingSet {
  const c = data.x.cols;
  return { ...data, x: { data: data.x.data.slice(a * c, b * c), rows: b - a, cols: c }, y: data.y.slice(a, b) };
}

async function main(): Promise<void> {
  const trees = Number(arg('trees', '100'));
  const shards = Number(arg('shards', '4'));
  const { train, test } = letterSplit();
  const p = forestKind.params({ nEstimators: trees });
  const K = train.nClasses;
  const n = train.x.rows;
  const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const t = performance.now();
    const v = await fn();
    return [v, (performance.now() - t) / 1000];
  };

  const [one, oneS] = await time(async () => (await forestKind.fit(train, p, { seed: 1 })) as ForestModel);
  const accOne = accuracy(one.predict(test.x), test.y, K);

  const [members, ensS] = await time(async () => {
    const out: ForestModel[] = [];
    for (let s = 0; s < shards; s++) {
      const part = rowsOf(train, Math.floor((s * n) / shards), Math.floor(((s + 1) * n) / shards));
      out.push((await forestKind.fit(part, p, { seed: 1 + s })) as ForestModel);
    }
    return out;
  });
  const rule = resolveVoting(defaultVoting('classification'), 'classification');
  const votes = members.map((m) => ({ output: m.predict(test.x), weight: 1 }));
  const accEns = accuracy(rule.combine(votes, test.x.rows, K), test.y, K);

  const [dp, dpS] = await time(() => fitLocal(train, p, 1, shards, { bytes: true }));
  const accDp = accuracy(dp.model.predict(test.x), test.y, K);
  const [dp1, dp1S] = await time(() => fitLocal(train, p, 1, 1));
  const identical = encodeArtifact(dp1.model.toArtifact()).equals(encodeArtifact(dp.model.toArtifact()));
  const c = dp.cost;
  const bytesPerTree = (c.bytesIn + c.bytesOut) / trees;

  const pct = (a: number): string => `${(100 * a).toFixed(2)} %`;
  const pts = (a: number): string => `${a >= accOne ? '+' : ''}${(100 * (a - accOne)).toFixed(2)}`;
  console.log(`Letter, ${trees} trees, ${shards} shards (load average ${loadavg()[0].toFixed(2)} on ${cpus().length} cores)\n`);
  console.log(
    table([
      ['case', 'accuracy', 'vs one shard (points)', 'fit s'],
      ['one shard (one-node fit)', pct(accOne), '', oneS.toFixed(2)],
      [`${shards}-shard ensemble (existing path)`, pct(accEns), pts(accEns), ensS.toFixed(2)],
      [`${shards}-shard data-parallel (bytes port)`, pct(accDp), pts(accDp), dpS.toFixed(2)],
      ['1-shard data-parallel', pct(accuracy(dp1.model.predict(test.x), test.y, K)), '', dp1S.toFixed(2)],
    ]),
  );
  console.log(`\ndata-parallel cost (${shards} shards): ${c.roundTrips} round trips (${(c.roundTrips / trees).toFixed(2)} per tree, ${c.treesPerBatch} trees per batch, ${c.levels} levels), ` +
    `${(c.bytesIn / 1e6).toFixed(1)} MB in + ${(c.bytesOut / 1e6).toFixed(2)} MB out (${(bytesPerTree / 1e6).toFixed(2)} MB per tree, ${(bytesPerTree / shards / 1e6).toFixed(2)} MB per tree per shard), ` +
    `${c.histNodes} histogram nodes, ${c.rowNodes} row nodes; waiting for ports ${(c.portMs / 1000).toFixed(2)} s (sessions' compute included), driver ${(c.driverMs / 1000).toFixed(2)} s`);
  console.log(`1- and ${shards}-shard data-parallel artifacts byte-identical: ${identical}`);

  const results = path.join(ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  const file = path.join(results, 'data-parallel.json');
  writeFileSync(file, JSON.stringify({ trees, shards, loadAverage: loadavg()[0], accuracy: { one: accOne, ensemble: accEns, dataParallel: accDp }, fitS: { one: oneS, ensemble: ensS, dataParallel: dpS, dataParallel1: dp1S }, cost: c, bytesPerTree, identical }, null, 2));
  console.log(`\nwrote ${path.relative(ROOT, file)}`);
  if (!identical) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
