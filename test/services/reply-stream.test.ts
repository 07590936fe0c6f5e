/**
 * A streamed reply whose sender leaves mid-stream. Moleculer rejects the sender's pending calls
 * when it leaves, but a response stream that has begun is dropped without being ended, so a reader
 * waits for its idle timeout (the data-parallel shard port used to wait two hours: a trainer
 * SIGKILLed while streaming a histogram reply hung the job). `readReply` ends the read when the
 * sender leaves.
 */
import { Readable } from 'node:stream';
import { ServiceBroker } from 'moleculer';
import { readReply } from '../../services/ports/cluster';
import { readAll } from '../../lib/store/streams';

describe('readReply: a reply stream whose sender leaves', () => {
  let a: ServiceBroker;
  let b: ServiceBroker;
  let sent: Readable[];

  beforeEach(async () => {
    const ns = `rs-${Math.random().toString(36).slice(2, 8)}`;
    a = new ServiceBroker({ nodeID: 'a', namespace: ns, transporter: 'Fake', logger: false });
    b = new ServiceBroker({ nodeID: 'b', namespace: ns, transporter: 'Fake', logger: false });
    sent = [];
    b.createService({
      name: 'sender',
      actions: {
        // one chunk, then nothing: the sender is about to go away
        partial: () => {
          const s = new Readable({ read() {} });
          s.push(Buffer.alloc(1000, 7));
          sent.push(s);
          return s;
        },
        whole: () => Readable.from([Buffer.alloc(600, 1), Buffer.alloc(400, 2)]),
      },
    });
    await Promise.all([a.start(), b.start()]);
    await a.waitForServices('sender', 5000);
  });

  afterEach(async () => {
    await a.stop();
    await b.stop().catch(() => undefined);
  });

  const ask = (action: string) => a.call<Readable, object>(`sender.${action}`, {}, { nodeID: 'b' });
  const settledWithin = <T>(p: Promise<T>, ms: number) =>
    Promise.race([
      p.then(
        (v) => ({ value: v }),
        (e: Error) => ({ error: e }),
      ),
      new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms)),
    ]);

  it('a whole reply reads the same as readAll', async () => {
    const bytes = await readReply(a, 'b', await ask('whole'), { idleMs: 5000 });
    expect([bytes.length, bytes[0], bytes[999]]).toEqual([1000, 1, 2]);
    expect(a.localBus.listenerCount('$node.disconnected')).toBe(0); // the listener is removed again
  });

  it('fails at once with STREAM_STALLED when the sender leaves, where a plain read keeps waiting', async () => {
    const plainStream = await ask('partial');
    const plain = readAll(plainStream, { idleMs: 60_000 });
    const guarded = readReply(a, 'b', await ask('partial'), { idleMs: 60_000 });
    await new Promise((r) => setTimeout(r, 100));
    await b.stop();
    const outcome = await settledWithin(guarded, 3000);
    expect(outcome).toEqual({ error: expect.objectContaining({ code: 'STREAM_STALLED', message: expect.stringMatching(/node b left the cluster/) }) });
    // the control: Moleculer itself never ends the stream of a sender that left
    expect(await settledWithin(plain, 500)).toBe('pending');
    expect(a.localBus.listenerCount('$node.disconnected')).toBe(0);
    plainStream.destroy();
    await plain.catch(() => undefined);
  });

  it('a node other than the sender leaving does not end the read', async () => {
    const c = new ServiceBroker({ nodeID: 'c', namespace: (a as unknown as { namespace: string }).namespace, transporter: 'Fake', logger: false });
    await c.start();
    const guarded = readReply(a, 'b', await ask('partial'), { idleMs: 60_000 });
    await new Promise((r) => setTimeout(r, 100));
    await c.stop();
    expect(await settledWithin(guarded, 500)).toBe('pending');
    sent[0].push(null); // the sender ends its reply
    expect((await guarded).length).toBe(1000);
  });
});
