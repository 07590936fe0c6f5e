import type { HostRequest, LevelRequest, RoundRequest } from '../wire';

/**
 * What every session of a boosted job has been sent (the same for all of them): every round so
 * far — its trees move the margins — and the current round's splits. A session opened again on
 * another trainer replays it and reaches the state of the others (no histograms built).
 */
export class ReplayLog {
  private rounds: RoundRequest[] = [];
  private levels: LevelRequest[] = [];

  /** Records what a step sent (its histograms are not needed to replay it). */
  step(step: { round?: RoundRequest; level?: LevelRequest }): void {
    if (step.round) {
      const last = this.rounds[this.rounds.length - 1];
      if (last) last.open = false;
      this.rounds.push({ ...step.round, hist: false });
      this.levels = [];
    }
    if (step.level) this.levels.push({ splits: step.level.splits, hist: [] });
  }

  catchUp(req: RoundRequest): void {
    this.rounds.push({ ...req, hist: false });
  }

  /** The requests that bring a fresh session to the others' state, in order. */
  requests(id: string): HostRequest[] {
    return [...this.rounds.map((req): HostRequest => ({ op: 'round', id, req })), ...this.levels.map((req): HostRequest => ({ op: 'level', id, req }))];
  }
}
