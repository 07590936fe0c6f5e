/**
 * Issue 31: a summary reads each tree's depth off the preorder node arrays (treeDepths) instead of
 * building the prediction walker. The depths must be the ones a plain recursion over the children
 * gives, for lone leaves, deep trees and every tree of a fitted forest.
 */
import { forestKind, type ForestModel } from '../../../../lib/models/forest';
import { treeDepths, type TreeNodes } from '../../../../lib/models/trees/nodes';
import { synthetic } from '../forest/fixtures';

/** Depth of the subtree at tree-local node i (left child i + 1, right child at `right[i]`). */
function depthOf(nodes: TreeNodes, base: number, i: number): number {
  if (nodes.feature[base + i] < 0) return 0;
  return 1 + Math.max(depthOf(nodes, base, i + 1), depthOf(nodes, base, nodes.right[base + i]));
}

function reference(nodes: TreeNodes): number[] {
  const out: number[] = [];
  for (let t = 0; t + 1 < nodes.treeStart.length; t++) out.push(depthOf(nodes, nodes.treeStart[t], 0));
  return out;
}

describe('treeDepths (issue 31)', () => {
  it('equals the recursion over the children on every tree of fitted forests', async () => {
    for (const [rows, params, deepest] of [
      [600, { nEstimators: 12 }, (d: number) => d > 3],
      [400, { nEstimators: 5, maxDepth: 3 }, (d: number) => d === 3],
      [50, { nEstimators: 6, minSamplesLeaf: 20 }, (d: number) => d <= 2], // small trees
    ] as const) {
      const model = (await forestKind.fit(synthetic({ rows, seed: 3 }), forestKind.params(params), { seed: 9 })) as ForestModel;
      const depths = Array.from(treeDepths(model.state.nodes));
      expect(depths).toEqual(reference(model.state.nodes));
      expect([rows, deepest(Math.max(...depths))]).toEqual([rows, true]);
    }
  });

  it('handles a chain deeper than its starting stack (64)', () => {
    // A right-leaning chain of 100 splits: each internal node's left child is a leaf.
    const n = 201;
    const feature = new Int32Array(n).fill(-1);
    const right = new Int32Array(n);
    for (let k = 0; k < 100; k++) {
      feature[2 * k] = 0;
      right[2 * k] = 2 * k + 2;
    }
    const nodes = { treeStart: Int32Array.from([0, n]), feature, right } as unknown as TreeNodes;
    expect(Array.from(treeDepths(nodes))).toEqual([100]);
    // A left-leaning chain: every split's left child splits again, the right children are leaves.
    const leftFeature = new Int32Array(n).fill(-1);
    const leftRight = new Int32Array(n);
    for (let k = 0; k < 100; k++) {
      leftFeature[k] = 0;
      leftRight[k] = 200 - k;
    }
    const left = { treeStart: Int32Array.from([0, n]), feature: leftFeature, right: leftRight } as unknown as TreeNodes;
    expect(Array.from(treeDepths(left))).toEqual([100]);
    expect(reference(left)).toEqual([100]);
  });
});
