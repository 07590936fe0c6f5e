/**
 * The parameters the data-parallel drivers support; checked before a job is accepted (a 400
 * naming the parameter) and again by the driver.
 */
import { QuorumError } from '../../errors';
import type { ForestParams } from '../../models/forest/params';
import type { GbmParams } from '../../models/gbm/params';

const refuser =
  (kind: string) =>
  (what: string): never => {
    throw new QuorumError(
      'BAD_MODEL_PARAMS',
      `${kind} parameter ${what} is not supported in mode 'data-parallel' yet; leave it at its default or use mode 'ensemble'`,
    );
  };

export function checkDataParallelParams(p: ForestParams): void {
  const refuse = refuser('forest');
  if (p.extraTrees) refuse("'extraTrees': true");
  if (p.classWeight !== null) refuse("'classWeight'");
  if (p.importance === 'permutation') refuse("'importance': 'permutation'");
}

export function checkGbmDataParallelParams(p: GbmParams): void {
  const refuse = refuser('gbm');
  if (p.maxLeaves !== null) refuse("'maxLeaves' (best-first growth; data-parallel trees grow level by level, limited by maxDepth)");
  if (p.importance === 'permutation') refuse("'importance': 'permutation'");
}
