import { api } from './api.js';
import { $, bar, el, message, memberRows, score, ago, fill } from './ui.js';

export async function setupTrain(state, onStarted) {
  const options = await api.get('options');
  state.options = options;
  fill(
    $('#train-models'),
    ...options.models.map((m) =>
      el('label', { title: m.description }, el('input', { type: 'checkbox', value: m.name, checked: m.name === options.defaultModel }), m.name),
    ),
  );
  fill($('#train-sharding'), ...options.sharding.filter((s) => !s.includes('<')).map((s) => el('option', {}, s)));
  // The server's defaults (GET /api/options), not copies of them.
  $('#train-seed').value = String(options.defaults.seed);
  $('#train-sharding').value = options.defaults.sharding;
  $('#train-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    let params = {};
    const text = $('#train-params').value.trim();
    if (text) {
      try {
        params = JSON.parse(text);
      } catch (err) {
        return message($('#train-message'), `params: not JSON (${err.message})`, 'error');
      }
    }
    const models = [...document.querySelectorAll('#train-models input:checked')].map((i) =>
      params[i.value] ? { kind: i.value, params: params[i.value] } : i.value,
    );
    const local = $('#train-mode').value === 'local';
    const body = {
      dataset: local ? undefined : $('#train-dataset').value,
      target: $('#train-target').value,
      model: models.length === 1 ? models[0] : models,
      mode: $('#train-mode').value,
      sharding: local ? undefined : $('#train-sharding').value,
      seed: $('#train-seed').value === '' ? undefined : Number($('#train-seed').value),
    };
    if ($('#train-shards').value && !local) body.shards = Number($('#train-shards').value);
    if ($('#train-voting').value) body.voting = $('#train-voting').value;
    $('#train-button').disabled = true;
    try {
      const job = await api.post('trainings', body);
      message($('#train-message'), `job ${job.id} started`, 'ok');
      onStarted(job);
    } catch (err) {
      message($('#train-message'), `${err.message}${err.type ? ` (${err.type})` : ''}`, 'error');
    } finally {
      $('#train-button').disabled = false;
    }
  });
  $('#train-dataset').addEventListener('change', () => {
    state.selectedDataset = $('#train-dataset').value;
    fillTargets(state);
  });
}

export async function fillTrainForm(state) {
  const select = $('#train-dataset');
  fill(
    select,
    ...(state.datasets ?? [])
      .slice()
      .reverse()
      .map((d) => el('option', { value: d.id, selected: d.id === state.selectedDataset }, `${d.name} (${d.id})`)),
  );
  await fillTargets(state);
}

async function fillTargets(state) {
  const id = $('#train-dataset').value;
  if (!id) return fill($('#train-target'));
  const d = state.dataset?.id === id ? state.dataset : await api.get(`datasets/${id}`);
  const guess = guessTarget(d.profile);
  fill($('#train-target'), ...d.profile.map((c) => el('option', { value: c.name, selected: c.name === guess }, `${c.name} (${c.type})`)));
}

export function renderJobs(jobs) {
  const f = $('#jobs-filter')?.value;
  const shown = jobs.filter((j) => !f || (f === 'running' ? !['completed', 'failed', 'cancelled'].includes(j.status) : j.status === f));
  fill($('#jobs'), ...shown.slice(0, 20).map(jobCard), shown.length > 20 ? el('div', { class: 'muted' }, `${shown.length - 20} older jobs not shown`) : null);
}

export function jobCard(job) {
  const statusTag = el(
    'span',
    { class: `tag ${job.status === 'completed' ? 'active' : job.status === 'failed' || job.status === 'cancelled' ? 'failed' : ''}` },
    job.status,
  );
  const running = !['completed', 'failed', 'cancelled'].includes(job.status);
  return el(
    'div',
    { class: 'job', 'data-job': job.id, 'data-status': job.status },
    el(
      'div',
      { class: 'head' },
      el('strong', {}, job.id),
      statusTag,
      el('span', { class: 'muted' }, `${job.name} · ${job.target} · ${job.models.join(' + ')} · ${job.mode}`),
      job.version ? el('span', { class: 'tag' }, job.version) : null,
      job.live ? el('span', { class: 'tag active', title: `answering predictions since ${job.liveAt}` }, 'live') : null,
      el('span', { class: 'muted' }, ago(job.createdAt)),
      running ? el('button', { class: 'link', type: 'button', onclick: () => api.del(`trainings/${job.id}`).catch((e) => alert(e.message)) }, 'cancel') : null,
    ),
    bar(job.progress),
    job.message ? el('div', { class: 'muted' }, job.message) : null,
    job.error ? el('div', { class: 'message error' }, `${job.error.code}: ${job.error.message}`) : null,
    job.metrics
      ? el(
          'div',
          {},
          score(job.metrics),
          job.transfer?.medianMBps ? el('span', { class: 'muted' }, ` · shards streamed at ${job.transfer.medianMBps} MB/s (median)`) : null,
        )
      : null,
    job.rounds?.length
      ? el(
          'div',
          { class: 'muted rounds' },
          'rounds: ',
          job.rounds
            .map((r) => `${r.round}: ${score(r.metrics)}${r.trainers < job.members.length ? ` (${r.trainers}/${job.members.length} shards)` : ''}`)
            .join(' · '),
        )
      : null,
    ...job.members.map((m) =>
      el(
        'div',
        { class: `member ${m.status}` },
        el('span', {}, `${m.id} · ${memberRows(m)}`),
        el('span', {}, m.kind),
        bar(m.status === 'done' ? 1 : m.progress),
        el(
          'span',
          { class: 'muted', title: (m.errors ?? []).map((e) => `${e.node ?? ''} ${e.code}: ${e.message}`).join('\n') || undefined },
          `${m.status}${m.node ? ` on ${m.node}` : ''}${m.attempts > 1 ? ` (attempt ${m.attempts})` : ''}${m.errors?.length ? ` · ${m.errors.length} error${m.errors.length > 1 ? 's' : ''}: ${m.errors[m.errors.length - 1].code}` : ''}`,
        ),
      ),
    ),
  );
}

/**
 * A first guess for the target: the last column if it holds classes, else the first one if it does
 * (Letter's `lettr`), else a column named like a target, else the last column.
 */
function guessTarget(profile) {
  const classes = (c) => c && (c.type === 'categorical' || c.type === 'boolean') && c.role !== 'identifier';
  const first = profile[0];
  const last = profile[profile.length - 1];
  if (classes(last)) return last.name;
  if (classes(first)) return first.name;
  const named = profile.find((c) => /^(target|label|labels|class|y|outcome|survived|churn)$/i.test(c.name));
  return (named ?? last)?.name;
}
