/**
 * What travels between the data-parallel driver, the trainers and the trainers among themselves:
 * the message limit and chunking, typed arrays packed into one buffer, and histograms packed as
 * what they are.
 *
 * A boosted model's histograms are sums of quantised derivatives (models/gbm/quantise.ts): whole
 * numbers below 2^53. They travel packed — a bitmap of the bins that hold rows, then each such bin's
 * values zigzag-coded in the fewest bytes that hold the histogram's largest — not as Float64: a
 * deep node's histogram is mostly empty bins and small counts. Reduce-scatter cuts every histogram
 * into feature blocks, one per trainer ({@link featureBlocks}); block j of every trainer's local
 * sums goes to trainer j, which adds them and looks for the best split among its own features.
 *
 * The requests and replies of both kinds' sessions are declared here too: what a session host
 * answers (HostRequest), a forest's splits and rows, a boosted round's trees, steps and plans.
 */
import type { SplitParams } from '../../models/gbm/split';

/** Largest message body (1 MB). */
export const MAX_MESSAGE = 1 << 20;

/** Cuts bytes into chunks of at most `max` bytes (views, no copy). */
export function chunkBytes(bytes: Uint8Array, max = MAX_MESSAGE): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += max) out.push(bytes.subarray(o, Math.min(bytes.length, o + max)));
  if (out.length === 0) out.push(bytes.subarray(0, 0));
  return out;
}

/** One array of the chunks' bytes (the chunk itself, not a copy, when there is one). */
export function joinChunks(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const n = chunks.reduce((s, c) => s + c.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function toBytes(a: Float64Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Typed arrays concatenated with a u32 length prefix each (copies, so the result is aligned-safe). */
export function packArrays(arrays: Array<Float64Array | Int32Array | Uint8Array>): Uint8Array {
  const n = arrays.reduce((s, a) => s + 4 + a.byteLength, 0);
  const out = new Uint8Array(n);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const a of arrays) {
    view.setUint32(o, a.byteLength, true);
    out.set(toBytes(a), o + 4);
    o += 4 + a.byteLength;
  }
  return out;
}

export function unpackArrays(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length;) {
    const len = view.getUint32(o, true);
    out.push(bytes.slice(o + 4, o + 4 + len));
    o += 4 + len;
  }
  return out;
}

/** The Float64 values of packed bytes (a copy when the bytes are not 8-aligned). */
export function float64s(bytes: Uint8Array): Float64Array {
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 3);
  return new Float64Array(bytes.slice().buffer);
}

/**
 * Feature boundaries of `parts` blocks, contiguous and balanced by bins (a feature's bins incl. its
 * missing bin): block j holds features bounds[j] .. bounds[j + 1]. Blocks may be empty when there
 * are more parts than features.
 */
export function featureBlocks(nBins: readonly number[], parts: number): number[] {
  const total = nBins.reduce((s, b) => s + b + 1, 0);
  const bounds = [0];
  let f = 0;
  let seen = 0;
  for (let j = 1; j < parts; j++) {
    const target = (total * j) / parts;
    while (f < nBins.length && seen + (nBins[f] + 1) / 2 <= target) seen += nBins[f++] + 1;
    bounds.push(f);
  }
  bounds.push(nBins.length);
  return bounds;
}

const TWO32 = 4294967296;

/** Grows as values are written; `bytes()` is the written part. */
class ByteWriter {
  private buf = new Uint8Array(1024);
  private at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    bigger.set(this.buf.subarray(0, this.at));
    this.buf = bigger;
  }

  byte(v: number): void {
    this.room(1);
    this.buf[this.at++] = v;
  }

  /** Space for n bytes, zeroed; returns where it starts. */
  reserve(n: number): number {
    this.room(n);
    this.buf.fill(0, this.at, this.at + n);
    const at = this.at;
    this.at += n;
    return at;
  }

  setBit(at: number, i: number): void {
    this.buf[at + (i >> 3)] |= 1 << (i & 7);
  }

  /** z (0 ≤ z < 2^53) in `width` bytes, little-endian. */
  uint(z: number, width: number): void {
    this.room(width);
    const lo = z % TWO32;
    const hi = (z - lo) / TWO32;
    for (let k = 0; k < width; k++) this.buf[this.at++] = k < 4 ? (lo >>> (8 * k)) & 0xff : (hi >>> (8 * (k - 4))) & 0xff;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

const ONES = [1, 1, 1, 1, 1, 1, 1, 1];
const zigzag = (v: number): number => (v >= 0 ? 2 * v : -2 * v - 1);
const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

/** One scale per position of a tuple; positions without one have scale 1 (ONES has 8: a forest's bin has K + 1 statistics). */
function scalesOf(scales: readonly number[], stride: number): readonly number[] {
  return scales.length >= stride ? scales : Array.from({ length: stride }, (_, s) => scales[s] ?? 1);
}

/** Bytes that hold z (0 ≤ z < 2^53), at least 1. */
function widthOf(z: number): number {
  let w = 1;
  while (w < 7 && z >= 2 ** (8 * w)) w++;
  return w;
}

/**
 * Packs values[from .. to) of histograms, in tuples of `stride` (a bin's statistics), each value
 * times its position's scale a whole number below 2^52 in magnitude (the quantised derivatives'
 * steps: 2^shift) — for each of `hists`: one byte of width, a bitmap of the tuples that are not all
 * zero, then those tuples' scaled values zigzag-coded in `width` bytes each.
 */
export function packHistograms(hists: readonly Float64Array[], from: number, to: number, stride: number, scales: readonly number[] = ONES): Uint8Array {
  const w = new ByteWriter();
  const tuples = Math.max(0, Math.floor((to - from) / stride));
  scales = scalesOf(scales, stride);
  for (const h of hists) {
    let largest = 0;
    for (let i = from; i < from + tuples * stride; i++) {
      const v = h[i] * scales[(i - from) % stride];
      if (!Number.isSafeInteger(v)) throw new RangeError(`packHistograms: value ${h[i]} at ${i} times its scale is not a whole number below 2^53`);
      const z = zigzag(v);
      if (z > largest) largest = z;
    }
    const width = widthOf(largest);
    w.byte(width);
    const bitmap = w.reserve((tuples + 7) >> 3);
    for (let t = 0; t < tuples; t++) {
      const at = from + t * stride;
      let any = false;
      for (let s = 0; s < stride; s++) if (h[at + s] !== 0) any = true;
      if (!any) continue;
      w.setBit(bitmap, t);
      for (let s = 0; s < stride; s++) w.uint(zigzag(h[at + s] * scales[s]), width);
    }
  }
  return w.bytes();
}

/**
 * Adds packed histograms (packHistograms of the same `from .. to`, stride and scales) into
 * `into[q]`'s values from .. to, each divided by its scale again, for every q. Returns the bytes
 * read; throws when the bytes are short.
 */
export function addPackedHistograms(
  bytes: Uint8Array,
  into: readonly Float64Array[],
  from: number,
  to: number,
  stride: number,
  scales: readonly number[] = ONES,
): number {
  const inverse = scalesOf(scales, stride).map((x) => 1 / x);
  const tuples = Math.max(0, Math.floor((to - from) / stride));
  const mapBytes = (tuples + 7) >> 3;
  let o = 0;
  const need = (n: number): void => {
    if (o + n > bytes.length) throw new RangeError(`packed histograms end early (${bytes.length} bytes, ${o + n} needed)`);
  };
  for (const h of into) {
    need(1 + mapBytes);
    const width = bytes[o++];
    if (width < 1 || width > 7) throw new RangeError(`packed histogram width ${width} is not 1..7`);
    const map = o;
    o += mapBytes;
    for (let t = 0; t < tuples; t++) {
      if ((bytes[map + (t >> 3)] & (1 << (t & 7))) === 0) continue;
      need(stride * width);
      const at = from + t * stride;
      for (let s = 0; s < stride; s++) {
        let z = 0;
        let scale = 1;
        for (let k = 0; k < width; k++) {
          z += bytes[o++] * scale;
          scale *= 256;
        }
        h[at + s] += unzigzag(z) * inverse[s];
      }
    }
  }
  return o;
}

/**
 * A forest session's node histograms (`histLength` values a node, concatenated) for the wire: each
 * node's sums packed as whole numbers, `stride` values a bin (packHistograms: a bin with no rows
 * costs one bit), and the `tail` last values of each node raw (regression: the target's lowest and
 * highest, ±Infinity where the node has no rows in this shard). Class counts, bootstrap weights and
 * the quantised targets' sums are whole numbers, so nothing is rounded.
 */
export function packNodeHistograms(h: Float64Array, histLength: number, stride: number, tail: number): Uint8Array {
  const n = histLength > 0 ? Math.floor(h.length / histLength) : 0;
  const views = Array.from({ length: n }, (_, q) => h.subarray(q * histLength, (q + 1) * histLength));
  const tails = new Float64Array(n * tail);
  for (let q = 0; q < n; q++) for (let k = 0; k < tail; k++) tails[q * tail + k] = views[q][histLength - tail + k];
  return packArrays([Int32Array.of(n, histLength, stride, tail), packHistograms(views, 0, histLength - tail, stride), tails]);
}

/** The node histograms of {@link packNodeHistograms}, concatenated again. */
export function unpackNodeHistograms(bytes: Uint8Array): Float64Array {
  const parts = unpackArrays(bytes);
  if (parts.length !== 3 || parts[0].length !== 16) throw new RangeError('packed node histograms: expected a head, the sums and the tails');
  const [n, histLength, stride, tail] = new Int32Array(parts[0].slice().buffer);
  if (n < 0 || histLength < tail || tail < 0 || stride < 1 || parts[2].length !== 8 * n * tail) throw new RangeError('packed node histograms: a damaged head');
  const out = new Float64Array(n * histLength);
  const views = Array.from({ length: n }, (_, q) => out.subarray(q * histLength, (q + 1) * histLength));
  const used = addPackedHistograms(parts[1], views, 0, histLength - tail, stride);
  if (used !== parts[1].length) throw new RangeError(`packed node histograms: ${parts[1].length - used} bytes too many`);
  const tails = float64s(parts[2]);
  for (let q = 0; q < n; q++) for (let k = 0; k < tail; k++) views[q][histLength - tail + k] = tails[q * tail + k];
  return out;
}

export interface NodeRef {
  tree: number;
  node: number;
}

/** A split decided by the driver: rows of `node` with code ≤ bin (missing: missLeft) go to `left`. */
export interface SplitOrder extends NodeRef {
  feature: number;
  bin: number;
  missLeft: boolean;
  left: number;
  right: number;
}

export interface ApplyRequest {
  splits: SplitOrder[];
  /** Trees finished: their partitions are freed. */
  release: number[];
}

/** The in-bag rows of a node (row-major codes, as the one-node growers read them). */
export interface NodeRows {
  rowIndex: Int32Array;
  codes: Uint8Array;
  y: Float64Array;
  weight: Float64Array;
}

/** A finished tree as the sessions apply it: node arrays by the driver's node ids (feature −1: leaf). */
export interface BoostTree {
  feature: number[];
  bin: number[];
  missLeft: boolean[];
  left: number[];
  right: number[];
  value: number[];
}

export interface RoundRequest {
  round: number;
  /** The previous round's trees (one per output, in output order; several rounds when a resumed fit catches up), added to the margins first. */
  trees: BoostTree[];
  /** Open the round: derivatives, sample, one root per output. */
  open: boolean;
  /** Answer the roots' histograms (needs open). */
  hist: boolean;
  /** This round's quantisation (with open). */
  gradShift: number;
  hessShift: number;
}

export interface LevelRequest {
  /** Splits of this round's trees (`tree` is the output index). */
  splits: SplitOrder[];
  /** Nodes whose histograms are wanted, after the splits. */
  hist: NodeRef[];
}

/**
 * The round reply's head: [Σ quantised per-row loss (squared: residual²), rows, largest |gradient|,
 * largest hessian] (the last two of the opened round, before quantisation: the next round's shifts).
 */
export const ROUND_HEAD = 4;

export type HostRequest =
  | { op: 'open'; id: string; shard: Uint8Array }
  | { op: 'histograms'; id: string; nodes: NodeRef[] }
  | { op: 'applySplits'; id: string; req: ApplyRequest }
  | { op: 'rows'; id: string; nodes: NodeRef[] }
  | { op: 'round'; id: string; req: RoundRequest }
  | { op: 'level'; id: string; req: LevelRequest }
  | { op: 'close'; id: string }
  /**
   * A boosted step over the job's sessions on this trainer (`ids`), which owns feature block
   * `block` of `peers`: with one peer the answer is [head, winners]; else [head, then each peer's
   * block of the local sums, packed (this trainer's own is empty: it stays here for 'reduce')].
   * The step travels as JSON text (a broker and a thread pass one string far faster than the
   * objects of a multiclass round's 26 trees).
   */
  | { op: 'step'; job: string; ids: string[]; step: string; block: number; peers: number }
  /** The blocks the other trainers sent for this trainer's block of step `seq`: [winners]. */
  | { op: 'reduce'; job: string; seq: number; parts: Uint8Array[] };

/** A reply: packed typed arrays (see packArrays), in chunks of at most the message limit. */
export type HostReply = Uint8Array[];

export interface SessionStatus {
  id: string;
  rows: number;
  openTrees: number;
  memoryBytes: number;
  idleMs: number;
  computeMs: number;
}

/** A histogram the step builds, and what its block's owner keeps of it. */
export interface BuiltNode extends NodeRef {
  /** Keep its histogram (the node may split at the next level). */
  keep: boolean;
  /** Its sibling's histogram is the parent's minus this one (the parent is freed). */
  parent?: number;
  sibling?: number;
  siblingKeep?: boolean;
}

/** A node whose best split is wanted, with its sums (scaled back from the quantised units; a root's are left out: the owner reads them from its histogram). */
export interface Candidate extends NodeRef {
  G?: number;
  H?: number;
}

/** What a block's owner does with a step's histograms. */
export interface ReducePlan {
  /** Feature boundaries of the blocks (wire.ts featureBlocks), one block per trainer in peer order. */
  blocks: number[];
  /** The histograms the step builds, in order. */
  built: BuiltNode[];
  /** Nodes to find the best split of, in order (the winners come back in this order). */
  consider: Candidate[];
  /** The round's features in draw order (the first of them that the round may use: all of them). */
  features: number[];
  gradShift: number;
  hessShift: number;
  split: SplitParams;
}

/** One step on one trainer: the round to open or the level to grow, over the job's sessions it holds. */
export interface GroupStep {
  /** The job's step number (a retried step comes with a new one). */
  seq: number;
  round?: RoundRequest;
  level?: LevelRequest;
  plan: ReducePlan;
}

/** Values per winner: found (0/1), feature, bin, missLeft (0/1), gain, gl, hl. */
export const WINNER = 7;

/**
 * The head of a step's local reply: [Σ quantised loss, rows, largest |gradient|, largest hessian]
 * (a round; zeros for a level), then per output the root's Σ g, Σ h (a round).
 */
export function headLength(outputs: number): number {
  return ROUND_HEAD + 2 * outputs;
}
