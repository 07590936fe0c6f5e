/**
 * Issue 13 (gbm): a data-parallel boosted model is the same whatever the number of shards and
 * whichever rows each holds (byte-identical artifacts for 1..4 shards, any assignment, through the
 * trainer's wire format), and it is the one-node fit's model up to the gradient quantisation: the
 * same trees' splits and predictions within a hair, on Iris (softmax), a binary set with missing
 * values and row/column sampling, and regressions (squared, huber); early stopping keeps the same
 * round; a fit resumed from a checkpoint makes the undisturbed model; unsupported params are refused.
 */
import { irisSplit } from '../../../../fixtures/datasets';
import { QuorumError } from '../../../../lib/errors';
import { accuracy } from '../../../../lib/models/forest/oob';
import { encodeArtifact } from '../../../../lib/core/container';
import { gbmKind, type GbmModel } from '../../../../lib/models/gbm';
import type { TrainingSet } from '../../../../lib/models/model';
import { fitGbmInProcess, type BoostCheckpoint, type GbmLocalOptions } from '../../../../lib/jobs/data-parallel';
import { Rng } from '../../../../lib/util/random';
import { synthetic } from '../../models/forest/fixtures';

const SEED = 1;

async function fit(
  data: TrainingSet,
  params: Record<string, unknown>,
  shards: number,
  opts: GbmLocalOptions = {},
): Promise<{ model: GbmModel; roundTrips: number }> {
  const { model, cost } = await fitGbmInProcess(data, gbmKind.params(params), SEED, shards, opts);
  return { model, roundTrips: cost.roundTrips };
}

async function oneNode(data: TrainingSet, params: Record<string, unknown>, validation?: TrainingSet): Promise<GbmModel> {
  return (await gbmKind.fit(data, gbmKind.params(params), { seed: SEED, validation })) as GbmModel;
}

const bytesOf = (m: GbmModel): Buffer => encodeArtifact(m.toArtifact());

function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** The split features and bins of the first `trees` trees (structure, not leaf values). */
function splits(m: GbmModel, trees: number): string {
  const n = m.state.nodes;
  const out: string[] = [];
  for (let i = 0; i < n.treeStart[trees]; i++) out.push(n.feature[i] < 0 ? 'leaf' : `${n.feature[i]}:${n.thrBin[i]}:${n.missLeft[i]}`);
  return out.join(' ');
}

function rmse(p: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return Math.sqrt(s / y.length);
}

describe('data-parallel gbm: one model for any sharding, the one-node model', () => {
  const { train, test } = irisSplit();

  it('Iris (softmax, 3 trees per round): identical artifacts for 1..4 shards on 1..3 trainers; the one-node splits and predictions', async () => {
    const params = { nEstimators: 30, maxDepth: 4 };
    const ref = await fit(train, params, 1);
    const bytes = bytesOf(ref.model);
    const pred = ref.model.predict(test.x);
    for (const [n, trainers] of [
      [1, 1],
      [2, 1],
      [2, 2],
      [3, 3],
      [4, 2],
      [4, 3],
    ]) {
      const m = await fit(train, params, n, { trainers });
      expect([n, trainers, bytesOf(m.model).equals(bytes)]).toEqual([n, trainers, true]);
      expect(m.model.predict(test.x)).toEqual(pred);
    }
    expect(ref.model.nTrees).toBe(90);
    // The K trees of a round grow together: a round is at most maxDepth round trips, plus one at the end.
    expect(ref.roundTrips).toBeLessThanOrEqual(30 * 4 + 1);
    const one = await oneNode(train, params);
    expect(splits(ref.model, 9)).toBe(splits(one, 9));
    expect(maxDiff(ref.model.predict(test.x), one.predict(test.x))).toBeLessThan(1e-4);
    // measured: 0.88 (data-parallel and one node)
    expect(accuracy(pred, test.y, 3)).toBeGreaterThanOrEqual(0.86);
    expect(accuracy(pred, test.y, 3)).toBe(accuracy(one.predict(test.x), test.y, 3));
  });

  it('binary with missing values, subsample, colsample and balanced classes: any assignment gives the same artifact', async () => {
    const data = synthetic({ rows: 4000, seed: 21 });
    const hold = synthetic({ rows: 1000, seed: 22 });
    const params = { nEstimators: 40, subsample: 0.7, colsampleByTree: 0.75, classWeight: 'balanced' };
    const ref = await fit(data, params, 1);
    const rng = new Rng(3);
    const assignment = Int32Array.from({ length: data.x.rows }, () => rng.int(3));
    expect(bytesOf((await fit(data, params, 3, { assignment, trainers: 3 })).model).equals(bytesOf(ref.model))).toBe(true);
    expect(bytesOf((await fit(data, params, 4, { trainers: 2 })).model).equals(bytesOf(ref.model))).toBe(true);
    const one = await oneNode(data, params);
    expect(splits(ref.model, 5)).toBe(splits(one, 5));
    const a = accuracy(ref.model.predict(hold.x), hold.y, 2);
    // measured: 0.99 data-parallel, 0.99 one node
    expect(a).toBeGreaterThanOrEqual(0.97);
    expect(Math.abs(a - accuracy(one.predict(hold.x), hold.y, 2))).toBeLessThanOrEqual(0.005);
  });

  it('regression (squared and huber) with missing values: identical for 1, 2, 4 shards, the one-node fit', async () => {
    const data = synthetic({ rows: 3000, seed: 11, task: 'regression' });
    const hold = synthetic({ rows: 1000, seed: 12, task: 'regression' });
    for (const objective of ['squared', 'huber']) {
      const params = { nEstimators: 50, objective, maxDepth: 5 };
      const ref = await fit(data, params, 1);
      for (const n of [2, 4]) expect(bytesOf((await fit(data, params, n)).model).equals(bytesOf(ref.model))).toBe(true);
      const one = await oneNode(data, params);
      expect(splits(ref.model, 3)).toBe(splits(one, 3));
      const e = rmse(ref.model.predict(hold.x), hold.y);
      // measured: squared 0.152, huber 0.186 (pseudo-Huber with δ 1 moves slower); one node the same
      expect(e).toBeLessThan(objective === 'squared' ? 0.17 : 0.2);
      expect(Math.abs(e - rmse(one.predict(hold.x), hold.y))).toBeLessThan(0.002);
    }
    // a given start (baseScore) is the one-node fit's start too
    const from = await fit(data, { nEstimators: 5, baseScore: 0.5 }, 2);
    expect(from.model.state.baseMargin[0]).toBe(0.5);
    expect(splits(from.model, 3)).toBe(splits(await oneNode(data, { nEstimators: 5, baseScore: 0.5 }), 3));
  });

  it('early stopping on the validation rows keeps the same round as the one-node fit, for any sharding', async () => {
    const data = synthetic({ rows: 2000, seed: 31, task: 'regression' });
    const validation = synthetic({ rows: 500, seed: 32, task: 'regression' });
    const params = { nEstimators: 2000, learningRate: 0.3, earlyStopping: 10 };
    const rounds: Array<[number, number | null]> = [];
    const ref = await fit(data, params, 1, { validation, onRound: (r, _t, _l, vl) => rounds.push([r, vl]) });
    expect(ref.model.state.roundsRun).toBeLessThan(2000);
    expect(ref.model.state.roundsRun - ref.model.state.bestRound).toBe(10);
    expect(rounds.length).toBe(ref.model.state.roundsRun);
    expect(rounds.every(([, vl]) => vl !== null && Number.isFinite(vl))).toBe(true);
    expect(bytesOf((await fit(data, params, 3, { validation })).model).equals(bytesOf(ref.model))).toBe(true);
    const one = await oneNode(data, params, validation);
    expect(ref.model.state.bestRound).toBe(one.state.bestRound);
    expect(ref.model.state.trainLoss).toBeCloseTo(one.state.trainLoss, 4);
  });

  it('a fit resumed from a checkpoint (as a restarted coordinator does) makes the undisturbed model', async () => {
    const data = synthetic({ rows: 2000, seed: 41, task: 'regression' });
    const validation = synthetic({ rows: 500, seed: 42, task: 'regression' });
    const params = { nEstimators: 60, subsample: 0.8, earlyStopping: 50 };
    const saved: BoostCheckpoint[] = [];
    const ref = await fit(data, params, 2, { validation, checkpointEvery: 7, checkpoint: async (c) => void saved.push(JSON.parse(JSON.stringify(c))) });
    expect(saved.map((c) => c.round)).toEqual([7, 14, 21, 28, 35, 42, 49, 56]);
    for (const resume of [saved[0], saved[4]]) {
      const rounds: number[] = [];
      const again = await fit(data, params, 3, { validation, resume, onRound: (r) => rounds.push(r) });
      expect(bytesOf(again.model).equals(bytesOf(ref.model))).toBe(true);
      expect(rounds[0]).toBe(resume.round); // the first loss the sessions report is the checkpoint's last round
    }
    const iris = await fit(train, { nEstimators: 12 }, 2, { checkpointEvery: 5, checkpoint: async (c) => void saved.push(JSON.parse(JSON.stringify(c))) });
    const resumed = await fit(train, { nEstimators: 12 }, 1, { resume: saved[saved.length - 1] });
    expect(bytesOf(resumed.model).equals(bytesOf(iris.model))).toBe(true);
    await expect(fit(train, { nEstimators: 12 }, 1, { resume: saved[0] })).rejects.toThrow(/checkpoint of 7 rounds does not fit this job/);
  });

  it('a trainer lost in the middle of a reduction (a round open, a level): its shards move, the step is rebuilt, the same model', async () => {
    const data = synthetic({ rows: 3000, seed: 31 });
    const params = { nEstimators: 6, maxDepth: 4, subsample: 0.8 };
    const ref = bytesOf((await fit(data, params, 1)).model);
    // Steps per round: the open, then one per level (3 with depth 4): step 6 opens round 2, step 8 is a level of it.
    for (const step of [6, 8]) {
      for (const trainer of [0, 2]) {
        const m = await fitGbmInProcess(data, gbmKind.params(params), SEED, 4, { trainers: 3, failAt: { step, trainer } });
        expect([step, trainer, m.cost.rebuilds, m.cost.trainers, bytesOf(m.model).equals(ref)]).toEqual([step, trainer, 1, 2, true]);
      }
    }
  });

  it('reduce-scatter: each trainer receives block parts from the others only, far less than the histograms', async () => {
    const data = synthetic({ rows: 4000, seed: 41 });
    const params = { nEstimators: 5, maxDepth: 5 };
    const two = await fitGbmInProcess(data, gbmKind.params(params), SEED, 2, { trainers: 2 });
    const one = await fitGbmInProcess(data, gbmKind.params(params), SEED, 2, { trainers: 1 });
    // One trainer: nothing between trainers; two: the blocks of each other's sums.
    expect(one.cost.peerBytes).toBe(0);
    expect(two.cost.peerBytes).toBeGreaterThan(0);
    // What the histograms would weigh as Float64 (every built node; a feature's bins: its edges + 1, and missing).
    const { edges, edgeStart } = two.model.state.bins;
    const histBytes = two.cost.histNodes * 2 * 8 * (edges.length + 2 * (edgeStart.length - 1));
    expect(two.cost.peerBytes!).toBeLessThan(histBytes / 4);
    // The driver receives winners, not histograms.
    expect(two.cost.bytesIn - two.cost.peerBytes!).toBeLessThan(histBytes / 10);
  });

  it('sessions are closed at the end, and hold only their shard while open', async () => {
    let memory = -1;
    let sessions = -1;
    await fit(train, { nEstimators: 3 }, 3, {
      trainers: 2,
      onHosts: (hosts) => {
        memory = hosts.reduce((m, h) => m + h.status().memoryBytes, 0);
        sessions = hosts.reduce((m, h) => m + h.status().sessions.length, 0);
      },
    });
    expect(sessions).toBe(3);
    expect(memory).toBeGreaterThan(0);
    expect(memory).toBeLessThan(1e6);
  });

  it('maxLeaves and permutation importance are refused with the reason', async () => {
    await expect(fit(train, { maxLeaves: 8 }, 2)).rejects.toThrow(/maxLeaves.*not supported in mode 'data-parallel'/);
    await expect(fit(train, { importance: 'permutation' }, 2)).rejects.toBeInstanceOf(QuorumError);
  });
});
