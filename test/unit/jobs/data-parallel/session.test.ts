/**
 * Issue 13: the pieces of the data-parallel protocol — shard bytes, chunking, bootstrap weights,
 * a session's histograms against a direct count, subtraction, memory freed on close, and no
 * message over the limit on the bytes port.
 */
import { irisSplit } from '../../../../fixtures/datasets';
import { forestKind } from '../../../../lib/models/forest';
import { encodeArtifact } from '../../../../lib/core/container';
import {
  BytesPort,
  ShardSession,
  chunkBytes,
  decodeBinnedShard,
  encodeBinnedShard,
  fitForestDataParallel,
  fitInProcess,
  joinChunks,
  binShards,
  rowWeight,
} from '../../../../lib/jobs/data-parallel';
import { featureOffsets } from '../../../../lib/jobs/data-parallel/session/forest';

describe('data-parallel shard sessions', () => {
  const { train } = irisSplit();

  it('shards round-trip through bytes and chunks of at most the limit', () => {
    const { shards } = binShards(train, 255, 1, 3);
    expect(shards.map((s) => s.rows)).toEqual([34, 33, 33]);
    const bytes = encodeBinnedShard(shards[1]);
    const chunks = chunkBytes(bytes, 100);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(100);
    const back = decodeBinnedShard(joinChunks(chunks));
    expect(back.codes).toEqual(shards[1].codes);
    expect(back.y).toEqual(shards[1].y);
    expect(back.rowIndex).toEqual(shards[1].rowIndex);
    expect(() => decodeBinnedShard(bytes.subarray(0, bytes.length - 1))).toThrow(/expected/);
  });

  it('bootstrap weights are Poisson(1): mean 1, about e^-1 zeros, and depend on (seed, tree, row) only', () => {
    let sum = 0;
    let zeros = 0;
    const n = 100_000;
    for (let r = 0; r < n; r++) {
      const w = rowWeight(7, 3, r, true);
      sum += w;
      if (w === 0) zeros++;
    }
    expect(Math.abs(sum / n - 1)).toBeLessThan(0.01);
    expect(Math.abs(zeros / n - Math.exp(-1))).toBeLessThan(0.005);
    expect(rowWeight(7, 3, 12, true)).toBe(rowWeight(7, 3, 12, true));
    expect(rowWeight(7, 3, 12, false)).toBe(1);
  });

  it('histograms equal a direct count, and the sum of shard histograms the one-shard histogram', () => {
    const one = binShards(train, 255, 1, 1);
    const three = binShards(train, 255, 1, 3);
    const whole = new ShardSession(one.shards[0]).histograms([{ tree: 0, node: 0 }]);
    const parts = three.shards.map((s) => new ShardSession(s).histograms([{ tree: 0, node: 0 }]));
    const sum = parts.reduce((a, b) => a.map((v, i) => v + b[i]));
    expect(sum).toEqual(whole);
    // feature 2 of the root, counted directly from the bootstrap weights
    const { codes, y, rows, rowIndex, config } = one.shards[0];
    const off = featureOffsets(config.nBins);
    const S = config.nClasses + 1;
    const direct = new Float64Array((config.nBins[2] + 1) * S);
    for (let r = 0; r < rows; r++) {
      const w = rowWeight(1, 0, rowIndex[r], true);
      if (w === 0) continue;
      direct[codes[2 * rows + r] * S + y[r]] += w;
      direct[codes[2 * rows + r] * S + 3] += 1;
    }
    expect(whole.subarray(off[2] * S, off[3] * S)).toEqual(direct);
  });

  it('partitions rows on a split; the children add up to the parent', () => {
    const { shards } = binShards(train, 255, 1, 1);
    const s = new ShardSession(shards[0]);
    const [root] = [s.histograms([{ tree: 4, node: 0 }])];
    const counts = s.applySplits({ splits: [{ tree: 4, node: 0, feature: 2, bin: 5, missLeft: false, left: 1, right: 2 }], release: [] });
    const kids = s.histograms([
      { tree: 4, node: 1 },
      { tree: 4, node: 2 },
    ]);
    const L = s.histLength;
    for (let i = 0; i < L; i++) expect(kids[i] + kids[L + i]).toBe(root[i]);
    expect(counts[0] + counts[1]).toBeGreaterThan(0);
    expect(() => s.histograms([{ tree: 4, node: 0 }])).toThrow(/no open node 0/);
    const rows = s.rows([{ tree: 4, node: 1 }]);
    expect(rows[0].rowIndex.length).toBe(counts[0]);
    expect(rows[0].codes.length).toBe(counts[0] * 4);
  });

  it("frees a session's memory on close (and its trees when released)", async () => {
    const { shards } = binShards(train, 255, 1, 2);
    const s = new ShardSession(shards[0]);
    const base = s.memoryBytes();
    // 50 rows × (4 codes + 8 y + 4 row index)
    expect(base).toBe(50 * 16);
    s.histograms([
      { tree: 0, node: 0 },
      { tree: 1, node: 0 },
    ]);
    expect(s.openTrees).toBe(2);
    expect(s.memoryBytes()).toBeGreaterThan(base);
    s.applySplits({ splits: [], release: [0, 1] });
    expect(s.openTrees).toBe(0);
    expect(s.memoryBytes()).toBe(base);
    s.close();
    expect(s.memoryBytes()).toBe(0);
    expect(() => s.histograms([{ tree: 0, node: 0 }])).toThrow(/closed/);
  });

  it('a fit leaves no tree open in any session, and the bytes port never sends more than its limit', async () => {
    const prepared = binShards(train, 255, 1, 2);
    const sessions = prepared.shards.map((s) => new ShardSession(s));
    const ports = sessions.map((s) => new BytesPort(s, 4096));
    const { cost } = await fitForestDataParallel(
      ports,
      { config: prepared.config, bins: prepared.bins, features: train.features, classes: train.classes },
      forestKind.params({ nEstimators: 20 }),
      { smallRows: 8 },
    );
    for (const s of sessions) expect(s.openTrees).toBe(0);
    for (const p of ports) {
      expect(p.largest).toBeLessThanOrEqual(4096);
      expect(p.received).toBeGreaterThan(4096); // replies were chunked
    }
    expect(cost.roundTrips).toBeGreaterThan(2);
    expect(cost.histNodes).toBeGreaterThan(0);
    expect(cost.rowNodes).toBeGreaterThan(0);
  });
});

describe('data-parallel driver batches', () => {
  it('grows fewer trees together under a smaller histogram budget, with the same artifact', async () => {
    const { train } = irisSplit();
    const p = forestKind.params({ nEstimators: 12 });
    const all = await fitInProcess(train, p, 1, 2, { smallRows: 8 });
    // a node histogram of Iris is about 4 features × ~30 bins × 4 values × 8 bytes; 25 of them per tree
    const few = await fitInProcess(train, p, 1, 2, { smallRows: 8, histBudgetBytes: 3 * all.sessions[0].histLength * 8 * 25 });
    expect(all.cost.treesPerBatch).toBe(12);
    expect(few.cost.treesPerBatch).toBe(3);
    expect(few.cost.roundTrips).toBeGreaterThan(all.cost.roundTrips);
    expect(encodeArtifact(few.model.toArtifact()).equals(encodeArtifact(all.model.toArtifact()))).toBe(true);
  });
});
