/**
 * Small helpers every benchmark uses: medians, a plain-text table, the reference Python.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import type { Matrix } from '../../lib/models/model';

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export function mean(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

/** Renders rows as an aligned text table (first row = header); numbers are already formatted. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The Python with scikit-learn (Debian's python3-sklearn lives under /usr/bin/python3, not on PATH). */
export const PYTHON = '/usr/bin/python3';

/**
 * Whether `PYTHON` can import scikit-learn, numpy and pandas; the versions when it can, or
 * null after printing how to install them.
 */
export function findSklearn(checkScript: string): Record<string, string> | null {
  if (!existsSync(PYTHON)) {
    console.log(`${PYTHON} not found: install it with 'apt-get install -y python3 python3-sklearn python3-pandas'; running the Node side alone`);
    return null;
  }
  try {
    return JSON.parse(execFileSync(PYTHON, [checkScript, '--check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch {
    console.log(
      `${PYTHON} cannot import scikit-learn/pandas: install them with 'apt-get install -y python3-sklearn python3-pandas'; running the Node side alone`,
    );
    return null;
  }
}

/** Writes a benchmark's results (with the load average at the end, a measure of how noisy the run was) and says where. */
export function writeResults(file: string, results: Record<string, unknown>, root: string): void {
  results.loadAtEnd = loadavg();
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(
    `\nload average at end: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}; results in ${path.relative(root, file)}`,
  );
}

/** A model's prediction timed as the references time theirs: the median of `calls` calls on the test rows, and the last output. */
export function timePredict(model: { predict(x: Matrix): Float32Array }, x: Matrix, calls = 5): { predictS: number; out: Float32Array } {
  const times: number[] = [];
  let out: Float32Array = new Float32Array(0);
  for (let k = 0; k < calls; k++) {
    const t1 = performance.now();
    out = model.predict(x);
    times.push((performance.now() - t1) / 1000);
  }
  return { predictS: median(times), out };
}

/** Runs a benchmark's entry (its main, or a child's measurement printed as JSON); any failure ends the process with 1. */
export function runEntry<T>(work: Promise<T>, print?: (value: T) => void): void {
  work.then(print).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
