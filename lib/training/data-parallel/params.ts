/**
 * The forest parameters the data-parallel driver supports; checked before a job is accepted (a 400
 * naming the parameter) and again by the driver.
 */
import { QuorumError } from '../../errors';
import type { ForestParams } from '../../models/forest/params';

export function checkDataParallelParams(p: ForestParams): void {
  const refuse = (what: string): never => {
    throw new QuorumError('BAD_MODEL_PARAMS', `forest parameter ${what} is not supported in mode 'data-parallel' yet; leave it at its default or use mode 'ensemble'`);
  };
  if (p.extraTrees) refuse("'extraTrees': true");
  if (p.classWeight !== null) refuse("'classWeight'");
  if (p.importance === 'permutation') refuse("'importance': 'permutation'");
}
