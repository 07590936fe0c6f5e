/**
 * Versions for inference tests built from `baseline` artifacts with chosen outputs: a baseline
 * member predicts the same probabilities (or value) for every row, so every expected number of a
 * vote can be computed by hand.
 */
import type { EncoderSpec } from '../../../lib/data/encode';
import { loadEnsemble, type Ensemble } from '../../../lib/inference/ensemble';
import { encodeArtifact } from '../../../lib/models/format';
import type { MemberMeta, VersionMeta } from '../../../lib/registry/version';

export const ENCODER: EncoderSpec = { version: 1, columns: [{ name: 'x', type: 'numeric' }, { name: 'colour', type: 'categorical', categories: ['red', 'blue'] }], missing: ['', 'NA'] };

export interface FixedMember {
  id: string;
  /** Per-class probabilities (in `classes` order, or the version's), or [value] for regression. */
  output: number[];
  classes?: string[];
  weight?: number;
  baseline?: boolean;
  node?: string;
}

export function constantArtifact(task: 'classification' | 'regression', output: number[]): Uint8Array {
  return encodeArtifact({
    kind: 'baseline',
    formatVersion: 1,
    header: { task, nFeatures: 2, nClasses: task === 'classification' ? output.length : 0 },
    arrays: { output: Float32Array.from(output) },
  });
}

export function versionMeta(id: string, task: 'classification' | 'regression', members: FixedMember[], classes?: string[], voting = task === 'classification' ? 'soft' : 'mean'): VersionMeta {
  return {
    id,
    name: id.replace(/-v\d+$/, ''),
    status: 'ready',
    createdAt: '2024-01-01T00:00:00.000Z',
    dataset: { id: 'd', name: 'd', rows: 100, schemaHash: 'h' },
    target: 'y',
    task,
    classes,
    mode: 'ensemble',
    voting,
    encoder: ENCODER,
    features: [{ name: 'x', kind: 'numeric' }, { name: 'colour', kind: 'categorical', cardinality: 2 }],
    members: members.map(
      (m, i): MemberMeta => ({
        id: m.id,
        kind: 'baseline',
        params: {},
        input: 'native',
        shard: i,
        rows: 10,
        classes: task === 'classification' ? m.classes ?? classes : undefined,
        weight: m.weight,
        baseline: m.baseline,
        node: m.node,
      }),
    ),
  };
}

/** A loaded ensemble of constant members. */
export function fixedEnsemble(task: 'classification' | 'regression', members: FixedMember[], classes?: string[], voting?: string): Promise<Ensemble> {
  const meta = versionMeta('fixed-v1', task, members, classes, voting);
  const bytes = new Map(members.map((m) => [m.id, constantArtifact(task, m.output)]));
  return loadEnsemble(meta, async (id) => bytes.get(id)!, { keepArtifacts: true });
}

/**
 * Four small forests (5 trees) on seeded rows of (x, colour) → class A (x < −0.5), B, C (x > 0.5;
 * blue moves a row one class up). Outputs differ from row to row. `m4` is fitted on a shard
 * without class A, so it knows only ['B', 'C'].
 */
export async function forestEnsemble(nodes: string[] = ['n1', 'n1', 'n2', 'n2']): Promise<Ensemble> {
  const { forestKind } = await import('../../../lib/models/forest');
  const { Rng } = await import('../../../lib/util/random');
  const classes = ['A', 'B', 'C'];
  const fit = async (seed: number, withoutA: boolean) => {
    const rng = new Rng(seed);
    const xs: number[] = [];
    const ys: number[] = [];
    while (ys.length < 300) {
      const x = rng.normal() * 1.2;
      const blue = rng.int(2);
      const label = Math.min(2, (x < -0.5 ? 0 : x < 0.5 ? 1 : 2) + blue);
      if (withoutA && label === 0) continue;
      xs.push(x, blue);
      ys.push(withoutA ? label - 1 : label);
    }
    const model = await forestKind.fit(
      {
        task: 'classification',
        x: { data: Float32Array.from(xs), rows: ys.length, cols: 2 },
        y: Float32Array.from(ys),
        nClasses: withoutA ? 2 : 3,
        classes: withoutA ? ['B', 'C'] : classes,
        features: [{ name: 'x', kind: 'numeric' }, { name: 'colour', kind: 'categorical', cardinality: 2 }],
      },
      forestKind.params({ nEstimators: 5 }),
      { seed },
    );
    const bytes = encodeArtifact(model.toArtifact());
    model.dispose();
    return bytes;
  };
  const ids = ['m1', 'm2', 'm3', 'm4'];
  const bytes = new Map<string, Uint8Array>();
  for (const [i, id] of ids.entries()) bytes.set(id, await fit(i + 1, id === 'm4'));
  const meta = versionMeta('forests-v1', 'classification', ids.map((id, i) => ({ id, output: [], node: nodes[i], classes: id === 'm4' ? ['B', 'C'] : classes, weight: 0.5 + i / 10 })), classes);
  meta.members.forEach((m) => (m.kind = 'forest'));
  return loadEnsemble(meta, async (id) => bytes.get(id)!, { keepArtifacts: true });
}

/** Rows of (x, colour) spread over the three classes. */
export function forestRows(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({ x: -2 + (4 * i) / n, colour: i % 3 ? 'red' : 'blue' }));
}
