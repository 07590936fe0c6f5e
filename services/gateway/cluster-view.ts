/** What `GET /api/cluster` shows: nodes, their services and load, the transporter, backends. */
import type { Context, ServiceBroker } from 'moleculer';
import { quorumConfig } from '../ports/config';

interface NodeInfo {
  id: string;
  available: boolean;
  local: boolean;
  hostname?: string;
  cpu?: number | null;
  ipList?: string[];
  lastHeartbeatTime?: number;
  services?: { name: string }[];
}

function redact(url: string | null): string | null {
  return url ? url.replace(/\/\/[^@/]*@/, '//***@') : null;
}

/** Moleculer keeps `lastHeartbeatTime` in seconds of this process's uptime, not epoch time. */
function heartbeatIso(n: NodeInfo): string | null {
  if (n.local) return new Date().toISOString();
  if (!n.lastHeartbeatTime) return null;
  return new Date(Date.now() - Math.max(0, process.uptime() - n.lastHeartbeatTime) * 1000).toISOString();
}

export async function clusterView(broker: ServiceBroker, ctx: Context) {
  const config = quorumConfig(broker);
  const nodes = (broker.registry as unknown as { getNodeList(o: object): NodeInfo[] }).getNodeList({ onlyAvailable: false, withServices: true }).map((n) => ({
    id: n.id,
    available: n.available,
    local: n.local,
    hostname: n.hostname,
    cpu: n.cpu ?? null,
    lastHeartbeat: heartbeatIso(n),
    services: [...new Set((n.services ?? []).map((s) => s.name).filter((s) => !s.startsWith('$')))],
  }));
  const trainerNodes = nodes.filter((n) => n.available && n.services.includes('trainer'));
  const trainers = await Promise.all(
    trainerNodes.map((n) =>
      ctx
        .call<Record<string, unknown>, object>('trainer.status', {}, { nodeID: n.id, timeout: 1500, retries: 0 })
        .catch((err: Error) => ({ nodeID: n.id, error: err.message })),
    ),
  );
  return {
    node: broker.nodeID,
    namespace: broker.namespace,
    transporter: config.transporter
      ? { type: 'NATS', url: redact(config.transporter) }
      : { type: 'none', url: null, note: 'one process: every service in this node' },
    serializer: 'Notepack (MessagePack)',
    balancer: config.balancer,
    nodes,
    trainers,
  };
}
