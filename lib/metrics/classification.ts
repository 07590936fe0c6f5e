/**
 * Classification metrics from true class indices and predicted probabilities (rows × k, row-major).
 */

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
  /** One-vs-rest area under the ROC curve; null when the class is absent or alone in the set. */
  auc: number | null;
}

export interface RocCurve {
  label: string;
  /** [falsePositiveRate, truePositiveRate] points from (0,0) to (1,1), at most ~101 of them. */
  points: [number, number][];
  auc: number;
}

export interface ClassificationReport {
  task: 'classification';
  rows: number;
  accuracy: number;
  balancedAccuracy: number;
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  /** Mean one-vs-rest AUC over classes that have one (binary: the AUC of the positive class). */
  auc: number | null;
  logLoss: number;
  classes: string[];
  /** confusion[true][predicted] */
  confusion: number[][];
  perClass: ClassMetrics[];
  roc: RocCurve[];
}

/** Index of the largest probability in row r (ties: the lowest class index). */
export function argmaxRow(p: Float32Array, r: number, k: number): number {
  let best = 0;
  let bestValue = p[r * k];
  for (let c = 1; c < k; c++) {
    const v = p[r * k + c];
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

/** ROC curve and AUC for scores of one class against the rest (ties handled by grouping). */
export function rocCurve(scores: ArrayLike<number>, positive: ArrayLike<boolean>, maxPoints = 101): { points: [number, number][]; auc: number } | null {
  const n = scores.length;
  let pos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) pos++;
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const all: [number, number][] = [[0, 0]];
  let tp = 0,
    fp = 0,
    auc = 0,
    prevFpr = 0,
    prevTpr = 0;
  for (let i = 0; i < n;) {
    const s = scores[order[i]];
    while (i < n && scores[order[i]] === s) {
      if (positive[order[i]]) tp++;
      else fp++;
      i++;
    }
    const fpr = fp / neg,
      tpr = tp / pos;
    auc += ((fpr - prevFpr) * (tpr + prevTpr)) / 2;
    all.push([fpr, tpr]);
    prevFpr = fpr;
    prevTpr = tpr;
  }
  const step = Math.max(1, Math.ceil(all.length / maxPoints));
  const points = all.filter((_, i) => i % step === 0 || i === all.length - 1);
  return { points: points.map(([a, b]) => [+a.toFixed(5), +b.toFixed(5)]), auc };
}

/**
 * Full report. `y` holds class indices 0..k-1; `p` holds probabilities rows × k.
 */
export function classificationReport(y: ArrayLike<number>, p: Float32Array, classes: string[]): ClassificationReport {
  const k = classes.length;
  const n = y.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let logLoss = 0;
  for (let r = 0; r < n; r++) {
    const t = y[r];
    const pred = argmaxRow(p, r, k);
    confusion[t][pred]++;
    if (pred === t) correct++;
    logLoss -= Math.log(Math.min(1 - 1e-15, Math.max(1e-15, p[r * k + t])));
  }
  const perClass: ClassMetrics[] = [];
  const roc: RocCurve[] = [];
  const binary = k === 2;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c][c];
    let predicted = 0,
      support = 0;
    for (let i = 0; i < k; i++) {
      predicted += confusion[i][c];
      support += confusion[c][i];
    }
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    let auc: number | null = null;
    if (!binary || c === 1) {
      const scores = new Float32Array(n);
      const positive = new Array<boolean>(n);
      for (let r = 0; r < n; r++) {
        scores[r] = p[r * k + c];
        positive[r] = y[r] === c;
      }
      const curve = rocCurve(scores, positive);
      if (curve) {
        auc = curve.auc;
        roc.push({ label: classes[c], ...curve });
      }
    }
    perClass.push({ label: classes[c], precision, recall, f1, support, auc });
  }
  const present = perClass.filter((m) => m.support > 0);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const aucs = perClass.map((m) => m.auc).filter((a): a is number => a !== null);
  return {
    task: 'classification',
    rows: n,
    accuracy: n ? correct / n : 0,
    balancedAccuracy: mean(present.map((m) => m.recall)),
    macroPrecision: mean(present.map((m) => m.precision)),
    macroRecall: mean(present.map((m) => m.recall)),
    macroF1: mean(present.map((m) => m.f1)),
    auc: aucs.length ? mean(aucs) : null,
    logLoss: n ? logLoss / n : 0,
    classes,
    confusion,
    perClass,
    roc,
  };
}
