/**
 * Streaming behaviour: bad input stops the read at once and releases the source; concurrent
 * ingests do not interfere; memory returns to baseline; progress is reported.
 */
import { Readable } from 'node:stream';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { ingestCsv } from '../../../lib/data/ingest';
import { syntheticCsv } from '../../../lib/data/gen/synthetic';
import { digest, ingestText, rejection } from './csv/helpers';

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

/** An endless CSV source that counts the chunks pulled and notices when it is closed. */
function endless(head: string, row: (i: number) => string) {
  const state = { pulled: 0, closed: false };
  async function* gen(): AsyncGenerator<Buffer> {
    try {
      state.pulled++;
      yield Buffer.from(head);
      for (let i = 0; ; i++) {
        state.pulled++;
        yield Buffer.from(Array.from({ length: 500 }, (_, k) => row(i * 500 + k)).join(''));
      }
    } finally {
      state.closed = true;
    }
  }
  return { source: gen(), state };
}

describe('streaming', () => {
  it('stops reading an endless source right after a bad line and closes it', async () => {
    const { source, state } = endless('a,b\n1,2\n3,4,5\n', (i) => `${i},${i}\n`);
    const e = await rejection(ingestCsv(source), 'RAGGED_ROW');
    expect(e.data?.line).toBe(3);
    // the 64 KiB sample is about 13 chunks of this source (5 KB each); nothing beyond it is read
    expect(state.pulled).toBeLessThanOrEqual(16);
    expect(state.closed).toBe(true);
  });

  it('stops an endless upload at maxBytes and closes it', async () => {
    const { source, state } = endless('a,b\n', (i) => `${i},${i % 10}\n`);
    await rejection(ingestCsv(source, { maxBytes: 1_000_000 }), 'PAYLOAD_TOO_LARGE');
    // each chunk is about 5 KB: 1 MB is about 200 of them
    expect(state.pulled).toBeLessThan(260);
    expect(state.closed).toBe(true);
  });

  it('destroys a Node stream it stops reading', async () => {
    const stream = Readable.from((function* () {
      yield Buffer.from('a,b\n1,2\n');
      yield Buffer.from('3,"unclosed\n');
      for (;;) yield Buffer.from('4,5\n'.repeat(1000));
    })());
    await rejection(ingestCsv(stream, { maxFieldBytes: 10_000 }), 'FIELD_TOO_LARGE');
    expect(stream.destroyed).toBe(true);
  });

  it('reports progress with growing byte and row counts, ending at the totals', async () => {
    const bytes = Buffer.concat([...syntheticCsv({ rows: 5000, features: 5, classes: 2, seed: 3 }, 8192)]);
    const seen: { bytes: number; rows: number }[] = [];
    const r = await ingestText(bytes, { onProgress: (p) => seen.push(p) }, 8192);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i].bytes).toBeGreaterThanOrEqual(seen[i - 1].bytes);
      expect(seen[i].rows).toBeGreaterThanOrEqual(seen[i - 1].rows);
    }
    expect(seen[seen.length - 1]).toEqual({ bytes: bytes.length, rows: 5000 });
    expect(r.bytes).toBe(bytes.length);
  });
});

describe('concurrency and memory', () => {
  const good = (seed: number): Buffer => Buffer.concat([...syntheticCsv({ rows: 3000, features: 8, classes: 3, seed }, 4096)]);

  it('runs 8 ingests at once, half of them bad, each with its own result', async () => {
    const inputs = [1, 2, 3, 4].map(good);
    const alone = await Promise.all(inputs.map(async (b) => digest(await ingestText(b))));
    const mixed = await Promise.allSettled([
      ...inputs.map((b) => ingestText(b, {}, 1000)),
      ingestText('a,b\n1,2\n3\n', {}, 3),
      ingestText(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0])),
      ingestText(`x,y\n${'1,2\n'.repeat(2000)}`, { maxBytes: 1000 }),
      ingestText('a,a\n1,2\n'),
    ]);
    mixed.slice(0, 4).forEach((m, i) => {
      expect(m.status).toBe('fulfilled');
      expect(digest((m as PromiseFulfilledResult<Awaited<ReturnType<typeof ingestText>>>).value)).toBe(alone[i]);
    });
    const codes = mixed.slice(4).map((m) => (m.status === 'rejected' ? (m.reason as { code: string }).code : 'ok'));
    expect(codes).toEqual(['RAGGED_ROW', 'NOT_CSV', 'PAYLOAD_TOO_LARGE', 'DUPLICATE_COLUMN']);
  });

  it('returns memory to baseline after ingests, good and failed', async () => {
    const bytes = Buffer.concat([...syntheticCsv({ rows: 40000, features: 20, classes: 5, seed: 9 }, 65536)]);
    const bad = Buffer.concat([bytes, Buffer.from('1,2,3\n')]);
    const used = async (): Promise<number> => {
      // backing stores of dead ArrayBuffers are released after the GC, on another thread
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    // warm up once so that compiled code and lazily created singletons are not counted
    await ingestText(bytes, {}, 65536);
    const baseline = await used();
    const baseBuffers = process.memoryUsage().arrayBuffers;
    let peak = 0;
    // in a helper, so that no variable of this (still running) test function keeps a table alive
    const once = async (): Promise<number> => {
      const r = await ingestText(bytes, {}, 65536);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseBuffers);
      return r.table.nRows;
    };
    for (let i = 0; i < 3; i++) {
      expect(await once()).toBe(40000);
      await rejection(ingestText(bad, {}, 65536), 'RAGGED_ROW');
    }
    const after = await used();
    // the table is ~6 MB of typed arrays (40k rows × 21 columns); what stays must be far less
    expect(peak).toBeGreaterThan(5e6);
    expect(after - baseline).toBeLessThan(2e6);
  });
});
