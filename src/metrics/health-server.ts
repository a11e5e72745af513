/**
 * A small HTTP server for operators: `GET /healthz` answers 200 while the gateway is serving and 503
 * otherwise (a readiness probe), `GET /metrics` the Prometheus text format. It binds 127.0.0.1 by
 * default and shows no secret: the state, when it began, and the last error.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type Listening } from '../http/listen.js';
import type { Registry } from 'prom-client';
import type { RelayGateway } from '../gateway/create-relay-gateway.js';
import { registerGatewayMetrics } from './prometheus.js';

/** Options of {@link serveHealth}. */
export interface HealthServerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Address to bind. @default "127.0.0.1" */
  readonly host?: string;
  /** Registry served at `/metrics`; the gateway's metrics are registered on it. @default a new one */
  readonly registry?: Registry;
}

/** A running health server. */
export interface HealthServer {
  /** Base URL, e.g. `http://127.0.0.1:9464`. */
  readonly url: string;
  readonly port: number;
  /** Stop listening and unregister the metrics. */
  close(): Promise<void>;
}

/** The body of `/healthz`. */
export interface HealthReport {
  readonly state: string;
  /** When the current state began (ISO 8601). */
  readonly since: string;
  /** The last dial or handshake error; when not serving after a close, the close (`close 1012 "restart"`). */
  readonly lastError: string | null;
}

/**
 * Serve `/healthz` and `/metrics` for `gateway`.
 * @throws the listen error (`EADDRINUSE`, `EACCES`, ...) when the port cannot be bound.
 */
export async function serveHealth(gateway: RelayGateway, options: HealthServerOptions = {}): Promise<HealthServer> {
  const host = options.host ?? '127.0.0.1';
  const registration = registerGatewayMetrics(gateway, options.registry ? { registry: options.registry } : {});
  const { registry } = registration;

  const send = (response: ServerResponse, status: number, type: string, body: string): void => {
    response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  };
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://health').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      const metrics = gateway.metrics();
      const { lastError, lastClose } = gateway.context;
      // Not serving after a close: the close is the last error (a handshake cleared lastError).
      const closed = lastClose ? `close ${lastClose.code}${lastClose.reason ? ` "${lastClose.reason}"` : ''}` : null;
      const report: HealthReport = {
        state: metrics.state,
        since: new Date(Date.now() - metrics.timeInStateMs).toISOString(),
        lastError: lastError ?? (metrics.state === 'serving' ? null : closed),
      };
      send(response, metrics.state === 'serving' ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
      return;
    }
    if (path === '/metrics') {
      send(response, 200, registry.contentType, await registry.metrics());
      return;
    }
    send(response, 404, 'text/plain; charset=utf-8', 'not found: try /healthz or /metrics\n');
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    });
  });
  let bound: Listening;
  try {
    bound = await listen(server, options.port ?? 0, host);
  } catch (error) {
    registration.unregister();
    throw error;
  }
  return {
    url: bound.origin,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        registration.unregister();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
