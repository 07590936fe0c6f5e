/**
 * When a node's own file has changed enough to retrain its member: rows added beyond a share of
 * the previous count, or a shift of a numeric feature's distribution (population stability index
 * over the previous deciles).
 */
import type { Table } from '../data/table';

/** Population stability index of `next` against `previous` (10 bins from previous' deciles). */
export function psi(previous: Float64Array, next: Float64Array): number {
  const prev = previous.filter((v) => !Number.isNaN(v)).sort();
  const now = next.filter((v) => !Number.isNaN(v));
  if (prev.length < 10 || now.length < 10) return 0;
  const edges: number[] = [];
  for (let q = 1; q < 10; q++) edges.push(prev[Math.floor((q * prev.length) / 10)]);
  const share = (values: Float64Array) => {
    const counts = new Array<number>(10).fill(0);
    for (const v of values) {
      let b = 0;
      while (b < 9 && v > edges[b]) b++;
      counts[b]++;
    }
    return counts.map((c) => Math.max(c / values.length, 1e-4));
  };
  const p = share(prev),
    n = share(now);
  return p.reduce((a, pi, i) => a + (n[i] - pi) * Math.log(n[i] / pi), 0);
}

export interface ChangeDecision {
  retrain: boolean;
  reason: string;
  addedRows: number;
  maxPsi: number;
  column?: string;
}

/** Compares a node's file before and after a change. */
export function decideRetrain(previous: Table, next: Table, options: { rowsShare: number; psi: number }): ChangeDecision {
  const added = next.nRows - previous.nRows;
  let maxPsi = 0;
  let column: string | undefined;
  for (const c of next.columns) {
    if (c.type !== 'numeric') continue;
    const old = previous.columns.find((p) => p.name === c.name);
    if (!old || old.type !== 'numeric') continue;
    const value = psi(old.values, c.values);
    if (value > maxPsi) [maxPsi, column] = [value, c.name];
  }
  if (previous.nRows > 0 && added >= options.rowsShare * previous.nRows && added > 0) {
    return {
      retrain: true,
      reason: `${added} rows added (${Math.round((100 * added) / previous.nRows)} % of ${previous.nRows})`,
      addedRows: added,
      maxPsi,
      column,
    };
  }
  if (maxPsi >= options.psi) {
    return { retrain: true, reason: `distribution of '${column}' shifted (PSI ${maxPsi.toFixed(3)} ≥ ${options.psi})`, addedRows: added, maxPsi, column };
  }
  return { retrain: false, reason: `${added} rows added, largest PSI ${maxPsi.toFixed(3)}: below the thresholds`, addedRows: added, maxPsi, column };
}
