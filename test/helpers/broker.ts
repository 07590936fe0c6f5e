/**
 * One ServiceBroker with Quorum's services loaded from source, a temporary state folder, the
 * gateway on a free port, and quiet logs. `stop()` stops the broker and removes the folder.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServiceBroker } from 'moleculer';
import { parseConfig, type ServiceName } from '../../lib/config';
import { brokerOptions } from '../../moleculer.config';
import { waitFor } from '../../fixtures/wait';

export { waitFor };

/** The project folder (where package.json is), from source (ts-jest) or from dist/ (benchmarks). */
export const ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

export interface TestNode {
  broker: ServiceBroker;
  stateDir: string;
  /** Base URL of the gateway when 'api' is loaded. */
  url?: string;
  stop(): Promise<void>;
}

export async function startNode(options: { services?: ServiceName[]; env?: Record<string, string>; stateDir?: string } = {}): Promise<TestNode> {
  const stateDir = options.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'quorum-test-'));
  const services = options.services ?? ['api', 'coordinator', 'trainer', 'registry', 'inference'];
  const config = parseConfig({
    STATE_DIR: stateDir,
    DATA_DIR: path.join(ROOT, 'data'),
    PORT: '0',
    LOGLEVEL: 'warn',
    TRAINER_WORKERS: '2',
    SERVICES: services.join(','),
    ...options.env,
  });
  const opts = brokerOptions(config);
  const broker = new ServiceBroker({
    ...opts,
    nodeID: `test-${process.pid}-${Math.random().toString(36).slice(2, 7)}`,
    logger: process.env.TEST_LOGS ? opts.logger : false,
  });
  for (const name of services) broker.loadService(path.join(ROOT, 'services', `${name}.service.ts`));
  await broker.start();
  let url: string | undefined;
  if (services.includes('api')) {
    const api = broker.getLocalService('api') as unknown as { server: import('node:http').Server };
    const address = api.server.address() as import('node:net').AddressInfo;
    url = `http://127.0.0.1:${address.port}`;
  }
  return {
    broker,
    stateDir,
    url,
    async stop() {
      await broker.stop();
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Waits until a job is finished (completed, failed or cancelled) and returns it. */
export async function waitForJob(broker: ServiceBroker, id: string, timeoutMs = 120_000): Promise<Record<string, any>> {
  return waitFor(
    async () => {
      const job = await broker.call<Record<string, any>, { id: string }>('coordinator.job', { id });
      return ['completed', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
    },
    `job ${id}`,
    timeoutMs,
    200,
  );
}
