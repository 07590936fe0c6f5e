/**
 * A strict reader of Prometheus text format 0.0.4, for tests: every line must be a HELP, a TYPE or
 * a sample; TYPE comes once per family and before its samples; histogram buckets are cumulative and
 * the +Inf bucket equals _count. Throws naming the line on the first problem.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\n"])*)"(,|$)/;

function value(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const v = Number(text);
  if (!/^-?[0-9.eE+-]+$/.test(text) || Number.isNaN(v)) throw new Error(`not a number in '${line}'`);
  return v;
}

export function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      if (!NAME.test(line.split(' ')[2] ?? '')) throw new Error(`bad HELP line '${line}'`);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name, type, extra] = line.split(' ');
      if (!NAME.test(name) || !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type) || extra !== undefined)
        throw new Error(`bad TYPE line '${line}'`);
      if (types.has(name)) throw new Error(`second TYPE for ${name}`);
      if (samples.some((s) => family(s.name, types) === name)) throw new Error(`TYPE of ${name} after its samples`);
      types.set(name, type);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: '${line}'`);
    const labels: Record<string, string> = {};
    let rest = m[3] ?? '';
    while (rest) {
      const l = LABEL.exec(rest);
      if (!l) throw new Error(`bad labels in '${line}'`);
      if (l[1] in labels) throw new Error(`label ${l[1]} twice in '${line}'`);
      labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      rest = rest.slice(l[0].length);
    }
    const s = { name: m[1], labels, value: value(m[4], line) };
    if (!types.has(family(s.name, types))) throw new Error(`sample of ${s.name} without a TYPE line before it`);
    samples.push(s);
  }
  checkHistograms(types, samples);
  return { types, samples };
}

function family(name: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && types.get(base) === 'histogram') return base;
  }
  return name;
}

function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [name, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${name}_bucket`)) {
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`${name}_bucket without le`);
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      const sorted = [...buckets].sort((a, b) => value(a.labels.le, a.labels.le) - value(b.labels.le, b.labels.le));
      for (let i = 1; i < sorted.length; i++) if (sorted[i].value < sorted[i - 1].value) throw new Error(`${name}${key}: buckets not cumulative`);
      const inf = sorted.at(-1)!;
      if (inf.labels.le !== '+Inf') throw new Error(`${name}${key}: no +Inf bucket`);
      const count = samples.find((s) => s.name === `${name}_count` && JSON.stringify(s.labels) === key);
      if (!count || count.value !== inf.value) throw new Error(`${name}${key}: _count differs from the +Inf bucket`);
    }
  }
}
