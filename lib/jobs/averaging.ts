/**
 * Training by parameter averaging (`mode: 'average'`): one shared neural or linear model improved
 * in rounds. In every round each shard is fitted for `epochs` starting from the global weights
 * held by the registry; the row-weighted mean of what comes back becomes the next global weights;
 * the global model is evaluated on the validation rows after every round.
 *
 * A shard whose trainer fails or times out is left out of that round; the round counts when at
 * least `minTrainers` shards came back (else the job fails with QUORUM_NOT_REACHED). Shards are
 * dispatched afresh each round, so a trainer that joins takes part from the next round.
 */
import { QuorumError, remoteFailure } from '../errors';
import type { JobState, MemberState } from './job';
import { waitForTrainer, type FitOutcome, type RunnerOptions, type RunnerPorts } from './runner';
import { jobNote, jobTraining, memberAttemptFailed, memberDone, memberFailed, memberPending, memberRunning } from './job-transitions';

export interface RoundPart {
  /** Id under which the trainer stored this round's weights in the registry. */
  member: string;
  rows: number;
  node: string;
  fitMs: number;
}

export interface AveragingPorts extends Pick<RunnerPorts, 'trainersOnline' | 'changed' | 'sleep'> {
  /** Fits one shard for one round from the current global weights (none in round 1). */
  fitRound(shard: MemberState, round: number, signal: AbortSignal): Promise<RoundPart & Partial<FitOutcome>>;
  /** Averages the parts into the new global weights (the registry does this). */
  average(round: number, parts: RoundPart[]): Promise<void>;
  /** Validation metrics of the global model after a round. */
  evaluate(round: number): Promise<Record<string, number | null>>;
}

export interface AveragingOptions extends RunnerOptions {
  rounds: number;
  minTrainers: number;
}

export async function trainByAveraging(job: JobState, ports: AveragingPorts, options: AveragingOptions, signal: AbortSignal): Promise<void> {
  jobTraining(job, job.message);
  job.rounds = job.rounds ?? [];
  const shards = job.members;
  const minTrainers = Math.min(options.minTrainers, shards.length);
  for (let round = job.rounds.length + 1; round <= options.rounds; round++) {
    if (signal.aborted) throw new QuorumError('CANCELLED', 'the job was cancelled');
    await waitForTrainer(job, ports, options, signal);
    jobNote(job, `round ${round} of ${options.rounds}`);
    const started = Date.now();
    for (const s of shards) {
      // Every shard fits again in every round.
      if (s.status !== 'pending') memberPending(job, s, false);
      memberRunning(job, s);
    }
    ports.changed(job);
    const settled = await Promise.allSettled(shards.map((s) => ports.fitRound(s, round, signal)));
    if (signal.aborted) throw new QuorumError('CANCELLED', 'the job was cancelled');
    const parts: RoundPart[] = [];
    settled.forEach((result, i) => {
      const s = shards[i];
      if (result.status === 'fulfilled') {
        parts.push(result.value);
        memberDone(job, s, { node: result.value.node, fitMs: (s.fitMs ?? 0) + result.value.fitMs });
      } else {
        const e = remoteFailure(result.reason, 'FIT_FAILED');
        memberAttemptFailed(s, { node: e.node, code: e.code, message: `round ${round}: ${e.message}` });
        memberFailed(job, s);
      }
    });
    if (parts.length < minTrainers) {
      throw new QuorumError('QUORUM_NOT_REACHED', `round ${round}: ${parts.length} of ${shards.length} shards came back, ${minTrainers} needed (minTrainers)`);
    }
    await ports.average(round, parts);
    const metrics = await ports.evaluate(round);
    const rows = parts.reduce((a, p) => a + p.rows, 0);
    job.rounds.push({ round, trainers: parts.length, rows, metrics, ms: Date.now() - started });
    if (parts.length < shards.length) job.warnings.push(`round ${round} averaged ${parts.length} of ${shards.length} shards (the others failed or timed out)`);
    jobNote(job, job.message, round / options.rounds);
    ports.changed(job);
  }
  jobNote(job, undefined);
}
