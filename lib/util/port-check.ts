/**
 * Start-up check that the gateway's port is free before any service starts: a second node started
 * on a used port must end at once, not run its coordinator and trainers on a state folder another
 * process owns while serving no HTTP.
 */
import net from 'node:net';

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly host: string,
    readonly reason: string,
  ) {
    super(
      reason === 'EADDRINUSE'
        ? `port ${port} on ${host} is already in use (another Quorum node, or another program): stop it, or start this node with PORT=<free port>`
        : `cannot listen on ${host}:${port} (${reason}): choose another PORT/HOST`,
    );
    this.name = 'PortInUseError';
  }
}

/** Resolves when `host:port` can be bound (and releases it at once); rejects with {@link PortInUseError}. */
export function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(new PortInUseError(port, host, err.code ?? err.message)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** Listens `server` on `host:port`; a listen error (EADDRINUSE, EACCES) rejects instead of being only logged. */
export function listenOrFail(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new PortInUseError(port, host, err.code ?? err.message));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
