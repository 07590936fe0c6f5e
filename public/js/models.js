import { api } from './api.js';
import { $, ago, el, memberRows, message, num, pct, score, fill } from './ui.js';
import { hbars, lineChart, scatter } from './charts.js';

export async function renderVersions(state, onSelect) {
  const versions = await api.get('models');
  state.versions = versions;
  currentVersions = versions;
  const active = versions.filter((v) => v.active);
  if (!state.selectedVersion || !versions.some((v) => v.id === state.selectedVersion))
    state.selectedVersion = (active[active.length - 1] ?? versions[versions.length - 1])?.id;
  fill(
    $('#versions tbody'),
    ...versions
      .slice()
      .reverse()
      .map((v) =>
        el(
          'tr',
          {
            class: v.id === state.selectedVersion ? 'selected' : '',
            'data-version': v.id,
            onclick: () => {
              state.selectedVersion = v.id;
              onSelect();
            },
          },
          el(
            'td',
            {},
            el('strong', {}, v.id),
            v.active ? el('span', { class: 'tag active' }, 'active') : null,
            v.unverified
              ? el('span', { class: 'tag unverified', title: 'imported without a signature this cluster trusts: its origin is not proven' }, 'unverified')
              : null,
          ),
          el('td', {}, `${v.target} (${v.task})`),
          el('td', { class: 'num' }, v.members.length),
          el('td', {}, score(v.metrics)),
          el('td', {}, ago(v.createdAt)),
          el(
            'td',
            {},
            v.active
              ? null
              : el(
                  'button',
                  {
                    class: 'link activate',
                    type: 'button',
                    onclick: (e) => {
                      e.stopPropagation();
                      act(() => api.post(`models/${v.id}/activate`), `${v.id} activated`, onSelect);
                    },
                  },
                  'activate',
                ),
            el(
              'button',
              {
                class: 'link',
                type: 'button',
                onclick: (e) => {
                  e.stopPropagation();
                  act(() => api.download(`models/${v.id}/export`, `${v.id}.qmodel`), `${v.id} exported`);
                },
              },
              'export',
            ),
            v.active
              ? null
              : el(
                  'button',
                  {
                    class: 'link',
                    type: 'button',
                    onclick: (e) => {
                      e.stopPropagation();
                      if (confirm(`Delete ${v.id}?`)) act(() => api.del(`models/${v.id}`), `${v.id} deleted`, onSelect);
                    },
                  },
                  'delete',
                ),
          ),
        ),
      ),
  );
  const options = versions
    .slice()
    .reverse()
    .map((v) => el('option', { value: v.id }, `${v.id}${v.active ? ' (active)' : ''}`));
  const [a, b] = [$('#compare-a'), $('#compare-b')];
  const keep = [a.value, b.value];
  fill(
    a,
    options.map((o) => o.cloneNode(true)),
  );
  fill(b, options);
  if (keep[0]) a.value = keep[0];
  if (keep[1]) b.value = keep[1];
  else if (versions.length > 1) b.value = versions[versions.length - 2].id;
  if (!versions.length) fill($('#versions tbody'), el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No model yet: train one above.')));
}

/** A version action (403 and other errors shown in the models card, not in an alert). */
async function act(fn, done, then) {
  try {
    await fn();
    message($('#models-message'), done, 'ok');
  } catch (err) {
    message($('#models-message'), `${err.status === 403 ? 'not allowed: ' : ''}${err.message}${err.type ? ` (${err.type})` : ''}`, 'error');
  }
  await then?.();
}

export function setupModels(state, refresh) {
  $('#import-file').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    const form = new FormData();
    form.append('file', file, file.name);
    await act(() => api.upload('models/import', form), `${file.name} imported`, refresh);
    e.target.value = '';
  });
  $('#compare-button').addEventListener('click', () =>
    compare($('#compare-a').value, $('#compare-b').value, refresh).catch((err) => message($('#models-message'), err.message, 'error')),
  );
}

/** Two versions side by side: headline deltas, per-class F1 deltas, which is active and why. */
async function compare(a, b, refresh) {
  if (!a || !b) return;
  const [ma, mb, history] = await Promise.all([api.get(`models/${a}/metrics`), api.get(`models/${b}/metrics`), api.get('models/activations')]);
  const keys = [...new Set([...Object.keys(ma.metrics ?? {}), ...Object.keys(mb.metrics ?? {})])].filter(
    (k) => typeof (ma.metrics?.[k] ?? mb.metrics?.[k]) === 'number',
  );
  const lowerBetter = (k) => /rmse|mae|loss|error/i.test(k);
  const delta = (k) => (ma.metrics?.[k] != null && mb.metrics?.[k] != null ? mb.metrics[k] - ma.metrics[k] : null);
  const cell = (d, k) =>
    el(
      'td',
      { class: `num ${d == null || d === 0 ? '' : d > 0 !== lowerBetter(k) ? 'better' : 'worse'}` },
      d == null ? '–' : `${d > 0 ? '+' : ''}${num(d, 3)}`,
    );
  const why = (v) => history.filter((h) => h.version === v).slice(-1)[0];
  const versions = state_versions();
  const activeOf = (v) => versions.find((x) => x.id === v)?.active;
  const classes =
    ma.report.perClass && mb.report.perClass
      ? ma.report.perClass.map((c) => [c, mb.report.perClass.find((x) => x.label === c.label)]).filter(([, y]) => y)
      : [];
  fill(
    $('#compare'),
    el(
      'div',
      { class: 'chart', id: 'compare-view' },
      el('h3', {}, `${a} → ${b}`),
      el(
        'div',
        { class: 'muted' },
        [a, b]
          .map((v) => {
            const h = why(v);
            return `${v}: ${activeOf(v) ? 'active' : 'not active'}${h ? ` (activated ${new Date(h.at).toLocaleString()}: ${h.reason})` : ''}`;
          })
          .join(' · '),
      ),
      el(
        'div',
        { class: 'scroll' },
        el(
          'table',
          { class: 'list', id: 'compare-metrics' },
          el('tr', {}, el('th', {}, 'metric'), el('th', { class: 'num' }, a), el('th', { class: 'num' }, b), el('th', { class: 'num' }, 'Δ')),
          keys.map((k) =>
            el(
              'tr',
              {},
              el('td', {}, k),
              el('td', { class: 'num' }, num(ma.metrics?.[k], 4)),
              el('td', { class: 'num' }, num(mb.metrics?.[k], 4)),
              cell(delta(k), k),
            ),
          ),
        ),
      ),
      classes.length
        ? el(
            'div',
            { class: 'scroll' },
            el(
              'table',
              { class: 'list', id: 'compare-classes' },
              el(
                'tr',
                {},
                el('th', {}, 'class'),
                el('th', { class: 'num' }, `F1 ${a}`),
                el('th', { class: 'num' }, `F1 ${b}`),
                el('th', { class: 'num' }, 'Δ F1'),
                el('th', { class: 'num' }, 'Δ recall'),
              ),
              classes.map(([x, y]) =>
                el(
                  'tr',
                  {},
                  el('td', {}, x.label),
                  el('td', { class: 'num' }, num(x.f1, 3)),
                  el('td', { class: 'num' }, num(y.f1, 3)),
                  cell(y.f1 - x.f1, 'f1'),
                  cell(y.recall - x.recall, 'recall'),
                ),
              ),
            ),
          )
        : null,
      el(
        'div',
        { class: 'row' },
        [a, b]
          .filter((v) => !activeOf(v))
          .map((v) =>
            el(
              'button',
              {
                type: 'button',
                class: 'compare-activate',
                'data-version': v,
                onclick: () =>
                  act(
                    () => api.post(`models/${v}/activate`),
                    `${v} activated`,
                    async () => {
                      await refresh();
                      await compare(a, b, refresh);
                    },
                  ),
              },
              `activate ${v} (${versions.findIndex((x) => x.id === v) < versions.findIndex((x) => x.active) ? 'rollback' : 'promote'})`,
            ),
          ),
      ),
    ),
  );
}
let currentVersions = [];
const state_versions = () => currentVersions;

export async function renderModel(state) {
  const target = $('#model-detail');
  if (!state.selectedVersion) return fill(target);
  const m = await api.get(`models/${state.selectedVersion}/metrics`);
  const r = m.report;
  const headline =
    r.task === 'classification'
      ? [
          ['accuracy', pct(r.accuracy)],
          ['balanced accuracy', pct(r.balancedAccuracy)],
          ['macro F1', num(r.macroF1, 3)],
          ['AUC', num(r.auc, 3)],
          ['log loss', num(r.logLoss, 3)],
        ]
      : [
          ['RMSE', num(r.rmse)],
          ['MAE', num(r.mae)],
          ['R²', num(r.r2, 3)],
        ];
  const baseline = m.members.find((x) => x.baseline);
  fill(
    target,
    el('h3', {}, `${m.version} · ${m.voting} voting · ${m.validationRows?.toLocaleString() ?? '?'} validation rows`),
    el(
      'div',
      { class: 'metrics', id: 'model-metrics' },
      headline.map(([k, v]) => el('div', { class: 'metric' }, el('b', {}, v), el('span', {}, k))),
      baseline ? el('div', { class: 'metric' }, el('b', {}, score(baseline.metrics)), el('span', {}, 'baseline (all rows)')) : null,
    ),
    memberTable(m),
    membersChart(m),
    importance(m),
    curves(m),
    r.task === 'classification' ? confusion(r) : regression(r),
    r.task === 'classification' && r.roc?.length ? rocPr(r) : null,
    m.crossNode ? crossNode(m.crossNode) : null,
  );
}

function memberTable(m) {
  const cls = m.task === 'classification';
  return el(
    'div',
    { class: 'scroll' },
    el(
      'table',
      { class: 'list', id: 'member-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['member', 'kind', 'shard', 'rows', 'node', 'fit time', cls ? 'accuracy' : 'RMSE', 'OOB'].map((h) => el('th', {}, h)),
        ),
      ),
      el(
        'tbody',
        {},
        m.members.map((x) =>
          el(
            'tr',
            {},
            el('td', {}, x.id, x.baseline ? el('span', { class: 'tag' }, 'baseline') : null),
            el('td', {}, x.kind),
            el('td', { class: 'num' }, x.shard >= 0 && !x.baseline ? x.shard : memberRows(x).replace(/ rows$/, '')),
            el('td', { class: 'num' }, x.rows?.toLocaleString()),
            el('td', {}, x.node ?? '–'),
            el('td', { class: 'num' }, x.fitMs !== undefined ? `${(x.fitMs / 1000).toFixed(2)} s` : '–'),
            el('td', { class: 'num' }, cls ? pct(x.metrics?.accuracy) : num(x.metrics?.rmse)),
            el('td', { class: 'num' }, x.summary?.oobScore != null ? num(x.summary.oobScore, 3) : '–'),
          ),
        ),
      ),
    ),
  );
}

/** What a member's built-in importances measure: impurity decrease (forest) or split gain (gbm). */
const importanceKind = (kind) => (kind === 'gbm' ? 'gain' : 'impurity');

/** The built-in importances of the tree members, averaged (ensemble) or one member's. */
function importance(m) {
  const withImp = m.members.filter((x) => x.summary?.featureImportances);
  if (!withImp.length) return null;
  const box = el('div', { class: 'chart', id: 'importance' });
  const picker = el(
    'select',
    { id: 'importance-member' },
    el('option', { value: '' }, 'ensemble (mean of members)'),
    withImp.map((x) => el('option', { value: x.id }, `${x.id} · ${x.kind}`)),
  );
  const draw = () => {
    const chosen = picker.value ? withImp.filter((x) => x.id === picker.value) : withImp;
    const sums = {};
    for (const x of chosen) for (const [k, v] of Object.entries(x.summary.featureImportances)) sums[k] = (sums[k] ?? 0) + v / chosen.length;
    fill(
      box,
      el(
        'div',
        { class: 'row' },
        el('span', { class: 'muted' }, `feature importance (${[...new Set(chosen.map((x) => importanceKind(x.kind)))].join(' / ')})`),
        picker,
      ),
      hbars(
        Object.entries(sums).map(([label, value]) => ({ label, value })),
        { id: 'importance-chart' },
      ),
    );
  };
  picker.addEventListener('change', draw);
  draw();
  return box;
}

/** Learning curves: every numeric series of every member's per-epoch/round record. */
function curves(m) {
  const curveOf = (x) => (x.curve?.length ? x.curve : Array.isArray(x.summary?.curve) ? x.summary.curve : []);
  const withCurve = m.members.filter((x) => curveOf(x).length);
  if (!withCurve.length) return null;
  const series = [];
  for (const x of withCurve) {
    const c = curveOf(x);
    const keys = Object.keys(c[0]).filter((k) => k !== 'epoch' && k !== 'round' && typeof c[0][k] === 'number');
    for (const k of keys) series.push({ label: `${x.id} ${k}`, points: c.map((p, i) => [p.epoch ?? p.round ?? i + 1, p[k]]) });
  }
  // A boosted model's curve is per round, a network's per epoch.
  const steps = [...new Set(withCurve.map((x) => (x.kind === 'gbm' ? 'round' : 'epoch')))].join(' / ');
  // Losses and scores on separate axes: train and validation of each member side by side.
  const loss = series.filter((x) => /loss/i.test(x.label)),
    rest = series.filter((x) => !/loss/i.test(x.label));
  return el(
    'div',
    { class: 'chart', id: 'learning-curve' },
    el('div', { class: 'muted' }, `learning curves (train and validation, per ${steps})`),
    el(
      'div',
      { class: 'pair' },
      loss.length ? el('div', {}, lineChart(loss.slice(0, 8), { xLabel: steps, yLabel: 'loss', w: 380 })) : null,
      rest.length ? el('div', {}, lineChart(rest.slice(0, 8), { xLabel: steps, yLabel: 'score', w: 380 })) : null,
    ),
  );
}

/** Local jobs: each member evaluated on each node's own validation rows. */
function crossNode(c) {
  const fmt = (v) => (v === null ? '–' : c.metric === 'accuracy' ? pct(v) : num(v));
  return el(
    'div',
    { class: 'chart' },
    el('div', { class: 'muted' }, `cross-node evaluation (${c.metric}; rows: nodes and their own validation rows, columns: members)`),
    el(
      'table',
      { class: 'list', id: 'cross-node' },
      el(
        'tr',
        {},
        el('th', {}, 'node'),
        c.members.map((m) => el('th', { class: 'num' }, m)),
        el('th', { class: 'num' }, 'ensemble'),
      ),
      c.nodes.map((n, i) =>
        el(
          'tr',
          {},
          el('td', {}, `${n.node} (${n.rows})`),
          c.matrix[i].map((v) => el('td', { class: 'num' }, fmt(v))),
          el('td', { class: 'num' }, fmt(n.ensemble[c.metric])),
        ),
      ),
    ),
  );
}

/** Each member alone against the ensemble: what voting buys. */
function membersChart(m) {
  const cls = m.task === 'classification';
  const rows = [{ id: 'ensemble', kind: m.voting, value: cls ? m.metrics.accuracy : m.metrics.rmse }].concat(
    m.members.map((x) => ({
      id: x.id,
      kind: `${x.kind}${x.node ? ` @ ${x.node}` : ''}${x.baseline ? ' · baseline, all rows, not voting' : ''}`,
      value: cls ? x.metrics?.accuracy : x.metrics?.rmse,
    })),
  );
  const max = Math.max(...rows.map((x) => x.value ?? 0)) || 1;
  return el(
    'div',
    { class: 'chart' },
    el('div', { class: 'muted' }, cls ? 'validation accuracy: ensemble vs each member alone' : 'validation RMSE (lower is better): ensemble vs each member'),
    rows.map((x) =>
      el(
        'div',
        { class: 'prob' },
        el('span', {}, `${x.id} · ${x.kind}`),
        el(
          'div',
          { class: 'bar' },
          el('span', { style: `width:${Math.round(((x.value ?? 0) / max) * 100)}%;${x.id === 'ensemble' ? 'background:var(--good)' : ''}` }),
        ),
        el('span', { class: 'num' }, cls ? pct(x.value) : num(x.value)),
      ),
    ),
  );
}

/** Heat-map scrolled inside its card; counts or row-normalised (recall per true class). */
function confusion(r) {
  const box = el('div', { class: 'chart' });
  const mode = el(
    'select',
    { id: 'confusion-mode' },
    el('option', { value: 'counts' }, 'counts'),
    el('option', { value: 'normalised' }, 'normalised by true class'),
  );
  const draw = () => {
    const norm = mode.value === 'normalised';
    const rowSum = r.confusion.map((row) => row.reduce((a, b) => a + b, 0) || 1);
    const value = (i, j) => (norm ? r.confusion[i][j] / rowSum[i] : r.confusion[i][j]);
    const max = norm ? 1 : Math.max(1, ...r.confusion.flat());
    fill(
      box,
      el('div', { class: 'row' }, el('span', { class: 'muted' }, 'confusion matrix (rows: true class, columns: predicted)'), mode),
      el(
        'div',
        { class: 'scroll', id: 'confusion-scroll' },
        el(
          'table',
          { class: `confusion${r.classes.length > 12 ? ' dense' : ''}`, id: 'confusion' },
          el(
            'tr',
            {},
            el('th', {}, ''),
            r.classes.map((c) => el('th', { title: c }, c.length > 6 ? `${c.slice(0, 5)}…` : c)),
          ),
          r.confusion.map((row, i) =>
            el(
              'tr',
              {},
              el('th', { title: r.classes[i] }, r.classes[i].length > 10 ? `${r.classes[i].slice(0, 9)}…` : r.classes[i]),
              row.map((_, j) => {
                const v = value(i, j),
                  a = v / max;
                return el(
                  'td',
                  {
                    title: `true ${r.classes[i]} → predicted ${r.classes[j]}: ${r.confusion[i][j]} (${((100 * r.confusion[i][j]) / rowSum[i]).toFixed(1)} % of ${r.classes[i]})`,
                    class: a > 0.5 ? 'hot' : '',
                    style: `background:rgba(${i === j ? '47,133,90' : '197,48,48'},${a.toFixed(3)})`,
                  },
                  r.confusion[i][j] ? (norm ? v.toFixed(2).replace(/^0/, '') : v) : '',
                );
              }),
            ),
          ),
        ),
      ),
    );
  };
  mode.addEventListener('change', draw);
  draw();
  return box;
}

/** ROC and precision–recall of one class (picker); PR derived from the ROC points and the class support. */
function rocPr(r) {
  const box = el('div', { class: 'chart', id: 'roc-pr' });
  const picker = el(
    'select',
    { id: 'roc-class' },
    r.roc.map((c, i) => el('option', { value: i }, `${c.label} (AUC ${c.auc.toFixed(3)})`)),
  );
  const total = r.perClass?.reduce((a, c) => a + c.support, 0) ?? 0;
  const draw = () => {
    const c = r.roc[Number(picker.value)];
    const P = r.perClass?.find((x) => x.label === c.label)?.support ?? 0,
      N = total - P;
    const pr = P
      ? c.points
          .map(([fpr, tpr]) => {
            const tp = tpr * P,
              fp = fpr * N;
            return [tpr, tp + fp > 0 ? tp / (tp + fp) : 1];
          })
          .filter((p) => p[0] > 0)
      : [];
    fill(
      box,
      el('div', { class: 'row' }, el('span', { class: 'muted' }, `ROC and precision–recall · macro AUC ${num(r.auc, 3)} · class`), picker),
      el(
        'div',
        { class: 'pair' },
        el(
          'div',
          { id: 'roc' },
          lineChart([{ label: `${c.label} ROC`, points: c.points }], {
            x: [0, 1],
            y: [0, 1],
            diagonal: true,
            xLabel: 'false positive rate',
            yLabel: 'true positive rate',
            w: 320,
            h: 260,
          }),
        ),
        pr.length
          ? el(
              'div',
              { id: 'pr' },
              lineChart([{ label: `${c.label} precision–recall`, points: pr, color: '#6b46c1' }], {
                x: [0, 1],
                y: [0, 1],
                xLabel: 'recall',
                yLabel: 'precision',
                w: 320,
                h: 260,
              }),
            )
          : null,
      ),
    );
  };
  picker.addEventListener('change', draw);
  draw();
  return box;
}

/** Regression: actual vs predicted, and residuals (actual − predicted) against predicted. */
function regression(r) {
  if (!r.sample?.length) return null;
  return el(
    'div',
    { class: 'chart' },
    el('div', { class: 'muted' }, `validation sample (${r.sample.length} rows)`),
    el(
      'div',
      { class: 'pair' },
      el(
        'div',
        { id: 'actual-predicted' },
        scatter(
          r.sample.map(([a, p]) => [a, p]),
          { same: true, xLabel: 'actual', yLabel: 'predicted', w: 320, h: 260 },
        ),
      ),
      el(
        'div',
        { id: 'residuals' },
        scatter(
          r.sample.map(([a, p]) => [p, a - p]),
          { zero: true, xLabel: 'predicted', yLabel: 'residual', w: 320, h: 260 },
        ),
      ),
    ),
  );
}
