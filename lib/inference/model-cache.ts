/**
 * The versions an inference node answers with: the active version of every model name, loaded
 * (models in memory) for local voting or as a {@link VersionView} (metadata only) for broadcast
 * voting, plus a few others asked for by id. A new active version is loaded first and swapped in
 * after, so requests are answered by the previous one meanwhile.
 */
import { QuorumError, listNames } from '../errors';
import type { VersionMeta } from '../registry/version';
import { loadEnsemble, type Ensemble } from './ensemble';
import type { LocalVoting } from './local';
import { VersionView } from './version-view';

/** Versions kept loaded besides the active ones (explicit `version` requests, evaluations). */
const EXTRA_LOADED = 4;
/** How long an evaluated version waits for its activation before its models are freed. */
const EVALUATED_KEEP_MS = 60_000;

/** Where versions come from: the registry. */
export interface VersionSource {
  meta(id: string): Promise<VersionMeta>;
  /** A member's artifact, checked against the size and checksum the version records. */
  artifact(id: string, member: string, expected?: { size: number; sha256: string }): Promise<Uint8Array>;
  /** The active version of every model name. */
  active(): Promise<Record<string, string>>;
}

export interface ModelCacheOptions {
  tfBackend?: string;
  /** Keep the artifacts' bytes (prediction threads load from them). */
  keepArtifacts?: boolean;
}

export class ModelCache {
  private readonly ensembles = new Map<string, Ensemble>();
  private readonly views = new Map<string, VersionView>();
  private readonly loading = new Map<string, Promise<Ensemble>>();
  /** Versions loaded to be evaluated, kept for their activation (which follows at once when it comes). */
  private readonly evaluated = new Map<string, Ensemble>();
  private readonly evaluatedTimers = new Map<string, NodeJS.Timeout>();
  private active = new Map<string, string>();
  private activeKnown = false;

  constructor(
    private readonly source: VersionSource,
    private readonly local: LocalVoting,
    private readonly options: ModelCacheOptions = {},
  ) {}

  /** Active pointers this node follows and the versions in memory. */
  loaded(): { active: Record<string, string>; loaded: { version: string; name: string; members: number }[] } {
    return {
      active: Object.fromEntries(this.active),
      loaded: [...this.ensembles.values()].map((e) => ({ version: e.id, name: e.meta.name, members: e.meta.members.length })),
    };
  }

  /** The loaded ensemble of `id`, if it is in memory. */
  cached(id: string): Ensemble | undefined {
    return this.ensembles.get(id);
  }

  /** The ensemble of a ready version, loaded once however many requests ask at the same time. */
  ensure(id: string): Promise<Ensemble> {
    const hit = this.ensembles.get(id);
    if (hit) return Promise.resolve(hit);
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.loadOrAdopt(id).then((ensemble) => {
        this.ensembles.set(id, ensemble);
        this.evict();
        return ensemble;
      });
      this.loading.set(id, pending);
      pending.finally(() => this.loading.delete(id)).catch(() => undefined);
    }
    return pending;
  }

  /** What broadcast voting needs of a version: its metadata (no models). */
  async view(id: string): Promise<VersionView> {
    const hit = this.ensembles.get(id) ?? this.views.get(id);
    if (hit) return hit;
    const meta = await this.source.meta(id);
    if (meta.status !== 'ready') throw new QuorumError('VERSION_NOT_READY', `version '${id}' is still training`);
    const view = new VersionView(meta);
    this.views.set(id, view);
    return view;
  }

  /** Loads a version (not kept); `evaluating` also accepts a version whose job is finishing; `only`: these members. */
  async load(id: string, evaluating: boolean, only?: string[]): Promise<Ensemble> {
    const full = await this.source.meta(id);
    const meta = only ? { ...full, members: full.members.filter((m) => only.includes(m.id)) } : full;
    if (meta.status !== 'ready' && !evaluating) throw new QuorumError('VERSION_NOT_READY', `version '${id}' is still training`);
    return loadEnsemble(meta, (member) => this.source.artifact(id, member, meta.members.find((x) => x.id === member)?.artifact), {
      tfBackend: this.options.tfBackend,
      keepArtifacts: this.options.keepArtifacts,
    });
  }

  /**
   * An ensemble loaded for a version's evaluation: kept (not loaded again) for the activation that
   * usually follows. At most {@link EXTRA_LOADED} are kept; the oldest is dropped.
   */
  keepEvaluated(ensemble: Ensemble): void {
    this.forgetEvaluated(ensemble.id);
    this.evaluated.set(ensemble.id, ensemble);
    // A version that is not activated (if-better said no) frees its models after a while.
    const timer = setTimeout(() => this.forgetEvaluated(ensemble.id), EVALUATED_KEEP_MS);
    timer.unref();
    this.evaluatedTimers.set(ensemble.id, timer);
    while (this.evaluated.size > EXTRA_LOADED) this.forgetEvaluated(this.evaluated.keys().next().value as string);
  }

  private forgetEvaluated(id: string, free = true): Ensemble | undefined {
    const ensemble = this.evaluated.get(id);
    clearTimeout(this.evaluatedTimers.get(id));
    this.evaluatedTimers.delete(id);
    this.evaluated.delete(id);
    if (ensemble && free) this.drop(ensemble);
    return ensemble;
  }

  /** The ready version: the evaluated ensemble under its final metadata when there is one, else loaded. */
  private async loadOrAdopt(id: string): Promise<Ensemble> {
    const evaluated = this.forgetEvaluated(id, false);
    if (!evaluated) return this.load(id, false);
    const meta = await this.source.meta(id);
    if (meta.status === 'ready') {
      try {
        const adopted = evaluated.rebind(meta);
        this.local.forget(evaluated); // prediction threads load the new instance by its key
        return adopted;
      } catch {
        // members changed since the evaluation: load it afresh
      }
    }
    this.drop(evaluated);
    return this.load(id, false);
  }

  async refreshActive(): Promise<void> {
    this.active = new Map(Object.entries(await this.source.active()));
    this.activeKnown = true;
  }

  /** Loads every active version (at start). */
  async loadActive(): Promise<void> {
    await this.refreshActive();
    await Promise.all([...this.active.values()].map((id) => this.ensure(id)));
  }

  /** The version a request means: `version`, the active one of `name`, or the only active one. */
  async resolveId(params: { name?: string; version?: string }): Promise<string> {
    if (params.version) return params.version;
    if (!this.activeKnown) await this.refreshActive();
    if (params.name) {
      const id = this.active.get(params.name);
      if (id) return id;
      throw new QuorumError(
        'NO_ACTIVE_MODEL',
        `no active version for '${params.name}'${this.active.size ? `: active models are ${listNames([...this.active.keys()])}` : ': train one with POST /api/trainings'}`,
      );
    }
    if (this.active.size === 1) return [...this.active.values()][0];
    if (this.active.size === 0) throw new QuorumError('NO_ACTIVE_MODEL', 'no model is active yet: train one with POST /api/trainings (or activate a version)');
    throw new QuorumError('BAD_REQUEST', `several models are active: pass 'name' (${listNames([...this.active.keys()])}) or 'version'`, {
      names: [...this.active.keys()],
    });
  }

  /**
   * `version` became the active one of `name`: load first, swap after. With no previous version of
   * that name here, requests wait for this one to load rather than hear that nothing is active.
   * When the load fails, the previous version (if any) keeps answering.
   */
  async activate(name: string, version: string): Promise<void> {
    const previous = this.active.get(name);
    if (previous === undefined) this.active.set(name, version);
    await this.ensure(version);
    this.active.set(name, version);
    this.evict();
  }

  /** The version that answers for `name` now. */
  activeOf(name: string): string | undefined {
    return this.active.get(name);
  }

  /** A version was removed: forget it (and the pointer, if it was active). */
  removed(name: string, version: string): void {
    if (this.active.get(name) === version) this.active.delete(name);
    const ensemble = this.ensembles.get(version);
    if (ensemble) this.drop(ensemble);
    this.ensembles.delete(version);
    this.forgetEvaluated(version);
    this.views.delete(version);
  }

  /** Frees an ensemble's models, here and in the prediction threads. */
  drop(ensemble: Ensemble): void {
    this.local.forget(ensemble);
    ensemble.dispose();
  }

  dispose(): void {
    for (const e of this.ensembles.values()) e.dispose();
    for (const id of [...this.evaluated.keys()]) this.forgetEvaluated(id, false)?.dispose();
    this.ensembles.clear();
  }

  private evict(): void {
    const keep = new Set(this.active.values());
    const extra = [...this.ensembles.keys()].filter((id) => !keep.has(id));
    for (const id of extra.slice(0, Math.max(0, extra.length - EXTRA_LOADED))) {
      this.drop(this.ensembles.get(id)!);
      this.ensembles.delete(id);
    }
    for (const id of [...this.views.keys()].slice(0, Math.max(0, this.views.size - EXTRA_LOADED - keep.size))) this.views.delete(id);
  }
}
