/**
 * Domain steps of the registry that are more than storage: a version's completion (its report,
 * every member's metrics and voting weight) and the parameter server's averaging of a round.
 */
import { headline, type Report } from '../metrics';
import { decodeArtifact, encodeArtifact } from '../core/container';
import { averageArtifacts } from '../models/tf/average';
import type { VersionStore } from './store';
import type { CrossNodeEvaluation, MemberMeta, VersionMeta } from './version';

export interface MemberEvaluation {
  id: string;
  metrics: Record<string, number | null>;
  score: number;
}

/**
 * A member's voting weight from its score: accuracy-like scores as they are (classification);
 * negative errors (regression) as their inverse, so a smaller error weighs more.
 */
export function memberWeight(task: VersionMeta['task'], score: number): number {
  if (task === 'classification') return score;
  return score < 0 ? 1 / Math.max(1e-12, -score) : 1;
}

/** Marks the version ready with its report and each member's metrics and weight; `keep`: drop the other members first. */
export async function completeVersion(
  store: VersionStore,
  request: { version: string; report: Report; members: MemberEvaluation[]; keep?: string[]; crossNode?: CrossNodeEvaluation },
): Promise<VersionMeta> {
  const { version, report, members, keep, crossNode } = request;
  if (keep)
    await store.removeMembers(
      version,
      store
        .get(version)
        .members.map((m) => m.id)
        .filter((id) => !keep.includes(id)),
    );
  const meta = store.get(version);
  const byId = new Map(members.map((m) => [m.id, m]));
  return store.update(version, {
    status: 'ready',
    completedAt: new Date().toISOString(),
    report,
    metrics: headline(report),
    ...(crossNode ? { crossNode } : {}),
    members: meta.members.map((m) => {
      const r = byId.get(m.id);
      return r ? { ...m, metrics: r.metrics, weight: memberWeight(meta.task, r.score) } : m;
    }),
  });
}

/**
 * Parameter server: the row-weighted mean of a round's weights becomes member `into` (the global
 * model); the round's parts, and stragglers of earlier rounds, are dropped.
 */
export async function averageInto(store: VersionStore, version: string, into: string, parts: { member: string; rows: number }[]): Promise<MemberMeta> {
  const meta = store.get(version);
  const artifacts = [];
  for (const part of parts) artifacts.push({ artifact: decodeArtifact(await store.readMember(version, part.member)), rows: part.rows });
  const averaged = averageArtifacts(artifacts);
  const first = meta.members.find((m) => m.id === parts[0].member)!;
  const rows = parts.reduce((a, p) => a + p.rows, 0);
  const stored = await store.putMember(
    version,
    { ...first, id: into, shard: -1, rows, node: undefined, fitMs: undefined, artifact: undefined },
    encodeArtifact(averaged),
  );
  await store.removeMembers(
    version,
    store
      .get(version)
      .members.map((m) => m.id)
      .filter((m) => m !== into),
  );
  return stored;
}
