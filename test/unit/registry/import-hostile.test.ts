/**
 * Issue 11: an export whose metadata was edited and re-sealed (checksum valid) is refused at import
 * with a 422 BAD_ARTIFACT naming the field, before anything is registered; the good export probes fine.
 */
import { decodeExport, examineExport } from '../../../lib/registry/portable';
import { bombExport, editMeta, goodExport, hostileCases, lyingCases } from '../../fixtures/hostile-exports';

async function importCheck(bytes: Uint8Array): Promise<void> {
  await examineExport(decodeExport(bytes), { verified: false });
}

describe('hostile export corpus (issue 11)', () => {
  let good: Awaited<ReturnType<typeof goodExport>>;
  beforeAll(async () => (good = await goodExport()));

  it('the good export decodes and passes the probe prediction', async () => {
    await expect(importCheck(good.bytes)).resolves.toBeUndefined();
    expect(lyingCases((await goodExport({ validation: true })).bytes)).toHaveLength(8);
  });

  describe('what a file claims is recomputed or refused (issue 29)', () => {
    let honest: Awaited<ReturnType<typeof goodExport>>;
    let truth: Awaited<ReturnType<typeof examineExport>>;
    beforeAll(async () => {
      honest = await goodExport({ validation: true });
      truth = await examineExport(decodeExport(honest.bytes), { verified: true });
    });

    it('metrics and weights come from the validation rows, never from the file; without rows they are dropped', async () => {
      expect(truth.metrics).toBe('recomputed');
      expect(truth.meta.metrics?.accuracy).toBeGreaterThan(0.6);
      expect(truth.meta.metrics?.accuracy).toBeLessThan(1);
      const forged = editMeta(honest.bytes, (m) => {
        m.metrics = { accuracy: 1 };
        m.report = { accuracy: 1 };
        m.members[0].metrics = { accuracy: 1 };
        m.members[0].weight = 1e300;
        m.members[0].node = 'trusted-prod-trainer';
      });
      const examined = await examineExport(decodeExport(forged), { verified: false });
      expect(examined.meta.metrics).toEqual(truth.meta.metrics);
      expect(examined.meta.members[0].weight).toBe(truth.meta.members[0].weight);
      expect(examined.meta.members[0].weight).toBeLessThanOrEqual(1);
      expect(examined.meta.members[0].node).toBeUndefined();
      const bare = await examineExport(decodeExport(good.bytes), { verified: false });
      expect([bare.metrics, bare.meta.metrics, bare.meta.report, bare.meta.members[0].weight]).toEqual(['dropped', undefined, undefined, undefined]);
    });

    it.each([0, 1, 2, 3, 4, 5, 6, 7])('lie %i is a BAD_ARTIFACT naming it', async (i) => {
      const c = lyingCases(honest.bytes)[i];
      const err = await importCheck(c.bytes).then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
      expect({ name: c.name, code: err?.code }).toEqual({ name: c.name, code: 'BAD_ARTIFACT' });
      expect(err!.message).toMatch(c.expect);
    });
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
