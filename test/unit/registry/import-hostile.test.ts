/**
 * Issue 11: an export whose metadata was edited and re-sealed (checksum valid) is refused at import
 * with a 422 BAD_ARTIFACT naming the field, before anything is registered; the good export probes fine.
 */
import { decodeExport, probeExport } from '../../../lib/registry/portable';
import { bombExport, goodExport, hostileCases } from '../../fixtures/hostile-exports';

async function importCheck(bytes: Uint8Array): Promise<void> {
  await probeExport(decodeExport(bytes));
}

describe('hostile export corpus (issue 11)', () => {
  let good: Awaited<ReturnType<typeof goodExport>>;
  beforeAll(async () => (good = await goodExport()));

  it('the good export decodes and passes the probe prediction', async () => {
    await expect(importCheck(good.bytes)).resolves.toBeUndefined();
  });

  it('has a case for every rule', () => {
    expect(hostileCases(good.bytes, good.member).length).toBeGreaterThanOrEqual(17);
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])('case %i is a BAD_ARTIFACT naming its field', async (i) => {
    const c = hostileCases(good.bytes, good.member)[i];
    const err = await importCheck(c.bytes).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect({ name: c.name, code: err?.code }).toEqual({ name: c.name, code: 'BAD_ARTIFACT' });
    expect(err!.message).toMatch(c.expect);
  });

  it('the bomb is refused before its arrays are copied (heap grows less than the file)', () => {
    const bomb = bombExport(good.bytes, 4, 1000);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodeExport(bomb)).toThrow(expect.objectContaining({ code: 'BAD_ARTIFACT', message: expect.stringMatching(/overlap/) }));
    // measured: ~0 MB growth (before the guard: 1000 × 4 MB copies attempted)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });
});
