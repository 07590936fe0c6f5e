/**
 * Evaluation of a version on labelled rows: the ensemble's full report, each voter alone (what the
 * ensemble buys over its members), and the baseline members (one model on all rows) beside them.
 */
import { evaluate, headline, score, type Report } from '../metrics';
import type { MemberVote, VersionView } from './version-view';

export interface MemberEvaluation {
  id: string;
  kind: string;
  /** Set on baseline members (never voting). */
  baseline?: boolean;
  node?: string;
  rows: number;
  metrics: Record<string, number | null>;
  /** Accuracy, or −RMSE: the number versions and members are ranked by. */
  score: number;
}

export interface Evaluation {
  version: string;
  voting: string;
  rows: number;
  report: Report;
  /** Voters first, then baseline members (flagged). */
  members: MemberEvaluation[];
  /** The first baseline member's full report, when the version has one. */
  baseline?: { id: string; kind: string; report: Report };
  /** The ensemble's score minus the best voter's alone (positive: voting helps). */
  gainOverBestMember: number;
  warnings: string[];
}

/**
 * Scores `votes` (aligned outputs of voters and baseline members for the same rows) against `y`
 * (class indices, or values for regression).
 */
export function evaluateVotes(view: VersionView, y: ArrayLike<number>, votes: MemberVote[], voting: string, warnings: string[] = []): Evaluation {
  const rows = y.length;
  const classes = view.meta.classes;
  const voters = votes.filter((v) => !v.member.baseline);
  const report = evaluate(view.meta.task, y, view.combine(voters, rows, voting), classes);
  let baseline: Evaluation['baseline'];
  const members = votes.map((v) => {
    const r = evaluate(view.meta.task, y, v.output, classes);
    if (v.member.baseline && !baseline) baseline = { id: v.member.id, kind: v.member.kind, report: r };
    const out: MemberEvaluation = { id: v.member.id, kind: v.member.kind, rows: v.member.rows, metrics: headline(r), score: score(r) };
    if (v.member.baseline) out.baseline = true;
    if (v.member.node) out.node = v.member.node;
    return out;
  });
  const best = Math.max(...members.filter((m) => !m.baseline).map((m) => m.score));
  return { version: view.id, voting, rows, report, members, baseline, gainOverBestMember: score(report) - best, warnings };
}
