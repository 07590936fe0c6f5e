/**
 * A trainer's inbox of reduce-scatter parts (lib/trainer/part-inbox.ts): parts in chunks and in any
 * order complete a step's wait; a newer step replaces an older one; an aborted step fails its wait
 * at once with STEP_ABORTED (the driver retries it), and late parts of it are dropped.
 */
import { PartInbox } from '../../../lib/trainer/part-inbox';

const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);

describe('part inbox', () => {
  it('collects every sender, chunks in any order, before or after the wait begins', async () => {
    const inbox = new PartInbox();
    inbox.put('j', 3, 2, 1, 2, bytes(7, 8));
    const wait = inbox.wait('j', 3, 2, 5000);
    inbox.put('j', 3, 0, 0, 1, bytes(1));
    inbox.put('j', 3, 2, 0, 2, bytes(5, 6));
    const parts = await wait;
    expect([...parts.keys()].sort()).toEqual([0, 2]);
    expect(Array.from(parts.get(2)!)).toEqual([5, 6, 7, 8]);
    expect(inbox.size).toBe(0);
  });

  it('an aborted step fails its wait at once, and parts that come late are dropped', async () => {
    const inbox = new PartInbox();
    const wait = inbox.wait('j', 4, 1, 60_000);
    inbox.abort('j', 4);
    await expect(wait).rejects.toMatchObject({ code: 'STEP_ABORTED' });
    inbox.put('j', 4, 1, 0, 1, bytes(1));
    await expect(inbox.wait('j', 4, 1, 60_000)).rejects.toMatchObject({ code: 'STEP_ABORTED' });
  });

  it('a newer step replaces an older one; an older part is ignored; a wait times out', async () => {
    const inbox = new PartInbox();
    const old = inbox.wait('j', 5, 1, 60_000);
    inbox.put('j', 6, 0, 0, 1, bytes(9));
    await expect(old).rejects.toMatchObject({ code: 'STEP_ABORTED', message: expect.stringMatching(/replaced by step 6/) });
    inbox.put('j', 5, 0, 0, 1, bytes(1)); // older than 6: dropped
    const now = await inbox.wait('j', 6, 1, 60_000);
    expect(Array.from(now.get(0)!)).toEqual([9]);
    await expect(inbox.wait('k', 1, 1, 50)).rejects.toMatchObject({ code: 'STEP_ABORTED', message: expect.stringMatching(/did not all come/) });
  });

  it('refuses chunk numbers out of range and a sender that changes its chunk count', () => {
    const inbox = new PartInbox();
    expect(() => inbox.put('j', 1, 0, 2, 2, bytes(1))).toThrow(/out of range/);
    expect(() => inbox.put('j', 1, 0, 0, 5000, bytes(1))).toThrow(/out of range/);
    inbox.put('j', 1, 0, 0, 2, bytes(1));
    expect(() => inbox.put('j', 1, 0, 1, 3, bytes(1))).toThrow(/announced 2 chunks, then 3/);
  });
});
