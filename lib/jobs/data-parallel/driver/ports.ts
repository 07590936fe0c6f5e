/**
 * How the driver reaches a shard session: an async port, so that the service layer can implement
 * it as calls to the node that holds the shard. Two in-process ports here: one calling a session
 * directly, and one that sends every request and reply through bytes (JSON requests, typed-array
 * replies cut into chunks of at most 1 MB), as a remote port would.
 */
import type { ShardSession } from '../session/forest';
import { chunkBytes, joinChunks, MAX_MESSAGE, packArrays, unpackArrays, unpackNodeHistograms } from '../wire';
import { type ApplyRequest, type NodeRef, type NodeRows } from '../wire';

export interface ShardPort {
  /** Concatenated node histograms (the session's histLength values per node). */
  histograms(nodes: NodeRef[]): Promise<Float64Array>;
  /** 6 values per split: left rows, right rows, min/max target left, min/max target right. */
  applySplits(req: ApplyRequest): Promise<Float64Array>;
  rows(nodes: NodeRef[]): Promise<NodeRows[]>;
  close(): Promise<void>;
  /** The session's compute time so far (ms), when the port knows it. */
  readonly computeMs?: number;
  /** Bytes of the session's answers so far (callAll adds them to the driver's cost). */
  readonly receivedBytes: number;
}

/** Calls a session in this process. Nothing crosses a wire: the answers count as the values' own bytes. */
export class InProcessPort implements ShardPort {
  receivedBytes = 0;
  constructor(readonly session: ShardSession) {}
  get computeMs(): number {
    return this.session.computeMs;
  }
  async histograms(nodes: NodeRef[]): Promise<Float64Array> {
    return this.counted(this.session.histograms(nodes));
  }
  async applySplits(req: ApplyRequest): Promise<Float64Array> {
    return this.counted(this.session.applySplits(req));
  }
  async rows(nodes: NodeRef[]): Promise<NodeRows[]> {
    const rows = this.session.rows(nodes);
    for (const r of rows) this.receivedBytes += r.rowIndex.byteLength + r.codes.byteLength + r.y.byteLength + r.weight.byteLength;
    return rows;
  }
  async close(): Promise<void> {
    this.session.close();
  }
  private counted(values: Float64Array): Float64Array {
    this.receivedBytes += values.byteLength;
    return values;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Serialises every request and reply through bytes, in chunks of at most `maxMessage`. */
export class BytesPort implements ShardPort {
  /** Bytes sent and received, and the largest message seen. */
  sent = 0;
  received = 0;
  largest = 0;

  constructor(
    readonly session: ShardSession,
    private readonly maxMessage = MAX_MESSAGE,
  ) {}

  get computeMs(): number {
    return this.session.computeMs;
  }

  get receivedBytes(): number {
    return this.received;
  }

  private request<T>(value: T): T {
    const bytes = enc.encode(JSON.stringify(value));
    this.sent += bytes.length;
    this.largest = Math.max(this.largest, bytes.length);
    return JSON.parse(dec.decode(bytes)) as T;
  }

  private reply(arrays: Array<Float64Array | Int32Array | Uint8Array>): Uint8Array[] {
    const chunks = chunkBytes(packArrays(arrays), this.maxMessage).map((c) => c.slice());
    for (const c of chunks) {
      this.received += c.length;
      this.largest = Math.max(this.largest, c.length);
    }
    return unpackArrays(joinChunks(chunks));
  }

  async histograms(nodes: NodeRef[]): Promise<Float64Array> {
    const [h] = this.reply([this.session.packedHistograms(this.request(nodes))]);
    return unpackNodeHistograms(h);
  }

  async applySplits(req: ApplyRequest): Promise<Float64Array> {
    const [a] = this.reply([this.session.applySplits(this.request(req))]);
    return new Float64Array(a.buffer);
  }

  async rows(nodes: NodeRef[]): Promise<NodeRows[]> {
    const rows = this.session.rows(this.request(nodes));
    const parts = this.reply(rows.flatMap((r) => [r.rowIndex, r.codes, r.y, r.weight]));
    return rows.map((_, i) => ({
      rowIndex: new Int32Array(parts[4 * i].buffer),
      codes: parts[4 * i + 1],
      y: new Float64Array(parts[4 * i + 2].buffer),
      weight: new Float64Array(parts[4 * i + 3].buffer),
    }));
  }

  async close(): Promise<void> {
    this.request({ close: true });
    this.session.close();
  }
}
