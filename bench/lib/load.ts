/**
 * HTTP load with autocannon, and what the prediction benchmark measures with it.
 *
 * About autocannon's rate limit: each connection sends its share of a second's requests back to
 * back, then waits for the next second. A rate is therefore bursts, not evenly spaced arrivals;
 * here the connections are few (one per 500 requests/s) so that a burst is a few requests in
 * flight at once. Latencies are taken per response (high-resolution, in ms) rather than from
 * autocannon's histogram, which counts whole milliseconds.
 */
import { median } from './report';

/** The part of autocannon's API used here (the package ships no types). */
interface Instance extends PromiseLike<{ errors: number; timeouts: number }> {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
// eslint-disable-next-line @typescript-eslint/no-var-requires
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Instance;

export interface RateResult {
  targetRate: number;
  connections: number;
  /** Responses per second actually served. */
  achievedRate: number;
  requests: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Requests of `body` to `url` at `rate` per second for `seconds`. */
export async function loadAtRate(url: string, body: string, rate: number, seconds: number): Promise<RateResult> {
  const connections = Math.max(1, Math.ceil(rate / 500));
  const latencies: number[] = [];
  let errors = 0;
  const instance = autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    overallRate: rate,
    duration: seconds,
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status === 200) latencies.push(ms);
    else errors++;
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    targetRate: rate,
    connections,
    achievedRate: latencies.length / seconds,
    requests: latencies.length,
    errors: errors + result.errors + result.timeouts,
    p50: quantile(latencies, 0.5),
    p90: quantile(latencies, 0.9),
    p99: quantile(latencies, 0.99),
    max: latencies[latencies.length - 1] ?? NaN,
  };
}

/** Milliseconds of each of `n` sequential POSTs of `body` (one connection, keep-alive). */
export async function sequential(url: string, body: string | Buffer, n: number, contentType = 'application/json'): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = process.hrtime.bigint();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 300)}`);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times;
}

export { median };
