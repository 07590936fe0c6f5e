/**
 * A version with its member models loaded: local voting. Predicts native feature matrices with
 * every voter (and, for evaluations, the baseline members), aligned by class label; the dense
 * transform is applied once per batch for the members that need it.
 */
import { decodeArtifact } from '../core/container';
import { resolveModelKind } from '../models/kinds';
import type { Matrix, TrainedModel } from '../models/model';
import type { MemberMeta, VersionMeta } from '../registry/version';
import { memberInputs } from './inputs';
import { VersionView, type MemberVote } from './version-view';

export interface LoadedMember {
  meta: MemberMeta;
  model: TrainedModel;
}

/** Which members to run: the voters, or the voters and then the baseline members. */
export type MemberSet = 'voters' | 'all';

let loadedCount = 0;

export class Ensemble extends VersionView {
  /** Unique per loaded instance (two loads of one version may hold different members). */
  readonly key = `${this.meta.id}#${++loadedCount}`;
  private readonly models: Map<string, TrainedModel>;
  /** The members' artifact bytes, shared with prediction threads (when loaded with `keepArtifacts`). */
  artifacts?: Map<string, SharedArrayBuffer>;

  constructor(meta: VersionMeta, loaded: LoadedMember[]) {
    super(meta);
    this.models = new Map(loaded.map((m) => [m.meta.id, m.model]));
    for (const m of meta.members) if (!this.models.has(m.id)) throw new Error(`member '${m.id}' of '${meta.id}' is not loaded`);
  }

  /** The loaded members, voters first (the order of `votes`). */
  get members(): LoadedMember[] {
    return [...this.voters, ...this.baselines].map((meta) => ({ meta, model: this.models.get(meta.id)! }));
  }

  /** Each member's aligned output for native features `x` (voters, then baselines with 'all'). */
  votes(x: Matrix, which: MemberSet = 'voters'): MemberVote[] {
    const members = which === 'all' ? [...this.voters, ...this.baselines] : this.voters;
    const input = memberInputs(this.meta.dense, x);
    return members.map((member) => {
      const model = this.models.get(member.id)!;
      return { member, output: this.align(member, model.predict(input(member)), x.rows) };
    });
  }

  /**
   * The same loaded models under newer metadata of the same version (the version completed: its
   * members now carry their metrics and voting weights). The members must be the same; this
   * instance must not be disposed afterwards (the new one owns the models).
   */
  rebind(meta: VersionMeta): Ensemble {
    const ids = (m: VersionMeta) => m.members.map((x) => x.id).join(',');
    if (meta.id !== this.meta.id || ids(meta) !== ids(this.meta)) throw new Error(`cannot rebind ${this.meta.id} to ${meta.id}: the members differ`);
    const next = new Ensemble(
      meta,
      meta.members.map((m) => ({ meta: m, model: this.models.get(m.id)! })),
    );
    next.artifacts = this.artifacts;
    return next;
  }

  dispose(): void {
    for (const model of this.models.values()) model.dispose();
  }
}

/** Decodes an artifact and loads it as its kind (initialising the kind's backend first). */
export async function loadModel(bytes: Uint8Array, options: { tfBackend?: string } = {}): Promise<TrainedModel> {
  const artifact = decodeArtifact(bytes);
  const kind = resolveModelKind(artifact.kind);
  await kind.init?.({ backend: options.tfBackend });
  return kind.load(artifact);
}

/**
 * Builds an ensemble from version metadata and a reader of member artifacts. `keepArtifacts` keeps
 * the bytes (in SharedArrayBuffers) for prediction threads to load.
 */
export async function loadEnsemble(
  meta: VersionMeta,
  read: (memberId: string) => Promise<Uint8Array>,
  options: { tfBackend?: string; keepArtifacts?: boolean } = {},
): Promise<Ensemble> {
  const members: LoadedMember[] = [];
  const artifacts = new Map<string, SharedArrayBuffer>();
  try {
    for (const m of meta.members) {
      const bytes = await read(m.id);
      members.push({ meta: m, model: await loadModel(bytes, options) });
      if (options.keepArtifacts) {
        const shared = new SharedArrayBuffer(bytes.byteLength);
        new Uint8Array(shared).set(bytes);
        artifacts.set(m.id, shared);
      }
    }
    const ensemble = new Ensemble(meta, members);
    if (options.keepArtifacts) ensemble.artifacts = artifacts;
    return ensemble;
  } catch (err) {
    members.forEach((m) => m.model.dispose());
    throw err;
  }
}
