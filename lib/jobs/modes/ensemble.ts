/** `ensemble`: one model per shard (and kind), fitted in parallel on the trainers; they vote. */
import { modelKindNames } from '../../models/kinds';
import { trainMembers } from '../runner';
import { completeVersion, fitMember, fitParams, prepareJob, runnerOptions, runnerPorts, type Mode } from './mode';

export const ensembleMode: Mode = {
  name: 'ensemble',
  kinds: modelKindNames,
  keepsStoredMembers: true,
  prepare: prepareJob,
  async train({ job, env, signal }) {
    const ports = {
      ...runnerPorts(env),
      fit: (member: Parameters<typeof fitParams>[2], s: AbortSignal, onProgress: Parameters<typeof fitMember>[4]) =>
        fitMember(env, job, fitParams(env, job, member), s, onProgress),
    };
    await trainMembers(job, ports, runnerOptions(env), signal);
  },
  complete: (run) => completeVersion(run),
};
