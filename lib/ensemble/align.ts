/**
 * Members trained on different data may know different classes (a shard or a node that never saw
 * a class). Their probabilities are re-indexed by class label into the ensemble's class list; a
 * class the member never saw gets probability 0 from it. Nothing is dropped or shifted.
 */
import { QuorumError } from '../errors';

export function alignProbabilities(output: Float32Array, rows: number, from: readonly string[], to: readonly string[]): Float32Array {
  if (from.length === to.length && from.every((label, i) => label === to[i])) return output;
  const index = new Map(to.map((label, i) => [label, i]));
  const map = from.map((label) => {
    const at = index.get(label);
    if (at === undefined) throw new QuorumError('INTERNAL', `member class '${label}' is not among the ensemble's classes (${to.join(', ')})`);
    return at;
  });
  const k = from.length,
    K = to.length;
  const out = new Float32Array(rows * K);
  for (let r = 0; r < rows; r++) for (let c = 0; c < k; c++) out[r * K + map[c]] = output[r * k + c];
  return out;
}
