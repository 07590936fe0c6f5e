import { api } from './api.js';
import { $, bytes, el, message, ago, fill } from './ui.js';

export function setupData(state, refresh) {
  $('#upload-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = $('#upload-file').files[0];
    if (!file) return;
    const form = new FormData();
    // Option fields first: the server reads them before the file arrives.
    if ($('#upload-name').value) form.append('name', $('#upload-name').value);
    if ($('#upload-delimiter').value) form.append('delimiter', $('#upload-delimiter').value);
    if ($('#upload-missing').value) form.append('missing', $('#upload-missing').value);
    if ($('#upload-ignore').value) form.append('ignore', $('#upload-ignore').value);
    form.append('file', file);
    const progress = $('#upload-progress');
    progress.hidden = false;
    $('#upload-button').disabled = true;
    message($('#data-message'), `uploading ${file.name} (${bytes(file.size)})…`);
    try {
      const ds = await api.upload('datasets', form, (f) => (progress.value = f));
      message($('#data-message'), `ingested ${ds.name}: ${ds.rows} rows × ${ds.columns} columns in ${ds.ingestMs} ms`, 'ok');
      state.selectedDataset = ds.id;
      await refresh();
    } catch (err) {
      message($('#data-message'), `${err.message}${err.type ? ` (${err.type})` : ''}`, 'error');
    } finally {
      progress.hidden = true;
      $('#upload-button').disabled = false;
    }
  });
}

export async function renderFiles(state, refresh) {
  const files = await api.get('files');
  fill(
    $('#files'),
    files.length ? el('span', { class: 'muted' }, 'or ingest from the data folder:') : null,
    ...files.map((f) =>
      el(
        'button',
        {
          type: 'button',
          class: 'file',
          'data-path': f.path,
          onclick: async () => {
            message($('#data-message'), `ingesting ${f.path}…`);
            try {
              const ds = await api.post('datasets/ingest', { path: f.path });
              message($('#data-message'), `ingested ${ds.name}: ${ds.rows} rows × ${ds.columns} columns in ${ds.ingestMs} ms`, 'ok');
              state.selectedDataset = ds.id;
              await refresh();
            } catch (err) {
              message($('#data-message'), err.message, 'error');
            }
          },
        },
        `${f.path} (${bytes(f.bytes)})`,
      ),
    ),
  );
}

export async function renderDatasets(state, onSelect) {
  const list = await api.get('datasets');
  state.datasets = list;
  if (!state.selectedDataset && list.length) state.selectedDataset = list[list.length - 1].id;
  fill(
    $('#datasets tbody'),
    ...list
      .slice()
      .reverse()
      .map((d) =>
        el(
          'tr',
          {
            class: d.id === state.selectedDataset ? 'selected' : '',
            'data-id': d.id,
            onclick: () => {
              state.selectedDataset = d.id;
              onSelect();
            },
          },
          el('td', {}, el('strong', {}, d.name), el('div', { class: 'muted' }, d.id)),
          el('td', { class: 'num' }, d.rows.toLocaleString()),
          el('td', { class: 'num' }, d.columns),
          el('td', { class: 'num' }, bytes(d.bytes)),
          el('td', {}, ago(d.createdAt)),
          el(
            'td',
            {},
            el(
              'button',
              {
                class: 'link',
                type: 'button',
                onclick: async (e) => {
                  e.stopPropagation();
                  if (!confirm(`Remove dataset ${d.name}?`)) return;
                  try {
                    await api.del(`datasets/${d.id}`);
                    if (state.selectedDataset === d.id) state.selectedDataset = undefined;
                    onSelect();
                  } catch (err) {
                    alert(err.message);
                  }
                },
              },
              'remove',
            ),
          ),
        ),
      ),
  );
  if (!list.length) fill($('#datasets tbody'), el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No dataset yet: upload a CSV or pick a file above.')));
}

export async function renderProfile(state) {
  const target = $('#profile');
  if (!state.selectedDataset) return fill(target);
  const d = await api.get(`datasets/${state.selectedDataset}`);
  state.dataset = d;
  fill(
    target,
    el('h3', {}, `${d.name} — ${d.rows.toLocaleString()} rows`),
    d.warnings?.length ? el('div', { class: 'warn' }, d.warnings.join(' · ')) : null,
    el(
      'table',
      { class: 'profile' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['column', 'type', 'role', 'missing', 'distinct', 'summary'].map((h) => el('th', {}, h)),
        ),
      ),
      el(
        'tbody',
        {},
        d.profile.map((c) =>
          el(
            'tr',
            {},
            el('td', {}, c.name),
            el('td', {}, c.type),
            el('td', {}, c.role === 'feature' ? 'feature' : el('span', { class: 'tag dropped', title: c.note || '' }, c.role)),
            el('td', { class: 'num' }, c.missing ? c.missing.toLocaleString() : ''),
            el('td', { class: 'num' }, c.distinct?.toLocaleString?.() ?? ''),
            el(
              'td',
              { class: 'muted' },
              c.top
                ? c.top
                    .slice(0, 4)
                    .map((t) => `${t.value} (${t.count})`)
                    .join(', ')
                : c.min !== undefined
                  ? `${fmt(c.min)} … ${fmt(c.max)}, mean ${fmt(c.mean)}`
                  : '',
            ),
          ),
        ),
      ),
    ),
  );
}

const fmt = (v) =>
  v === undefined || v === null
    ? ''
    : Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0)
      ? Number(v).toExponential(2)
      : Number(Number(v).toFixed(3)).toString();
