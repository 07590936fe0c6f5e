import { decodeArtifact, encodeArtifact, encodeArtifactParts, expectArtifact } from '../../../lib/core/container';
import { QuorumError } from '../../../lib/errors';

describe('artifact container', () => {
  const artifact = {
    kind: 'demo',
    formatVersion: 1,
    header: { a: 1, labels: ['x', 'y'] },
    arrays: {
      f: new Float32Array([1.5, NaN, -2]),
      i: new Int32Array([7, -8]),
      b: new Uint8Array([1, 2, 3, 4, 5]),
      d: new Float64Array([Math.PI]),
    },
  };

  it('round-trips header and every array type', () => {
    const back = decodeArtifact(encodeArtifact(artifact));
    expect(back.kind).toBe('demo');
    expect(back.header).toEqual(artifact.header);
    expect(Array.from(back.arrays.f as Float32Array)).toEqual([1.5, NaN, -2]);
    expect(back.arrays.i).toEqual(new Int32Array([7, -8]));
    expect(back.arrays.b).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
    expect((back.arrays.d as Float64Array)[0]).toBe(Math.PI);
  });

  it('writes the same bytes as parts (views of the arrays, padding between) as in one buffer', () => {
    const parts = encodeArtifactParts(artifact);
    expect(Buffer.concat(parts).equals(encodeArtifact(artifact))).toBe(true);
    // the arrays are views, not copies
    expect(parts.some((p) => p.buffer === artifact.arrays.d.buffer)).toBe(true);
    const odd = { ...artifact, arrays: { b: new Uint8Array(13).fill(9), i: new Int32Array(0), s: new Int16Array([1, 2, 3]).subarray(1) } };
    expect(Buffer.concat(encodeArtifactParts(odd)).equals(encodeArtifact(odd))).toBe(true);
  });

  it('refuses a flipped byte, a truncated file and foreign bytes with BAD_ARTIFACT', () => {
    const bytes = encodeArtifact(artifact);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3] ^= 0xff;
    for (const bad of [flipped, bytes.subarray(0, bytes.length - 8), Buffer.from('lettr,x-box\nA,1\n')]) {
      expect(() => decodeArtifact(bad)).toThrow(QuorumError);
      try {
        decodeArtifact(bad);
      } catch (e) {
        expect((e as QuorumError).code).toBe('BAD_ARTIFACT');
      }
    }
  });

  it('refuses a newer container or format version with UNSUPPORTED_FORMAT_VERSION', () => {
    const bytes = Buffer.from(encodeArtifact(artifact));
    bytes.writeUInt16LE(99, 4);
    expect(() => decodeArtifact(bytes)).toThrow(/newer than this Quorum reads/);
    const newer = decodeArtifact(encodeArtifact({ ...artifact, formatVersion: 3 }));
    expect(() => expectArtifact(newer, 'demo', 2)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_FORMAT_VERSION' }));
    expect(() => expectArtifact(newer, 'forest', 9)).toThrow(expect.objectContaining({ code: 'BAD_ARTIFACT' }));
    expect(() => expectArtifact(newer, 'demo', 3, { missing: 'f32' })).toThrow(/lacks array 'missing'/);
  });
});
