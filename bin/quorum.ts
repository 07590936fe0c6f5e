/**
 * Starts a Quorum node: the services named in SERVICES (default: all five, in one process), with
 * the transporter of TRANSPORTER (default: none). `--repl` opens the Moleculer REPL on the node.
 * Same conventions as moleculer-runner (SERVICES, TRANSPORTER, NAMESPACE, NODEID, LOGLEVEL).
 */
import path from 'node:path';
import { ServiceBroker } from 'moleculer';
import { parseConfig, type QuorumConfig } from '../lib/config';
import { brokerOptions, redactUrl } from '../moleculer.config';
import { assertPortFree, PortInUseError } from '../lib/util/port-check';

async function main(): Promise<void> {
  let config: Readonly<QuorumConfig>;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  if (config.services.includes('api')) {
    // Before any service starts: a second node on a used port must not run services on a state
    // folder another process owns (exit code 3: the port is taken).
    try {
      await assertPortFree(config.port, config.host);
    } catch (err) {
      console.error(`Quorum failed to start: ${(err as Error).message}`);
      process.exit(err instanceof PortInUseError ? 3 : 1);
    }
  }
  const broker = new ServiceBroker(brokerOptions(config));
  for (const name of config.services) broker.loadService(path.join(__dirname, '..', 'services', `${name}.service.js`));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    broker.logger.info(`${signal}: stopping ${broker.nodeID}…`);
    await broker.stop().catch((err: Error) => broker.logger.error(err.message));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  await broker.start();
  // Printed whatever LOGLEVEL says: scripts and tests wait for this line.
  const up = `quorum: node ${broker.nodeID} up: ${config.services.join(', ')} · transporter ${config.transporter ? redactUrl(config.transporter) : 'none (one process)'} · state in ${config.stateDir}`;
  console.log(config.logFormat === 'json' ? JSON.stringify({ ts: Date.now(), level: 'info', msg: up, nodeID: broker.nodeID, mod: 'quorum' }) : up);
  if (process.argv.includes('--repl')) broker.repl();
}

main().catch((err: Error) => {
  console.error(`Quorum failed to start: ${err.message}`);
  process.exit(err instanceof PortInUseError ? 3 : 1);
});
