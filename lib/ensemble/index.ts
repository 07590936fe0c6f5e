/** Voting rules by name: soft, hard, weighted (classes); mean, median, weighted (regression). */
import { QuorumError, listNames } from '../errors';
import type { Task } from '../core/types';
import type { VotingRule } from './rule';
import { hardVoting } from './rules/hard';
import { meanVoting } from './rules/mean';
import { medianVoting } from './rules/median';
import { softVoting } from './rules/soft';
import { weightedVoting } from './rules/weighted';

export type { Vote, VotingRule } from './rule';
export { alignProbabilities } from './align';

const RULES = new Map<string, VotingRule>([softVoting, hardVoting, weightedVoting, meanVoting, medianVoting].map((r) => [r.name, r]));

export function votingNames(task?: Task): string[] {
  return [...RULES.values()].filter((r) => !task || r.tasks.includes(task)).map((r) => r.name);
}

/** The default rule of a task: soft voting for classes, the mean for regression. */
export function defaultVoting(task: Task): string {
  return task === 'classification' ? 'soft' : 'mean';
}

export function resolveVoting(name: string, task: Task): VotingRule {
  const rule = RULES.get(name);
  if (!rule || !rule.tasks.includes(task)) {
    throw new QuorumError('UNKNOWN_VOTING_RULE', `unknown voting rule '${name}' for ${task}: use ${listNames(votingNames(task))}`, {
      valid: votingNames(task),
    });
  }
  return rule;
}
