import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../lib/config';
import { brokerOptions, redactUrl, transporterOptions } from '../../moleculer.config';

const problem = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
};

describe('configuration (lib/config)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'quorum-config-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults: metrics on, text logs, no NATS credentials, loopback without keys', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ metrics: true, logFormat: 'text', host: '127.0.0.1', apiKeys: null, rateLimit: 6000 });
    expect(c.nats).toEqual({ user: null, password: null, token: null, tlsCa: null, tlsCert: null, tlsKey: null });
    expect(brokerOptions(c).metrics).toEqual({ enabled: true, reporter: [] });
    expect(brokerOptions(parseConfig({ METRICS: 'off' })).metrics).toBe(false);
  });

  it('HOST beyond loopback without keys is refused with the way to set keys', () => {
    expect(problem({ HOST: '0.0.0.0' })).toContain('no API keys are set: set API_KEYS=admin:<key>');
    expect(problem({ HOST: '0.0.0.0', API_KEYS: `admin:${'k'.repeat(24)}` })).toBe('');
    expect(problem({ HOST: '0.0.0.0', SERVICES: 'trainer' })).toBe(''); // no gateway on this node
  });

  it('NATS credentials go to the transporter as servers, user, pass, token and TLS files', () => {
    const ca = path.join(dir, 'ca.pem');
    writeFileSync(ca, 'not checked here');
    const c = parseConfig({ TRANSPORTER: 'nats://a:4222,nats://b:4223', NATS_USER: 'q', NATS_PASSWORD: 's3cret', NATS_TLS_CA: ca });
    expect(transporterOptions(c)).toEqual({ type: 'NATS', options: { servers: ['a:4222', 'b:4223'], user: 'q', pass: 's3cret', tls: { caFile: ca } } });
    const t = parseConfig({ TRANSPORTER: 'nats://a:4222', NATS_TOKEN: 'tok' });
    expect(transporterOptions(t)).toEqual({ type: 'NATS', options: { servers: ['a:4222'], token: 'tok' } });
    // credentials in the URL are kept (Moleculer's own URL parsing would drop explicit ones)
    expect(transporterOptions(parseConfig({ TRANSPORTER: 'nats://u:p%40ss@a:4222' }))).toEqual({
      type: 'NATS',
      options: { servers: ['a:4222'], user: 'u', pass: 'p@ss' },
    });
    expect(transporterOptions(parseConfig({}))).toBeUndefined();
  });

  it.each([
    [{ NATS_USER: 'q', NATS_PASSWORD: 'p' }, 'TRANSPORTER is empty'],
    [{ TRANSPORTER: 'nats://a:4222', NATS_USER: 'q' }, 'NATS_USER and NATS_PASSWORD go together'],
    [{ TRANSPORTER: 'nats://a:4222', NATS_USER: 'q', NATS_PASSWORD: 'p', NATS_TOKEN: 't' }, 'NATS_TOKEN and NATS_USER are both set'],
    [{ TRANSPORTER: 'nats://a:4222', NATS_TLS_CA: '/no/such/ca.pem' }, 'NATS_TLS_CA=/no/such/ca.pem: no readable file there'],
    [{ TRANSPORTER: 'nats://a:4222,redis://b' }, 'expected nats://host:port'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT=xml: expected one of text, json'],
    [{ METRICS: 'maybe' }, 'METRICS=maybe: expected one of on, off'],
  ])('%j is refused: %s', (env, message) => {
    expect(problem(env as Record<string, string>)).toContain(message);
  });

  it('a bad TRANSPORTER is reported without its password; logs show URLs redacted', () => {
    expect(problem({ TRANSPORTER: 'nats://u:hunter2@a:4222,redis://x' })).not.toContain('hunter2');
    expect(redactUrl('nats://u:hunter2@a:4222')).toBe('nats://u:***@a:4222');
    expect(redactUrl('nats://a:4222')).toBe('nats://a:4222');
  });

  it('LOG_FORMAT=json gives the json formatter without colours', () => {
    const logger = brokerOptions(parseConfig({ LOG_FORMAT: 'json' })).logger as unknown as { options: { formatter: string; colors: boolean } };
    expect(logger.options).toMatchObject({ formatter: 'json', colors: false });
  });
});
