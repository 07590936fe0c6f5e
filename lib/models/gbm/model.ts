/**
 * A fitted boosted model: the trees in the forest's flat form (trees/nodes.ts, value leaves), the
 * bin edges, the starting margin and the objective that turns margins into predictions.
 *
 * Prediction is the forest's walk (trees/walk.ts): split bins become value thresholds once, and a
 * chunk of rows walks one tree at a time, eight rows in lock step. Tree t adds its leaf value to the
 * margin of output t mod K (K = trees per round), so a boosted model of N trees predicts as fast as
 * a forest of N trees. Where WebAssembly is at hand, the same walk and sums run in the kernel of
 * walk-kernel.ts (bit-identical margins).
 */
import type { Artifact } from '../../core/container';
import type { Matrix } from '../model';
import type { TreeNodes } from '../trees/nodes';
import { chunkRows, normalised, TreeEnsembleModel, type TreeState } from '../trees/model';
import { fillRows, rowWidth, walkTree } from '../trees/walk';
import { encodeGbm } from './artifact';
import { WalkKernel } from './walk-kernel';

let useWalkKernel = true;

/** Tests: whether models made from now on predict through the WebAssembly walk (default) or the JavaScript one. */
export function setWalkKernel(on: boolean): void {
  useWalkKernel = on;
}
import { objectiveFor, type ObjectiveName } from './objectives';
import type { GbmParams } from './params';

export interface GbmState extends TreeState {
  params: GbmParams;
  objective: ObjectiveName;
  /** Trees per round (margins per row). */
  outputs: number;
  /** Starting margin per output. */
  baseMargin: Float64Array;
  /** rounds × outputs trees, round-major (tree t belongs to output t mod outputs). */
  nodes: TreeNodes;
  /** Total split gain per feature (over the kept trees). */
  gainImportance: Float64Array;
  /** Rounds fitted before stopping, and the round kept (1-based; = rounds kept). */
  roundsRun: number;
  bestRound: number;
  /** Loss of the kept model on the training and the validation rows (null: no validation). */
  trainLoss: number;
  validLoss: number | null;
}

export class GbmModel extends TreeEnsembleModel<GbmState> {
  readonly kind = 'gbm';
  private kernel: WalkKernel | null | undefined;
  private readonly useKernel = useWalkKernel;

  /** The WebAssembly walk (walk-kernel.ts), made with the walker; null where there is none (then the JavaScript walk). */
  private get walkKernel(): WalkKernel | null {
    if (this.kernel === undefined) {
      const w = this.walker;
      this.kernel = this.useKernel
        ? WalkKernel.create(w.words, this.state.nodes.leafValue!, chunkRows(this.state.outputs), rowWidth(w), this.state.outputs)
        : null;
    }
    return this.kernel;
  }

  /** Margins (rows × outputs): base margin plus every tree's leaf value. */
  margins(x: Matrix): Float64Array {
    this.checkWidth(x);
    const walker = this.walker;
    const O = this.state.outputs;
    const base = this.state.baseMargin;
    const leafValue = this.state.nodes.leafValue!;
    const margin = new Float64Array(x.rows * O);
    const kernel = this.walkKernel;
    const chunk = Math.max(1, Math.min(x.rows, chunkRows(O)));
    // The kernel walks rows and sums margins in its own memory; the JavaScript walk in these arrays.
    const rows = kernel ? kernel.rows : new Float32Array(chunk * rowWidth(walker));
    const leaves = kernel ? null : new Int32Array(chunk);
    for (let start = 0; start < x.rows; start += chunk) {
      const n = Math.min(x.rows - start, chunk);
      fillRows(x, start, start + n, rows);
      const acc = kernel ? kernel.acc : margin.subarray(start * O, (start + n) * O);
      for (let i = 0; i < n; i++) for (let k = 0; k < O; k++) acc[i * O + k] = base[k];
      for (let t = 0; t < this.nTrees; t++) {
        const k = t % O;
        if (kernel) {
          kernel.walkAdd(walker.roots[t], n, k);
          continue;
        }
        walkTree(walker, t, rows, n, leaves!);
        for (let i = 0, o = k; i < n; i++, o += O) acc[o] += leafValue[leaves![i]];
      }
      if (kernel) margin.set(acc.subarray(0, n * O), start * O);
    }
    return margin;
  }

  /** Class probabilities (rows × nClasses) or values (rows). */
  predict(x: Matrix): Float32Array {
    const { state } = this;
    const margin = this.margins(x);
    if (this.task === 'classification' && this.nClasses < 2) return new Float32Array(x.rows).fill(1);
    const out = new Float32Array(x.rows * (this.task === 'classification' ? this.nClasses : 1));
    objectiveFor(state.objective, state.outputs, state.params.huberDelta).transform(margin, x.rows, out);
    return out;
  }

  /** Gain importances by feature, summing to 1 (all 0 when no tree split). */
  importances(): Float64Array {
    return normalised(this.state.gainImportance);
  }

  toArtifact(): Artifact {
    return encodeGbm(this.state);
  }

  /** Trees, rounds, nodes, depth, losses, gain (and permutation) importances by name, parameters. */
  summary(): Record<string, unknown> {
    const { state } = this;
    const { nTrees, totalNodes, meanDepth, byName } = this.baseSummary();
    return {
      nTrees,
      rounds: state.bestRound,
      roundsRun: state.roundsRun,
      stoppedEarly: state.roundsRun > state.bestRound,
      objective: state.objective,
      totalNodes,
      meanDepth,
      trainLoss: state.trainLoss,
      validLoss: state.validLoss,
      ...this.importanceSummary(byName),
    };
  }
}
