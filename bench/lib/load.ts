/**
 * HTTP load with autocannon, and what the prediction benchmark measures with it.
 *
 * About autocannon's rate limit: each connection sends its share of a second's requests back to
 * back, then waits for the next second. A rate is therefore bursts, not evenly spaced arrivals;
 * here the connections are few (one per 500 requests/s) so that a burst is a few requests in
 * flight at once. Latencies are taken per response (high-resolution, in ms) rather than from
 * autocannon's histogram, which counts whole milliseconds.
 */
import http from 'node:http';
import { median } from './report';

/** The part of autocannon's API used here (the package ships no types). */
interface Instance extends PromiseLike<{ errors: number; timeouts: number }> {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
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

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/**
 * One request on a keep-alive connection with node's http client, the answer read in full (and
 * dropped: its bytes are counted, not decoded). A lean client, like the load generator, so that on
 * a 2-core machine the time is the server's; `fetch` with `res.text()` added 14–17 ms to a
 * 10,000-row batch against one local process (2.2 MB answer decoded as a string through web streams).
 */
export function request(url: string, body?: string | Buffer, contentType = 'application/json'): Promise<{ status: number; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) };
    const req = http.request(url, { method: body === undefined ? 'GET' : 'POST', agent, headers }, (res) => {
      const status = res.statusCode ?? 0;
      const errorText: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (status !== 200 && bytes < 4096) errorText.push(chunk);
      });
      res.on('end', () => resolve({ status, bytes, text: Buffer.concat(errorText).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Milliseconds of each of `n` sequential POSTs of `body` (one connection, keep-alive; see {@link request}). */
export async function sequential(url: string, body: string | Buffer, n: number, contentType = 'application/json'): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = process.hrtime.bigint();
    const res = await request(url, body, contentType);
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${res.text.slice(0, 300)}`);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times;
}

export { median };
