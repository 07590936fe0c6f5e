import { Semaphore } from '../../../lib/util/semaphore';

describe('semaphore (the trainer bulkhead, issue 7)', () => {
  it('lets `size` holders in at once and the rest in FIFO order', async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    const releases = await Promise.all([s.acquire(), s.acquire()]);
    const waiting = [1, 2, 3].map((i) => s.acquire().then((release) => (order.push(i), release)));
    expect([s.active, s.queued]).toEqual([2, 3]);
    releases[0]();
    const first = await waiting[0];
    expect(order).toEqual([1]);
    releases[1]();
    first();
    await Promise.all(waiting.slice(1)).then((rs) => rs.forEach((r) => r()));
    expect(order).toEqual([1, 2, 3]);
    expect([s.active, s.queued]).toEqual([0, 0]);
  });

  it('a waiter can give up (cancelled job) without taking a slot; a double release counts once', async () => {
    const s = new Semaphore(1);
    const release = await s.acquire();
    const abort = new AbortController();
    const gaveUp = s.acquire(abort.signal);
    abort.abort(new Error('cancelled'));
    await expect(gaveUp).rejects.toThrow('cancelled');
    expect(s.queued).toBe(0);
    release();
    release();
    expect(s.active).toBe(0);
    const again = await s.acquire();
    expect(s.active).toBe(1);
    again();
  });
});
