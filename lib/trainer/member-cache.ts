/**
 * The members a trainer node holds for broadcast voting. After a fit the artifact is kept under the
 * node's STATE_DIR (atomic write); on the first prediction for a version it is loaded into memory.
 * A member this node does not have on disk (a fresh STATE_DIR, or a member of a trainer that is
 * gone) is fetched from the registry once and kept. Versions not used recently leave memory (the
 * disk copy stays until the version is removed).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { QuorumError } from '../errors';
import type { TrainerPredictReply, TrainerPredictRequest } from '../inference/broadcast';
import { loadModel } from '../inference/ensemble';
import { memberInputs } from '../inference/inputs';
import { fromWire, toWire } from '../inference/wire';
import type { TrainedModel } from '../models/model';
import { checkName } from '../registry/store';
import type { VersionMeta } from '../registry/version';
import { writeFileAtomic } from '../store/atomic';

/** Where a trainer gets what it does not have: the registry. */
export interface MemberSource {
  meta(version: string): Promise<VersionMeta>;
  artifact(version: string, member: string): Promise<Uint8Array>;
}

export interface TrainerModelsOptions {
  nodeID: string;
  /** Versions kept in memory (least recently used leave first). Default 4. */
  maxVersions?: number;
  tfBackend?: string;
}

interface Slot {
  promise: Promise<TrainedModel>;
  model?: TrainedModel;
  error?: Error;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class TrainerModels {
  /** version → member → loading or loaded model */
  private readonly loaded = new Map<string, Map<string, Slot>>();
  private readonly metas = new Map<string, Promise<VersionMeta>>();

  /** `dir`: where artifacts are kept on disk; null keeps nothing (the registry is in this process). */
  constructor(
    private readonly dir: string | null,
    private readonly source: MemberSource,
    private readonly options: TrainerModelsOptions,
  ) {}

  private file(version: string, member: string): string | null {
    return this.dir ? path.join(this.dir, checkName(version, 'version'), `${checkName(member, 'member')}.qm`) : null;
  }

  /** Keeps the artifact of a member this node has just fitted. */
  async keep(version: string, member: string, artifact: Uint8Array): Promise<void> {
    const file = this.file(version, member);
    if (file) await writeFileAtomic(file, artifact);
  }

  /** Loads (into memory) the members of `version` this node has on disk: done before the first vote. */
  async preload(version: string): Promise<number> {
    if (!this.dir) return 0;
    const names = await fs.readdir(path.join(this.dir, checkName(version, 'version'))).catch(() => [] as string[]);
    const members = names.filter((n) => n.endsWith('.qm')).map((n) => n.slice(0, -3));
    await Promise.allSettled(members.map((m) => this.slot(version, m).promise));
    return members.length;
  }

  /** Drops a version from memory and disk (it was removed or discarded). */
  async forget(version: string): Promise<void> {
    this.unload(version);
    this.metas.delete(version);
    if (this.dir) await fs.rm(path.join(this.dir, checkName(version, 'version')), { recursive: true, force: true });
  }

  /** Versions and members in memory. */
  held(): Record<string, string[]> {
    return Object.fromEntries([...this.loaded].map(([v, members]) => [v, [...members].filter(([, s]) => s.model).map(([m]) => m)]));
  }

  /**
   * Predicts `request.x` with each requested member. Members still loading after `waitMs` are
   * reported missing (they keep loading for the next call), as are members that cannot be loaded.
   */
  async predict(request: TrainerPredictRequest): Promise<TrainerPredictReply> {
    const { version, rows, cols } = request;
    const x = fromWire(request.x);
    if (x.length !== rows * cols) throw new QuorumError('BAD_REQUEST', `features hold ${x.length} values, not ${rows} × ${cols}`);
    const meta = await this.meta(version);
    this.touch(version);
    const slots = request.members.map((id) => ({
      id,
      member: meta.members.find((m) => m.id === id),
      slot: meta.members.some((m) => m.id === id) ? this.slot(version, id) : undefined,
    }));
    const all = Promise.allSettled(slots.map((s) => s.slot?.promise));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, request.waitMs)))]);
    clearTimeout(timer);

    const reply: TrainerPredictReply = { node: this.options.nodeID, outputs: [], missing: [] };
    const input = memberInputs(meta.dense, { data: x, rows, cols });
    for (const [i, { id, member, slot }] of slots.entries()) {
      if (!member || !slot) reply.missing.push({ member: id, reason: `not a member of '${version}'` });
      else if (slot.error) reply.missing.push({ member: id, reason: `cannot be loaded: ${slot.error.message}` });
      else if (!slot.model) reply.missing.push({ member: id, reason: `still loading on ${this.options.nodeID}` });
      else {
        if (i > 0 && rows > 256) await turn(); // heartbeats and other calls between members
        try {
          reply.outputs.push({ member: id, output: toWire(slot.model.predict(input(member))) });
        } catch (err) {
          reply.missing.push({ member: id, reason: `failed on ${this.options.nodeID}: ${(err as Error).message}` });
        }
      }
    }
    return reply;
  }

  dispose(): void {
    for (const version of [...this.loaded.keys()]) this.unload(version);
  }

  private meta(version: string): Promise<VersionMeta> {
    let meta = this.metas.get(version);
    if (!meta) {
      meta = this.source.meta(version);
      this.metas.set(version, meta);
      meta.catch(() => this.metas.delete(version));
    }
    return meta;
  }

  private slot(version: string, member: string): Slot {
    let members = this.loaded.get(version);
    if (!members) {
      members = new Map();
      this.loaded.set(version, members);
      this.evict();
    }
    let slot = members.get(member);
    if (!slot) {
      const created: Slot = { promise: this.load(version, member) };
      created.promise.then(
        (model) => (created.model = model),
        (err: Error) => {
          created.error = err;
          // Not kept: a later call tries again (the registry may be back).
          setTimeout(() => this.loaded.get(version)?.get(member) === created && this.loaded.get(version)!.delete(member), 5000).unref();
        },
      );
      members.set(member, created);
      slot = created;
    }
    return slot;
  }

  private async load(version: string, member: string): Promise<TrainedModel> {
    const file = this.file(version, member);
    let bytes: Uint8Array | undefined = file ? await fs.readFile(file).catch(() => undefined) : undefined;
    if (!bytes) {
      bytes = await this.source.artifact(version, member);
      if (file) await writeFileAtomic(file, bytes);
    }
    return loadModel(bytes, { tfBackend: this.options.tfBackend });
  }

  private touch(version: string): void {
    const members = this.loaded.get(version);
    if (!members) return;
    this.loaded.delete(version);
    this.loaded.set(version, members); // Map order: least recently used first
  }

  private evict(): void {
    const max = this.options.maxVersions ?? 4;
    for (const version of [...this.loaded.keys()].slice(0, Math.max(0, this.loaded.size - max))) this.unload(version);
  }

  private unload(version: string): void {
    const members = this.loaded.get(version);
    this.loaded.delete(version);
    for (const slot of members?.values() ?? [])
      slot.promise.then(
        (m) => m.dispose(),
        () => undefined,
      );
  }
}
