/**
 * A Quorum cluster of real processes over a real nats-server, for integration tests and
 * benchmarks: start nodes with roles, talk to the gateway, kill and restart nodes by pid.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, waitFor } from './broker';
import { freePort, startNats, type NatsServer } from './nats';
import { startProcess, type NodeProcess } from './processes';

export class Cluster {
  readonly nodes = new Map<string, NodeProcess>();
  private readonly dirs = new Map<string, string>();
  nats!: NatsServer;
  port = 0;
  private readonly namespace = `c${process.pid}-${Math.random().toString(36).slice(2, 6)}`;

  get base(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  async start(): Promise<this> {
    this.nats = await startNats();
    this.port = await freePort();
    return this;
  }

  /** The state folder of a node name (kept across restarts of that name). */
  stateDir(name: string): string {
    if (!this.dirs.has(name)) this.dirs.set(name, mkdtempSync(path.join(os.tmpdir(), `quorum-${name}-`)));
    return this.dirs.get(name)!;
  }

  /** Starts (or restarts) a node: `services` like 'api,coordinator'; NODEID is the name. */
  async node(name: string, services: string, env: Record<string, string> = {}): Promise<NodeProcess> {
    const proc = startProcess(name, {
      TRANSPORTER: this.nats.url,
      NAMESPACE: this.namespace,
      HEARTBEAT_INTERVAL: '1',
      HEARTBEAT_TIMEOUT: '4',
      SERVICES: services,
      NODEID: name,
      STATE_DIR: this.stateDir(name),
      DATA_DIR: path.join(ROOT, 'data'),
      TRAINER_WORKERS: '1',
      REQUEST_TIMEOUT_MS: '5000',
      ...(services.split(',').includes('api') ? { PORT: String(this.port) } : {}),
      ...env,
    });
    this.nodes.set(name, proc);
    await proc.ready;
    return proc;
  }

  /** Starts `name` again if its process has ended (a test's cleanup after a kill, pass or fail). */
  async revive(name: string, services: string): Promise<void> {
    const p = this.nodes.get(name)?.process;
    if (p && p.exitCode === null && p.signalCode === null) return;
    await this.node(name, services);
  }

  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.nodes.get(name)?.kill(signal);
  }

  /** GET/POST/DELETE on the gateway; resolves to the parsed JSON body (and status). */
  async api<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.base}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** Waits until the gateway sees `count` trainer nodes with worker threads. */
  async trainers(count: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        const { body } = await this.api('GET', '/cluster');
        return body.trainers.filter((t: { size?: number }) => t.size).length === count;
      },
      `${count} trainer(s) in /api/cluster`,
      timeoutMs,
      200,
    );
  }

  /** Waits until `until(job)`; on a timeout the error carries the job and the end of every node's log. */
  async job(id: string, until: (job: any) => boolean, timeoutMs = 240_000, everyMs = 100): Promise<any> {
    let last: unknown;
    try {
      return await waitFor(
        async () => {
          const { body } = await this.api('GET', `/trainings/${id}`);
          last = body;
          return until(body) ? body : undefined;
        },
        `job ${id}`,
        timeoutMs,
        everyMs,
      );
    } catch (err) {
      (err as Error).message += `\nlast seen: ${JSON.stringify(last)?.slice(0, 2000)}\n${this.logs(40)}`;
      throw err;
    }
  }

  finished(id: string, timeoutMs = 240_000): Promise<any> {
    return this.job(id, (j) => ['completed', 'failed', 'cancelled'].includes(j.status), timeoutMs, 250);
  }

  /** Every node's log, or its last `lines` lines (for a failing test's output: set TEST_LOGS=1). */
  logs(lines?: number): string {
    const tail = (log: string) => (lines === undefined ? log : log.split('\n').slice(-lines).join('\n'));
    return [...this.nodes.entries()].map(([name, n]) => `===== ${name}\n${tail(n.log())}`).join('\n');
  }

  async stop(): Promise<void> {
    if (process.env.TEST_LOGS) console.log(this.logs());
    await Promise.all([...this.nodes.values()].map((n) => n.kill('SIGTERM')));
    await this.nats?.stop();
    for (const d of this.dirs.values()) rmSync(d, { recursive: true, force: true });
  }
}
