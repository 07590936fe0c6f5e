/**
 * Issue 11: a NATS server that speaks TLS only and verifies client certificates. Certificates are
 * made here with openssl (a CA, a server certificate for 127.0.0.1, a client certificate); nodes
 * given NATS_TLS_CA / NATS_TLS_CERT / NATS_TLS_KEY form the cluster and train; a node without a
 * client certificate is refused by the server and never joins.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bodyOf } from '../helpers/http';
import { ROOT, waitFor } from '../helpers/broker';
import { freePort, natsAvailable, startNats, type NatsServer } from '../../fixtures/nats';
import { startProcess, type NodeProcess } from '../../fixtures/processes';

const opensslFound = spawnSync('openssl', ['version']).status === 0;
if (!opensslFound) {
  const message = 'openssl not found: the NATS TLS test makes its certificates with it. Install it with: apt-get install -y openssl';
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
}
const run = natsAvailable() && opensslFound ? describe : describe.skip; // reasons printed above

function certificates(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=quorum-test-ca');
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  );
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client-key.pem', '-out', 'client.csr', '-subj', '/CN=quorum-node');
  ssl(
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-out',
    'client.pem',
    '-days',
    '2',
    '-extfile',
    'client.ext',
  );
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server-key.pem'), clientCert: f('client.pem'), clientKey: f('client-key.pem') };
}

run('a cluster over a NATS server that requires TLS with client certificates (issue 11)', () => {
  let nats: NatsServer;
  const nodes: NodeProcess[] = [];
  let base: string;
  let dir: string;
  let certs: ReturnType<typeof certificates>;
  const common = () => ({ TRANSPORTER: nats.url, NAMESPACE: `tls-${process.pid}`, HEARTBEAT_INTERVAL: '1', HEARTBEAT_TIMEOUT: '4', NATS_TLS_CA: certs.ca });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'quorum-tls-'));
    certs = certificates(dir);
    nats = await startNats(['--tlsverify', '--tlscert', certs.serverCert, '--tlskey', certs.serverKey, '--tlscacert', certs.ca]);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const client = { NATS_TLS_CERT: certs.clientCert, NATS_TLS_KEY: certs.clientKey };
    nodes.push(
      startProcess('tls-core', {
        ...common(),
        ...client,
        SERVICES: 'api,coordinator,registry,inference',
        PORT: String(port),
        STATE_DIR: path.join(dir, 'core'),
        DATA_DIR: path.join(ROOT, 'data'),
      }),
      startProcess('tls-trainer', { ...common(), ...client, SERVICES: 'trainer', TRAINER_WORKERS: '1', STATE_DIR: path.join(dir, 'trainer') }),
    );
    await Promise.all(nodes.map((n) => n.ready));
    await waitFor(
      async () => (await bodyOf(await fetch(`${base}/api/cluster`))).trainers.some((t: { size?: number }) => t.size),
      'the trainer in /api/cluster',
      30_000,
      250,
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trains on the trainer node over TLS', async () => {
    const dataset = await bodyOf(
      await fetch(`${base}/api/datasets/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: 'iris.csv' }),
      }),
    );
    const started = await bodyOf(
      await fetch(`${base}/api/trainings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dataset: dataset.id, target: 'class', shards: 1, seed: 1, model: 'baseline' }),
      }),
    );
    const job = await waitFor(
      async () => {
        const j = await bodyOf(await fetch(`${base}/api/trainings/${started.id}`));
        return ['completed', 'failed'].includes(j.status) ? j : undefined;
      },
      'the job',
      60_000,
      250,
    );
    expect(job.status).toBe('completed');
    expect(job.members[0].node).toBe(nodes[1].nodeID);
  });

  it('a node without a client certificate is refused by the server and never joins', async () => {
    const stranger = startProcess('tls-stranger', { ...common(), SERVICES: 'trainer', TRAINER_WORKERS: '1', STATE_DIR: path.join(dir, 'stranger') });
    nodes.push(stranger);
    // the server ends the handshake of a client that shows no certificate; the node keeps retrying
    await waitFor(
      async () => /NATS|connect|Connection/i.test(stranger.log()) && !/ up: /.test(stranger.log()),
      'the refused connection in the stranger log',
      20_000,
      100,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const cluster = await bodyOf(await fetch(`${base}/api/cluster`));
    expect(JSON.stringify(cluster)).not.toContain(stranger.nodeID);
    expect(stranger.log()).not.toMatch(/ up: /);
  });
});
