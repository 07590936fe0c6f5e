/**
 * Prometheus text exposition (format 0.0.4) of every node's metric list, as `$node.metrics`
 * returns it. One HELP/TYPE block per metric name; each sample carries the node it came from.
 */

export interface MetricValue {
  labels?: Record<string, unknown>;
  value?: unknown;
  count?: number;
  sum?: number;
  buckets?: Record<string, number>;
}

export interface MetricList {
  type: string;
  name: string;
  description?: string;
  values: MetricValue[];
}

export interface NodeMetrics {
  nodeID: string;
  metrics: MetricList[];
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** `moleculer.request.total` → `moleculer_request_total` (letters, digits, `_` and `:` only). */
export function metricName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(clean) ? `_${clean}` : clean;
}

function labelName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(clean) || clean.startsWith('__') ? `_${clean.replace(/^_+/, '')}` : clean;
}

function escapeLabel(value: unknown): string {
  return String(value).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(all: Record<string, unknown>): string {
  const parts = Object.entries(all)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${labelName(k)}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function samples(name: string, type: string, node: string, v: MetricValue): string[] {
  const base = { node, ...(v.labels ?? {}) };
  if (type === 'histogram') {
    const out: string[] = [];
    const bounds = Object.keys(v.buckets ?? {})
      .map(Number)
      .sort((a, b) => a - b);
    for (const le of bounds) out.push(`${name}_bucket${labels({ ...base, le: num(le) })} ${v.buckets![String(le)] ?? 0}`);
    out.push(`${name}_bucket${labels({ ...base, le: '+Inf' })} ${v.count ?? 0}`);
    out.push(`${name}_sum${labels(base)} ${num(v.sum ?? 0)}`);
    out.push(`${name}_count${labels(base)} ${v.count ?? 0}`);
    return out;
  }
  if (type === 'info') {
    // A text value (a host name, a version) as the usual `…{value="…"} 1` sample.
    return v.value === undefined || v.value === null ? [] : [`${name}${labels({ ...base, value: v.value })} 1`];
  }
  const value = typeof v.value === 'number' ? v.value : typeof v.value === 'boolean' ? Number(v.value) : NaN;
  return Number.isNaN(value) ? [] : [`${name}${labels(base)} ${num(value)}`];
}

/**
 * Moleculer's metrics that describe the machine rather than the service — the OS user and home
 * folder, network interfaces with their addresses and MACs, the host name, the kernel release, the
 * command line (the script's path) and process ids. They help an attacker and no dashboard needs
 * them: never served.
 */
export const HIDDEN_METRICS: readonly RegExp[] = [
  /^os\.user\./,
  /^os\.network\./,
  /^os\.hostname$/,
  /^os\.release$/,
  /^process\.arguments$/,
  /^process\.pid$/,
  /^process\.ppid$/,
];

export const isHiddenMetric = (name: string): boolean => HIDDEN_METRICS.some((re) => re.test(name));

/** Renders every node's metrics (but {@link HIDDEN_METRICS}); metrics of one name from several nodes share one block. */
export function renderPrometheus(nodes: NodeMetrics[]): string {
  const blocks = new Map<string, { type: string; help: string; lines: string[] }>();
  for (const { nodeID, metrics } of nodes) {
    for (const m of metrics) {
      if (isHiddenMetric(m.name)) continue;
      const name = metricName(m.name);
      const type = m.type === 'counter' || m.type === 'gauge' || m.type === 'histogram' ? m.type : 'gauge';
      let block = blocks.get(name);
      if (!block) blocks.set(name, (block = { type, help: m.description ?? m.name, lines: [] }));
      if (block.type !== type) continue; // two nodes disagreeing on a type: the first one's stands
      for (const v of m.values ?? []) block.lines.push(...samples(name, m.type, nodeID, v));
    }
  }
  const out: string[] = [];
  for (const [name, b] of blocks) {
    if (!b.lines.length) continue;
    out.push(`# HELP ${name} ${b.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${b.type}`, ...b.lines);
  }
  return out.join('\n') + '\n';
}
