/**
 * Issue 6, where large predictions run: on the prediction threads (the same numbers as on the event
 * loop) and in slices on the event loop (timers run between slices). A trainer node's own members:
 * test/unit/trainer/member-cache.test.ts.
 */
import { localVoting } from '../../../lib/inference/local';
import { PredictPool } from '../../../lib/inference/predict-pool';
import { inSlices } from '../../../lib/inference/slices';
import { forestEnsemble, forestRows } from '../../fixtures/versions';

describe('prediction threads and slices (issue 6)', () => {
  it('threads give the same votes as the event loop, also after a version was forgotten', async () => {
    const e = await forestEnsemble();
    const pool = new PredictPool(2);
    try {
      const x = e.encodeRows(forestRows(3000)).x;
      expect(pool.worthIt(x.rows)).toBe(true);
      const inline = e.votes(x);
      for (let round = 0; round < 2; round++) {
        const threaded = await pool.votes(e, x, 'voters');
        expect(threaded.map((v) => v.member.id)).toEqual(['m1', 'm2', 'm3', 'm4']);
        threaded.forEach((v, i) => expect(Array.from(v.output)).toEqual(Array.from(inline[i].output)));
      }
      pool.forget(e);
      // forgotten: loaded again on demand
      const again = await pool.votes(e, x, 'voters');
      expect(Array.from(again[2].output)).toEqual(Array.from(inline[2].output));
    } finally {
      await pool.close();
    }
  });

  it("local voting on threads gives the event loop's votes; slices let timers run between them", async () => {
    const e = await forestEnsemble();
    const local = localVoting({ workers: 1 });
    try {
      const x = e.encodeRows(forestRows(2500)).x;
      expect(Array.from((await local.votes(e, x, 'voters'))[0].output)).toEqual(Array.from(e.votes(x)[0].output));
    } finally {
      await local.close();
    }
    const x = e.encodeRows(forestRows(1000)).x;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let slices = 0;
    const votes = await inSlices(x, (part) => (slices++, e.votes(part)), 100);
    clearInterval(timer);
    expect(slices).toBe(10);
    expect(ticks).toBeGreaterThan(0);
    votes.forEach((v, i) => expect(Array.from(v.output)).toEqual(Array.from(e.votes(x)[i].output)));
  });
});
