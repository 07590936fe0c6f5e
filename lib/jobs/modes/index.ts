/** Training modes by name, as sharding strategies and voting rules are resolved. */
import { QuorumError, listNames } from '../../errors';
import type { TrainingMode } from '../request';
import { averageMode } from './average';
import { dataParallelMode } from './data-parallel';
import { ensembleMode } from './ensemble';
import { localMode } from './local';
import type { Mode } from './mode';

export type { Mode, ModeRun } from './mode';

const MODES: readonly Mode[] = [ensembleMode, dataParallelMode, averageMode, localMode];

export function trainingMode(name: string): Mode {
  const mode = MODES.find((m) => m.name === name);
  if (!mode) throw new QuorumError('BAD_REQUEST', `unknown mode '${name}': use ${listNames(modeNames())}`);
  return mode;
}

export function modeNames(): TrainingMode[] {
  return MODES.map((m) => m.name);
}

/** What `GET /api/options` lists: every mode and the model kinds it trains. */
export function modeOptions(): { name: TrainingMode; kinds: string[] }[] {
  return MODES.map((m) => ({ name: m.name, kinds: m.kinds() }));
}
