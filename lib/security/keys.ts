/**
 * API keys and roles. A key list is `role:key` entries separated by commas or new lines (blank
 * lines and `#` comments allowed in a file); roles are ordered `read` < `train` < `admin`, a higher
 * role may do everything a lower one may.
 *
 * Keys are kept only as SHA-256 digests and compared with `crypto.timingSafeEqual` against every
 * entry (no early exit), so the answer time does not tell how much of a key was right. Nothing here
 * puts a key into an error message or a log: entries are named by their position and role.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const ROLES = ['read', 'train', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** What a route needs: a role, or nothing at all (`open`). */
export type Access = Role | 'open';

/** Shortest key accepted: 16 characters (`openssl rand -hex 24` gives 48). */
export const MIN_KEY_LENGTH = 16;

export interface KeyEntry {
  role: Role;
  /** SHA-256 of the key. */
  digest: Buffer;
  /** A name for logs and rate limits that does not reveal the key: `admin#1`. */
  id: string;
}

export class KeyListError extends Error {}

const digestOf = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/**
 * Parses a key list. Throws {@link KeyListError} naming the entry (by position, never its key) and
 * the fix. `source` names where the list came from in messages (`API_KEYS`, a file path).
 */
export function parseKeys(text: string, source = 'API_KEYS'): KeyEntry[] {
  const items = text
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .flatMap((line) => line.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const out: KeyEntry[] = [];
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const colon = item.indexOf(':');
    const role = colon > 0 ? item.slice(0, colon).trim().toLowerCase() : '';
    const key = colon > 0 ? item.slice(colon + 1).trim() : '';
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new KeyListError(
        `${source}: entry ${i + 1} does not start with a role: write role:key with role one of ${ROLES.join(', ')} (e.g. admin:$(openssl rand -hex 24))`,
      );
    }
    if (key.length < MIN_KEY_LENGTH || /\s/.test(key)) {
      throw new KeyListError(
        `${source}: the key of entry ${i + 1} (${role}) is shorter than ${MIN_KEY_LENGTH} characters or contains spaces: use a long random key, e.g. openssl rand -hex 24`,
      );
    }
    const digest = digestOf(key);
    const hex = digest.toString('hex');
    if (seen.has(hex)) throw new KeyListError(`${source}: entry ${i + 1} (${role}) repeats an earlier key: give every role its own key`);
    seen.add(hex);
    out.push({ role: role as Role, digest, id: `${role}#${out.filter((e) => e.role === role).length + 1}` });
  });
  return out;
}

/** True when `have` may do what `need` requires. */
export function roleAllows(have: Role | null, need: Access): boolean {
  if (need === 'open') return true;
  if (have === null) return false;
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** The set of keys a gateway accepts. */
export class KeyRing {
  private entries: readonly KeyEntry[];

  constructor(entries: readonly KeyEntry[]) {
    this.entries = entries;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Names of the entries (`admin#1`), never the keys. */
  ids(): string[] {
    return this.entries.map((e) => e.id);
  }

  /** Replaces the keys (a re-read file). */
  replace(entries: readonly KeyEntry[]): void {
    this.entries = entries;
  }

  /** The entry whose key is `presented`, or null. Every entry is compared, in constant time each. */
  lookup(presented: string | undefined): KeyEntry | null {
    if (!presented) return null;
    const digest = digestOf(presented);
    let hit: KeyEntry | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest) && hit === null) hit = entry;
    }
    return hit;
  }
}

/** The key of an `Authorization: Bearer <key>` header, or undefined. */
export function bearerKey(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
