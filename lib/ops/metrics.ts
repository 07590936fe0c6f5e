/**
 * Quorum's own metrics, beside Moleculer's (requests, events, process, event loop). Each service
 * registers the ones it feeds in `created()`; the gateway gathers every node's list through
 * `$node.metrics` and renders it as Prometheus text (`GET /metrics`, lib/ops/prometheus.ts).
 */
/** What these helpers use of a metric registry (Moleculer's `broker.metrics` is one). */
export interface MetricRegistry {
  isEnabled(): boolean;
  hasMetric(name: string): unknown;
  register(def: never): unknown;
  set(name: string, value: number, labels?: Record<string, string>): unknown;
}

interface Definition {
  type: 'counter' | 'gauge' | 'histogram';
  name: string;
  description: string;
  labelNames?: string[];
  unit?: string;
  buckets?: number[];
}

export const QUORUM_METRICS = {
  jobs: { type: 'gauge', name: 'quorum.jobs', description: 'Training jobs of this coordinator, by state', labelNames: ['state'] },
  fitSeconds: {
    type: 'histogram',
    name: 'quorum.fit.seconds',
    description: 'Seconds one member took to fit on this trainer, by model kind',
    labelNames: ['kind'],
    unit: 'seconds',
    buckets: [0.1, 0.5, 1, 2, 5, 15, 60, 300, 1800, 7200],
  },
  shardBytes: {
    type: 'counter',
    name: 'quorum.shard.bytes.total',
    description: 'Bytes of shards and validation sets this trainer fetched from coordinators',
    unit: 'bytes',
  },
  predictions: { type: 'counter', name: 'quorum.predictions.total', description: 'Rows predicted by this inference node, by route', labelNames: ['route'] },
  predictSeconds: {
    type: 'histogram',
    name: 'quorum.predict.seconds',
    description: 'Seconds one prediction request took on this inference node, by route',
    labelNames: ['route'],
    unit: 'seconds',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  },
  versions: { type: 'gauge', name: 'quorum.model.versions', description: 'Model versions in this registry, by status', labelNames: ['status'] },
  threads: { type: 'gauge', name: 'quorum.trainer.threads', description: 'Worker threads of this trainer' },
  threadsBusy: { type: 'gauge', name: 'quorum.trainer.threads.busy', description: 'Worker threads of this trainer fitting now' },
} as const satisfies Record<string, Definition>;

export type QuorumMetric = keyof typeof QUORUM_METRICS;

/** Registers the named metrics (once per registry; a no-op when metrics are off). */
export function registerMetrics(registry: MetricRegistry, names: QuorumMetric[]): void {
  if (!registry.isEnabled()) return;
  for (const n of names) {
    const def: Definition = QUORUM_METRICS[n];
    if (!registry.hasMetric(def.name))
      registry.register({ ...def, labelNames: def.labelNames ? [...def.labelNames] : undefined, buckets: def.buckets ? [...def.buckets] : undefined } as never);
  }
}

/** Sets a labelled gauge from counts, zeroing labels that had a count before and have none now. */
export function setCounts(registry: MetricRegistry, name: QuorumMetric, label: string, counts: Map<string, number>, known: Set<string>): void {
  if (!registry.isEnabled()) return;
  for (const k of counts.keys()) known.add(k);
  for (const k of known) registry.set(QUORUM_METRICS[name].name, counts.get(k) ?? 0, { [label]: k });
}
