import type { Task } from '../core/types';
import { classificationReport, type ClassificationReport } from './classification';
import { regressionReport, type RegressionReport } from './regression';

export type { ClassificationReport } from './classification';
export type { RegressionReport } from './regression';
export type Report = ClassificationReport | RegressionReport;

/** The report for a task: `output` is probabilities (rows × classes) or values. */
export function evaluate(task: Task, y: ArrayLike<number>, output: Float32Array, classes?: string[]): Report {
  return task === 'classification' ? classificationReport(y, output, classes ?? []) : regressionReport(y, output);
}

/** The one number used to rank versions and weight members: accuracy, or −RMSE. */
export function score(report: Report): number {
  return report.task === 'classification' ? report.accuracy : -report.rmse;
}

/** Compact metrics for lists and events. */
export function headline(report: Report): Record<string, number | null> {
  return report.task === 'classification'
    ? { accuracy: report.accuracy, balancedAccuracy: report.balancedAccuracy, macroF1: report.macroF1, auc: report.auc, logLoss: report.logLoss }
    : { rmse: report.rmse, mae: report.mae, r2: report.r2 };
}
