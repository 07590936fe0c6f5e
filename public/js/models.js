import { api } from './api.js';
import { $, ago, el, num, pct, score, fill } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

export async function renderVersions(state, onSelect) {
  const versions = await api.get('models');
  state.versions = versions;
  const active = versions.filter((v) => v.active);
  if (!state.selectedVersion || !versions.some((v) => v.id === state.selectedVersion)) state.selectedVersion = (active[active.length - 1] ?? versions[versions.length - 1])?.id;
  fill($('#versions tbody'), ...versions.slice().reverse().map((v) => el('tr', {
    class: v.id === state.selectedVersion ? 'selected' : '', 'data-version': v.id, onclick: () => { state.selectedVersion = v.id; onSelect(); },
  },
  el('td', {}, el('strong', {}, v.id), v.active ? el('span', { class: 'tag active' }, 'active') : null),
  el('td', {}, `${v.target} (${v.task})`), el('td', { class: 'num' }, v.members.length), el('td', {}, score(v.metrics)), el('td', {}, ago(v.createdAt)),
  el('td', {}, v.active ? null : el('button', { class: 'link', type: 'button', onclick: async (e) => { e.stopPropagation(); await api.post(`models/${v.id}/activate`).catch((err) => alert(err.message)); onSelect(); } }, 'activate'),
    el('a', { href: `api/models/${v.id}/export`, onclick: (e) => e.stopPropagation() }, 'export')))));
  if (!versions.length) fill($('#versions tbody'), el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No model yet: train one above.')));
}

export async function renderModel(state) {
  const target = $('#model-detail');
  if (!state.selectedVersion) return fill(target);
  const m = await api.get(`models/${state.selectedVersion}/metrics`);
  const r = m.report;
  const headline = r.task === 'classification'
    ? [['accuracy', pct(r.accuracy)], ['balanced accuracy', pct(r.balancedAccuracy)], ['macro F1', num(r.macroF1, 3)], ['AUC', num(r.auc, 3)], ['log loss', num(r.logLoss, 3)]]
    : [['RMSE', num(r.rmse)], ['MAE', num(r.mae)], ['R²', num(r.r2, 3)]];
  fill(target, 
    el('h3', {}, `${m.version} · ${m.voting} voting · ${m.validationRows?.toLocaleString() ?? '?'} validation rows`),
    el('div', { class: 'metrics', id: 'model-metrics' }, headline.map(([k, v]) => el('div', { class: 'metric' }, el('b', {}, v), el('span', {}, k)))),
    membersChart(m),
    r.task === 'classification' ? confusion(r) : residuals(r),
    r.task === 'classification' && r.roc?.length ? roc(r) : null,
    m.crossNode ? crossNode(m.crossNode) : null,
  );
}

/** Local jobs: each member evaluated on each node's own validation rows. */
function crossNode(c) {
  const fmt = (v) => (v === null ? '–' : c.metric === 'accuracy' ? pct(v) : num(v));
  return el('div', { class: 'chart' }, el('div', { class: 'muted' }, `cross-node evaluation (${c.metric}; rows: nodes and their own validation rows, columns: members)`),
    el('table', { class: 'list', id: 'cross-node' },
      el('tr', {}, el('th', {}, 'node'), c.members.map((m) => el('th', { class: 'num' }, m)), el('th', { class: 'num' }, 'ensemble')),
      c.nodes.map((n, i) => el('tr', {}, el('td', {}, `${n.node} (${n.rows})`), c.matrix[i].map((v) => el('td', { class: 'num' }, fmt(v))), el('td', { class: 'num' }, fmt(n.ensemble[c.metric]))))));
}

/** Each member alone against the ensemble: what voting buys. */
function membersChart(m) {
  const cls = m.task === 'classification';
  const rows = [{ id: 'ensemble', kind: m.voting, value: cls ? m.metrics.accuracy : m.metrics.rmse }]
    .concat(m.members.map((x) => ({ id: x.id, kind: `${x.kind}${x.node ? ` @ ${x.node}` : ''}${x.baseline ? ' · baseline, all rows, not voting' : ''}`, value: cls ? x.metrics?.accuracy : x.metrics?.rmse })));
  const max = Math.max(...rows.map((x) => x.value ?? 0)) || 1;
  return el('div', { class: 'chart' }, el('div', { class: 'muted' }, cls ? 'validation accuracy: ensemble vs each member alone' : 'validation RMSE (lower is better): ensemble vs each member'),
    rows.map((x) => el('div', { class: 'prob' }, el('span', {}, `${x.id} · ${x.kind}`),
      el('div', { class: 'bar' }, el('span', { style: `width:${Math.round(((x.value ?? 0) / max) * 100)}%;${x.id === 'ensemble' ? 'background:var(--good)' : ''}` })),
      el('span', { class: 'num' }, cls ? pct(x.value) : num(x.value)))));
}

function confusion(r) {
  const max = Math.max(1, ...r.confusion.flat());
  const k = r.classes.length;
  const small = k > 12;
  return el('div', { class: 'chart' }, el('div', { class: 'muted' }, 'confusion matrix (rows: true class, columns: predicted)'),
    el('table', { class: 'confusion', id: 'confusion' },
      el('tr', {}, el('th', {}, ''), r.classes.map((c) => el('th', { title: c }, small ? c.slice(0, 2) : c))),
      r.confusion.map((row, i) => el('tr', {}, el('th', { title: r.classes[i] }, small ? r.classes[i].slice(0, 3) : r.classes[i]),
        row.map((v, j) => el('td', { title: `${r.classes[i]} → ${r.classes[j]}: ${v}`, style: `background:rgba(${i === j ? '47,133,90' : '197,48,48'},${(v / max).toFixed(3)});color:${v / max > 0.5 ? '#fff' : 'inherit'}` }, v || ''))))));
}

function roc(r) {
  const w = 220, h = 220;
  const colors = ['#2b6cb0', '#2f855a', '#b7791f', '#c53030', '#6b46c1', '#319795'];
  const curves = r.roc.slice(0, 6);
  return el('div', { class: 'chart' }, el('div', { class: 'muted' }, `ROC${r.roc.length > 6 ? ` (first 6 of ${r.roc.length} classes)` : ''} · AUC ${num(r.auc, 3)}`),
    svg('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}`, id: 'roc' },
      svg('rect', { x: 0, y: 0, width: w, height: h, fill: '#fafbfc', stroke: '#e2e5ea' }),
      svg('line', { x1: 0, y1: h, x2: w, y2: 0, stroke: '#ccc', 'stroke-dasharray': '4' }),
      ...curves.map((c, i) => svg('polyline', { fill: 'none', stroke: colors[i % colors.length], 'stroke-width': 1.5, points: c.points.map(([x, y]) => `${(x * w).toFixed(1)},${(h - y * h).toFixed(1)}`).join(' ') },
        svg('title', {}, `${c.label}: AUC ${c.auc.toFixed(3)}`)))));
}

function residuals(r) {
  const w = 260, h = 200;
  const xs = r.sample.map((p) => p[0]), ys = r.sample.map((p) => p[1]);
  const lo = Math.min(...xs, ...ys), hi = Math.max(...xs, ...ys);
  const sx = (v) => ((v - lo) / (hi - lo || 1)) * w, sy = (v) => h - ((v - lo) / (hi - lo || 1)) * h;
  return el('div', { class: 'chart' }, el('div', { class: 'muted' }, 'predicted vs actual (validation sample)'),
    svg('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}` },
      svg('rect', { x: 0, y: 0, width: w, height: h, fill: '#fafbfc', stroke: '#e2e5ea' }),
      svg('line', { x1: 0, y1: h, x2: w, y2: 0, stroke: '#ccc', 'stroke-dasharray': '4' }),
      ...r.sample.map(([a, p]) => svg('circle', { cx: sx(a).toFixed(1), cy: sy(p).toFixed(1), r: 1.8, fill: '#2b6cb0', 'fill-opacity': 0.6 }))));
}
