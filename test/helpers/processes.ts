/**
 * Quorum nodes as real child processes (`node dist/bin/quorum.js`), each with its own environment,
 * logs captured, ended by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './broker';

export interface NodeProcess {
  name: string;
  nodeID: string;
  process: ChildProcess;
  log(): string;
  /** Resolves when the node printed that it is up. */
  ready: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startProcess(name: string, env: Record<string, string>): NodeProcess {
  const nodeID = env.NODEID ?? `${name}-${process.pid}`;
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bin', 'quorum.js')], {
    cwd: ROOT,
    env: { ...process.env, LOGLEVEL: 'info', ...env, NODEID: nodeID },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 30 s:\n${log}`)), 30_000);
    const check = () => {
      if (/ up: /.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was up:\n${log}`));
    });
  });
  ready.catch(() => undefined);
  return {
    name,
    nodeID,
    process: child,
    log: () => log,
    ready,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill(signal);
      });
    },
  };
}
