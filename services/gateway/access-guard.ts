/**
 * The gateway's access checks, run on every request before moleculer-web routes it (after the
 * origin guard): the `Host` header (DNS rebinding), the API key and its role, the request rate per
 * client and the number of event streams per client. Each refusal is the gateway's usual JSON
 * error with a stable `type`; keys never appear in a message or a log.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { QuorumConfig } from '../../lib/config';
import { QuorumError } from '../../lib/errors';
import { hostAllowed, hostPolicy, type HostPolicy } from '../../lib/security/hosts';
import { bearerKey, KeyRing, parseKeys, roleAllows, type KeyEntry, type Role } from '../../lib/security/keys';
import { RateLimiter } from '../../lib/security/rate-limit';
import { discardBody, writeHttpError } from './http-errors';
import type { RequestTarget } from './request-target';

interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
}

export class AccessGuard {
  private readonly keys: KeyRing | null;
  private readonly hosts: HostPolicy;
  private readonly limiter: RateLimiter;
  /** Failed authentications per client address (a brute-force brake: at the limit, every request of that address waits). */
  private readonly failures: RateLimiter;
  private readonly streams = new Map<string, number>();

  constructor(
    private readonly config: Readonly<QuorumConfig>,
    private readonly logger: Logger,
  ) {
    this.hosts = hostPolicy(config.host, config.allowedHosts);
    this.limiter = new RateLimiter(config.rateLimit);
    this.failures = new RateLimiter(config.authFailureLimit);
    const entries = config.apiKeysFile ? AccessGuard.readFile(config.apiKeysFile) : config.apiKeys;
    this.keys = entries ? new KeyRing(entries) : null;
    if (this.keys) logger.info(`API keys: ${this.keys.size} (${this.roleCounts()}); every route but GET /api/health needs one`);
    else logger.warn('no API keys set (API_KEYS / API_KEYS_FILE): the API is open to anyone who can reach it; it binds loopback only');
  }

  get keyed(): boolean {
    return this.keys !== null;
  }

  /** Re-reads API_KEYS_FILE (SIGHUP). A bad file keeps the old keys and says why. */
  reload(): void {
    if (!this.config.apiKeysFile || !this.keys) return;
    try {
      this.keys.replace(AccessGuard.readFile(this.config.apiKeysFile));
      this.logger.info(`API keys re-read from ${this.config.apiKeysFile}: ${this.keys.size} (${this.roleCounts()})`);
    } catch (err) {
      this.logger.warn(`API keys not re-read, the previous ones stay: ${(err as Error).message}`);
    }
  }

  /**
   * True when the request was refused (the answer is written). `target` is what the request
   * addresses ({@link requestTarget}): every decision below is taken on it, never on the raw path.
   */
  refuse(req: IncomingMessage, res: ServerResponse, target: RequestTarget): boolean {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const eventStream = target.kind === 'route' && target.key === 'GET events';
    let streamKey: string | null = null;
    if (url.searchParams.has('key')) {
      // Consumed here and cut from the URL, so no later log line or error report carries it.
      streamKey = url.searchParams.get('key');
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      const rest = new URLSearchParams(raw.slice(q + 1));
      rest.delete('key');
      const query = rest.toString();
      req.url = raw.slice(0, q) + (query ? `?${query}` : '');
    }
    if (!hostAllowed(req.headers.host, this.hosts)) {
      return this.deny(
        req,
        res,
        new QuorumError(
          'HOST_NOT_ALLOWED',
          `the request names host '${String(req.headers.host).slice(0, 100)}', which this gateway does not serve: add it to ALLOWED_HOSTS (comma-separated names) if it is yours`,
        ),
      );
    }
    const address = req.socket.remoteAddress ?? 'unknown';
    if (target.kind === 'static' || (target.kind === 'route' && target.access === 'open')) return false;
    if (target.kind === 'bad') {
      return this.limited(address, req, res) || this.deny(req, res, new QuorumError('BAD_PATH', `malformed request path: ${target.problem}`));
    }
    if (target.kind === 'unknown') {
      return (
        this.limited(address, req, res) ||
        this.deny(
          req,
          res,
          new QuorumError(
            'NOT_FOUND',
            `no route ${target.method} ${target.path.slice(0, 200)}: the API is under /api, spelt as in README's HTTP API table (paths are case-sensitive)`,
          ),
        )
      );
    }
    let entry: KeyEntry | null = null;
    if (this.keys) {
      const blocked = this.failures.blocked(address, Date.now());
      if (blocked) {
        res.setHeader('Retry-After', String(blocked));
        return this.deny(
          req,
          res,
          new QuorumError(
            'RATE_LIMITED',
            `more than ${this.config.authFailureLimit} failed authentications a minute from this address: retry in ${blocked} s (AUTH_FAILURE_LIMIT sets the limit)`,
          ),
        );
      }
      const presented = bearerKey(req.headers.authorization) ?? (eventStream ? (streamKey ?? undefined) : undefined);
      entry = this.keys.lookup(presented);
      if (!entry) {
        this.failures.take(address, Date.now());
        res.setHeader('WWW-Authenticate', 'Bearer realm="quorum"');
        const why = presented ? 'the API key is not one this gateway knows' : 'this route needs an API key';
        return this.deny(
          req,
          res,
          new QuorumError('UNAUTHORIZED', `${why}: send it as 'Authorization: Bearer <key>'${eventStream ? ' (or ?key=<key> on this event stream)' : ''}`),
        );
      }
      if (!roleAllows(entry.role, target.access)) {
        return this.deny(
          req,
          res,
          new QuorumError('FORBIDDEN', `${req.method} ${url.pathname.slice(0, 200)} needs the '${target.access}' role; this key has '${entry.role}'`, {
            needed: target.access,
            role: entry.role,
          }),
        );
      }
    }
    (req as IncomingMessage & { $role?: Role }).$role = entry?.role ?? (this.keys ? undefined : 'admin');
    if (this.limited(entry?.id ?? address, req, res)) return true;
    if (eventStream) return this.countStream(entry?.id ?? address, req, res);
    return false;
  }

  /** True (and the 429 written) when `client` is over RATE_LIMIT. */
  private limited(client: string, req: IncomingMessage, res: ServerResponse): boolean {
    const rate = this.limiter.take(client, Date.now());
    if (rate.ok) return false;
    res.setHeader('Retry-After', String(rate.retryAfter));
    return this.deny(
      req,
      res,
      new QuorumError(
        'RATE_LIMITED',
        `more than ${this.config.rateLimit} requests a minute from this client: retry in ${rate.retryAfter} s (RATE_LIMIT sets the limit)`,
      ),
    );
  }

  private countStream(client: string, req: IncomingMessage, res: ServerResponse): boolean {
    const open = this.streams.get(client) ?? 0;
    if (open >= this.config.maxSsePerClient) {
      return this.deny(
        req,
        res,
        new QuorumError(
          'TOO_MANY_STREAMS',
          `this client already holds ${open} event streams (MAX_SSE_PER_CLIENT ${this.config.maxSsePerClient}): close one first`,
        ),
      );
    }
    this.streams.set(client, open + 1);
    res.once('close', () => {
      const left = (this.streams.get(client) ?? 1) - 1;
      if (left > 0) this.streams.set(client, left);
      else this.streams.delete(client);
    });
    return false;
  }

  private deny(req: IncomingMessage, res: ServerResponse, err: QuorumError): true {
    discardBody(req, res);
    writeHttpError(req, res, err);
    return true;
  }

  private roleCounts(): string {
    const counts = new Map<string, number>();
    for (const id of this.keys?.ids() ?? []) counts.set(id.split('#')[0], (counts.get(id.split('#')[0]) ?? 0) + 1);
    return [...counts].map(([role, n]) => `${n} ${role}`).join(', ');
  }

  private static readFile(file: string): KeyEntry[] {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`API_KEYS_FILE=${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): create it with role:key lines`);
    }
    const entries = parseKeys(text, file);
    if (entries.length === 0) throw new Error(`API_KEYS_FILE=${file} holds no keys: add role:key lines (e.g. admin:$(openssl rand -hex 24))`);
    return entries;
  }
}
