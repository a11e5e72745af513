/**
 * Start an HTTP server listening and learn where: the one place the visualizer and the health
 * server bind, so both report listen errors (`EADDRINUSE`, ...) the same way.
 * @module
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where a server listens. */
export interface Listening {
  readonly port: number;
  /** `http://host:port` (IPv6 hosts in brackets), without a trailing slash. */
  readonly origin: string;
}

/**
 * Listen on `host:port` (0 picks a free port).
 * @throws the listen error (`EADDRINUSE`, `EACCES`, ...) when the port cannot be bound.
 */
export async function listen(server: Server, port: number, host: string): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return { port: bound, origin: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` };
}
