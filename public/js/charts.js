// Hand-written SVG charts (no library, no CDN): lines, scatter, horizontal bars. Colours from CSS.
import { el } from './ui.js';

const NS = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'style')
      node.style.cssText = v; // CSSOM: no inline style attribute under the content security policy
    else node.setAttribute(k, v);
  }
  node.append(...children.flat().filter(Boolean));
  return node;
}

export const PALETTE = ['#2b6cb0', '#2f855a', '#b7791f', '#c53030', '#6b46c1', '#319795', '#d53f8c', '#718096'];
const fmt = (v) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : Number(v.toPrecision(3)).toString());

/** Axes, ticks and a frame for x in [x0, x1] and y in [y0, y1]; returns scale functions and the svg. */
function frame({ w = 420, h = 260, x0, x1, y0, y1, xLabel = '', yLabel = '', id }) {
  const m = { l: 48, r: 10, t: 10, b: 34 };
  const sx = (v) => m.l + ((v - x0) / (x1 - x0 || 1)) * (w - m.l - m.r);
  const sy = (v) => h - m.b - ((v - y0) / (y1 - y0 || 1)) * (h - m.t - m.b);
  const ticks = (a, b) => [0, 0.25, 0.5, 0.75, 1].map((t) => a + t * (b - a));
  const root = svg(
    'svg',
    { class: 'plot', viewBox: `0 0 ${w} ${h}`, width: '100%', style: `max-width:${w}px`, id, role: 'img' },
    svg('rect', { x: m.l, y: m.t, width: w - m.l - m.r, height: h - m.t - m.b, class: 'plot-bg' }),
    ...ticks(x0, x1).map((v) => svg('text', { x: sx(v), y: h - m.b + 14, 'text-anchor': 'middle', class: 'tick' }, fmt(v))),
    ...ticks(y0, y1).map((v) => [
      svg('line', { x1: m.l, x2: w - m.r, y1: sy(v), y2: sy(v), class: 'grid' }),
      svg('text', { x: m.l - 4, y: sy(v) + 3, 'text-anchor': 'end', class: 'tick' }, fmt(v)),
    ]),
    svg('text', { x: (m.l + w - m.r) / 2, y: h - 4, 'text-anchor': 'middle', class: 'axis' }, xLabel),
    svg('text', { x: 12, y: (m.t + h - m.b) / 2, transform: `rotate(-90 12 ${(m.t + h - m.b) / 2})`, 'text-anchor': 'middle', class: 'axis' }, yLabel),
  );
  return { root, sx, sy };
}

const extent = (vs) => {
  const f = vs.filter(Number.isFinite);
  return f.length ? [Math.min(...f), Math.max(...f)] : [0, 1];
};

/** series: [{ label, points: [[x, y]…] }]; a legend below. */
export function lineChart(series, opts = {}) {
  const xs = series.flatMap((s) => s.points.map((p) => p[0])),
    ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = opts.x ?? extent(xs);
  const [y0, y1] = opts.y ?? extent(ys);
  const { root, sx, sy } = frame({ ...opts, x0, x1, y0, y1 });
  if (opts.diagonal) root.append(svg('line', { x1: sx(x0), y1: sy(y0), x2: sx(x1), y2: sy(y1), class: 'ref' }));
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    root.append(
      svg(
        'polyline',
        {
          fill: 'none',
          stroke: color,
          'stroke-width': 1.8,
          points: s.points
            .filter((p) => Number.isFinite(p[1]))
            .map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
            .join(' '),
        },
        svg('title', {}, s.label),
      ),
    );
    if (s.points.length <= 60)
      for (const [x, y] of s.points)
        if (Number.isFinite(y))
          root.append(
            svg('circle', { cx: sx(x), cy: sy(y), r: 2.2, fill: color }, svg('title', {}, `${s.label}: ${opts.xLabel ?? 'x'} ${fmt(x)} → ${fmt(y)}`)),
          );
  });
  return el(
    'div',
    { class: 'chart-box' },
    root,
    el(
      'div',
      { class: 'legend' },
      series.map((s, i) => el('span', {}, el('i', { style: `background:${s.color ?? PALETTE[i % PALETTE.length]}` }), s.label)),
    ),
  );
}

/** points: [[x, y]…] as dots; opts.diagonal for actual-vs-predicted, opts.zero for residuals. */
export function scatter(points, opts = {}) {
  const [x0, x1] = extent(points.map((p) => p[0]));
  let [y0, y1] = extent(points.map((p) => p[1]));
  if (opts.same) {
    y0 = Math.min(x0, y0);
    y1 = Math.max(x1, y1);
  }
  const { root, sx, sy } = frame({ ...opts, x0: opts.same ? y0 : x0, x1: opts.same ? y1 : x1, y0, y1 });
  if (opts.same) root.append(svg('line', { x1: sx(y0), y1: sy(y0), x2: sx(y1), y2: sy(y1), class: 'ref' }));
  if (opts.zero && y0 < 0 && y1 > 0) root.append(svg('line', { x1: sx(x0), x2: sx(x1), y1: sy(0), y2: sy(0), class: 'ref' }));
  for (const [x, y] of points)
    root.append(svg('circle', { cx: sx(x).toFixed(1), cy: sy(y).toFixed(1), r: 2, class: 'dot' }, svg('title', {}, `${fmt(x)}, ${fmt(y)}`)));
  return el('div', { class: 'chart-box' }, root);
}

/** Horizontal bars, largest first: [{ label, value }]. */
export function hbars(rows, { id, max = 20, format = (v) => v.toFixed(3) } = {}) {
  const shown = rows
    .slice()
    .sort((a, b) => b.value - a.value)
    .slice(0, max);
  const top = Math.max(...shown.map((r) => r.value), 1e-12);
  return el(
    'div',
    { class: 'hbars', id },
    shown.map((r) =>
      el(
        'div',
        { class: 'prob', title: `${r.label}: ${format(r.value)}` },
        el('span', { class: 'label' }, r.label),
        el('div', { class: 'bar' }, el('span', { style: `width:${Math.max(0, (r.value / top) * 100).toFixed(1)}%` })),
        el('span', { class: 'num' }, format(r.value)),
      ),
    ),
  );
}
