/** A model version: one per training job, with everything needed to predict and to explain. */
import type { EncoderSpec } from '../data/encode';
import type { DenseSpec } from '../data/preprocess';
import type { Report } from '../metrics';
import type { FeatureInfo, Task } from '../models/model';

export type VersionStatus = 'training' | 'ready';

export interface MemberMeta {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  /** 'native' members read encoder output; 'dense' members read it through `dense`. */
  input: 'native' | 'dense';
  shard: number;
  rows: number;
  node?: string;
  fitMs?: number;
  /** Class labels of the member's outputs (aligned by label when they differ from the version's). */
  classes?: string[];
  artifact?: { size: number; sha256: string };
  summary?: Record<string, unknown>;
  curve?: Record<string, number>[];
  /** Validation metrics of the member alone. */
  metrics?: Record<string, number | null>;
  /** Weight in `weighted` voting: accuracy, or 1 / RMSE. */
  weight?: number;
  /**
   * One model trained on all training rows, kept as a yardstick: it never votes, and evaluations
   * show it beside the ensemble (what sharding costs or buys).
   */
  baseline?: boolean;
  /** Trained on a node's own file (`local` jobs): the node, and its own dense transform if any. */
  local?: boolean;
  dense?: DenseSpec;
}

export interface VersionMeta {
  id: string;
  /** The model name whose active pointer this version competes for. */
  name: string;
  status: VersionStatus;
  job?: string;
  createdAt: string;
  completedAt?: string;
  dataset: { id: string; name: string; rows: number; schemaHash: string };
  target: string;
  task: Task;
  classes?: string[];
  mode: 'ensemble' | 'data-parallel' | 'average' | 'local';
  voting: string;
  encoder: EncoderSpec;
  features: FeatureInfo[];
  dense?: DenseSpec;
  members: MemberMeta[];
  validation?: { rows: number; size: number; sha256: string };
  metrics?: Record<string, number | null>;
  report?: Report;
  /** Set when the version was imported from an export file. */
  importedFrom?: string;
  /**
   * An import an admin accepted without a known signature (`trust=unsigned`): its origin is not
   * proven, it never counts in "activate if better", and the dashboard marks it.
   */
  unverified?: boolean;
  /** What the import proved: the signature's status and signer, and whether the metrics were recomputed or dropped. */
  imported?: ImportCheck;
  /** `local` versions: how each node splits its own rows, and every member evaluated on every node. */
  localSplit?: { seed: number; validationFraction: number };
  crossNode?: CrossNodeEvaluation;
  /** A version made by a node retraining its member: from which version, and why. */
  derivedFrom?: { version: string; node: string; reason: string };
}

/** Each node evaluates every member (and the ensemble) on its own validation rows. */
export interface CrossNodeEvaluation {
  nodes: { node: string; rows: number; ensemble: Record<string, number | null> }[];
  members: string[];
  /** metrics[node][member]: accuracy (classification) or RMSE (regression). */
  metric: 'accuracy' | 'rmse';
  matrix: (number | null)[][];
}

export interface ActivationRecord {
  name: string;
  version: string;
  at: string;
  previous?: string;
  reason: string;
}

/** What an import proves about a file, recorded with the version (`imported`). */
export interface ImportCheck {
  /** `verified`: signed by a key this registry trusts; otherwise why not. */
  signature: 'verified' | 'unsigned' | 'unknown-key' | 'altered';
  /** Key id of the signer (verified, unknown or altered signatures). */
  signer?: string;
  /** `recomputed` from the file's validation rows, or `dropped` (the file has none): never the file's own numbers. */
  metrics: 'recomputed' | 'dropped';
}
