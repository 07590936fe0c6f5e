import { ServiceBroker } from 'moleculer';
import { QUORUM_METRICS, registerMetrics, setCounts } from '../../../lib/ops/metrics';
import { metricName, renderPrometheus, type MetricList } from '../../../lib/ops/prometheus';
import { parsePrometheus } from '../../helpers/prometheus';

describe('Prometheus text of the metrics (issue 11)', () => {
  let broker: ServiceBroker;
  beforeAll(async () => {
    broker = new ServiceBroker({ logger: false, nodeID: 'unit-a', metrics: { enabled: true, reporter: [] } });
    await broker.start();
  });
  afterAll(() => broker.stop());

  it("renders a real broker's Moleculer and Quorum metrics as valid exposition text", () => {
    registerMetrics(broker.metrics, ['fitSeconds', 'predictions', 'jobs']);
    registerMetrics(broker.metrics, ['fitSeconds']); // twice is harmless
    broker.metrics.observe(QUORUM_METRICS.fitSeconds.name, 0.3, { kind: 'forest' });
    broker.metrics.observe(QUORUM_METRICS.fitSeconds.name, 40, { kind: 'forest' });
    broker.metrics.observe(QUORUM_METRICS.fitSeconds.name, 3, { kind: 'gbm' });
    broker.metrics.increment(QUORUM_METRICS.predictions.name, { route: 'json' }, 25);
    const known = new Set<string>();
    setCounts(broker.metrics, 'jobs', 'state', new Map([['training', 2]]), known);
    setCounts(broker.metrics, 'jobs', 'state', new Map([['completed', 2]]), known); // training drops to 0

    const text = renderPrometheus([{ nodeID: 'unit-a', metrics: broker.metrics.list() as MetricList[] }]);
    const { types, samples } = parsePrometheus(text);
    const get = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

    expect(types.get('quorum_fit_seconds')).toBe('histogram');
    expect(get('quorum_fit_seconds_count', { kind: 'forest', node: 'unit-a' })).toBe(2);
    expect(get('quorum_fit_seconds_bucket', { kind: 'forest', le: '0.5' })).toBe(1);
    expect(get('quorum_fit_seconds_bucket', { kind: 'forest', le: '60' })).toBe(2);
    expect(get('quorum_fit_seconds_sum', { kind: 'gbm' })).toBe(3);
    expect(types.get('quorum_predictions_total')).toBe('counter');
    expect(get('quorum_predictions_total', { route: 'json' })).toBe(25);
    expect(get('quorum_jobs', { state: 'training' })).toBe(0);
    expect(get('quorum_jobs', { state: 'completed' })).toBe(2);
    // Moleculer's own families are there too (the broker's counters).
    expect([...types.keys()].some((n) => n.startsWith('moleculer_'))).toBe(true);
  });

  it('merges nodes into one family per name, escapes label values, keeps a text metric as {value} 1', () => {
    const list = (v: unknown): MetricList[] => [
      { type: 'gauge', name: 'x.load', description: 'load\nof a node', values: [{ labels: { path: 'a"b\\c\nd' }, value: v }] },
      { type: 'info', name: 'os.arch', values: [{ value: 'x64' }] },
      { type: 'info', name: 'os.hostname', values: [{ value: 'host-1' }] },
      { type: 'info', name: 'os.user.homedir', values: [{ value: '/home/someone' }] },
      { type: 'info', name: 'os.network.mac', values: [{ labels: { interface: 'eth0' }, value: '02:00:00:00:00:01' }] },
      { type: 'info', name: 'process.arguments', values: [{ labels: { index: 1 }, value: '/srv/quorum/dist/bin/quorum.js' }] },
    ];
    const text = renderPrometheus([
      { nodeID: 'n1', metrics: list(1) },
      { nodeID: 'n2', metrics: list(2) },
    ]);
    const { samples } = parsePrometheus(text);
    expect(text.match(/# TYPE x_load gauge/g)).toHaveLength(1);
    expect(samples.filter((s) => s.name === 'x_load').map((s) => [s.labels.node, s.value])).toEqual([
      ['n1', 1],
      ['n2', 2],
    ]);
    expect(samples.find((s) => s.name === 'x_load')!.labels.path).toBe('a"b\\c\nd');
    expect(samples.find((s) => s.name === 'os_arch' && s.labels.node === 'n1')).toMatchObject({ labels: { value: 'x64' }, value: 1 });
    // Issue 29: what describes the machine rather than the service is never served.
    for (const hidden of ['host-1', '/home/someone', '02:00:00:00:00:01', '/srv/quorum']) expect(text).not.toContain(hidden);
  });

  it('names: dots and dashes become underscores, a leading digit is prefixed', () => {
    expect(metricName('moleculer.request.total')).toBe('moleculer_request_total');
    expect(metricName('quorum.fit-seconds')).toBe('quorum_fit_seconds');
    expect(metricName('9lives')).toBe('_9lives');
  });

  it('the reader used above refuses what Prometheus would refuse', () => {
    expect(() => parsePrometheus('x 1\n')).toThrow('without a TYPE');
    expect(() => parsePrometheus('# TYPE x gauge\nx{a="1" 1\n')).toThrow();
    expect(() => parsePrometheus('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n')).toThrow('cumulative');
  });
});
