/**
 * `npm run bench:ingest [-- --runs 10] [-- --gen-rows 8600000] [-- --skip-1g] [-- --skip-http] [-- --skip-transfer]`
 *
 * CSV ingestion throughput and memory, side by side with pandas `read_csv`:
 * Weather AUS (14 MB, NA tokens, dates, Yes/No), the same gzipped, Skin segmentation (3.4 MB,
 * numeric, CRLF), and a generated ~1 GB synthetic file (var/bench/, made on first use).
 *
 * Each dataset runs in a fresh child process (so peak RSS is that dataset's alone): the child
 * ingests the file `runs` times and reports every run's wall time, its RSS before the first run
 * and its peak RSS during the first run. The first run is cold (JIT warm-up, fresh memory from the
 * OS, which is slow on this VM: a page fault costs about 3 ms per fresh MB); "warm" is the median of
 * the second half of the runs, what a long-running coordinator sees. pandas has no JIT: its figure
 * is the median of its runs.
 * MB = 10^6 bytes of CSV text
 * (decompressed for gzip). The pandas side runs bench/python/ingest.py with /usr/bin/python3 in the
 * same way (peak RSS during its first run too).
 *
 * Uploads over HTTP (bench/lib/http-upload.ts): Weather AUS again, sent `runs` times per encoding
 * (raw `text/csv`, multipart) to `POST /api/datasets` of a real Quorum node in its own process.
 * Their time is the client's, request to answer, so it also holds storing the dataset, which
 * `ingestFile` alone does not do; the node's parse time is given beside it. Same cold/warm split;
 * "HTTP / in-process" is the warm upload time over the warm `ingestFile` time of the same bench run.
 *
 * Prints a table and writes bench/results/ingest.json.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { ingestFile } from '../lib/data/ingest';
import { writeSyntheticCsv } from '../lib/data/gen/write';
import { httpUploads } from './lib/http-upload';
import { shardTransfer } from './lib/transfer';

const ROOT = path.resolve(__dirname, '..', '..');
const SHARED = path.resolve(ROOT, '..', 'shared', 'data');
const VAR = path.join(ROOT, 'var', 'bench');
const PYTHON = '/usr/bin/python3';

interface ChildReport {
  ms: number[];
  rows: number;
  columns: number;
  /** Bytes of CSV text (decompressed for gzip). */
  textBytes: number;
  baselineRssMB: number;
  /** Peak RSS over the first (cold) run alone. */
  peakRssMB: number;
  error?: string;
}

interface PandasReport {
  seconds: number[];
  rows: number;
  columns: number;
  baselineRssMB: number;
  peakRssMB: number;
  error?: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Child mode: ingest `file` `runs` times, print one JSON line. Peak RSS is taken after the first
 * run, before any garbage of it could pile up; later runs start from a collected heap.
 */
async function child(file: string, runs: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  const baselineRssMB = process.memoryUsage().rss / 1e6;
  const ms: number[] = [];
  let rows = 0;
  let columns = 0;
  let textBytes = 0;
  let peakRssMB = 0;
  for (let i = 0; i < runs; i++) {
    gc();
    const t0 = process.hrtime.bigint();
    // as the coordinator ingests a file of its data directory
    const result = await ingestFile(path.dirname(file), path.basename(file));
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    rows = result.table.nRows;
    columns = result.table.columns.length;
    textBytes = result.stats?.textBytes ?? 0;
    if (i === 0) peakRssMB = (process.resourceUsage().maxRSS * 1024) / 1e6;
  }
  process.stdout.write(`${JSON.stringify({ ms, rows, columns, textBytes, baselineRssMB, peakRssMB } satisfies ChildReport)}\n`);
}

function runChild(file: string, runs: number): ChildReport {
  const out = spawnSync(process.execPath, ['--expose-gc', __filename, '--child', file, String(runs)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) return { ms: [], rows: 0, columns: 0, textBytes: 0, baselineRssMB: 0, peakRssMB: 0, error: out.stderr.slice(-500) };
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as ChildReport;
}

function runPandas(file: string, runs: number): PandasReport | undefined {
  if (file.endsWith('.gz')) return undefined; // pandas reads gzip too, but one comparison per dataset is enough
  if (!existsSync(PYTHON)) return undefined;
  const script = path.join(ROOT, 'bench', 'python', 'ingest.py');
  const out = spawnSync(PYTHON, [script, file, '--runs', String(runs)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) return { seconds: [], rows: 0, columns: 0, baselineRssMB: 0, peakRssMB: 0, error: out.stderr.slice(-500) };
  const report = JSON.parse(out.stdout.trim().split('\n').pop()!) as PandasReport;
  if (report.error) {
    process.stdout.write(`pandas side skipped: ${report.error}\n`);
    return undefined;
  }
  return report;
}

async function ensureInputs(genRows: number, skip1g: boolean): Promise<{ name: string; file: string; runs?: number }[]> {
  mkdirSync(VAR, { recursive: true });
  const inputs: { name: string; file: string; runs?: number }[] = [];
  const weather = path.join(SHARED, 'weather-aus.csv');
  if (existsSync(weather)) {
    inputs.push({ name: 'Weather AUS', file: weather });
    const gz = path.join(VAR, 'weather-aus.csv.gz');
    if (!existsSync(gz)) await pipeline(createReadStream(weather), createGzip(), createWriteStream(gz));
    inputs.push({ name: 'Weather AUS (gzip)', file: gz });
  } else {
    process.stdout.write(`skipped Weather AUS and Skin: ${SHARED} is absent\n`);
  }
  const skin = path.join(SHARED, 'skin-segmentation.csv');
  if (existsSync(skin)) inputs.push({ name: 'Skin segmentation', file: skin });
  if (!skip1g) {
    const big = path.join(VAR, `synthetic-${genRows}x20-s1.csv`);
    if (!existsSync(big)) {
      process.stdout.write(`generating ${big} (${genRows.toLocaleString('en-US')} rows × 20 features, seed 1)…\n`);
      await writeSyntheticCsv(big, { rows: genRows, features: 20, classes: 5, seed: 1 });
    }
    inputs.push({ name: 'Synthetic ~1 GB', file: big, runs: 2 });
  }
  return inputs;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1], Number(args[2]));
  const flag = (name: string, fallback: number): number => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const runs = flag('--runs', 10);
  const genRows = flag('--gen-rows', 8_600_000);
  const inputs = await ensureInputs(genRows, args.includes('--skip-1g'));
  // the machine is shared: say how busy it was, since every figure depends on it
  const loadBefore = loadavg()[0];
  process.stdout.write(`load average (1 min) before: ${loadBefore.toFixed(2)} on ${cpus().length} cores\n`);
  const rows: Record<string, unknown>[] = [];
  const f1 = (x: number): string => x.toFixed(1);
  /** Warm throughput of the in-process runs, by file: what an upload of the same file is compared with. */
  const inProcessWarm = new Map<string, number>();
  const header =
    '| dataset | CSV MB | rows × cols | Quorum MB/s (warm: median of 2nd half of runs) | Quorum MB/s (cold: 1st run) | Quorum peak RSS MB (Δ) | pandas MB/s (median) | pandas peak RSS MB (Δ) | Quorum warm / pandas |';
  const lines = [header, '|---|---:|---|---:|---:|---:|---:|---:|---:|'];
  for (const input of inputs) {
    const n = input.runs ?? runs;
    const q = runChild(input.file, n);
    if (q.error) {
      process.stdout.write(`${input.name}: Quorum failed: ${q.error}\n`);
      continue;
    }
    // throughput is over the CSV text (the decompressed size for gzip input)
    const mb = q.textBytes / 1e6;
    const p = runPandas(input.file, Math.min(n, 5));
    // warm: the second half of the runs (the first ones pay for JIT warm-up and fresh memory)
    const warmRuns = q.ms.slice(Math.floor(q.ms.length / 2));
    const qMed = mb / (median(warmRuns) / 1000);
    const qCold = mb / (q.ms[0] / 1000);
    const pMed = p && !p.error ? mb / median(p.seconds) : undefined;
    const row = {
      dataset: input.name,
      csvMB: mb,
      fileMB: statSync(input.file).size / 1e6,
      rows: q.rows,
      columns: q.columns,
      quorum: { ms: q.ms, warmMedianMBps: qMed, coldMBps: qCold, peakRssMB: q.peakRssMB, rssDeltaMB: q.peakRssMB - q.baselineRssMB },
      pandas: p && !p.error ? { seconds: p.seconds, medianMBps: pMed, peakRssMB: p.peakRssMB, rssDeltaMB: p.peakRssMB - p.baselineRssMB } : null,
    };
    rows.push(row);
    inProcessWarm.set(input.file, qMed);
    lines.push(
      `| ${input.name} | ${f1(mb)} | ${q.rows.toLocaleString('en-US')} × ${q.columns} | ${f1(qMed)} | ${f1(qCold)} | ` +
        `${f1(q.peakRssMB)} (${f1(q.peakRssMB - q.baselineRssMB)}) | ${pMed !== undefined ? f1(pMed) : '—'} | ` +
        `${p && !p.error ? `${f1(p.peakRssMB)} (${f1(p.peakRssMB - p.baselineRssMB)})` : '—'} | ${pMed !== undefined ? `${(qMed / pMed).toFixed(2)}×` : '—'} |`,
    );
    process.stdout.write(`${lines[lines.length - 1]}\n`);
  }

  // The same file uploaded over HTTP to a real node, next to its in-process figure.
  const weather = inputs.find((i) => i.name === 'Weather AUS');
  const httpLines = [
    '| upload of Weather AUS over HTTP | HTTP warm MB/s | in-process warm MB/s | HTTP / in-process (warm time) | node parse warm MB/s (ingestMs) | warm ms: whole upload / parse / the rest |',
    '|---|---:|---:|---:|---:|---|',
  ];
  if (weather && !args.includes('--skip-http')) {
    const uploads = await httpUploads(ROOT, weather.file, runs).catch((err: Error) => {
      process.stdout.write(`uploads over HTTP failed: ${err.message}\n`);
      return [];
    });
    const mb = statSync(weather.file).size / 1e6;
    const local = inProcessWarm.get(weather.file);
    for (const u of uploads) {
      const half = Math.floor(u.ms.length / 2);
      const warmMs = median(u.ms.slice(half));
      const parseMs = median(u.ingestMs.slice(half));
      const warm = mb / (warmMs / 1000);
      const cold = mb / (u.ms[0] / 1000);
      const ratio = local !== undefined ? local / warm : undefined;
      const name = `Weather AUS over HTTP (${u.encoding})`;
      rows.push({
        dataset: name,
        csvMB: mb,
        fileMB: mb,
        rows: u.rows,
        columns: u.columns,
        quorum: { ms: u.ms, warmMedianMBps: warm, coldMBps: cold, peakRssMB: u.peakRssMB, rssDeltaMB: u.peakRssMB - u.baselineRssMB },
        pandas: null,
        http: {
          encoding: u.encoding,
          ingestMs: u.ingestMs,
          parseWarmMBps: mb / (parseMs / 1000),
          inProcessWarmMBps: local ?? null,
          warmTimeRatio: ratio ?? null,
        },
      });
      const rss = u.peakRssMB > 0 ? `${f1(u.peakRssMB)} (${f1(u.peakRssMB - u.baselineRssMB)})` : '—';
      lines.push(`| ${name} | ${f1(mb)} | ${u.rows.toLocaleString('en-US')} × ${u.columns} | ${f1(warm)} | ${f1(cold)} | ${rss} | — | — | — |`);
      httpLines.push(
        `| ${u.encoding} | ${f1(warm)} | ${local !== undefined ? f1(local) : '—'} | ${ratio !== undefined ? `${ratio.toFixed(2)}×` : '—'} | ` +
          `${f1(mb / (parseMs / 1000))} | ${warmMs.toFixed(0)} / ${parseMs.toFixed(0)} / ${(warmMs - parseMs).toFixed(0)} |`,
      );
      process.stdout.write(`${lines[lines.length - 1]}\n`);
    }
  }
  const loadAfter = loadavg()[0];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  if (httpLines.length > 2) process.stdout.write(`\n${httpLines.join('\n')}\n`);
  process.stdout.write(`load average (1 min) before ${loadBefore.toFixed(2)}, after ${loadAfter.toFixed(2)}\n`);

  // Shards on the move: trainer-measured transfer of a 1,000,000-row shard, NATS vs one process.
  const transfer = args.includes('--skip-transfer') ? 'skipped (--skip-transfer)' : await shardTransfer(ROOT);
  if (typeof transfer === 'string') process.stdout.write(`\nshard transfer: ${transfer}\n`);
  else {
    process.stdout.write('\n| shard transfer (1,000,000 rows × 20 features, one shard) | shard MB | MB/s (median) | runs |\n|---|---:|---:|---|\n');
    for (const t of transfer) process.stdout.write(`| ${t.setup} | ${t.shardMB.toFixed(1)} | ${median(t.runs).toFixed(1)} | ${t.runs.join(', ')} |\n`);
  }
  mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  const out = path.join(ROOT, 'bench', 'results', 'ingest.json');
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, runs, loadBefore, loadAfter, results: rows, transfer }, null, 2));
  process.stdout.write(`wrote ${out}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
