/**
 * How much of a second core this machine gives now: the same fixed work (an integer loop, about a
 * second) run in one process, then in two processes at once; C = 2 · alone / together, 2.00 on an
 * idle 2-core machine, less when other work shares it. Speed-up targets are stated as shares of C
 * measured in the same run (shared VMs do not always give two full cores).
 */
import { spawn } from 'node:child_process';

const LOOP = 'let x = 0; for (let i = 0; i < 4e8; i++) x = (Math.imul(x, 1664525) + 1013904223) | 0; process.stdout.write(String(x & 1));';

function once(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, ['-e', LOOP], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve((performance.now() - t) / 1000) : reject(new Error(`capacity loop exited with ${code}`))));
  });
}

export interface Capacity {
  aloneS: number;
  togetherS: number;
  /** Work two processes do at once, in units of one process's (2.00: two free cores). */
  capacity: number;
}

/** The better of `tries` measurements (noise only ever lowers it). */
export async function measureCapacity(tries = 2): Promise<Capacity> {
  let best: Capacity | null = null;
  for (let k = 0; k < tries; k++) {
    const aloneS = await once();
    const togetherS = Math.max(...(await Promise.all([once(), once()])));
    const c = { aloneS, togetherS, capacity: (2 * aloneS) / togetherS };
    if (!best || c.capacity > best.capacity) best = c;
  }
  return best!;
}
