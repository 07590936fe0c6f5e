/**
 * Pooling evaluations made on several nodes (each on its own validation rows) into one report:
 * confusion matrices add up exactly, so accuracy, balanced accuracy and precision / recall / F1 are
 * exact; AUC and log loss are row-weighted means of the nodes' values. Regression pools squared
 * and absolute errors exactly; R² is the row-weighted mean.
 */
import type { ClassificationReport } from '../metrics/classification';
import type { Report } from '../metrics';
import type { RegressionReport } from '../metrics/regression';

const weighted = (parts: { rows: number; value: number | null }[]): number | null => {
  const known = parts.filter((p) => p.value !== null && Number.isFinite(p.value));
  const rows = known.reduce((a, p) => a + p.rows, 0);
  return rows ? known.reduce((a, p) => a + p.rows * (p.value as number), 0) / rows : null;
};

function poolClassification(reports: ClassificationReport[]): ClassificationReport {
  const classes = reports[0].classes;
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const r of reports) r.confusion.forEach((row, i) => row.forEach((v, j) => (confusion[i][j] += v)));
  const rows = reports.reduce((a, r) => a + r.rows, 0);
  let correct = 0;
  for (let i = 0; i < k; i++) correct += confusion[i][i];
  const perClass = classes.map((label, c) => {
    let predicted = 0,
      support = 0;
    for (let i = 0; i < k; i++) {
      predicted += confusion[i][c];
      support += confusion[c][i];
    }
    const precision = predicted ? confusion[c][c] / predicted : 0;
    const recall = support ? confusion[c][c] / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    const auc = weighted(reports.map((r) => ({ rows: r.rows, value: r.perClass[c]?.auc ?? null })));
    return { label, precision, recall, f1, support, auc };
  });
  const present = perClass.filter((m) => m.support > 0);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    task: 'classification',
    rows,
    accuracy: rows ? correct / rows : 0,
    balancedAccuracy: mean(present.map((m) => m.recall)),
    macroPrecision: mean(present.map((m) => m.precision)),
    macroRecall: mean(present.map((m) => m.recall)),
    macroF1: mean(present.map((m) => m.f1)),
    auc: weighted(reports.map((r) => ({ rows: r.rows, value: r.auc }))),
    logLoss: weighted(reports.map((r) => ({ rows: r.rows, value: r.logLoss }))) ?? 0,
    classes,
    confusion,
    perClass,
    roc: [],
  };
}

function poolRegression(reports: RegressionReport[]): RegressionReport {
  const rows = reports.reduce((a, r) => a + r.rows, 0);
  const se = reports.reduce((a, r) => a + r.rows * r.rmse * r.rmse, 0);
  const ae = reports.reduce((a, r) => a + r.rows * r.mae, 0);
  return {
    task: 'regression',
    rows,
    rmse: rows ? Math.sqrt(se / rows) : 0,
    mae: rows ? ae / rows : 0,
    r2: weighted(reports.map((r) => ({ rows: r.rows, value: r.r2 }))) ?? 0,
    residualQuantiles: reports[0].residualQuantiles,
    sample: reports.flatMap((r) => r.sample).slice(0, 500),
  };
}

/** One report from per-node reports of the same task (and, for classes, the same class list). */
export function poolReports(reports: Report[]): Report {
  return reports[0].task === 'classification' ? poolClassification(reports as ClassificationReport[]) : poolRegression(reports as RegressionReport[]);
}
