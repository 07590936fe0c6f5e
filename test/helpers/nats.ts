/**
 * A real nats-server on a free loopback port for integration tests. Found on PATH or at
 * NATS_SERVER_BIN. Missing: under CI=true the test fails; elsewhere it is skipped with the command
 * that installs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

export const NATS_INSTALL = 'apt-get install -y nats-server   (or set NATS_SERVER_BIN=/path/to/nats-server)';

export function natsServerBinary(): string | undefined {
  const explicit = process.env.NATS_SERVER_BIN;
  if (explicit) return existsSync(explicit) ? explicit : undefined;
  for (const candidate of ['nats-server', '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    const found = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (found.status === 0) return candidate;
  }
  return undefined;
}

/**
 * Whether NATS tests can run. Under CI=true a missing server throws (the run must fail);
 * otherwise it prints why the tests are skipped and returns false.
 */
export function natsAvailable(): boolean {
  if (natsServerBinary()) return true;
  const message = `nats-server not found: integration tests need it. Install it with: ${NATS_INSTALL}`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface NatsServer {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A real nats-server on a free loopback port; `args` are passed on (e.g. `--user u --pass p`). */
export async function startNats(args: string[] = []): Promise<NatsServer> {
  const bin = natsServerBinary();
  if (!bin) throw new Error(`nats-server not found. Install it with: ${NATS_INSTALL}`);
  const port = await freePort();
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const deadline = Date.now() + 10_000;
  while (!/Server is ready/.test(log)) {
    if (child.exitCode !== null) throw new Error(`nats-server exited: ${log}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start in 10 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
