/**
 * A node killed and restarted under the same NODEID within the heartbeat timeout is never reported
 * gone: Moleculer sees the new process as an update of the old node and keeps waiting for answers
 * the dead process will never send (a `trainer.fit`, a streamed shard). This mixin notices the new
 * instance id and rejects the calls pending on that node (RequestRejectedError, retryable), so
 * they are retried at once instead of waiting out their timeouts.
 */
import type { Context, Service, ServiceBroker, ServiceSchema } from 'moleculer';

interface NodeEvent {
  node: { id: string; instanceID?: string | null; local?: boolean };
}

const instances = new WeakMap<ServiceBroker, Map<string, string>>();

function seen(this: Service, ctx: Context<NodeEvent>): void {
  const { id, instanceID, local } = ctx.params.node;
  if (local || !instanceID) return;
  if (!instances.has(this.broker)) instances.set(this.broker, new Map());
  const known = instances.get(this.broker)!;
  const before = known.get(id);
  known.set(id, instanceID);
  if (before && before !== instanceID) {
    this.logger.warn(`node '${id}' restarted (new instance): calls pending on it are retried`);
    (this.broker.transit as unknown as { removePendingRequestByNodeID(id: string): void } | undefined)?.removePendingRequestByNodeID(id);
  }
}

export const RestartGuard: Partial<ServiceSchema> = {
  events: {
    '$node.connected': seen,
    '$node.updated': seen,
  },
};
