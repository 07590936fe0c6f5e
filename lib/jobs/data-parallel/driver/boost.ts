/**
 * The data-parallel gbm driver: grows the trees of a boosted model over the trainers that hold
 * the job's shards, reached through a {@link BoostLink}. A round is a generator of steps
 * ({@link growRound}): one opens the round on every shard (the previous round's trees move the
 * margins; derivatives, sample, roots), then one per level partitions the split nodes. Each step's
 * histograms never come here: the trainers add them up among themselves by feature blocks
 * (session/reduce.ts) and answer with each node's best split of their block, a few numbers per node.
 * The K trees of a multiclass round grow together, so a round costs about maxDepth steps whatever
 * K is. Leaf values are the one-node fit's (split.ts); the validation rows stay here and decide
 * early stopping. The result is an ordinary GbmModel.
 */
import { QuorumError } from '../../../errors';
import { binMatrix, type Bins } from '../../../models/trees/binning';
import { NodeWriter } from '../../../models/trees/nodes';
import { drawRoundFeatures, firstTrees, roundFeatureCount } from '../../../models/gbm/fit';
import { GbmModel } from '../../../models/gbm/model';
import { objectiveFor } from '../../../models/gbm/objectives';
import { resolveObjective, type GbmParams } from '../../../models/gbm/params';
import { leafValue, type SplitParams } from '../../../models/gbm/split';
import type { FeatureInfo, Matrix } from '../../../models/model';
import { quantisation } from '../../../models/gbm/quantise';
import type { DriverCost } from './cost';
import { checkGbmDataParallelParams } from '../params';
import type { ShardConfig } from '../shard';
import { type BuiltNode, type Candidate, type ReducePlan, ROUND_HEAD, type BoostTree, type LevelRequest, type RoundRequest } from '../wire';
import { WINNER } from '../wire';

/** A step as the driver asks for it (the link adds the step number and the feature blocks). */
export interface StepBody {
  round?: RoundRequest;
  level?: LevelRequest;
  plan: Omit<ReducePlan, 'blocks'>;
}

/**
 * A step, and the same step for trainers that lost their kept histograms (a trainer failed and the
 * blocks moved): every histogram it needs built from the rows, none subtracted.
 */
export interface StepVariants {
  normal: StepBody;
  rebuild: StepBody;
}

/** What every trainer answered: the heads summed (wire.ts headLength), the winners per block. */
export interface StepResult {
  head: Float64Array;
  winners: Float64Array[];
}

/** The trainers that hold a boosted job's shards, as the driver sees them. */
export interface BoostLink {
  /** One step on every trainer (a trainer that fails is replaced and the step runs again). */
  step(step: StepVariants): Promise<StepResult>;
  /** Sends a round's trees to every shard without opening a round (a resumed fit catching up). */
  catchUp(req: RoundRequest): Promise<void>;
  /** Frees every session. */
  close(): Promise<void>;
  /** Round trips, bytes and times so far. */
  readonly cost: DriverCost;
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
  feature: number;
  bin: number;
  missLeft: boolean;
  left: number;
  right: number;
}

function newNode(depth: number, G: number, H: number): BNode {
  return { depth, G, H, feature: -1, bin: 0, missLeft: false, left: -1, right: -1 };
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

/**
 * Adds tree `t`'s value for every row of `codes` (row-major, `cols` a row) to `margin[r * O + k]`.
 * The tree is flattened into typed arrays first (its JSON form mixes booleans and numbers, which
 * kept this loop slow: Letter's 4,000 validation rows × 26 trees a round took 5 ms a round).
 */
function addTreeValues(t: BoostTree, codes: Uint8Array, cols: number, nBins: readonly number[], margin: Float64Array, O: number, k: number): void {
  const n = t.feature.length;
  const feature = Int32Array.from(t.feature);
  const bin = Int32Array.from(t.bin);
  const missing = new Int32Array(n);
  const missLeft = new Uint8Array(n);
  const left = Int32Array.from(t.left);
  const right = Int32Array.from(t.right);
  const value = Float64Array.from(t.value);
  for (let i = 0; i < n; i++) {
    if (feature[i] >= 0) missing[i] = nBins[feature[i]];
    missLeft[i] = t.missLeft[i] ? 1 : 0;
  }
  const rows = margin.length / O;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let id = 0;
    while (feature[id] >= 0) {
      const c = codes[base + feature[id]];
      const goLeft = c === missing[id] ? missLeft[id] === 1 : c <= bin[id];
      id = goLeft ? left[id] : right[id];
    }
    margin[r * O + k] += value[id];
  }
}

/** What a round needs from the fit. */
interface RoundContext {
  p: GbmParams;
  O: number;
  cols: number;
  seed: number;
  nColumns: number;
  features: Int32Array;
  split: SplitParams;
  gain: Float64Array;
}

/** What a round leaves: its trees, and the open step's head (the loss after the trees before). */
interface RoundResult {
  trees: BoostTree[];
  head: Float64Array;
}

const splittable = (p: GbmParams, n: BNode): boolean => n.depth < p.maxDepth && n.H >= 2 * p.minChildWeight;

/**
 * One boosted round as a generator of steps: yields the round's open step, then one per level,
 * each answered with the trainers' heads and winners; returns the round's trees.
 */
function* growRound(c: RoundContext, round: number, prev: BoostTree[], gradShift: number, hessShift: number): Generator<StepVariants, RoundResult, StepResult> {
  const { p, O } = c;
  const nf = drawRoundFeatures(c.seed, round, c.cols, c.nColumns, c.features);
  const features = Array.from(c.features.subarray(0, nf));
  const position = new Map(features.map((f, i) => [f, i]));
  const plan = (built: BuiltNode[], consider: Candidate[]): StepBody['plan'] => ({ built, consider, features, gradShift, hessShift, split: c.split });

  // The roots: built directly, their sums read by the owners from the histograms.
  const roots: BuiltNode[] = Array.from({ length: O }, (_, k) => ({ tree: k, node: 0, keep: true }));
  const rootCands: Candidate[] = roots.map((r) => ({ tree: r.tree, node: 0 }));
  const open: RoundRequest = { round, trees: prev, open: true, hist: true, gradShift, hessShift };
  const openStep: StepBody = { round: open, plan: plan(roots, rootCands) };
  const first = yield { normal: openStep, rebuild: openStep };
  const trees: BNode[][] = [];
  let considered: Array<[number, number]> = [];
  for (let k = 0; k < O; k++) {
    const root = newNode(0, first.head[ROUND_HEAD + 2 * k], first.head[ROUND_HEAD + 2 * k + 1]);
    trees.push([root]);
    considered.push([k, 0]);
  }
  let answer = first;
  for (;;) {
    // The winners of the considered nodes: split them, and say what the next level builds.
    const splits: LevelRequest['splits'] = [];
    const built: BuiltNode[] = [];
    const rebuilt: BuiltNode[] = [];
    const consider: Candidate[] = [];
    considered.forEach(([k, id], q) => {
      const nodes = trees[k];
      const node = nodes[id];
      const best = splittable(p, node) ? bestOf(answer.winners, q, position) : null;
      if (!best) return;
      node.feature = best[1];
      node.bin = best[2];
      node.missLeft = best[3] === 1;
      c.gain[node.feature] += best[4];
      const l = newNode(node.depth + 1, best[5], best[6]);
      const r = newNode(node.depth + 1, node.G - best[5], node.H - best[6]);
      node.left = nodes.length;
      node.right = node.left + 1;
      nodes.push(l, r);
      const wantL = splittable(p, l);
      const wantR = splittable(p, r);
      if (!wantL && !wantR) return;
      splits.push({ tree: k, node: id, feature: node.feature, bin: node.bin, missLeft: node.missLeft, left: node.left, right: node.right });
      // Build the smaller child; the larger is the parent minus it (on the block owners).
      const smallIsLeft = l.H <= r.H;
      const [small, large] = smallIsLeft ? [node.left, node.right] : [node.right, node.left];
      const [wantSmall, wantLarge] = smallIsLeft ? [wantL, wantR] : [wantR, wantL];
      built.push({ tree: k, node: small, keep: wantSmall, parent: id, sibling: large, siblingKeep: wantLarge });
      if (wantL) rebuilt.push({ tree: k, node: node.left, keep: true });
      if (wantR) rebuilt.push({ tree: k, node: node.right, keep: true });
      if (wantL) consider.push({ tree: k, node: node.left, G: l.G, H: l.H });
      if (wantR) consider.push({ tree: k, node: node.right, G: r.G, H: r.H });
    });
    if (splits.length === 0) break;
    const refs = (b: BuiltNode[]) => b.map(({ tree, node }) => ({ tree, node }));
    answer = yield {
      normal: { level: { splits, hist: refs(built) }, plan: plan(built, consider) },
      rebuild: { level: { splits, hist: refs(rebuilt) }, plan: plan(rebuilt, consider) },
    };
    considered = consider.map((cand) => [cand.tree, cand.node]);
  }
  return { trees: trees.map((nodes) => toMessage(nodes, p)), head: first.head };
}

export async function fitGbmDataParallel(
  link: BoostLink,
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
  const cost = link.cost;
  cost.treesPerBatch = O;
  // This round's quantisation: round 0 from the coordinator's bounds, then from the largest
  // derivatives of the round before, with room for them to double (larger ones are clamped).
  let gradShift = b.gradShift;
  let hessShift = b.hessShift;

  const v = input.validation && input.validation.x.rows > 0 ? input.validation : null;
  const nv = v ? v.x.rows : 0;
  const vCodes = v ? binMatrix(v.x, input.bins) : null;
  const vMargin = new Float64Array(nv * O);
  for (let i = 0; i < nv; i++) for (let k = 0; k < O; k++) vMargin[i * O + k] = b.baseMargin[k];

  const ctx: RoundContext = {
    p,
    O,
    cols,
    seed: config.seed,
    nColumns: roundFeatureCount(p, cols),
    features: Int32Array.from({ length: cols }, (_, f) => f),
    split: { lambda: p.lambda, gamma: p.gamma, minChildWeight: p.minChildWeight },
    gain: new Float64Array(cols),
  };
  const gain = ctx.gain;
  let bestGain = new Float64Array(cols);
  const writer = new NodeWriter(false);
  const stopping = v !== null && p.earlyStopping !== null;
  const validLosses: Array<number | null> = [];
  let best = { round: 0, validLoss: Infinity };
  let prev: BoostTree[] = [];
  const trainLosses: number[] = [];

  /** The loss after the trees so far, from a step's head (Σ quantised row losses, rows). */
  const takeLoss = (head: Float64Array): void => {
    const rows = head[1];
    const loss = rows > 0 ? (objectiveName === 'squared' ? Math.sqrt(head[0] / rows) : head[0] / rows) : 0;
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
  const addTrees = (trees: BoostTree[]): void =>
    trees.forEach((t, k) => {
      emit(writer, t);
      if (nv > 0) addTreeValues(t, vCodes!, cols, config.nBins, vMargin, O, k);
    });

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
      addTrees(ts);
    }
    gain.set(resume.gain);
    bestGain = Float64Array.from(resume.bestGain);
    best = { round: resume.best.round, validLoss: resume.best.validLoss ?? Infinity };
    trainLosses.push(...resume.trainLosses);
    validLosses.push(...resume.validLosses);
    gradShift = resume.gradShift;
    hessShift = resume.hessShift;
    // The sessions catch up: every round's trees but the last, whose trees the next round applies.
    if (round > 1) await link.catchUp({ round: round - 1, trees: allTrees.slice(0, round - 1).flat(), open: false, hist: false, gradShift, hessShift });
    prev = round > 0 ? allTrees[round - 1] : [];
  }
  const every = Math.max(1, opts.checkpointEvery ?? 10);
  const stoppedBefore = (): boolean => stopping && round - best.round >= p.earlyStopping!;
  const timed = async (step: StepVariants): Promise<StepResult> => {
    const a = performance.now();
    const out = await link.step(step);
    cost.portMs += performance.now() - a;
    return out;
  };
  while (round < p.nEstimators && !stoppedBefore()) {
    if (opts.isCancelled?.()) throw new QuorumError('CANCELLED', `data-parallel gbm cancelled after ${round} of ${p.nEstimators} rounds`);
    const grow = growRound(ctx, round, prev, gradShift, hessShift);
    let d0 = performance.now();
    let it = grow.next();
    let steps = 0;
    while (!it.done) {
      if (steps++ > 0) cost.levels++;
      cost.driverMs += performance.now() - d0;
      const answer = await timed(it.value);
      d0 = performance.now();
      it = grow.next(answer);
    }
    const { trees, head } = it.value;
    takeLoss(head);
    gradShift = quantisation(2 * head[2], config.totalRows).shift;
    hessShift = quantisation(2 * head[3], config.totalRows).shift;
    prev = trees;
    allTrees.push(prev);
    addTrees(prev);
    round++;
    const validLoss = v ? objective.loss(vMargin, v.y, nv) : null;
    validLosses.push(validLoss);
    if (!stopping || validLoss! < best.validLoss) {
      best = { round, validLoss: validLoss ?? Infinity };
      if (stopping) bestGain = Float64Array.from(gain);
    }
    cost.driverMs += performance.now() - d0;
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
  const last: StepBody = {
    round: { round, trees: prev, open: false, hist: false, gradShift, hessShift },
    plan: { built: [], consider: [], features: [], gradShift, hessShift, split: ctx.split },
  };
  takeLoss((await timed({ normal: last, rebuild: last })).head);

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

/** Adds a trainer's head into the job's: sums, but the largest derivatives (2, 3) are maxima. */
export function addHead(into: Float64Array, head: Float64Array): void {
  for (let i = 0; i < into.length; i++) into[i] = i === 2 || i === 3 ? Math.max(into[i], head[i]) : into[i] + head[i];
}

/**
 * The best of the blocks' winners for node q (each block's best is the first best of its features
 * in the round's order): the largest gain, ties to the feature that comes first in `features` — the
 * split one scan over all features finds.
 */
export function bestOf(winners: Float64Array[], q: number, position: Map<number, number>): Float64Array | null {
  let best: Float64Array | null = null;
  for (const w of winners) {
    const o = q * WINNER;
    if (w[o] !== 1) continue;
    const cand = w.subarray(o, o + WINNER);
    if (!best || cand[4] > best[4] || (cand[4] === best[4] && position.get(cand[1])! < position.get(best[1])!)) best = cand;
  }
  return best;
}
