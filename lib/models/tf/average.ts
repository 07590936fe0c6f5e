/**
 * Parameter averaging (federated averaging): the next global model is the row-weighted mean of the
 * models the trainers return in a round. Plain typed-array math on artifacts — no TensorFlow.js,
 * so the registry (the parameter server) can average without loading it.
 */
import { QuorumError } from '../../errors';
import type { Artifact } from '../../core/container';

export interface AveragePart {
  artifact: Artifact;
  /** Training rows behind this part: its weight in the mean. */
  rows: number;
}

function mismatch(i: number, what: string): QuorumError {
  return new QuorumError('BAD_ARTIFACT', `cannot average: part ${i} ${what}; every trainer of a round must start from the same global model`);
}

const json = (v: unknown): string => JSON.stringify(v ?? null);

/**
 * The row-weighted mean of every weight array of `parts` (same kind, format, array names, lengths
 * and topology, else BAD_ARTIFACT naming the first difference). The header is the first part's,
 * with `rows` set to the total; a regression target scaling that differs between parts (round 1
 * of a job whose trainers started from the seed, each scaling on its own shard) is averaged with
 * the same weights — an approximation that disappears from round 2 on, when every trainer starts
 * from the global model and keeps its scaling.
 */
export function averageArtifacts(parts: AveragePart[]): Artifact {
  if (!Array.isArray(parts) || parts.length === 0) throw new QuorumError('BAD_REQUEST', 'cannot average: no models given');
  parts.forEach((p, i) => {
    if (!(typeof p.rows === 'number' && Number.isFinite(p.rows) && p.rows > 0)) {
      throw new QuorumError('BAD_REQUEST', `cannot average: part ${i} has rows ${p.rows}; each part needs a positive row count`);
    }
  });
  const first = parts[0].artifact;
  const names = Object.keys(first.arrays).sort();
  for (const name of names) {
    const a = first.arrays[name];
    if (!(a instanceof Float32Array || a instanceof Float64Array)) throw mismatch(0, `array '${name}' is not floating point`);
  }
  parts.forEach(({ artifact }, i) => {
    if (artifact.kind !== first.kind) throw mismatch(i, `is a '${artifact.kind}', part 0 a '${first.kind}'`);
    if (artifact.formatVersion !== first.formatVersion) throw mismatch(i, `has format ${artifact.formatVersion}, part 0 ${first.formatVersion}`);
    if (json(artifact.header.spec) !== json(first.header.spec))
      throw mismatch(i, `has topology ${json(artifact.header.spec)}, part 0 ${json(first.header.spec)}`);
    const own = Object.keys(artifact.arrays).sort();
    if (json(own) !== json(names)) throw mismatch(i, `has arrays ${own.join(',')}, part 0 ${names.join(',')}`);
    for (const name of names) {
      const a = artifact.arrays[name];
      const b = first.arrays[name];
      if (a.constructor !== b.constructor || a.length !== b.length) {
        throw mismatch(i, `array '${name}' has ${a.length} ${a.constructor.name} values, part 0 ${b.length} ${b.constructor.name}`);
      }
    }
  });

  const total = parts.reduce((s, p) => s + p.rows, 0);
  const arrays: Artifact['arrays'] = {};
  for (const name of names) {
    const sum = new Float64Array(first.arrays[name].length);
    for (const { artifact, rows } of parts) {
      const a = artifact.arrays[name];
      const w = rows / total;
      for (let k = 0; k < sum.length; k++) sum[k] += w * a[k];
    }
    arrays[name] = first.arrays[name] instanceof Float32Array ? Float32Array.from(sum) : sum;
  }

  const header: Record<string, unknown> = { ...first.header, rows: total, curve: [], averagedFrom: parts.map((p) => p.rows) };
  const targets = parts.map((p) => p.artifact.header.target as { mean: number; std: number } | undefined);
  const same = targets.every((t) => json(t) === json(targets[0]));
  if (!same && targets.every((t) => t && Number.isFinite(t.mean) && Number.isFinite(t.std))) {
    header.target = {
      mean: targets.reduce((s, t, i) => s + (t!.mean * parts[i].rows) / total, 0),
      std: targets.reduce((s, t, i) => s + (t!.std * parts[i].rows) / total, 0),
    };
  }
  return { kind: first.kind, formatVersion: first.formatVersion, header, arrays };
}
