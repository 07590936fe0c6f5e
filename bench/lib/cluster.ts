/**
 * A real cluster for benchmarks: `nats-server` on a free loopback port and Quorum nodes as child
 * processes (`node dist/bin/quorum.js`), each with its own state folder. Everything started here is
 * stopped by `stop()` (by pid), also when the benchmark fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../fixtures/datasets';

export interface BenchNode {
  name: string;
  nodeID: string;
  process: ChildProcess;
  log(): string;
}

export function natsBinary(): string | undefined {
  const candidates = [process.env.NATS_SERVER_BIN, 'nats-server', '/usr/sbin/nats-server', '/usr/bin/nats-server'].filter((c): c is string => !!c);
  return candidates.find((c) => spawnSync(c, ['--version']).status === 0);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function until(what: string, check: () => boolean, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs} ms:\n${log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class BenchCluster {
  readonly nodes: BenchNode[] = [];
  private nats?: ChildProcess;
  private readonly dirs: string[] = [];
  natsUrl = '';
  readonly namespace = `bench-${process.pid}`;

  async startNats(): Promise<void> {
    const bin = natsBinary();
    if (!bin) throw new Error('nats-server not found: install it with apt-get install -y nats-server (or set NATS_SERVER_BIN)');
    const port = await freePort();
    const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    this.nats = child;
    this.natsUrl = `nats://127.0.0.1:${port}`;
    await until(
      'nats-server start',
      () => /Server is ready/.test(log),
      10_000,
      () => log,
    );
  }

  /** Starts a Quorum node with `env` (TRANSPORTER, NAMESPACE and a fresh STATE_DIR added) and waits until it is up. */
  async start(name: string, env: Record<string, string>): Promise<BenchNode> {
    const dir = mkdtempSync(path.join(os.tmpdir(), `quorum-bench-${name}-`));
    this.dirs.push(dir);
    const nodeID = `${name}-${process.pid}`;
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bin', 'quorum.js')], {
      cwd: ROOT,
      env: { ...process.env, LOGLEVEL: 'info', TRANSPORTER: this.natsUrl, NAMESPACE: this.namespace, STATE_DIR: dir, NODEID: nodeID, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    const node: BenchNode = { name, nodeID, process: child, log: () => log };
    this.nodes.push(node);
    await until(
      `${name} start`,
      () => / up: /.test(log) || child.exitCode !== null,
      60_000,
      () => log,
    );
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${log}`);
    return node;
  }

  /** Waits until every node has logged that it sees every other one. */
  async connected(): Promise<void> {
    for (const n of this.nodes) {
      const others = this.nodes.filter((o) => o !== n);
      await until(`${n.name} to see the others`, () => others.every((o) => n.log().includes(`Node '${o.nodeID}' connected`)), 30_000, n.log);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            if (n.process.exitCode !== null || n.process.signalCode !== null) return resolve();
            const timer = setTimeout(() => n.process.kill('SIGKILL'), 15_000);
            n.process.once('exit', () => (clearTimeout(timer), resolve()));
            n.process.kill('SIGTERM');
          }),
      ),
    );
    if (this.nats && this.nats.exitCode === null) {
      const nats = this.nats;
      await new Promise<void>((resolve) => {
        nats.once('exit', () => resolve());
        nats.kill('SIGTERM');
      });
    }
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}
