/**
 * The decompression guard (issue 17): gzip text is counted as it leaves the decompressor, and a
 * bomb is refused PAYLOAD_TOO_LARGE after a few MB, never inflated whole.
 */
import { gzipSync } from 'node:zlib';
import { ingestCsv } from '../../../lib/data/ingest';

/** A CSV of `rows` identical lines, gzipped (compresses ~1,000×). */
function bomb(rows: number): Buffer {
  return gzipSync(Buffer.from('a,b\n' + '1,2\n'.repeat(rows)), { level: 9 });
}

async function* chunks(buf: Buffer, size = 16 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

describe('decompression guard', () => {
  it('refuses a gzip bomb by its ratio, long before the size limit', async () => {
    const gz = bomb(64 * 1024 * 1024 / 4); // 64 MB of text in ~65 KB
    const before = process.memoryUsage().rss;
    await expect(ingestCsv(chunks(gz), { maxBytes: 1 << 30 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/inflates more than 200×/) });
    // measured: ~10 MB; the whole text as a table would be several hundred MB
    expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 * 1024);
  });

  it('refuses decompressed text past maxBytes while streaming', async () => {
    const gz = bomb(1024 * 1024); // 4 MB of text
    await expect(ingestCsv(chunks(gz), { maxBytes: 1024 * 1024, maxRatio: 1e6 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/after decompression/) });
  });

  it('reads a small, very compressible file (under the grace size) and a raised ratio', async () => {
    const small = await ingestCsv(chunks(bomb(100_000)), {}); // 400 KB of text, ratio ~1,000
    expect(small.table.nRows).toBe(100_000);
    const big = await ingestCsv(chunks(bomb(2_000_000)), { maxRatio: 1e6 });
    expect(big.table.nRows).toBe(2_000_000);
  });
});

describe('column cap while line 1 is read (issue 17)', () => {
  it('refuses a single-line CSV of a million columns after the first 10,000, holding little', async () => {
    const header = Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => `c${i}`).join(','));
    const before = process.memoryUsage().rss;
    await expect(ingestCsv(chunks(header, 64 * 1024))).rejects.toMatchObject({ code: 'TOO_MANY_COLUMNS', data: { line: 1, limit: 10_000 } });
    // measured: a few MB (it was 1.6 GB before the cap moved into the sample reader)
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('counts no delimiter inside quotes', async () => {
    const wide = `"${','.repeat(20_000)}",b\n1,2\n`;
    const result = await ingestCsv(chunks(Buffer.from(wide)), {});
    expect(result.table.columns.length).toBe(2);
  });
});
