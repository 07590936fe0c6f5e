/**
 * Nearest-neighbour search over a shard's rows: brute force, or a k-d tree (median splits on the
 * widest dimension, leaves of `leafSize` rows, pruned by the distance to the splitting plane).
 * Both give the same neighbours; ties at equal distance keep the row that comes first.
 *
 * Distances: euclidean (searched squared), manhattan, cosine (rows and queries normalised to unit
 * length, so 1 − cos = ½ · squared euclidean distance of the unit vectors).
 */
import type { KnnParams } from './params';

export class KnnIndex {
  /** Rows in search order (tree order when there is a tree), unit length for cosine. */
  private readonly x: Float32Array;
  /** Original row of each search-order row (neighbours are reported by original row). */
  readonly order: Int32Array;
  private readonly d: number;
  private readonly manhattan: boolean;
  private readonly cosine: boolean;
  // Tree nodes: a leaf has dim −1 and the row range [start, end).
  private dim: Int32Array = new Int32Array(0);
  private val: Float32Array = new Float32Array(0);
  private start: Int32Array = new Int32Array(0);
  private end: Int32Array = new Int32Array(0);
  private left: Int32Array = new Int32Array(0);
  private right: Int32Array = new Int32Array(0);
  readonly nodes: number;

  constructor(
    rows: Float32Array,
    readonly n: number,
    d: number,
    readonly metric: KnnParams['metric'],
    tree: boolean,
    leafSize: number,
  ) {
    this.d = d;
    this.manhattan = metric === 'manhattan';
    this.cosine = metric === 'cosine';
    const src = this.cosine ? normalised(rows, n, d) : rows;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    this.nodes = tree && n > leafSize ? this.build(src, order, leafSize) : 0;
    this.order = order;
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) x.set(src.subarray(order[i] * d, order[i] * d + d), i * d);
    this.x = x;
  }

  /** Builds the tree over `order` (reordered in place); returns the node count. */
  private build(x: Float32Array, order: Int32Array, leafSize: number): number {
    const d = this.d;
    const cap = 2 * Math.ceil(this.n / leafSize) + 1;
    const dim = new Int32Array(cap).fill(-1);
    const val = new Float32Array(cap);
    const start = new Int32Array(cap);
    const end = new Int32Array(cap);
    const left = new Int32Array(cap);
    const right = new Int32Array(cap);
    let count = 1;
    start[0] = 0;
    end[0] = this.n;
    const stack = [0];
    while (stack.length) {
      const node = stack.pop()!;
      const b = start[node];
      const e = end[node];
      if (e - b <= leafSize || count + 2 > cap) continue;
      let best = -1;
      let spread = 0;
      for (let c = 0; c < d; c++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = b; i < e; i++) {
          const v = x[order[i] * d + c];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        if (hi - lo > spread) {
          spread = hi - lo;
          best = c;
        }
      }
      if (best < 0) continue; // every row equal: a leaf
      const mid = (b + e) >> 1;
      select(x, order, d, best, b, e, mid);
      dim[node] = best;
      val[node] = x[order[mid] * d + best];
      const l = count++;
      const r = count++;
      start[l] = b;
      end[l] = mid;
      start[r] = mid;
      end[r] = e;
      left[node] = l;
      right[node] = r;
      stack.push(l, r);
    }
    this.dim = dim.subarray(0, count);
    this.val = val.subarray(0, count);
    this.start = start.subarray(0, count);
    this.end = end.subarray(0, count);
    this.left = left.subarray(0, count);
    this.right = right.subarray(0, count);
    return count;
  }

  /**
   * The `k` nearest rows of query `q` (`d` values): `idx` gets original row numbers, `dist` their
   * distances, nearest first. `k` must be ≤ n.
   */
  query(q: Float32Array, k: number, idx: Int32Array, dist: Float64Array): void {
    const d = this.d;
    let query = q;
    if (this.cosine) {
      let s = 0;
      for (let c = 0; c < d; c++) s += q[c] * q[c];
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      query = new Float32Array(d);
      for (let c = 0; c < d; c++) query[c] = q[c] * inv;
    }
    const heap = new Heap(k, idx, dist);
    if (this.nodes === 0) this.scan(query, 0, this.n, heap);
    else this.search(query, heap);
    heap.sortAscending();
    for (let i = 0; i < k; i++) {
      dist[i] = this.cosine ? dist[i] / 2 : this.manhattan ? dist[i] : Math.sqrt(dist[i]);
    }
  }

  private scan(q: Float32Array, from: number, to: number, heap: Heap): void {
    const d = this.d;
    const x = this.x;
    for (let i = from; i < to; i++) {
      const base = i * d;
      let s = 0;
      const bound = heap.worst();
      if (this.manhattan) {
        for (let c = 0; c < d; c++) s += Math.abs(q[c] - x[base + c]);
      } else {
        let c = 0;
        for (; c + 4 <= d; c += 4) {
          const a0 = q[c] - x[base + c];
          const a1 = q[c + 1] - x[base + c + 1];
          const a2 = q[c + 2] - x[base + c + 2];
          const a3 = q[c + 3] - x[base + c + 3];
          s += a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3;
          if (s > bound) break;
        }
        if (s <= bound) {
          for (; c < d; c++) {
            const a = q[c] - x[base + c];
            s += a * a;
          }
        }
      }
      if (s <= bound) heap.offer(this.order[i], s);
    }
  }

  private search(q: Float32Array, heap: Heap): void {
    this.visit(0, q, heap, 0, new Float64Array(this.d));
  }

  /**
   * Depth-first, near child first. `lower` is a lower bound of the distance from `q` to the node's
   * cell: the sum over dimensions of the query's offset beyond the cell along that dimension
   * (`offset[c]`, kept incrementally as the search crosses splitting planes — Arya & Mount).
   */
  private visit(node: number, q: Float32Array, heap: Heap, lower: number, offset: Float64Array): void {
    const c = this.dim[node];
    if (c < 0) {
      this.scan(q, this.start[node], this.end[node], heap);
      return;
    }
    const diff = q[c] - this.val[node];
    const near = diff < 0 ? this.left[node] : this.right[node];
    const far = diff < 0 ? this.right[node] : this.left[node];
    this.visit(near, q, heap, lower, offset);
    const old = offset[c];
    const bound = this.manhattan ? lower - Math.abs(old) + Math.abs(diff) : lower - old * old + diff * diff;
    if (bound > heap.worst()) return;
    offset[c] = diff;
    this.visit(far, q, heap, bound, offset);
    offset[c] = old;
  }
}

/** Row-wise unit vectors (a zero row stays zero). */
function normalised(rows: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += rows[r * d + c] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < d; c++) out[r * d + c] = rows[r * d + c] * inv;
  }
  return out;
}

/** Quickselect: `order[b..e)` partitioned so that position `m` holds the median on column `c`. */
function select(x: Float32Array, order: Int32Array, d: number, c: number, b: number, e: number, m: number): void {
  let lo = b;
  let hi = e - 1;
  while (lo < hi) {
    const pivot = x[order[(lo + hi) >> 1] * d + c];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (x[order[i] * d + c] < pivot) i++;
      while (x[order[j] * d + c] > pivot) j--;
      if (i <= j) {
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
        i++;
        j--;
      }
    }
    if (m <= j) hi = j;
    else if (m >= i) lo = i;
    else return;
  }
}

/** A max-heap of the k best (smallest) distances so far, ties broken by the smaller row number. */
class Heap {
  private size = 0;
  constructor(
    private readonly k: number,
    private readonly idx: Int32Array,
    private readonly dist: Float64Array,
  ) {}

  worst(): number {
    return this.size < this.k ? Infinity : this.dist[0];
  }

  private greater(a: number, b: number): boolean {
    return this.dist[a] > this.dist[b] || (this.dist[a] === this.dist[b] && this.idx[a] > this.idx[b]);
  }

  /** Keeps row `i` at distance `s` if it is among the k best so far. */
  offer(i: number, s: number): void {
    const { idx, dist } = this;
    if (this.size === this.k && (s > dist[0] || (s === dist[0] && i > idx[0]))) return;
    if (this.size < this.k) {
      let at = this.size++;
      idx[at] = i;
      dist[at] = s;
      while (at > 0) {
        const up = (at - 1) >> 1;
        if (!this.greater(at, up)) break;
        this.swap(at, up);
        at = up;
      }
      return;
    }
    idx[0] = i;
    dist[0] = s;
    let at = 0;
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let big = at;
      if (l < this.size && this.greater(l, big)) big = l;
      if (r < this.size && this.greater(r, big)) big = r;
      if (big === at) return;
      this.swap(at, big);
      at = big;
    }
  }

  private swap(a: number, b: number): void {
    const ti = this.idx[a];
    this.idx[a] = this.idx[b];
    this.idx[b] = ti;
    const td = this.dist[a];
    this.dist[a] = this.dist[b];
    this.dist[b] = td;
  }

  /** Sorts the held entries nearest first (heap order is lost). */
  sortAscending(): void {
    const pairs = Array.from({ length: this.size }, (_, i) => [this.dist[i], this.idx[i]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    pairs.forEach(([s, i], j) => {
      this.dist[j] = s;
      this.idx[j] = i;
    });
  }
}
