import { api } from './api.js';
import { $, ago, el, fill } from './ui.js';

export async function renderCluster(state = {}) {
  const c = await api.get('cluster');
  // Members of the active versions, by the node that fitted (and holds) them.
  const held = new Map();
  for (const v of (state.versions ?? []).filter((x) => x.active))
    for (const m of v.members ?? []) if (m.node) held.set(m.node, [...(held.get(m.node) ?? []), `${v.id}/${m.id}`]);
  const up = c.nodes.filter((n) => n.available);
  const trainers = new Map(c.trainers.map((t) => [t.nodeID, t]));
  $('#cluster-badge').textContent = `${up.length} node${up.length === 1 ? '' : 's'} · ${c.transporter.type === 'none' ? 'one process' : c.transporter.url}`;
  const body = $('#cluster-body');
  body.className = '';
  fill(
    body,
    el(
      'div',
      { class: 'row muted' },
      `transporter: ${c.transporter.type === 'none' ? 'none (one process)' : c.transporter.url}`,
      ` · balancer: ${c.balancer}`,
      ` · serializer: ${c.serializer}`,
      ` · namespace: ${c.namespace}`,
    ),
    el(
      'div',
      { class: 'nodes' },
      c.nodes.map((n) => {
        const t = trainers.get(n.id);
        return el(
          'div',
          { class: `nodeCard${n.available ? '' : ' down'}`, 'data-node': n.id },
          el('strong', {}, n.id),
          n.local ? el('span', { class: 'tag' }, 'this node') : null,
          !n.available ? el('span', { class: 'tag failed' }, 'gone') : null,
          el('div', { class: 'muted' }, n.services.join(', ') || 'no services'),
          n.cpu !== null
            ? el('div', {}, `CPU ${Math.round(n.cpu)} %`, n.lastHeartbeat ? el('span', { class: 'muted' }, ` · heartbeat ${ago(n.lastHeartbeat)}`) : null)
            : null,
          held.get(n.id)
            ? el(
                'div',
                { class: 'muted held' },
                `holds ${held.get(n.id).length} active member(s): ${held.get(n.id).slice(0, 6).join(', ')}${held.get(n.id).length > 6 ? '…' : ''}`,
              )
            : null,
          t && !t.error ? el('div', {}, `workers ${t.busy}/${t.size} busy${t.queued ? `, ${t.queued} queued` : ''}${tfOf(t)}`) : null,
          t?.memory
            ? el(
                'div',
                { class: 'muted' },
                `memory ${Math.round(t.memory.freeMB / 1024)} of ${Math.round(t.memory.totalMB / 1024)} GB free · ${t.memory.threadHeapMB} MB heap per thread`,
              )
            : null,
          t?.local ? el('div', { class: 'muted' }, `local data: ${t.local.file} (${t.local.rows.toLocaleString()} rows)`) : null,
          t?.fits?.length ? el('div', { class: 'muted' }, `fitting ${t.fits.map((f) => `${f.member} (${Math.round(f.progress * 100)} %)`).join(', ')}`) : null,
        );
      }),
    ),
    state.clusterLog?.length ? el('div', { class: 'muted', id: 'cluster-log' }, state.clusterLog.slice(-5).join(' · ')) : null,
  );
}

/** The TensorFlow.js backend a trainer's threads started, once a neural or linear model ran there. */
function tfOf(t) {
  const info = t.initialised && Object.values(t.initialised)[0];
  return info?.backend ? ` · tfjs ${info.backend}${info.simd ? ' (SIMD)' : ''}` : '';
}
