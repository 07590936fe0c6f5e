import { api } from './api.js';
import { $, el, message, num, fill } from './ui.js';

export async function renderPredictForm(state) {
  const versions = (state.versions ?? []).slice().reverse();
  const select = $('#predict-version');
  const wanted = state.predictVersion && versions.some((v) => v.id === state.predictVersion) ? state.predictVersion : versions.find((v) => v.active)?.id;
  fill(select, ...versions.map((v) => el('option', { value: v.id, selected: v.id === wanted }, `${v.id}${v.active ? ' (active)' : ''}`)));
  select.onchange = () => {
    state.predictVersion = select.value;
    renderPredictForm(state);
  };
  if (!wanted) {
    fill($('#predict-fields'), el('span', { class: 'muted' }, 'Train a model first.'));
    return;
  }
  if (state.formFor === wanted) return;
  const v = await api.get(`models/${wanted}`);
  state.formFor = wanted;
  state.formVersion = v;
  fill(
    $('#predict-fields'),
    ...v.encoder.columns.map((c) => {
      if (c.type === 'categorical' || c.type === 'boolean') {
        const values = c.type === 'categorical' ? c.categories : (c.labels ?? ['false', 'true']);
        return el(
          'label',
          {},
          c.name,
          el(
            'select',
            { name: c.name },
            el('option', { value: '' }, '(missing)'),
            values.slice(0, 500).map((x) => el('option', { value: x }, x)),
          ),
        );
      }
      return el(
        'label',
        {},
        `${c.name}${c.type === 'datetime' ? ' (date)' : ''}`,
        el('input', { name: c.name, type: c.type === 'datetime' ? 'date' : 'text', placeholder: c.type === 'numeric' ? 'number' : '' }),
      );
    }),
  );
}

export function setupPredict(_state) {
  $('#batch-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = $('#batch-file').files[0];
    if (!file) return;
    const form = new FormData();
    form.append('version', $('#predict-version').value);
    form.append('file', file, file.name);
    try {
      await api.download('predict/csv', file.name.replace(/(\.\w+)?$/, '.predictions.csv'), { method: 'POST', body: form });
      message($('#batch-message'), `predictions for ${file.name} downloaded`, 'ok');
    } catch (err) {
      message($('#batch-message'), `${err.message}${err.type ? ` (${err.type})` : ''}`, 'error');
    }
  });
  $('#predict-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const row = {};
    for (const input of document.querySelectorAll('#predict-fields [name]')) row[input.name] = input.value === '' ? null : input.value;
    const out = $('#predict-result');
    try {
      const r = await api.post('predict', { version: $('#predict-version').value, rows: [row], members: true });
      const p = r.predictions[0];
      fill(
        out,
        el('div', { class: 'prediction', id: 'prediction' }, p.label !== undefined ? p.label : num(p.value, 6)),
        el('div', { class: 'muted' }, `${r.version} · ${r.voting} voting of ${r.voted} member(s)`),
        p.probabilities
          ? Object.entries(p.probabilities)
              .sort((a, b) => b[1] - a[1])
              .slice(0, 8)
              .map(([label, prob]) =>
                el(
                  'div',
                  { class: 'prob' },
                  el('span', {}, label),
                  el('div', { class: 'bar' }, el('span', { style: `width:${Math.round(prob * 100)}%` })),
                  el('span', { class: 'num' }, `${(prob * 100).toFixed(1)} %`),
                ),
              )
          : null,
        r.members ? el('div', { class: 'muted' }, 'members: ', r.members.map((m) => `${m.id} (${m.kind}) → ${m.predictions[0]}`).join(' · ')) : null,
        r.warnings?.length ? el('div', { class: 'warn' }, r.warnings.join(' · ')) : null,
      );
    } catch (err) {
      fill(out, el('div', { class: 'message error' }, `${err.message}${err.type ? ` (${err.type})` : ''}`));
    }
  });
}
