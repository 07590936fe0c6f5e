/**
 * A token bucket per client (an API key's id, or an IP address without keys): `perMinute` requests
 * in a burst, refilled at `perMinute / 60` a second. `take` answers whether a request may go on
 * and, when not, how many whole seconds until one may (the `Retry-After` value).
 *
 * Memory is bounded: buckets that are full again are forgotten on a sweep, and at most `maxClients`
 * are held (the oldest is dropped first; a dropped client starts with a full bucket).
 */
export interface RateDecision {
  ok: boolean;
  /** Requests left in the bucket after this one. */
  remaining: number;
  /** Seconds until the next request is allowed (0 when ok). */
  retryAfter: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private lastSweep = 0;

  /** `perMinute` 0 turns the limiter off. Times are in milliseconds (`now` from the caller). */
  constructor(
    readonly perMinute: number,
    private readonly maxClients = 100_000,
  ) {
    this.perMs = perMinute / 60_000;
  }

  take(client: string, now: number): RateDecision {
    if (this.perMinute <= 0) return { ok: true, remaining: Infinity, retryAfter: 0 };
    this.sweep(now);
    const bucket = this.buckets.get(client) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs);
    bucket.at = now;
    // Re-inserted so that Map order is least recently used first.
    this.buckets.delete(client);
    this.buckets.set(client, bucket);
    if (this.buckets.size > this.maxClients) this.buckets.delete(this.buckets.keys().next().value as string);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true, remaining: Math.floor(bucket.tokens), retryAfter: 0 };
    }
    return { ok: false, remaining: 0, retryAfter: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)) };
  }

  /**
   * Seconds until `client` may take a request again without taking one now: 0 when it may. For a
   * brake that counts only failures (the bucket is drawn by {@link take} on each failure).
   */
  blocked(client: string, now: number): number {
    if (this.perMinute <= 0) return 0;
    const bucket = this.buckets.get(client);
    if (!bucket) return 0;
    const tokens = Math.min(this.perMinute, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000));
  }

  /** Clients currently tracked (for tests and metrics). */
  get clients(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [client, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.perMinute) this.buckets.delete(client);
    }
  }
}
