/**
 * The live visualizer's server: a loopback HTTP server that serves the page, the machine's layout,
 * a snapshot, and a Server-Sent Events stream fed by the gateway's `inspect` observer. Attach it to
 * any gateway with {@link serveVisualizer}; the CLI's `--visualize` does exactly that.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';
import { listen, type Listening } from '../http/listen.js';
import { log, silentLogger, type Logger } from '../logger.js';
import type { RelayGateway } from '../gateway/create-relay-gateway.js';
import { toValidationIssues } from '../protocol/validation.js';
import { layoutMachineGraph, type MachineGraph } from './machine-layout.js';
import { VisualizerHistory } from './visualizer-history.js';
import { createInspectionFeed, summarizeContext, type FeedUpdate, type VisualizerLogEntry } from './visualizer-feed.js';
import { loadStaticFiles } from './static-files.js';

/** Options of {@link serveVisualizer}. */
export interface VisualizerOptions {
  /** TCP port on the loopback interface. @default 0 (any free port) */
  readonly port?: number;
  /** Loopback address to listen on; other hosts are refused (the page shows internals). @default "127.0.0.1" */
  readonly host?: string;
  /** Log entries kept for pages that (re)connect. @default 500 */
  readonly historySize?: number;
  /** How often connected pages get fresh metrics, in ms. @default 500 */
  readonly metricsIntervalMs?: number;
  /** Logger for server problems. @default silent */
  readonly logger?: Logger;
}

/** A running visualizer. */
export interface VisualizerServer {
  /** Page URL, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  readonly port: number;
  /** Detach from the gateway, end every page's stream and close the server. Idempotent. */
  close(): Promise<void>;
}

/** Default number of log entries kept for reconnecting pages. */
export const DEFAULT_HISTORY_SIZE = 500;
const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'] as const;

const optionsSchema = z.strictObject({
  port: z.number().int().min(0).max(65_535).optional(),
  host: z.enum(LOOPBACK_HOSTS, { message: `expected a loopback host (${LOOPBACK_HOSTS.join(', ')}): the page shows the gateway's internals` }).optional(),
  historySize: z.number().int().positive().max(100_000).optional(),
  metricsIntervalMs: z.number().int().min(50).optional(),
  logger: z.object({}).loose().optional(),
});

// The layout takes a few hundred ms of CPU; it depends only on the machine, so do it once per process.
let layoutOnce: Promise<MachineGraph> | undefined;
function machineLayout(): Promise<MachineGraph> {
  layoutOnce ??= layoutMachineGraph();
  return layoutOnce;
}

function sse(response: ServerResponse, event: string, data: unknown): void {
  response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * Serve the live visualizer for `gateway` on a loopback port.
 * @throws {InvalidArgumentError} naming the bad option (a non-loopback host included).
 */
export async function serveVisualizer(gateway: RelayGateway, options: VisualizerOptions = {}): Promise<VisualizerServer> {
  const parsed = optionsSchema.safeParse(options, { reportInput: true });
  if (!parsed.success) {
    const issue = toValidationIssues(parsed.error)[0];
    throw new InvalidArgumentError(issue?.path || 'options', `expected ${issue?.expected ?? 'valid options'}, received ${issue?.received ?? 'something else'}`);
  }
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const metricsIntervalMs = options.metricsIntervalMs ?? 500;
  const files = loadStaticFiles();
  const history = new VisualizerHistory<VisualizerLogEntry>(options.historySize ?? DEFAULT_HISTORY_SIZE);
  const clients = new Set<ServerResponse>();
  let metricsTimer: NodeJS.Timeout | undefined;

  const snapshot = () => ({
    state: gateway.state,
    path: gateway.statePath,
    machinePath: gateway.machinePath,
    context: summarizeContext(gateway.context),
    metrics: gateway.metrics(),
    history: history.toArray(),
  });

  const onUpdate = (update: FeedUpdate): void => {
    history.push(update.entry);
    if (clients.size === 0) return;
    // A state change usually changes counters too (dials, reconnects): send them along, not 500 ms later.
    const message = update.context ? { ...update, metrics: gateway.metrics() } : update;
    for (const client of clients) sse(client, 'entry', message);
  };
  const detach = gateway.inspect(createInspectionFeed(gateway.statePath, onUpdate));

  // Metrics change with traffic, not with machine events: push them on a timer, only while watched.
  const startMetrics = (): void => {
    if (metricsTimer) return;
    metricsTimer = setInterval(() => {
      const metrics = gateway.metrics();
      for (const client of clients) sse(client, 'metrics', metrics);
    }, metricsIntervalMs);
    metricsTimer.unref();
  };
  const stopMetrics = (): void => {
    if (clients.size > 0 || !metricsTimer) return;
    clearInterval(metricsTimer);
    metricsTimer = undefined;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://visualizer').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const file = files.get(path);
    if (file) {
      response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(file.body);
      return;
    }
    if (path === '/api/machine') {
      const graph = await machineLayout();
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(graph));
      return;
    }
    if (path === '/api/snapshot') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(snapshot()));
      return;
    }
    if (path === '/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      response.write('retry: 1000\n\n');
      sse(response, 'snapshot', snapshot());
      clients.add(response);
      startMetrics();
      request.once('close', () => {
        clients.delete(response);
        stopMetrics();
      });
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(logger, 'error', 'visualizer: request failed', { error: String(error) });
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    });
  });
  let bound: Listening;
  try {
    bound = await listen(server, options.port ?? 0, host);
  } catch (error) {
    detach();
    throw error;
  }
  const { port } = bound;
  const url = `${bound.origin}/`;
  log(logger, 'info', 'visualizer: serving', { url });

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        detach();
        for (const client of clients) client.end();
        clients.clear();
        if (metricsTimer) clearInterval(metricsTimer);
        metricsTimer = undefined;
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
