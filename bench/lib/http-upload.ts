/**
 * Dataset uploads over HTTP (part of `npm run bench:ingest`): one real Quorum node
 * (`node dist/bin/quorum.js`, every service in one process, no transporter) on a free loopback
 * port, and the same CSV uploaded to `POST /api/datasets` `runs` times per encoding — the raw body
 * (`text/csv`, streamed from disk with its Content-Length) and `multipart/form-data` — each dataset
 * removed (`DELETE /api/datasets/:id`) before the next upload so the node's memory stays bounded.
 *
 * The time of an upload is the client's: from sending the request to the end of the answer, so it
 * holds the parse, storing the table (every column written and fsynced) and the HTTP exchange.
 * The node's own parse time (`ingestMs` of the answer) is kept beside it to tell them apart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../fixtures/nats';

export type UploadEncoding = 'text/csv' | 'multipart';

export interface HttpUploadResult {
  encoding: UploadEncoding;
  /** Client wall time of each upload, request sent → answer read. */
  ms: number[];
  /** The node's parse time of each upload (`ingestMs` in its answer; storing the table not included). */
  ingestMs: number[];
  rows: number;
  columns: number;
  /** The node's RSS before the first upload of this encoding, and its peak (VmHWM, reset before) over that upload; 0 where /proc is absent. */
  baselineRssMB: number;
  peakRssMB: number;
}

interface Answer {
  status: number;
  body: string;
}

/** Resets a process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0; a no-op elsewhere). */
function clearPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // without /proc the peak is the process's since it started
  }
}

/** VmRSS or VmHWM of a process in MB (Linux); 0 elsewhere. */
function procMB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? (Number(m[1]) * 1024) / 1e6 : 0;
  } catch {
    return 0;
  }
}

function request(port: number, method: string, url: string, headers: http.OutgoingHttpHeaders, send: (req: http.ClientRequest) => void): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: url, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    send(req);
  });
}

/** Streams `file` as the whole body (raw) or as the one file part of a multipart body, with an exact Content-Length. */
function upload(port: number, file: string, encoding: UploadEncoding): Promise<Answer> {
  const size = statSync(file).size;
  const name = path.basename(file);
  if (encoding === 'text/csv') {
    return request(
      port,
      'POST',
      `/api/datasets?name=bench&filename=${encodeURIComponent(name)}`,
      { 'content-type': 'text/csv', 'content-length': size },
      (req) => createReadStream(file).pipe(req),
    );
  }
  const boundary = `----quorum-bench-${process.pid}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nbench\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers = { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + size + tail.length };
  return request(port, 'POST', '/api/datasets', headers, (req) => {
    req.write(head);
    const body = createReadStream(file);
    body.pipe(req, { end: false });
    body.on('end', () => req.end(tail));
    body.on('error', (err) => req.destroy(err));
  });
}

async function startNode(root: string, stateDir: string): Promise<{ child: ChildProcess; port: number; log: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(root, 'dist', 'bin', 'quorum.js')], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), STATE_DIR: stateDir, DATA_DIR: stateDir, TRANSPORTER: '', LOGLEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  // keep only the tail: moleculer-web warns on every 201 answer without a Location
  const keep = (d: Buffer): void => void (log = (log + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + 60_000;
  while (!log.includes(' up: ')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the Quorum node did not start:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port, log: () => log };
}

function stopNode(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

/** Uploads `file` `runs` times per encoding to one fresh node; the node is stopped (by its pid) and its state folder removed at the end. */
export async function httpUploads(
  root: string,
  file: string,
  runs: number,
  encodings: UploadEncoding[] = ['text/csv', 'multipart'],
): Promise<HttpUploadResult[]> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'quorum-bench-upload-'));
  const node = await startNode(root, stateDir);
  const pid = node.child.pid!;
  try {
    const results: HttpUploadResult[] = [];
    for (const encoding of encodings) {
      clearPeak(pid);
      const result: HttpUploadResult = { encoding, ms: [], ingestMs: [], rows: 0, columns: 0, baselineRssMB: procMB(pid, 'VmRSS'), peakRssMB: 0 };
      for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        const answer = await upload(node.port, file, encoding);
        result.ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (answer.status !== 201) throw new Error(`upload (${encoding}) answered ${answer.status}: ${answer.body.slice(0, 500)}`);
        const meta = JSON.parse(answer.body) as { id: string; rows: number; columns: number; ingestMs: number };
        if (i === 0) result.peakRssMB = procMB(pid, 'VmHWM');
        result.ingestMs.push(meta.ingestMs);
        result.rows = meta.rows;
        result.columns = meta.columns;
        const removed = await request(node.port, 'DELETE', `/api/datasets/${encodeURIComponent(meta.id)}`, {}, (req) => req.end());
        if (removed.status !== 200) throw new Error(`DELETE /api/datasets/${meta.id} answered ${removed.status}: ${removed.body.slice(0, 500)}`);
      }
      results.push(result);
    }
    return results;
  } catch (err) {
    (err as Error).message += `\nnode log (tail):\n${node.log().slice(-1500)}`;
    throw err;
  } finally {
    await stopNode(node.child);
    rmSync(stateDir, { recursive: true, force: true });
  }
}
