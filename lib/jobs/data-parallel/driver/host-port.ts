/**
 * The driver's port to one session over a transport that delivers host requests (a trainer's
 * `trainer.dp` action, a worker thread's postMessage, a function call in tests).
 */
import type { ShardPort } from './ports';
import {
  joinChunks,
  unpackArrays,
  unpackNodeHistograms,
  type ApplyRequest,
  type HostReply,
  type HostRequest,
  type LevelRequest,
  type NodeRef,
  type NodeRows,
  type RoundRequest,
} from '../wire';

/** The driver's port to one session over a transport that delivers host requests. */
export class HostPort implements ShardPort {
  /** The session's compute time (ms) as of its last answer. */
  computeMs = 0;
  /** Bytes of the session's answers so far (what crossed the transport). */
  receivedBytes = 0;

  constructor(
    readonly id: string,
    private readonly send: (msg: HostRequest) => Promise<HostReply>,
  ) {}

  private async arrays(msg: HostRequest): Promise<Uint8Array[]> {
    const reply = joinChunks(await this.send(msg));
    this.receivedBytes += reply.length;
    const parts = unpackArrays(reply);
    if (msg.op !== 'open' && msg.op !== 'close') this.computeMs = new Float64Array(parts.pop()!.buffer)[0];
    return parts;
  }

  /** Opens the session from shard bytes; resolves to its row count. */
  async open(shard: Uint8Array): Promise<number> {
    const [rows] = await this.arrays({ op: 'open', id: this.id, shard });
    return new Int32Array(rows.buffer)[0];
  }

  async histograms(nodes: NodeRef[]): Promise<Float64Array> {
    const [h] = await this.arrays({ op: 'histograms', id: this.id, nodes });
    return unpackNodeHistograms(h);
  }

  async applySplits(req: ApplyRequest): Promise<Float64Array> {
    const [a] = await this.arrays({ op: 'applySplits', id: this.id, req });
    return new Float64Array(a.buffer);
  }

  async rows(nodes: NodeRef[]): Promise<NodeRows[]> {
    const parts = await this.arrays({ op: 'rows', id: this.id, nodes });
    return nodes.map((_, i) => ({
      rowIndex: new Int32Array(parts[4 * i].buffer),
      codes: parts[4 * i + 1],
      y: new Float64Array(parts[4 * i + 2].buffer),
      weight: new Float64Array(parts[4 * i + 3].buffer),
    }));
  }

  async round(req: RoundRequest): Promise<Float64Array> {
    const [a] = await this.arrays({ op: 'round', id: this.id, req });
    return new Float64Array(a.buffer);
  }

  async level(req: LevelRequest): Promise<Float64Array> {
    const [a] = await this.arrays({ op: 'level', id: this.id, req });
    return new Float64Array(a.buffer);
  }

  async close(): Promise<void> {
    await this.send({ op: 'close', id: this.id });
  }
}
