/**
 * The coordinator's side of a data-parallel job ({@link trainDataParallel}): one {@link ClusterShardPort} per binned shard,
 * reaching the trainer node that holds the shard's session through `trainer.dpOpen` / `trainer.dp`
 * calls. A port survives its trainer: when a call fails (the node died or left, the session was
 * swept), it opens the session again on another trainer from the shard's blob, replays the splits
 * of the trees still open (gbm: every round's trees and the current round's splits), and repeats the call — so the model is the one an undisturbed run
 * makes. Replies over 512 KB come back as streams (no message over 1 MB).
 */
import type { ServiceBroker } from 'moleculer';
import { decodeShard } from '../../lib/data/shard-codec';
import { QuorumError } from '../../lib/errors';
import type { ForestModel } from '../../lib/models/forest/model';
import type { ForestParams } from '../../lib/models/forest/params';
import { encodeArtifact } from '../../lib/models/format';
import type { GbmModel } from '../../lib/models/gbm/model';
import type { GbmParams } from '../../lib/models/gbm/params';
import { validateModelParams } from '../../lib/models/kinds';
import type { MemberMeta } from '../../lib/registry/version';
import { bufferStream, readAll, sha256 } from '../../lib/store/streams';
import { fitForestDataParallel, fitGbmDataParallel, HostPort, type BoostCheckpoint, type DriverCost, type ForestCheckpoint, type HostRequest, type ShardPort } from '../../lib/training/data-parallel';
import type { JobState } from '../../lib/training/job';
import { waitForTrainer, type RunnerPorts } from '../../lib/training/runner';
import type { CoordinatorThis, RunningJob } from '../coordinator.service';
import { quorumConfig } from './config';
import type { ApplyRequest, BoostPort, LevelRequest, NodeRef, NodeRows, RoundRequest } from '../../lib/training/data-parallel';
import type { BlobRef } from '../../lib/training/job';
import { callService, nodesWith } from './cluster';

/** Replies up to this size travel as one message; larger ones as a stream. */
export const DP_INLINE_BYTES = 512 * 1024;

export interface PortEvents {
  /** The shard's session (re)opened on `node` (`moved`: after a failure elsewhere). */
  opened(shard: number, node: string, moved: boolean, why?: string): void;
}

export class ClusterShardPort implements ShardPort, BoostPort {
  private port: HostPort | null = null;
  private node: string | null = null;
  private opens = 0;
  /** applySplits of the trees still open, in order (replayed on a new session). */
  private log: ApplyRequest[] = [];
  /** gbm: every round so far (its trees move the margins) and the current round's splits. */
  private rounds: RoundRequest[] = [];
  private levels: LevelRequest[] = [];
  private readonly failed = new Set<string>();
  /** Session ids are unique per coordinator run: a restarted coordinator never meets its old ones. */
  private readonly nonce = Date.now().toString(36);

  constructor(
    private readonly broker: ServiceBroker,
    private readonly job: string,
    readonly shard: number,
    private readonly blob: BlobRef & { nodeID: string },
    private readonly preferred: string,
    private readonly attempts: number,
    private readonly timeoutMs: number,
    private readonly events: PortEvents,
  ) {}

  /** Compute time of the sessions this port closed or lost (ms). */
  private pastComputeMs = 0;

  /** The shard's sessions' compute time so far (ms), over every trainer that held it. */
  get computeMs(): number {
    return this.pastComputeMs + (this.port?.computeMs ?? 0);
  }

  /** Where the session is now (null before the first call). */
  get nodeID(): string | null {
    return this.node;
  }

  private pick(): string {
    const trainers = nodesWith(this.broker, 'trainer');
    if (!trainers.length) throw new QuorumError('NO_TRAINERS', `no trainer online to hold shard ${this.shard} of job ${this.job}`);
    if (trainers.includes(this.preferred) && !this.failed.has(this.preferred)) return this.preferred;
    const fresh = trainers.filter((t) => !this.failed.has(t));
    const pool = fresh.length ? fresh : trainers;
    return pool[(this.shard + this.opens) % pool.length];
  }

  private async open(why?: string): Promise<HostPort> {
    const node = this.pick();
    const id = `${this.job}/${this.shard}/${this.nonce}-${this.opens++}`;
    await this.broker.call('trainer.dpOpen', { id, blob: this.blob }, { nodeID: node, timeout: this.timeoutMs, retries: 0 });
    const port = new HostPort(id, (msg) => this.send(node, msg));
    for (const req of this.log) await port.applySplits({ splits: req.splits, release: [] });
    for (const req of this.rounds) await port.round(req);
    for (const req of this.levels) await port.level(req);
    this.node = node;
    this.port = port;
    this.events.opened(this.shard, node, why !== undefined, why);
    return port;
  }

  private async send(node: string, msg: HostRequest): Promise<Uint8Array[]> {
    const reply = await this.broker.call<Buffer | NodeJS.ReadableStream, HostRequest>('trainer.dp', msg, { nodeID: node, timeout: this.timeoutMs, retries: 0 });
    const bytes = Buffer.isBuffer(reply) || reply instanceof Uint8Array ? reply : await readAll(reply as NodeJS.ReadableStream, { idleMs: this.timeoutMs });
    return [new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
  }

  /** Runs `fn` on the session, moving it to another trainer after a failure (up to `attempts`). */
  private async run<T>(fn: (port: HostPort) => Promise<T>): Promise<T> {
    let why: string | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        const port = this.port ?? (await this.open(why));
        return await fn(port);
      } catch (err) {
        const e = err as Error & { type?: string };
        if (e.type === 'CANCELLED' || e.type === 'NO_TRAINERS' || attempt >= this.attempts) throw err;
        why = `${this.node ?? 'a trainer'}: ${e.message}`;
        if (this.node) this.failed.add(this.node);
        this.pastComputeMs += this.port?.computeMs ?? 0;
        this.port = null;
        this.node = null;
      }
    }
  }

  histograms(nodes: NodeRef[]): Promise<Float64Array> {
    return this.run((p) => p.histograms(nodes));
  }

  async applySplits(req: ApplyRequest): Promise<Float64Array> {
    const out = await this.run((p) => p.applySplits(req));
    if (req.release.length) {
      const done = new Set(req.release);
      this.log = this.log.map((r) => ({ splits: r.splits.filter((s) => !done.has(s.tree)), release: [] })).filter((r) => r.splits.length > 0);
    }
    const open = req.splits.filter((s) => !req.release.includes(s.tree));
    if (open.length) this.log.push({ splits: open, release: [] });
    return out;
  }

  async round(req: RoundRequest): Promise<Float64Array> {
    const out = await this.run((p) => p.round(req));
    const last = this.rounds[this.rounds.length - 1];
    if (last) last.open = false;
    this.rounds.push({ ...req, hist: false });
    this.levels = [];
    return out;
  }

  async level(req: LevelRequest): Promise<Float64Array> {
    const out = await this.run((p) => p.level(req));
    this.levels.push({ splits: req.splits, hist: [] });
    return out;
  }

  rows(nodes: NodeRef[]): Promise<NodeRows[]> {
    return this.run((p) => p.rows(nodes));
  }

  /** Frees the session (best effort: a node that is gone has nothing left to free). */
  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    await port?.close().catch(() => undefined);
  }
}

/** The driver's state every few trees or rounds, beside the job's shards: a restarted coordinator resumes from it. */
function checkpointStore(svc: CoordinatorThis, job: JobState): { read<T>(): Promise<T | null>; save(state: unknown): Promise<void> } {
  const id = `jobs/${job.id}/dp-checkpoint`;
  return {
    read: async <T>() => ((await svc.blobs.has(id)) ? (JSON.parse((await svc.blobs.read(id)).toString('utf8')) as T) : null),
    save: async (state) => void (await svc.blobs.put(id, Buffer.from(JSON.stringify(state)))),
  };
}

/**
 * Phase 2c of a job: one forest or boosted model over all shards. Each binned shard is opened as a
 * session on a trainer (shard i on trainer i mod n); the driver grows the trees here, asking every
 * session for histograms; a session whose trainer fails moves to another one (ClusterShardPort).
 */
export async function trainDataParallel(svc: CoordinatorThis, job: JobState, run: RunningJob, base: Pick<RunnerPorts, 'trainersOnline' | 'changed' | 'sleep'>): Promise<void> {
  const config = quorumConfig(svc.broker);
  const member = job.members[0];
  const dp = job.plan!.dataParallel!;
  await waitForTrainer(job, base, { attempts: config.fitAttempts, trainerWaitMs: config.trainerWaitMs }, run.abort.signal);
  job.status = 'training';
  member.status = 'running';
  member.attempts++;
  svc.touch(job);
  const trainers = nodesWith(svc.broker, 'trainer').sort();
  const ports = job.shards.map(
    (s, i) =>
      new ClusterShardPort(svc.broker, job.id, s.index, { ...s.blob, nodeID: svc.broker.nodeID }, trainers[i % trainers.length], config.fitAttempts, config.fitTimeoutMs, {
        opened: (shard, node, moved, why) => {
          if (moved) {
            job.warnings.push(`shard ${shard} moved to trainer ${node} (${why}); the splits of its open trees were replayed`);
            svc.logger.warn(`job ${job.id}: shard ${shard} moved to ${node}: ${why}`);
          }
          svc.touch(job);
        },
      }),
  );
  const started = Date.now();
  const input = { config: dp.config, bins: { edges: Float32Array.from(dp.edges), edgeStart: Int32Array.from(dp.edgeStart) }, features: job.plan!.features, classes: job.classes };
  const isCancelled = (): boolean => run.abort.signal.aborted;
  const checkpoints = checkpointStore(svc, job);
  const progress = (fraction: number, message: string): void => {
    member.progress = fraction;
    job.progress = fraction;
    job.message = `${message}, over ${ports.length} shard(s)`;
    svc.touch(job);
  };
  try {
    let fitted: { model: ForestModel | GbmModel; cost: DriverCost };
    if (member.kind === 'gbm') {
      const params = validateModelParams(member.kind, member.params) as GbmParams;
      const total = params.nEstimators;
      const sample = job.plan!.validationSample;
      const validation = sample ? decodeShard(await readAll(await svc.blobs.stream(sample.id))) : null;
      const resume = await checkpoints.read<BoostCheckpoint>();
      const curve: Record<string, number>[] = (member.curve = []);
      const point = (epoch: number, loss: number, valLoss: number | null) => curve.push({ epoch, loss, ...(valLoss !== null ? { valLoss } : {}) });
      if (resume) {
        for (let r = 1; r < resume.trainLosses.length; r++) point(r, resume.trainLosses[r], resume.validLosses[r - 1]);
        job.warnings.push(`data-parallel gbm resumed from its checkpoint after round ${resume.round} of ${total}`);
      }
      fitted = await fitGbmDataParallel(ports, { ...input, validation }, params, {
        isCancelled,
        resume,
        checkpoint: checkpoints.save,
        onRound: (round, _total, trainLoss, validLoss) => {
          point(round, trainLoss, validLoss);
          progress(round / total, `round ${round} of ${total} (loss ${trainLoss.toPrecision(4)}${validLoss !== null ? `, validation ${validLoss.toPrecision(4)}` : ''})`);
        },
      });
    } else {
      const params = validateModelParams(member.kind, member.params) as ForestParams;
      const resume = await checkpoints.read<ForestCheckpoint>();
      if (resume) job.warnings.push(`data-parallel forest resumed from its checkpoint after ${resume.trees} of ${params.nEstimators} trees`);
      fitted = await fitForestDataParallel(ports, input, params, {
        isCancelled,
        resume,
        checkpoint: checkpoints.save,
        onProgress: (done, total) => progress(done / total, `${done} of ${total} trees`),
      });
    }
    const { model, cost } = fitted;
    const fitMs = Date.now() - started;
    const bytes = encodeArtifact(model.toArtifact());
    const nodes = [...new Set(ports.map((p) => p.nodeID).filter((n): n is string => !!n))];
    const summary = {
      ...model.summary(),
      dataParallel: { shards: ports.length, trainers: nodes, roundTrips: cost.roundTrips, bytesIn: cost.bytesIn, bytesOut: cost.bytesOut, portMs: Math.round(cost.portMs), sessionMs: Math.round(cost.sessionMs), commMs: Math.round(Math.max(0, cost.portMs - cost.sessionMs)), driverMs: Math.round(cost.driverMs), treesPerBatch: cost.treesPerBatch, levels: cost.levels },
    };
    const meta: MemberMeta = { id: member.id, kind: member.kind, params: member.params, input: 'native', shard: -1, rows: member.rows, node: nodes.join(','), fitMs, classes: job.classes, summary, ...(member.curve?.length ? { curve: member.curve } : {}), artifact: { size: bytes.length, sha256: sha256(bytes) } };
    const stored = await callService<MemberMeta>(svc.broker, 'registry.putMember', bufferStream(bytes), { meta: { version: job.version, member: meta }, timeout: 0 });
    Object.assign(member, { status: 'done', progress: 1, node: meta.node, fitMs, artifact: stored.artifact, summary });
    job.message = undefined;
    svc.touch(job);
  } catch (err) {
    member.status = run.abort.signal.aborted ? 'cancelled' : 'failed';
    (member.errors ??= []).push({ code: (err as { type?: string }).type ?? 'INTERNAL', message: (err as Error).message });
    throw err;
  } finally {
    await Promise.all(ports.map((p) => p.close()));
  }
}

