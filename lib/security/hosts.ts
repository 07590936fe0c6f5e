/**
 * The `Host` check against DNS rebinding: a web page on `evil.example` whose name is re-pointed at
 * 127.0.0.1 reaches a loopback gateway with `Host: evil.example`. Allowed: any IP literal (a
 * rebinding attack needs a name), `localhost`, the name the gateway binds (HOST) and the names of
 * ALLOWED_HOSTS; any port. `*` in ALLOWED_HOSTS turns the check off.
 */
import { isIP } from 'node:net';

export interface HostPolicy {
  any: boolean;
  names: ReadonlySet<string>;
}

/** The policy for a gateway bound to `bind` with ALLOWED_HOSTS `extra` (lower-cased names). */
export function hostPolicy(bind: string, extra: readonly string[]): HostPolicy {
  const names = new Set(['localhost', ...extra.map((n) => n.toLowerCase())]);
  if (bind && !isIP(bind)) names.add(bind.toLowerCase());
  return { any: extra.includes('*'), names };
}

/** The host name of a Host header without its port (`[::1]:3000` → `::1`), lower-cased. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return (colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h).replace(/\.$/, '');
}

/** True when a request with this Host header may be served. No header (HTTP/1.0 tools): allowed. */
export function hostAllowed(header: string | undefined, policy: HostPolicy): boolean {
  if (policy.any || header === undefined) return true;
  const name = hostName(header);
  return isIP(name) !== 0 || policy.names.has(name);
}

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopback(bind: string): boolean {
  const b = bind.trim().toLowerCase();
  return b === 'localhost' || b === '::1' || /^127\.\d+\.\d+\.\d+$/.test(b) || b === '::ffff:127.0.0.1';
}
