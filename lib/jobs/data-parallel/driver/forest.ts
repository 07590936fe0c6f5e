/**
 * The data-parallel forest driver: grows the trees of a forest level by level over shard sessions
 * it reaches through {@link ShardPort}s. Per level, one call per shard for the histograms of the
 * open nodes (the smaller child of each split; the larger is its parent minus it) and the rows of
 * small nodes, summed in shard order; the splits are picked with the forest's rules
 * (hist-split.ts) and sent back; small nodes are grown here by the one-node growers on their rows
 * (sorted by global row index). Trees grow together in batches so one round trip serves many.
 * The result is a normal ForestModel: the same artifact whatever the number of shards.
 */
import { QuorumError } from '../../../errors';
import type { Bins } from '../../../models/trees/binning';
import type { GrowOptions } from '../../../models/forest/grow-common';
import { ForestModel } from '../../../models/forest/model';
import { NodeWriter, concatNodes, type TreeNodes } from '../../../models/trees/nodes';
import { resolveCriterion, resolveMaxFeatures, type ForestParams } from '../../../models/forest/params';
import type { FeatureInfo } from '../../../models/model';
import { Rng, deriveSeed } from '../../../util/random';
import { HistSplitter, nodeTotals, parentProxy, type HistLayout, type NodeTotals } from './hist-split';
import type { ShardPort } from './ports';
import { checkDataParallelParams } from '../params';
import { featureOffsets, statsPerBin } from '../session/forest';
import type { ShardConfig } from '../shard';
import { emitTree, growSmall, newNode, type DNode, type DTree, type SmallContext } from './tree-build';
import { type ApplyRequest, type NodeRef, type NodeRows, type SplitOrder } from '../wire';
import { callAll, emptyCost, type DriverCost } from './cost';

/** A forest's finished trees (whole batches), enough to resume the fit on a restarted coordinator. */
export interface ForestCheckpoint {
  version: 1;
  /** Trees done (the first `trees` of the forest). */
  trees: number;
  nodes: { [K in keyof TreeNodes]: number[] | null };
  /** Normalised impurity importance per tree and feature (trees × cols). */
  treeImportance: number[];
}

const NODE_KEYS = ['treeStart', 'feature', 'thrBin', 'missLeft', 'right', 'leafStart', 'leafClass', 'leafProb', 'leafValue'] as const;

function nodesToJson(n: TreeNodes): ForestCheckpoint['nodes'] {
  return Object.fromEntries(NODE_KEYS.map((k) => [k, n[k] ? Array.from(n[k]!) : null])) as ForestCheckpoint['nodes'];
}

function nodesFromJson(j: ForestCheckpoint['nodes']): TreeNodes {
  const f32 = (a: number[] | null) => (a ? Float32Array.from(a) : null);
  const i32 = (a: number[] | null) => (a ? Int32Array.from(a) : null);
  return {
    treeStart: Int32Array.from(j.treeStart!),
    feature: Int32Array.from(j.feature!),
    thrBin: Uint8Array.from(j.thrBin!),
    missLeft: Uint8Array.from(j.missLeft!),
    right: Int32Array.from(j.right!),
    leafStart: i32(j.leafStart),
    leafClass: i32(j.leafClass),
    leafProb: f32(j.leafProb),
    leafValue: f32(j.leafValue),
  };
}

export interface DriverOptions {
  /** Start after the trees of this checkpoint (of the same job). */
  resume?: ForestCheckpoint | null;
  /**
   * Called after every batch of trees with the trees so far; batches are then at most
   * `checkpointEvery` trees (default 20), so a restarted coordinator loses at most that many.
   */
  checkpoint?: (state: ForestCheckpoint) => Promise<void>;
  checkpointEvery?: number;
  /** Nodes with at most this many in-bag rows (all shards) are sent as rows and finished here. */
  smallRows?: number;
  /** Bound on the summed histograms held at once (default 256 MB); sets how many trees grow together. */
  histBudgetBytes?: number;
  /** Trees grown together (default: from the budget). */
  treesPerBatch?: number;
  isCancelled?: () => boolean;
  /** After every batch of trees: trees finished so far, of `total`. */
  onProgress?: (done: number, total: number, cost: DriverCost) => void;
}

export interface DataParallelInput {
  config: ShardConfig;
  bins: Bins;
  features: FeatureInfo[];
  classes?: string[];
}

/** What growing any batch needs: fixed for the whole forest. */
interface ForestContext {
  classification: boolean;
  K: number;
  cols: number;
  layout: HistLayout;
  histLength: number;
  opt: GrowOptions;
  small: SmallContext;
  smallRows: number;
  splitter: HistSplitter;
  yScale: number;
  cost: DriverCost;
}

/** A step of a batch as the driver runs it on every shard; the reply is every shard's answer, in shard order. */
export type ForestStep = { op: 'roots'; refs: NodeRef[] } | { op: 'apply'; req: ApplyRequest } | { op: 'children'; hist: NodeRef[]; rows: NodeRef[] };

/** The children step's answer of one shard: the histograms asked for, concatenated, and the rows of the small nodes. */
interface ChildrenReply {
  h: Float64Array;
  r: NodeRows[];
}

function forestContext(config: ShardConfig, p: ForestParams, smallRows: number, cost: DriverCost): ForestContext {
  const classification = config.task === 'classification';
  const K = config.nClasses;
  const cols = config.cols;
  const criterion = resolveCriterion(p, config.task);
  const layout: HistLayout = {
    classification,
    nClasses: K,
    entropy: criterion === 'entropy',
    S: statsPerBin(config.task, K),
    off: featureOffsets(config.nBins),
    nBins: config.nBins,
    minLeaf: p.minSamplesLeaf,
  };
  const opt: GrowOptions = {
    maxDepth: p.maxDepth ?? Infinity,
    minSamplesSplit: p.minSamplesSplit,
    minSamplesLeaf: p.minSamplesLeaf,
    mtry: resolveMaxFeatures(p, config.task, cols),
    extraTrees: false,
  };
  const yScale = 2 ** -config.yShift;
  return {
    classification,
    K,
    cols,
    layout,
    histLength: layout.off[cols] * layout.S + (classification ? 0 : 2),
    opt,
    small: { classification, K, cols, nBins: Int32Array.from(config.nBins), opt, criterion, yScale },
    smallRows,
    splitter: new HistSplitter(layout),
    yScale,
    cost,
  };
}

/** Sums the shards' histograms in shard order (regression: the target's range is a min and a max, not a sum). */
function sumHist(ctx: ForestContext, parts: Float64Array[]): Float64Array {
  const sum = Float64Array.from(parts[0]);
  for (let s = 1; s < parts.length; s++) {
    const h = parts[s];
    if (ctx.classification) for (let i = 0; i < sum.length; i++) sum[i] += h[i];
    else {
      for (let i = 0; i < sum.length - 2; i++) sum[i] += h[i];
      sum[sum.length - 2] = Math.min(sum[sum.length - 2], h[sum.length - 2]);
      sum[sum.length - 1] = Math.max(sum[sum.length - 1], h[sum.length - 1]);
    }
  }
  return sum;
}

/** A node's split from its summed histogram (the order the sessions apply), or null: the node becomes a leaf. */
function decide(ctx: ForestContext, tree: DTree, node: DNode): SplitOrder | null {
  const { layout, classification, K, opt, splitter } = ctx;
  const h = node.hist!;
  const t: NodeTotals = nodeTotals(layout, h, 0);
  node.n = t.n;
  let kk = 0;
  if (classification) for (let k = 0; k < K; k++) if (t.T[k] > 0) kk++;
  const impure = classification ? kk > 1 : node.lo < node.hi;
  let split = false;
  if (impure && t.n >= opt.minSamplesSplit && t.n >= 2 * opt.minSamplesLeaf && node.depth < opt.maxDepth) {
    split = splitter.find(h, 0, t, tree.feats, opt.mtry, tree.rng);
  }
  node.hist = split ? h : null;
  if (!split) {
    if (classification) {
      node.leafCls = new Int32Array(kk);
      node.leafW = new Float64Array(kk);
      let j = 0;
      for (let k = 0; k < K; k++) {
        if (t.T[k] > 0) {
          node.leafCls[j] = k;
          node.leafW[j++] = t.T[k];
        }
      }
    } else node.value = (t.T[1] / t.W) * ctx.yScale;
    return null;
  }
  const best = splitter.best;
  tree.imp[best.feature] += best.proxy - parentProxy(layout, t);
  node.feature = best.feature;
  node.bin = best.bin;
  node.missLeft = best.missLeft;
  node.left = tree.nodes.length;
  node.right = node.left + 1;
  const l = newNode(node.depth + 1);
  const r = newNode(node.depth + 1);
  l.n = splitter.bestNLeft;
  r.n = t.n - l.n;
  tree.nodes.push(l, r);
  return { tree: tree.index, node: -1, feature: best.feature, bin: best.bin, missLeft: best.missLeft, left: node.left, right: node.right };
}

/** The trees of one batch, fresh (tree i seeded by its index alone). */
function newBatch(seed: number, p: ForestParams, cols: number, first: number, count: number): DTree[] {
  const batch: DTree[] = [];
  for (let i = first; i < first + count; i++) {
    batch.push({
      index: i,
      rng: new Rng(deriveSeed(seed, p.treeOffset + i)),
      feats: Int32Array.from({ length: cols }, (_, f) => f),
      nodes: [newNode(0)],
      imp: new Float64Array(cols),
      frontier: [0],
    });
  }
  return batch;
}

/** One level of every tree of the batch: small nodes finished here, the others split or made leaves; the trees that ended. */
function growLevel(ctx: ForestContext, batch: DTree[], release: number[]): SplitOrder[] {
  const splits: SplitOrder[] = [];
  for (const tree of batch) {
    const next: number[] = [];
    for (const id of tree.frontier) {
      const node = tree.nodes[id];
      if (node.rows) growSmall(tree, node, ctx.small);
      else {
        const s = decide(ctx, tree, node);
        if (s) {
          s.node = id;
          splits.push(s);
          next.push(s.left, s.right);
        }
      }
    }
    if (tree.frontier.length > 0 && next.length === 0) release.push(tree.index);
    tree.frontier = next;
  }
  return splits;
}

/** The children of a level's splits, once the sessions applied them: whose histogram to build, whose rows to fetch. */
interface ChildrenPlan {
  histRefs: NodeRef[];
  pairs: Array<[DNode, DNode, DNode]>;
  rowRefs: NodeRef[];
  rowNodes: DNode[];
}

/**
 * Checks the shards' row counts against the histograms and plans the children: per split, the
 * smaller child's histogram is built (the larger is its parent minus it) when either is big; the
 * small ones come back as rows.
 */
function planChildren(ctx: ForestContext, batch: DTree[], splits: SplitOrder[], applied: Float64Array[]): ChildrenPlan {
  const plan: ChildrenPlan = { histRefs: [], pairs: [], rowRefs: [], rowNodes: [] };
  const byTree = new Map(batch.map((t) => [t.index, t]));
  splits.forEach((s, q) => {
    const tree = byTree.get(s.tree)!;
    const l = tree.nodes[s.left];
    const r = tree.nodes[s.right];
    let nl = 0;
    let nr = 0;
    for (const a of applied) {
      nl += a[6 * q];
      nr += a[6 * q + 1];
      l.lo = Math.min(l.lo, a[6 * q + 2]);
      l.hi = Math.max(l.hi, a[6 * q + 3]);
      r.lo = Math.min(r.lo, a[6 * q + 4]);
      r.hi = Math.max(r.hi, a[6 * q + 5]);
    }
    if (nl !== l.n || nr !== r.n)
      throw new QuorumError('INTERNAL', `shard sessions disagree with the histograms on split ${s.tree}/${s.node}: ${nl}/${nr} rows, expected ${l.n}/${r.n}`);
    const parent = tree.nodes[s.node];
    const smaller = nl <= nr ? l : r;
    const larger = smaller === l ? r : l;
    if (larger.n > ctx.smallRows) {
      plan.histRefs.push({ tree: s.tree, node: smaller === l ? s.left : s.right });
      plan.pairs.push([parent, smaller, larger]);
    } else parent.hist = null;
    for (const [c, id] of [
      [l, s.left],
      [r, s.right],
    ] as Array<[DNode, number]>) {
      if (c.n <= ctx.smallRows) {
        plan.rowRefs.push({ tree: s.tree, node: id });
        plan.rowNodes.push(c);
      }
    }
  });
  return plan;
}

/** The children's histograms (the smaller ones summed, the larger ones by subtraction) and the small nodes' rows. */
function takeChildren(ctx: ForestContext, plan: ChildrenPlan, replies: ChildrenReply[]): void {
  const { histLength, classification, smallRows, cost } = ctx;
  cost.histNodes += plan.histRefs.length;
  cost.rowNodes += plan.rowRefs.length;
  plan.pairs.forEach(([parent, smaller, larger], q) => {
    const h = sumHist(
      ctx,
      replies.map((x) => x.h.subarray(q * histLength, (q + 1) * histLength)),
    );
    const ph = parent.hist!;
    const big = new Float64Array(histLength);
    const end = classification ? histLength : histLength - 2;
    for (let i = 0; i < end; i++) big[i] = ph[i] - h[i];
    if (smaller.n > smallRows) smaller.hist = h;
    if (larger.n > smallRows) larger.hist = big;
    parent.hist = null;
  });
  plan.rowNodes.forEach((node, q) => {
    node.rows = replies.map((x) => x.r[q]);
    node.hist = null;
  });
}

/**
 * Grows one batch of trees as a sequence of steps: the roots' histograms, then per level the
 * splits to apply and the children to build or fetch; last, the trees that ended are released.
 * Each `yield` is one round trip to every shard; what comes back is their answers in shard order.
 */
function* growBatch(ctx: ForestContext, batch: DTree[]): Generator<ForestStep, void, unknown[]> {
  const { histLength, classification, cost } = ctx;
  const refs: NodeRef[] = batch.map((t) => ({ tree: t.index, node: 0 }));
  const rootParts = (yield { op: 'roots', refs }) as Float64Array[];
  batch.forEach((t, q) => {
    const h = sumHist(
      ctx,
      rootParts.map((part) => part.subarray(q * histLength, (q + 1) * histLength)),
    );
    t.nodes[0].hist = h;
    if (!classification) {
      t.nodes[0].lo = h[histLength - 2];
      t.nodes[0].hi = h[histLength - 1];
    }
  });
  let release: number[] = [];
  for (;;) {
    const splits = growLevel(ctx, batch, release);
    if (splits.length === 0) break;
    cost.levels++;
    const applied = (yield { op: 'apply', req: { splits, release } }) as Float64Array[];
    release = [];
    const plan = planChildren(ctx, batch, splits, applied);
    // Both requests at once (they only read the session): one hop per level.
    const replies = (yield { op: 'children', hist: plan.histRefs, rows: plan.rowRefs }) as ChildrenReply[];
    takeChildren(ctx, plan, replies);
  }
  if (release.length > 0) yield { op: 'apply', req: { splits: [], release } };
}

/** One step on every shard (a round trip), counted in `cost`. */
function runStep(ports: ShardPort[], step: ForestStep, cost: DriverCost): Promise<unknown[]> {
  if (step.op === 'roots') return callAll(ports, (port) => port.histograms(step.refs), JSON.stringify(step.refs).length, cost);
  if (step.op === 'apply') return callAll(ports, (port) => port.applySplits(step.req), JSON.stringify(step.req).length, cost);
  const { hist, rows } = step;
  return callAll(
    ports,
    async (port): Promise<ChildrenReply> => {
      const [h, r] = await Promise.all([hist.length ? port.histograms(hist) : new Float64Array(0), rows.length ? port.rows(rows) : []]);
      return { h, r };
    },
    JSON.stringify(hist).length + JSON.stringify(rows).length,
    cost,
  );
}

function checkResume(resume: ForestCheckpoint, resumed: TreeNodes, p: ForestParams, cols: number, config: ShardConfig): void {
  if (
    resume.version !== 1 ||
    resume.trees >= p.nEstimators ||
    resumed.treeStart.length !== resume.trees + 1 ||
    resume.treeImportance.length !== resume.trees * cols ||
    (resumed.leafStart !== null) !== (config.task === 'classification')
  ) {
    throw new QuorumError(
      'BAD_VALUE',
      `a data-parallel forest checkpoint of ${resume.trees} trees does not fit this job (${p.nEstimators} trees, ${cols} features, ${config.task})`,
    );
  }
}

/**
 * Grows the forest over the shards' sessions, batch by batch ({@link growBatch}); after each batch
 * its trees are written out and, when asked, checkpointed.
 */
export async function fitForestDataParallel(
  ports: ShardPort[],
  input: DataParallelInput,
  p: ForestParams,
  opts: DriverOptions = {},
): Promise<{ model: ForestModel; cost: DriverCost }> {
  checkDataParallelParams(p);
  const { config } = input;
  const cols = config.cols;
  const smallRows = Math.max(1, opts.smallRows ?? 1000);
  const cost = emptyCost();
  const ctx = forestContext(config, p, smallRows, cost);
  const budget = opts.histBudgetBytes ?? 256 << 20;
  // Nodes of more than smallRows rows are disjoint within a level, so a tree holds at most
  // 2·rows/smallRows summed histograms at once (a level's parents and their children).
  const histsPerTree = Math.max(1, Math.ceil((2 * config.totalRows) / smallRows));
  const fromBudget = Math.floor(budget / (ctx.histLength * 8 * histsPerTree));
  const treesPerBatch = Math.max(
    1,
    Math.min(p.nEstimators, opts.treesPerBatch ?? fromBudget, opts.checkpoint ? Math.max(1, opts.checkpointEvery ?? 20) : Infinity),
  );
  cost.treesPerBatch = treesPerBatch;

  const writer = new NodeWriter(ctx.classification);
  const treeImportance = new Float32Array(p.nEstimators * cols);
  const resume = opts.resume;
  const resumed = resume ? nodesFromJson(resume.nodes) : null;
  if (resume) {
    checkResume(resume, resumed!, p, cols, config);
    treeImportance.set(resume.treeImportance);
  }
  const nodesSoFar = (): TreeNodes => (resumed ? concatNodes([resumed, writer.finish()]) : writer.finish());
  for (let first = resume?.trees ?? 0; first < p.nEstimators; first += treesPerBatch) {
    if (opts.isCancelled?.()) throw new QuorumError('CANCELLED', `data-parallel forest cancelled after ${first} of ${p.nEstimators} trees`);
    const batch = newBatch(input.config.seed, p, cols, first, Math.min(p.nEstimators, first + treesPerBatch) - first);
    const grow = growBatch(ctx, batch);
    let d0 = performance.now();
    let it = grow.next();
    while (!it.done) {
      cost.driverMs += performance.now() - d0;
      const replies = await runStep(ports, it.value, cost);
      d0 = performance.now();
      it = grow.next(replies);
    }
    for (const tree of batch) {
      const treeBase = writer.size;
      emitTree(writer, tree, 0, treeBase);
      writer.endTree();
      let total = 0;
      for (let f = 0; f < cols; f++) total += tree.imp[f];
      if (total > 0) for (let f = 0; f < cols; f++) treeImportance[tree.index * cols + f] = tree.imp[f] / total;
      tree.nodes = [];
    }
    cost.driverMs += performance.now() - d0;
    const done = Math.min(p.nEstimators, first + treesPerBatch);
    if (opts.checkpoint && done < p.nEstimators) {
      await opts.checkpoint({ version: 1, trees: done, nodes: nodesToJson(nodesSoFar()), treeImportance: Array.from(treeImportance.subarray(0, done * cols)) });
    }
    opts.onProgress?.(done, p.nEstimators, cost);
  }
  const model = new ForestModel({
    task: config.task,
    nFeatures: cols,
    nClasses: ctx.classification ? ctx.K : 0,
    classes: input.classes,
    features: input.features,
    params: { ...p, oobScore: false },
    bins: input.bins,
    nodes: nodesSoFar(),
    treeImportance,
    oobScore: null,
    oob: null,
    permutationImportance: null,
  });
  return { model, cost };
}
