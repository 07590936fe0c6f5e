import { accessOf, pathProblem, ROUTE_ACCESS, routeKey } from '../../../lib/security/access';
import { hostAllowed, hostName, hostPolicy, isLoopback } from '../../../lib/security/hosts';
import { bearerKey, KeyListError, KeyRing, parseKeys, roleAllows } from '../../../lib/security/keys';
import { RateLimiter } from '../../../lib/security/rate-limit';

const KEY = (c: string) => c.repeat(20);

describe('API key lists (lib/security/keys)', () => {
  it('parses role:key entries from commas, lines and # comments; names entries without their key', () => {
    const entries = parseKeys(`# operators\nadmin:${KEY('a')}\nread:${KEY('r')}, read:${KEY('s')}  # dashboards\n\n`);
    expect(entries.map((e) => e.id)).toEqual(['admin#1', 'read#1', 'read#2']);
    expect(JSON.stringify(entries)).not.toContain(KEY('a'));
  });

  it.each([
    [`boss:${KEY('a')}`, 'does not start with a role'],
    [KEY('a'), 'does not start with a role'],
    ['admin:short', 'shorter than 16'],
    [`admin:${KEY('a')},read:${KEY('a')}`, 'repeats an earlier key'],
  ])('refuses %s, naming the entry and never the key', (text, message) => {
    let err: unknown;
    try {
      parseKeys(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KeyListError);
    expect((err as Error).message).toContain(message);
    expect((err as Error).message).not.toContain(KEY('a'));
  });

  it('looks keys up by digest; roles are ordered read < train < admin', () => {
    const ring = new KeyRing(parseKeys(`train:${KEY('t')},admin:${KEY('a')}`));
    expect(ring.lookup(KEY('t'))?.role).toBe('train');
    expect(ring.lookup(KEY('t') + 'x')).toBeNull();
    expect(ring.lookup(undefined)).toBeNull();
    expect(roleAllows('train', 'read')).toBe(true);
    expect(roleAllows('train', 'admin')).toBe(false);
    expect(roleAllows(null, 'read')).toBe(false);
    expect(roleAllows(null, 'open')).toBe(true);
    ring.replace(parseKeys(`read:${KEY('r')}`));
    expect(ring.lookup(KEY('t'))).toBeNull();
    expect(ring.lookup(KEY('r'))?.id).toBe('read#1');
  });

  it('reads only a well-formed Bearer header', () => {
    expect(bearerKey(`Bearer ${KEY('a')}`)).toBe(KEY('a'));
    expect(bearerKey(`bearer   ${KEY('a')} `)).toBe(KEY('a'));
    expect(bearerKey(`Basic ${KEY('a')}`)).toBeUndefined();
    expect(bearerKey([`Bearer ${KEY('a')}`])).toBeUndefined();
  });
});

describe('route roles and request paths (lib/security/access, issue 29)', () => {
  it('keys an alias as the table does: relative under /api, from the root elsewhere; a missing key needs admin', () => {
    expect(routeKey('/api', 'GET', 'models/:version')).toBe('GET models/:version');
    expect(routeKey('/api', 'POST', '/predict/csv')).toBe('POST predict/csv');
    expect(routeKey('/metrics', 'GET', '')).toBe('GET /metrics');
    expect(routeKey('/metrics', 'GET', '/')).toBe('GET /metrics');
    expect(accessOf('GET models/:version')).toBe('read');
    expect(accessOf('GET health')).toBe('open');
    expect(accessOf('PATCH datasets/:id')).toBe('admin');
    expect(accessOf('__proto__')).toBe('admin');
  });

  it.each([
    ['/api/datasets', null],
    ['/api/datasets/', null],
    ['/api/models/iris%20v1', null],
    ['/js/app.js', null],
    ['api/datasets', 'must start with /'],
    ['/api//datasets', 'empty segment'],
    ['/api/./datasets', 'dot segment'],
    ['/x/../api/datasets', 'dot segment'],
    ['/api/%2e%2e/metrics', 'dot segment'],
    ['/api/datasets%2firis', 'separator'],
    ['/api/datasets%5Ciris', 'separator'],
    ['/api/datasets/%00', 'control'],
    ['/api/datasets/%E0%A4%A', 'does not decode'],
    ['/api\\datasets', 'backslash'],
    ['/api/datasets/\u0007', 'control'],
    [`/${'a'.repeat(3000)}`, 'longer than'],
  ])('%s → %s', (raw, problem) => {
    const got = pathProblem(raw);
    if (problem === null) expect(got).toBeNull();
    else expect(got).toContain(problem);
  });

  it('every state-changing route needs more than read, except predictions and evaluations', () => {
    const writes = Object.entries(ROUTE_ACCESS).filter(([r]) => !r.startsWith('GET '));
    const readable = writes.filter(([, a]) => a === 'read').map(([r]) => r);
    expect(readable.sort()).toEqual(['POST models/:version/evaluate', 'POST predict', 'POST predict/csv']);
    expect(writes.filter(([r]) => r.startsWith('DELETE ')).every(([, a]) => a === 'admin')).toBe(true);
  });
});

describe('Host check (lib/security/hosts)', () => {
  const policy = hostPolicy('127.0.0.1', ['quorum.example']);
  it.each([
    ['127.0.0.1:3000', true],
    ['[::1]:3000', true],
    ['localhost', true],
    ['LOCALHOST.:3000', true],
    ['quorum.example:443', true],
    ['evil.example:3000', false],
    ['127.0.0.1.evil.example', false],
  ])('%s → %s', (header, ok) => expect(hostAllowed(header, policy)).toBe(ok));

  it('the bound name is allowed, * turns the check off; loopback addresses are told apart', () => {
    expect(hostAllowed('box.lan', hostPolicy('box.lan', []))).toBe(true);
    expect(hostAllowed('anything', hostPolicy('127.0.0.1', ['*']))).toBe(true);
    expect(hostName('[::1]:80')).toBe('::1');
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('10.0.0.5')).toBe(false);
  });
});

describe('rate limit (lib/security/rate-limit)', () => {
  it('lets a burst of perMinute through, then answers the seconds until the next one', () => {
    const limiter = new RateLimiter(6);
    const t0 = 1_000_000;
    const answers = Array.from({ length: 7 }, () => limiter.take('k', t0));
    expect(answers.map((a) => a.ok)).toEqual([true, true, true, true, true, true, false]);
    expect(answers[6].retryAfter).toBe(10); // 6 a minute: one every 10 s
    expect(limiter.take('k', t0 + 10_000).ok).toBe(true);
    expect(limiter.take('other', t0).ok).toBe(true); // per client
  });

  it('blocked() answers the wait without drawing a token (the failed-authentication brake)', () => {
    const brake = new RateLimiter(3);
    const t0 = 5_000_000;
    expect(brake.blocked('ip', t0)).toBe(0);
    for (let i = 0; i < 3; i++) brake.take('ip', t0);
    expect(brake.blocked('ip', t0)).toBe(20); // 3 a minute: one every 20 s
    expect(brake.blocked('ip', t0)).toBe(20);
    expect(brake.blocked('ip', t0 + 20_000)).toBe(0);
    expect(brake.blocked('other', t0)).toBe(0);
    expect(new RateLimiter(0).blocked('ip', t0)).toBe(0);
  });

  it('0 turns it off; memory is bounded by maxClients', () => {
    expect(new RateLimiter(0).take('k', 0)).toMatchObject({ ok: true });
    const limiter = new RateLimiter(10, 100);
    for (let i = 0; i < 1000; i++) limiter.take(`c${i}`, 5);
    expect(limiter.clients).toBe(100);
  });
});
