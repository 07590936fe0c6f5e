/**
 * Shard transfer through the system (part of `npm run bench:ingest`): a job whose member is the
 * `baseline` kind (it fits in milliseconds, so the job is the data movement), on a generated
 * 1,000,000-row × 20-feature dataset in one shard, read by the trainer as a stream from the
 * coordinator. Two set-ups: two processes over a real nats-server (256 KB chunks, MessagePack),
 * and one process (no transporter). The figure is the trainer's own measure: shard bytes / time from
 * asking for the shard to holding it checked (SHA-256) in memory.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeSyntheticCsv } from '../../lib/data/gen/write';
import { Cluster } from '../../fixtures/cluster';
import { natsServerBinary, NATS_INSTALL } from '../../fixtures/nats';

export interface TransferResult {
  setup: string;
  shardMB: number;
  runs: number[];
}

async function measure(cluster: Cluster, dataset: string, runs: number): Promise<{ shardMB: number; mbps: number[] }> {
  const mbps: number[] = [];
  let shardMB = 0;
  for (let i = 0; i < runs; i++) {
    const { body } = await cluster.api('POST', '/trainings', { dataset, target: 'target', model: 'baseline', shards: 1, seed: i + 1 });
    const job = await cluster.finished(body.id, 600_000);
    if (job.status !== 'completed') throw new Error(`transfer job ${job.status}: ${job.error?.message}`);
    mbps.push(job.members[0].transferMBps);
    shardMB = (job.shards[0].blob.size as number) / 1e6;
  }
  return { shardMB, mbps };
}

export async function shardTransfer(root: string, runs = 3): Promise<TransferResult[] | string> {
  if (!natsServerBinary()) return `skipped: needs nats-server (${NATS_INSTALL})`;
  const dir = path.join(root, 'var', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'transfer-1m.csv');
  if (!existsSync(file)) await writeSyntheticCsv(file, { rows: 1_000_000, features: 20, classes: 5, seed: 1 });
  const results: TransferResult[] = [];
  for (const setup of ['NATS, two processes', 'one process']) {
    const cluster = await new Cluster().start();
    try {
      const env = { DATA_DIR: dir, LOGLEVEL: 'warn' };
      if (setup === 'one process') {
        // No TRANSPORTER: every service in this node, the stream is an in-memory pipe.
        await cluster.node('all', 'api,coordinator,trainer,registry,inference', { ...env, TRANSPORTER: '' });
      } else {
        await cluster.node('core', 'api,coordinator,registry,inference', env);
        await cluster.node('trainer', 'trainer', env);
      }
      await cluster.trainers(1);
      const ingest = await cluster.api('POST', '/datasets/ingest', { path: 'transfer-1m.csv', name: 'transfer' });
      if (ingest.status !== 201 && ingest.status !== 200) throw new Error(`ingest failed: ${JSON.stringify(ingest.body)}`);
      const { shardMB, mbps } = await measure(cluster, ingest.body.id, runs);
      results.push({ setup, shardMB, runs: mbps });
    } finally {
      await cluster.stop();
    }
  }
  return results;
}
