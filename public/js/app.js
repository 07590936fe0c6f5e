// Quorum dashboard: upload → train → watch → evaluate → predict, live over server-sent events.
import { api, subscribe } from './api.js';
import { renderCluster } from './cluster.js';
import { renderDatasets, renderFiles, renderProfile, setupData } from './data.js';
import { renderModel, renderVersions, setupModels } from './models.js';
import { renderPredictForm, setupPredict } from './predict.js';
import { fillTrainForm, renderJobs, setupTrain } from './train.js';
import { $ } from './ui.js';

const state = {};

async function refreshData() {
  await renderDatasets(state, refreshData);
  await Promise.all([renderProfile(state), fillTrainForm(state)]);
}

async function refreshModels() {
  await renderVersions(state, refreshModels);
  await Promise.all([renderModel(state), renderPredictForm(state)]);
}

async function refreshJobs() {
  renderJobs(await api.get('trainings'));
}

function guard(fn) {
  return () => fn().catch((err) => console.error(err));
}

async function main() {
  setupData(state, refreshData);
  setupPredict(state);
  setupModels(state, refreshModels);
  $('#jobs-filter').addEventListener('change', guard(refreshJobs));
  await setupTrain(state, guard(refreshJobs));
  await Promise.all([renderFiles(state, refreshData), refreshData(), refreshJobs(), refreshModels(), renderCluster(state)]);

  const jobs = new Map();
  subscribe(
    {
      'training.progress': (job) => {
        jobs.set(job.id, job);
        guard(refreshJobs)();
      },
      'job.completed': guard(async () => {
        await refreshJobs();
        await refreshModels();
      }),
      'job.failed': guard(refreshJobs),
      'model.activated': guard(async () => {
        await refreshModels();
        await refreshJobs();
      }),
      'dataset.ingested': guard(refreshData),
      'node.connected': (e) => {
        (state.clusterLog ??= []).push(`${new Date().toLocaleTimeString()} ${e?.node?.id ?? e?.id ?? 'a node'} joined`);
        guard(() => renderCluster(state))();
      },
      'node.disconnected': (e) => {
        (state.clusterLog ??= []).push(`${new Date().toLocaleTimeString()} ${e?.node?.id ?? e?.id ?? 'a node'} left`);
        guard(() => renderCluster(state))();
      },
    },
    (up) => {
      $('#live').textContent = up ? 'live' : 'reconnecting…';
      $('#live').className = `badge ${up ? 'ok' : 'bad'}`;
    },
  );
  setInterval(
    guard(() => renderCluster(state)),
    3000,
  );
}

main().catch((err) => {
  document.body.prepend(Object.assign(document.createElement('div'), { className: 'message error', textContent: `dashboard failed to start: ${err.message}` }));
});
