/**
 * When a finished version becomes the active one of its name. Activation changes what every client
 * of a name gets, so a finished job replaces the active version only when the new one answers the
 * same requests (same target and task, the same input columns with the same types) and, when it
 * comes from another dataset, only when an admin started the job. Anything else is registered
 * inactive with a note that says why; an admin activates it by hand if that is what they mean.
 */
import { score, type Report } from '../metrics';
import type { VersionMeta } from './version';

export type ActivationPolicy = 'always' | 'if-better' | 'manual';

export interface ActivationDecision {
  activate: boolean;
  reason: string;
}

export interface ActivationContext {
  /**
   * The job may take over a name whose active version was trained on another dataset (or imported):
   * true when an admin started it (or a process inside the cluster, which has no role).
   */
  takeover: boolean;
}

/** Input columns and their types, as `name:type`. */
function columns(v: VersionMeta): Map<string, string> {
  return new Map(v.encoder.columns.map((c) => [c.name, c.type]));
}

/** Why `candidate` cannot answer the requests `current` answers, or null when it can. */
export function incompatibility(candidate: VersionMeta, current: VersionMeta): string | null {
  if (current.target !== candidate.target || current.task !== candidate.task) {
    return `it predicts '${candidate.target}' (${candidate.task}) where the active '${current.id}' predicts '${current.target}' (${current.task})`;
  }
  const mine = columns(candidate);
  const theirs = columns(current);
  const problems: string[] = [];
  const added = [...mine.keys()].filter((c) => !theirs.has(c));
  const dropped = [...theirs.keys()].filter((c) => !mine.has(c));
  const retyped = [...mine.keys()].filter((c) => theirs.has(c) && theirs.get(c) !== mine.get(c));
  const list = (names: string[]) =>
    names
      .slice(0, 5)
      .map((n) => `'${n}'`)
      .join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
  if (added.length) problems.push(`needs column${added.length > 1 ? 's' : ''} ${list(added)} the active '${current.id}' does not take`);
  if (dropped.length) problems.push(`does not take column${dropped.length > 1 ? 's' : ''} ${list(dropped)} of the active '${current.id}'`);
  if (retyped.length)
    problems.push(
      `reads ${list(retyped)} as ${retyped
        .map((c) => mine.get(c))
        .slice(0, 5)
        .join('/')} where the active '${current.id}' reads ${retyped
        .map((c) => theirs.get(c))
        .slice(0, 5)
        .join('/')}`,
    );
  return problems.length ? `it ${problems.join('; ')}` : null;
}

/**
 * `manual`: never (activate by hand). Otherwise, with an active version of the name:
 * - an incompatible candidate (target, task or columns) is never activated;
 * - a candidate of another dataset than the active one's (or replacing an import) only when `takeover`;
 * - an unverified import never counts: it is never activated by policy, and as the active version
 *   its metrics are not compared against (any compatible candidate replaces it);
 * - `always` activates; `if-better` when the candidate is not worse on validation (accuracy, RMSE).
 * Without an active version the candidate is the first of its name and is activated.
 */
export function decideActivation(
  policy: ActivationPolicy,
  candidate: VersionMeta,
  current?: VersionMeta,
  context: ActivationContext = { takeover: true },
): ActivationDecision {
  if (policy === 'manual') return { activate: false, reason: 'activation policy is manual' };
  if (candidate.unverified) return { activate: false, reason: 'an unverified import is never activated by policy: an admin activates it by hand' };
  if (!current) return { activate: true, reason: `first version of '${candidate.name}'` };
  const clash = incompatibility(candidate, current);
  if (clash)
    return {
      activate: false,
      reason: `${clash}: clients of '${candidate.name}' would break; an admin activates it by hand if that is meant, or train it under another name`,
    };
  const sameSource = !current.importedFrom && current.dataset.name === candidate.dataset.name;
  if (!sameSource && !context.takeover) {
    const from = current.importedFrom ? `an import (${current.importedFrom})` : `dataset '${current.dataset.name}'`;
    return {
      activate: false,
      reason: `the active '${current.id}' of '${candidate.name}' comes from ${from}, this version from dataset '${candidate.dataset.name}': only an admin's job takes over a model name; an admin activates it by hand`,
    };
  }
  if (policy === 'always') return { activate: true, reason: 'activation policy is always' };
  if (current.unverified) return { activate: true, reason: `the active '${current.id}' is an unverified import: its metrics do not count` };
  if (!candidate.report) return { activate: false, reason: 'the new version has no validation metrics' };
  if (!current.report) return { activate: true, reason: `'${current.id}' has no validation metrics` };
  const [mine, theirs] = [score(candidate.report as Report), score(current.report as Report)];
  const what = candidate.task === 'classification' ? 'accuracy' : 'RMSE';
  const shown = (s: number) => (candidate.task === 'classification' ? `${(s * 100).toFixed(2)} %` : (-s).toPrecision(4));
  return mine >= theirs - 1e-9
    ? { activate: true, reason: `validation ${what} ${shown(mine)} is not worse than ${shown(theirs)} of '${current.id}'` }
    : { activate: false, reason: `validation ${what} ${shown(mine)} is worse than ${shown(theirs)} of active '${current.id}'` };
}
