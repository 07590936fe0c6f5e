/** When a finished version becomes the active one of its name. */
import { score, type Report } from '../metrics';
import type { VersionMeta } from './version';

export type ActivationPolicy = 'always' | 'if-better' | 'manual';

export interface ActivationDecision {
  activate: boolean;
  reason: string;
}

/**
 * `always`: every finished version. `manual`: never (activate by hand). `if-better`: when there is no
 * active version, when the active one predicts another target, or when the candidate is not worse
 * on validation (accuracy, or RMSE for regression).
 */
export function decideActivation(policy: ActivationPolicy, candidate: VersionMeta, current?: VersionMeta): ActivationDecision {
  if (policy === 'manual') return { activate: false, reason: 'activation policy is manual' };
  if (policy === 'always' || !current) return { activate: true, reason: current ? 'activation policy is always' : `first version of '${candidate.name}'` };
  if (current.target !== candidate.target || current.task !== candidate.task) {
    return { activate: true, reason: `replaces '${current.id}', which predicts '${current.target}'` };
  }
  if (!candidate.report) return { activate: false, reason: 'the new version has no validation metrics' };
  if (!current.report) return { activate: true, reason: `'${current.id}' has no validation metrics` };
  const [mine, theirs] = [score(candidate.report as Report), score(current.report as Report)];
  const what = candidate.task === 'classification' ? 'accuracy' : 'RMSE';
  const shown = (s: number) => (candidate.task === 'classification' ? `${(s * 100).toFixed(2)} %` : (-s).toPrecision(4));
  return mine >= theirs - 1e-9
    ? { activate: true, reason: `validation ${what} ${shown(mine)} is not worse than ${shown(theirs)} of '${current.id}'` }
    : { activate: false, reason: `validation ${what} ${shown(mine)} is worse than ${shown(theirs)} of active '${current.id}'` };
}
