/**
 * The model store on disk. Layout under `root`:
 * ```
 * versions/<id>/version.json        metadata (written atomically after every change)
 * versions/<id>/members/<m>.qm      member artifacts (checksum verified before the rename)
 * versions/<id>/validation.qs       the validation rows the version is evaluated on
 * active.json                       name → active version id
 * names.json                        name → last version number (ids are never reused)
 * ```
 * Ids come from one serialised allocator (`serial`): the counter is written atomically before the
 * version's folder is made, the folder is made exclusively (an existing one is never reused, even
 * beside a stale counter), and at start the counter is raised to the highest id on disk.
 * `active.json` and `history.json` are written through the same queue, so writes never land out of order.
 * ```
 * history.json                      activations, newest last
 * ```
 * A crash mid-write leaves a temp file (removed at start) and the previous state, never half a file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { QuorumError } from '../errors';
import { readJson, removeStaleTemps, writeFileAtomic, writeJsonAtomic } from '../store/atomic';
import { sha256 } from '../store/streams';
import type { ActivationRecord, MemberMeta, VersionMeta } from './version';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const byId = new Intl.Collator('en', { numeric: true });

export function checkName(name: string, what = 'name'): string {
  if (typeof name !== 'string' || !SAFE_ID.test(name) || name.includes('..')) {
    throw new QuorumError('BAD_REQUEST', `invalid ${what} '${name}': use letters, digits, '.', '_' and '-' (at most 128)`);
  }
  return name;
}

export class VersionStore {
  private readonly versions = new Map<string, VersionMeta>();
  private active: Record<string, string> = {};
  private counters: Record<string, number> = {};
  private history: ActivationRecord[] = [];
  /** Serialises metadata writes per version (members arrive concurrently). */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Serialises the store-wide files (names.json, active.json, history.json) and id allocation. */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(readonly root: string) {}

  async init(): Promise<void> {
    const dir = path.join(this.root, 'versions');
    await fs.mkdir(dir, { recursive: true });
    await removeStaleTemps(this.root);
    for (const id of await fs.readdir(dir)) {
      if (id.startsWith('.')) {
        await fs.rm(path.join(dir, id), { recursive: true, force: true });
        continue;
      }
      await removeStaleTemps(path.join(dir, id));
      await removeStaleTemps(path.join(dir, id, 'members'));
      const meta = await readJson<VersionMeta>(path.join(dir, id, 'version.json'));
      if (meta) this.versions.set(meta.id, meta);
    }
    this.active = (await readJson<Record<string, string>>(path.join(this.root, 'active.json'))) ?? {};
    this.counters = (await readJson<Record<string, number>>(path.join(this.root, 'names.json'))) ?? {};
    this.history = (await readJson<ActivationRecord[]>(path.join(this.root, 'history.json'))) ?? [];
    // A counter behind the folders on disk (an older write landed last, or a crash between
    // the two): raise it, so the next id is above every id that ever existed.
    for (const id of await fs.readdir(dir)) {
      const m = /^(.+)-v(\d+)$/.exec(id.startsWith('.removed-') ? '' : id);
      if (m && Number(m[2]) > (this.counters[m[1]] ?? 0)) this.counters[m[1]] = Number(m[2]);
    }
    for (const [name, id] of Object.entries(this.active)) if (!this.versions.has(id)) delete this.active[name];
  }

  private dir(id: string): string {
    return path.join(this.root, 'versions', checkName(id, 'version'));
  }

  private async locked<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.locks.set(
      id,
      next.catch(() => undefined),
    );
    return next;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.serial.then(work, work);
    this.serial = next.catch(() => undefined);
    return next;
  }

  private async writeMeta(meta: VersionMeta): Promise<void> {
    await writeJsonAtomic(path.join(this.dir(meta.id), 'version.json'), meta);
    this.versions.set(meta.id, meta);
  }

  get(id: string): VersionMeta {
    const meta = this.versions.get(id);
    if (!meta) throw new QuorumError('VERSION_NOT_FOUND', `no model version '${id}'`, { version: id });
    return meta;
  }

  list(name?: string): VersionMeta[] {
    return [...this.versions.values()].filter((v) => !name || v.name === name).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  activeVersions(): Record<string, string> {
    return { ...this.active };
  }

  activations(): ActivationRecord[] {
    return this.history.slice();
  }

  /** Registers a new version (status 'training') and gives it the next id of its name: `<name>-v<n>`. */
  async create(meta: Omit<VersionMeta, 'id' | 'status' | 'createdAt'>): Promise<VersionMeta> {
    checkName(meta.name);
    return this.exclusive(async () => {
      for (;;) {
        const n = (this.counters[meta.name] ?? 0) + 1;
        this.counters[meta.name] = n;
        await writeJsonAtomic(path.join(this.root, 'names.json'), this.counters);
        const version: VersionMeta = { ...meta, id: `${meta.name}-v${n}`, status: 'training', createdAt: new Date().toISOString() };
        try {
          // not recursive: fails when the folder exists (another store on this folder took the id)
          await fs.mkdir(this.dir(version.id));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw err;
        }
        await fs.mkdir(path.join(this.dir(version.id), 'members'));
        await this.writeMeta(version);
        return version;
      }
    });
  }

  /** Stores a member artifact after checking its size and SHA-256. */
  async putMember(id: string, member: MemberMeta, bytes: Uint8Array): Promise<MemberMeta> {
    checkName(member.id, 'member');
    const meta = this.get(id);
    if (meta.status !== 'training') throw new QuorumError('CONFLICT', `version '${id}' is ${meta.status}: it takes no more members`);
    const digest = sha256(bytes);
    if (member.artifact && (member.artifact.sha256 !== digest || member.artifact.size !== bytes.length)) {
      throw new QuorumError('CHECKSUM_MISMATCH', `member '${member.id}' of '${id}': received ${bytes.length} bytes that do not match the announced checksum`);
    }
    await writeFileAtomic(path.join(this.dir(id), 'members', `${member.id}.qm`), bytes);
    return this.locked(id, async () => {
      const current = this.get(id);
      const stored: MemberMeta = { ...member, artifact: { size: bytes.length, sha256: digest } };
      // Members in id order whatever order they arrive in: voting sums them in this order.
      const members = current.members
        .filter((m) => m.id !== member.id)
        .concat(stored)
        .sort((a, b) => byId.compare(a.id, b.id));
      await this.writeMeta({ ...current, members });
      return stored;
    });
  }

  /** A new version of the same name from `from`, with its members but those in `without` (a node retraining its own). */
  async derive(fromId: string, without: string[], patch: Partial<VersionMeta>): Promise<VersionMeta> {
    const from = this.get(fromId);
    const { id: _id, status: _status, createdAt: _created, completedAt: _completed, report: _report, metrics: _metrics, crossNode: _cross, ...rest } = from;
    const created = await this.create({ ...rest, ...patch, members: [] });
    for (const m of from.members) {
      if (without.includes(m.id)) continue;
      await this.putMember(created.id, { ...m, artifact: undefined }, await this.readMember(fromId, m.id));
    }
    return this.get(created.id);
  }

  /** Drops members (e.g. a round's partial weights once averaged). */
  async removeMembers(id: string, memberIds: string[]): Promise<void> {
    await this.locked(id, async () => {
      const current = this.get(id);
      await this.writeMeta({ ...current, members: current.members.filter((m) => !memberIds.includes(m.id)) });
    });
    for (const m of memberIds) await fs.rm(path.join(this.dir(id), 'members', `${checkName(m, 'member')}.qm`), { force: true });
  }

  async putValidation(id: string, bytes: Uint8Array, rows: number): Promise<void> {
    await writeFileAtomic(path.join(this.dir(id), 'validation.qs'), bytes);
    await this.locked(id, () => this.writeMeta({ ...this.get(id), validation: { rows, size: bytes.length, sha256: sha256(bytes) } }));
  }

  /** Updates metadata fields of a version (metrics, member metrics…). */
  async update(id: string, patch: Partial<Omit<VersionMeta, 'id'>>): Promise<VersionMeta> {
    return this.locked(id, async () => {
      const next = { ...this.get(id), ...patch };
      await this.writeMeta(next);
      return next;
    });
  }

  async readMember(id: string, memberId: string): Promise<Buffer> {
    const meta = this.get(id);
    if (!meta.members.some((m) => m.id === memberId)) throw new QuorumError('VERSION_NOT_FOUND', `version '${id}' has no member '${memberId}'`);
    return fs.readFile(path.join(this.dir(id), 'members', `${checkName(memberId, 'member')}.qm`));
  }

  memberFile(id: string, memberId: string): string {
    return path.join(this.dir(id), 'members', `${checkName(memberId, 'member')}.qm`);
  }

  async readValidation(id: string): Promise<Buffer> {
    if (!this.get(id).validation) throw new QuorumError('VERSION_NOT_READY', `version '${id}' has no validation set`);
    return fs.readFile(path.join(this.dir(id), 'validation.qs'));
  }

  /** Points `name` at version `id`. */
  async activate(id: string, reason: string): Promise<ActivationRecord> {
    return this.exclusive(() => this.activateNow(id, reason));
  }

  private async activateNow(id: string, reason: string): Promise<ActivationRecord> {
    const meta = this.get(id);
    if (meta.status !== 'ready') throw new QuorumError('VERSION_NOT_READY', `version '${id}' is ${meta.status}: only a ready version can be activated`);
    const record: ActivationRecord = { name: meta.name, version: id, at: new Date().toISOString(), previous: this.active[meta.name], reason };
    this.active[meta.name] = id;
    await writeJsonAtomic(path.join(this.root, 'active.json'), this.active);
    this.history.push(record);
    await writeJsonAtomic(path.join(this.root, 'history.json'), this.history.slice(-1000));
    return record;
  }

  /** Deletes a version. The active version of a name is only removed with `force` (its pointer is cleared). */
  async remove(id: string, force = false): Promise<void> {
    return this.exclusive(() => this.removeNow(id, force));
  }

  private async removeNow(id: string, force: boolean): Promise<void> {
    const meta = this.get(id);
    if (this.active[meta.name] === id) {
      if (!force) throw new QuorumError('CONFLICT', `version '${id}' is active for '${meta.name}': activate another version first, or remove with force`);
      delete this.active[meta.name];
      await writeJsonAtomic(path.join(this.root, 'active.json'), this.active);
    }
    this.versions.delete(id);
    // Rename first so a crash never leaves a half-deleted version that init() would load.
    const trash = path.join(this.root, 'versions', `.removed-${id}-${Date.now()}`);
    await fs.rename(this.dir(id), trash);
    await fs.rm(trash, { recursive: true, force: true });
  }
}
