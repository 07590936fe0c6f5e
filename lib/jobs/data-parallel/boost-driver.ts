/**
 * The data-parallel gbm driver: grows the trees of a boosted model over shard sessions
 * (boost-session.ts) it reaches through {@link BoostPort}s. Per round, one call opens the round on
 * every shard (the previous round's trees move the margins; derivatives, sample, roots) and brings
 * back the roots' histograms of all outputs; then per level one call partitions the split nodes
 * and brings back the smaller child of each split (the larger is its parent minus it). The K trees
 * of a multiclass round grow together, so a round costs about maxDepth round trips whatever K is.
 * Splits and leaf values are the one-node fit's (split.ts); the validation rows stay here and
 * decide early stopping. The result is an ordinary GbmModel.
 */
import { QuorumError } from '../../errors';
import { binMatrix, type Bins } from '../../models/trees/binning';
import { NodeWriter } from '../../models/trees/nodes';
import { drawRoundFeatures, firstTrees, roundFeatureCount } from '../../models/gbm/fit';
import { histLayout, type HistLayout } from '../../models/gbm/histogram';
import { GbmModel } from '../../models/gbm/model';
import { objectiveFor } from '../../models/gbm/objectives';
import { resolveObjective, type GbmParams } from '../../models/gbm/params';
import { BestSplit, findBestSplit, leafValue } from '../../models/gbm/split';
import type { FeatureInfo, Matrix } from '../../models/model';
import { quantisation } from '../../models/gbm/quantise';
import { ROUND_HEAD, type BoostTree, type LevelRequest, type RoundRequest } from './boost-session';
import { callAll, type DriverCost } from './driver';
import { checkGbmDataParallelParams } from './params';
import type { NodeRef, SplitOrder } from './session';
import type { ShardConfig } from './shard';

export interface BoostPort {
  round(req: RoundRequest): Promise<Float64Array>;
  level(req: LevelRequest): Promise<Float64Array>;
  close(): Promise<void>;
  /** The session's compute time so far (ms), when the port knows it. */
  readonly computeMs?: number;
}

export interface BoostInput {
  config: ShardConfig;
  bins: Bins;
  features: FeatureInfo[];
  classes?: string[];
  /** The job's validation rows (early stopping, the learning curve); kept by the driver. */
  validation?: { x: Matrix; y: Float32Array } | null;
}

/**
 * The driver's whole state after a round: enough to resume the fit on a restarted coordinator and
 * make the model an undisturbed run makes (sessions catch up by applying the trees).
 */
export interface BoostCheckpoint {
  version: 1;
  /** Rounds done. */
  round: number;
  /** Every round's trees (outputs per round, in order). */
  trees: BoostTree[][];
  gain: number[];
  bestGain: number[];
  best: { round: number; validLoss: number | null };
  trainLosses: number[];
  validLosses: Array<number | null>;
  gradShift: number;
  hessShift: number;
}

export interface BoostOptions {
  isCancelled?: () => boolean;
  /** Start from this state (a checkpoint of the same job). */
  resume?: BoostCheckpoint | null;
  /** Called with the state every `checkpointEvery` rounds (default 10). */
  checkpoint?: (state: BoostCheckpoint) => Promise<void>;
  checkpointEvery?: number;
  /** After every round whose training loss is known: rounds done, of `total`, and the losses. */
  onRound?: (round: number, total: number, trainLoss: number, validLoss: number | null, cost: DriverCost) => void;
}

interface BNode {
  depth: number;
  G: number;
  H: number;
  hist: Float64Array | null;
  feature: number;
  bin: number;
  missLeft: boolean;
  left: number;
  right: number;
}

function newNode(depth: number, G: number, H: number): BNode {
  return { depth, G, H, hist: null, feature: -1, bin: 0, missLeft: false, left: -1, right: -1 };
}

/** The tree as the sessions apply it, with leaf values. */
function toMessage(nodes: BNode[], p: GbmParams): BoostTree {
  return {
    feature: nodes.map((n) => n.feature),
    bin: nodes.map((n) => n.bin),
    missLeft: nodes.map((n) => n.missLeft),
    left: nodes.map((n) => n.left),
    right: nodes.map((n) => n.right),
    value: nodes.map((n) => (n.feature >= 0 ? 0 : leafValue(n.G, n.H, p.lambda, p.learningRate))),
  };
}

/** Appends a tree in preorder (left child next, right child by pointer), as the one-node grower does. */
function emit(writer: NodeWriter, t: BoostTree): void {
  const walk = (id: number): number => {
    if (t.feature[id] < 0) return writer.valueLeaf(t.value[id]);
    const me = writer.split(t.feature[id], t.bin[id], t.missLeft[id]);
    walk(t.left[id]);
    writer.setRight(me, walk(t.right[id]));
    return me;
  };
  walk(0);
  writer.endTree();
}

function valueOf(t: BoostTree, codes: Uint8Array, cols: number, r: number, nBins: readonly number[]): number {
  let id = 0;
  while (t.feature[id] >= 0) {
    const f = t.feature[id];
    const c = codes[r * cols + f];
    id = (c === nBins[f] ? t.missLeft[id] : c <= t.bin[id]) ? t.left[id] : t.right[id];
  }
  return t.value[id];
}

export async function fitGbmDataParallel(
  ports: BoostPort[],
  input: BoostInput,
  p: GbmParams,
  opts: BoostOptions = {},
): Promise<{ model: GbmModel; cost: DriverCost }> {
  checkGbmDataParallelParams(p);
  const { config } = input;
  const b = config.boost;
  if (!b) throw new QuorumError('INTERNAL', 'the shards of this job were prepared for a forest, not for gbm');
  const classification = config.task === 'classification';
  const K = classification ? config.nClasses : 0;
  const objectiveName = resolveObjective(p, config.task, K);
  const objective = objectiveFor(objectiveName, K, p.huberDelta);
  const O = b.outputs;
  const cols = config.cols;
  const layout: HistLayout = histLayout(config.nBins);
  const L = 2 * layout.totalBins;
  // This round's quantisation: round 0 from the coordinator's bounds, then from the largest
  // derivatives of the round before, with room for them to double (larger ones are clamped).
  let gradShift = b.gradShift;
  let hessShift = b.hessShift;
  let gScale = 2 ** -gradShift;
  let hScale = 2 ** -hessShift;
  const cost: DriverCost = {
    roundTrips: 0,
    bytesIn: 0,
    bytesOut: 0,
    portMs: 0,
    sessionMs: 0,
    driverMs: 0,
    levels: 0,
    treesPerBatch: O,
    histNodes: 0,
    rowNodes: 0,
  };

  const call = async (fn: (port: BoostPort) => Promise<Float64Array>, requestBytes: number): Promise<Float64Array[]> => {
    const out = await callAll(ports, fn, requestBytes, cost);
    for (const h of out) cost.bytesIn += h.byteLength;
    return out;
  };
  /** Node q's histogram summed over shards in shard order, scaled back to g and h (exact). */
  const summed = (parts: Float64Array[], at: number): Float64Array => {
    const h = Float64Array.from(parts[0].subarray(at, at + L));
    for (let s = 1; s < parts.length; s++) {
      const part = parts[s];
      for (let j = 0; j < L; j++) h[j] += part[at + j];
    }
    for (let j = 0; j < L; j += 2) {
      h[j] *= gScale;
      h[j + 1] *= hScale;
    }
    return h;
  };
  const totals = (h: Float64Array): [number, number] => {
    let G = 0;
    let H = 0;
    for (let j = 0; j < layout.binOffset[1]; j++) {
      G += h[2 * j];
      H += h[2 * j + 1];
    }
    return [G, H];
  };
  const splittable = (n: BNode): boolean => n.depth < p.maxDepth && n.H >= 2 * p.minChildWeight;

  const v = input.validation && input.validation.x.rows > 0 ? input.validation : null;
  const nv = v ? v.x.rows : 0;
  const vCodes = v ? binMatrix(v.x, input.bins) : null;
  const vMargin = new Float64Array(nv * O);
  for (let i = 0; i < nv; i++) for (let k = 0; k < O; k++) vMargin[i * O + k] = b.baseMargin[k];

  const seed = config.seed;
  const features = Int32Array.from({ length: cols }, (_, f) => f);
  const nColumns = roundFeatureCount(p, cols);
  const gain = new Float64Array(cols);
  let bestGain = new Float64Array(cols);
  const writer = new NodeWriter(false);
  const stopping = v !== null && p.earlyStopping !== null;
  const validLosses: Array<number | null> = [];
  let best = { round: 0, validLoss: Infinity };
  const split = new BestSplit();
  let prev: BoostTree[] = [];
  const trainLosses: number[] = [];

  const takeLoss = (parts: Float64Array[]): void => {
    let sum = 0;
    let rows = 0;
    for (const part of parts) {
      sum += part[0];
      rows += part[1];
    }
    const loss = rows > 0 ? (objectiveName === 'squared' ? Math.sqrt(sum / rows) : sum / rows) : 0;
    const r = trainLosses.length; // the loss after `r` rounds
    trainLosses.push(loss);
    if (r === 0) return;
    if (!Number.isFinite(loss)) {
      throw new QuorumError(
        'TRAINING_DIVERGED',
        `gbm training diverged at round ${r} (loss ${loss}); lower learningRate (now ${p.learningRate}) or raise lambda`,
      );
    }
    opts.onRound?.(r, p.nEstimators, loss, validLosses[r - 1], cost);
  };

  let round = 0;
  const allTrees: BoostTree[][] = [];
  const resume = opts.resume;
  if (resume) {
    if (
      resume.version !== 1 ||
      resume.trees.length !== resume.round ||
      resume.trees.some((t) => t.length !== O) ||
      resume.gain.length !== cols ||
      resume.round > p.nEstimators
    ) {
      throw new QuorumError(
        'BAD_VALUE',
        `a data-parallel gbm checkpoint of ${resume.round} rounds does not fit this job (${O} trees per round, ${cols} features, ${p.nEstimators} rounds)`,
      );
    }
    round = resume.round;
    for (const ts of resume.trees) {
      allTrees.push(ts);
      ts.forEach((t, k) => {
        emit(writer, t);
        for (let r = 0; r < nv; r++) vMargin[r * O + k] += valueOf(t, vCodes!, cols, r, config.nBins);
      });
    }
    gain.set(resume.gain);
    bestGain = Float64Array.from(resume.bestGain);
    best = { round: resume.best.round, validLoss: resume.best.validLoss ?? Infinity };
    trainLosses.push(...resume.trainLosses);
    validLosses.push(...resume.validLosses);
    gradShift = resume.gradShift;
    hessShift = resume.hessShift;
    // The sessions catch up: every round's trees but the last, whose trees the next round applies.
    if (round > 1) {
      const catchUp: RoundRequest = { round: round - 1, trees: allTrees.slice(0, round - 1).flat(), open: false, hist: false, gradShift, hessShift };
      await call((port) => port.round(catchUp), JSON.stringify(catchUp).length);
    }
    prev = round > 0 ? allTrees[round - 1] : [];
  }
  const every = Math.max(1, opts.checkpointEvery ?? 10);
  const stoppedBefore = (): boolean => stopping && round - best.round >= p.earlyStopping!;
  while (round < p.nEstimators && !stoppedBefore()) {
    if (opts.isCancelled?.()) throw new QuorumError('CANCELLED', `data-parallel gbm cancelled after ${round} of ${p.nEstimators} rounds`);
    const nf = drawRoundFeatures(seed, round, cols, nColumns, features);
    const rreq: RoundRequest = { round, trees: prev, open: true, hist: true, gradShift, hessShift };
    const rootParts = await call((port) => port.round(rreq), JSON.stringify(rreq).length);
    const d0 = performance.now();
    takeLoss(rootParts);
    gScale = 2 ** -gradShift;
    hScale = 2 ** -hessShift;
    let gMax = 0;
    let hMax = 0;
    for (const part of rootParts) {
      gMax = Math.max(gMax, part[2]);
      hMax = Math.max(hMax, part[3]);
    }
    gradShift = quantisation(2 * gMax, config.totalRows).shift;
    hessShift = quantisation(2 * hMax, config.totalRows).shift;
    const trees: BNode[][] = [];
    let frontier: Array<[number, number]> = []; // (tree, node) with a histogram, to consider
    for (let k = 0; k < O; k++) {
      const h = summed(rootParts, ROUND_HEAD + k * L);
      const [G, H] = totals(h);
      const root = newNode(0, G, H);
      trees.push([root]);
      if (splittable(root)) {
        root.hist = h;
        frontier.push([k, 0]);
      }
    }
    cost.driverMs += performance.now() - d0;
    while (frontier.length > 0) {
      const d1 = performance.now();
      const splits: SplitOrder[] = [];
      const refs: NodeRef[] = [];
      const pairs: Array<[BNode, BNode, BNode]> = []; // parent, built child, derived child
      const next: Array<[number, number]> = [];
      for (const [k, id] of frontier) {
        const nodes = trees[k];
        const node = nodes[id];
        const hist = node.hist!;
        node.hist = null;
        if (!findBestSplit(hist, layout, features, nf, node.G, node.H, p, split)) continue;
        node.feature = split.feature;
        node.bin = split.bin;
        node.missLeft = split.missLeft;
        gain[split.feature] += split.gain;
        const l = newNode(node.depth + 1, split.gl, split.hl);
        const r = newNode(node.depth + 1, node.G - split.gl, node.H - split.hl);
        node.left = nodes.length;
        node.right = node.left + 1;
        nodes.push(l, r);
        const wantL = splittable(l);
        const wantR = splittable(r);
        if (!wantL && !wantR) continue;
        const smallIsLeft = l.H <= r.H;
        splits.push({ tree: k, node: id, feature: node.feature, bin: node.bin, missLeft: node.missLeft, left: node.left, right: node.right });
        refs.push({ tree: k, node: smallIsLeft ? node.left : node.right });
        l.hist = r.hist = hist; // the parent's, until the level's reply
        pairs.push(smallIsLeft ? [node, l, r] : [node, r, l]);
        if (wantL) next.push([k, node.left]);
        if (wantR) next.push([k, node.right]);
      }
      cost.driverMs += performance.now() - d1;
      if (refs.length === 0) break;
      cost.levels++;
      cost.histNodes += refs.length;
      const lreq: LevelRequest = { splits, hist: refs };
      const parts = await call((port) => port.level(lreq), JSON.stringify(lreq).length);
      const d2 = performance.now();
      pairs.forEach(([, built, derived], q) => {
        const parent = built.hist!;
        const h = summed(parts, q * L);
        for (let j = 0; j < L; j++) parent[j] -= h[j];
        built.hist = splittable(built) ? h : null;
        derived.hist = splittable(derived) ? parent : null;
      });
      frontier = next;
      cost.driverMs += performance.now() - d2;
    }
    const d3 = performance.now();
    prev = trees.map((nodes) => toMessage(nodes, p));
    allTrees.push(prev);
    prev.forEach((t, k) => {
      emit(writer, t);
      for (let r = 0; r < nv; r++) vMargin[r * O + k] += valueOf(t, vCodes!, cols, r, config.nBins);
    });
    round++;
    const validLoss = v ? objective.loss(vMargin, v.y, nv) : null;
    validLosses.push(validLoss);
    if (!stopping || validLoss! < best.validLoss) {
      best = { round, validLoss: validLoss ?? Infinity };
      if (stopping) bestGain = Float64Array.from(gain);
    }
    cost.driverMs += performance.now() - d3;
    if (stoppedBefore()) break;
    if (opts.checkpoint && round % every === 0 && round < p.nEstimators) {
      await opts.checkpoint({
        version: 1,
        round,
        trees: allTrees,
        gain: Array.from(gain),
        bestGain: Array.from(bestGain),
        best: { round: best.round, validLoss: Number.isFinite(best.validLoss) ? best.validLoss : null },
        trainLosses: [...trainLosses],
        validLosses: [...validLosses],
        gradShift,
        hessShift,
      });
    }
  }
  // The last round's trees on the sessions: its training loss.
  const last: RoundRequest = { round, trees: prev, open: false, hist: false, gradShift, hessShift };
  takeLoss(await call((port) => port.round(last), JSON.stringify(last).length));

  let nodes = writer.finish();
  if (best.round < round) nodes = firstTrees(nodes, best.round * O);
  const model = new GbmModel({
    task: config.task,
    nFeatures: cols,
    nClasses: K,
    classes: input.classes,
    features: input.features,
    params: p,
    objective: objectiveName,
    outputs: O,
    baseMargin: Float64Array.from(b.baseMargin),
    bins: input.bins,
    nodes,
    gainImportance: stopping ? bestGain : gain,
    roundsRun: round,
    bestRound: best.round,
    trainLoss: trainLosses[best.round],
    validLoss: v ? best.validLoss : null,
    permutationImportance: null,
  });
  return { model, cost };
}
