/**
 * The visualizer's server: a loopback HTTP server for the page, the drawing, each source's snapshot
 * and its Server-Sent Events stream, trace download and upload, and (only with `control: true` and
 * the run's token) lifecycle commands. {@link serveVisualizer} shows live gateways,
 * {@link serveTrace} a recorded trace; the CLI's `--visualize` and `visualize --trace` use them.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { InvalidArgumentError, TraceFormatError } from '../errors.js';
import type { RelayGateway } from '../gateway/create-relay-gateway.js';
import { listen } from '../http/listen.js';
import { log, silentLogger, type Logger } from '../logger.js';
import { toValidationIssues } from '../protocol/validation.js';
import { createGatewayRegistry, isGatewayRegistry, type GatewayRegistry, type NamedGateway } from './gateway-registry.js';
import { readMachineGraph } from './machine-graph-file.js';
import { checkHostAndOrigin, newRunToken, TOKEN_HEADER, tokenMatches } from './request-guard.js';
import { loadStaticFiles } from './static-files.js';
import { parseTrace, type Trace } from './trace.js';
import { createGatewaySource, createTraceSource, VISUALIZER_COMMANDS, type SourceBatch, type VisualizerSource } from './visualizer-source.js';

/** Options of {@link serveVisualizer} and {@link serveTrace}. */
export interface VisualizerOptions {
  /** TCP port on the loopback interface. @default 0 (any free port) */
  readonly port?: number;
  /** Loopback address to listen on; other hosts are refused (the page shows internals). @default "127.0.0.1" */
  readonly host?: string;
  /** Timeline entries kept per gateway (what time travel can reach). @default 500 */
  readonly historySize?: number;
  /** Frames kept per gateway for the frames lane. @default 500 */
  readonly framesSize?: number;
  /** Show message text and reply content in the frames lane (never tokens or headers). @default false */
  readonly showText?: boolean;
  /**
   * Data frames the frames lane summarises per second at most, per gateway; past it they are only
   * counted, so a busy gateway pays little for a visualizer. @default 1000
   */
  readonly framesPerSecond?: number;
  /**
   * Let the page send lifecycle commands (reconnect now, go idle, stop). Commands also need the
   * run's token, which is in the URL this returns. @default false (read-only page)
   */
  readonly control?: boolean;
  /** How often connected pages get fresh metrics, in ms. @default 500 */
  readonly metricsIntervalMs?: number;
  /** How often pages get a batch of new entries and frames, in ms. @default 50 */
  readonly batchMs?: number;
  /** Logger for server problems. @default silent */
  readonly logger?: Logger;
}

/** A running visualizer. */
export interface VisualizerServer {
  /** Page URL, e.g. `http://127.0.0.1:41234/`; with control on it ends in `#token=...` (keep it private). */
  readonly url: string;
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  /** Detach from every gateway, end every page's stream and close the server. Idempotent. */
  close(): Promise<void>;
}

/** Default number of timeline entries kept per gateway. */
export const DEFAULT_HISTORY_SIZE = 500;
const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'] as const;
/** Largest trace a page may upload. */
const MAX_TRACE_BYTES = 64 * 1024 * 1024;
const MAX_COMMAND_BYTES = 1024;

const optionsSchema = z.strictObject({
  port: z.number().int().min(0).max(65_535).optional(),
  host: z.enum(LOOPBACK_HOSTS, { message: `expected a loopback host (${LOOPBACK_HOSTS.join(', ')}): the page shows the gateway's internals` }).optional(),
  historySize: z.number().int().positive().max(100_000).optional(),
  framesSize: z.number().int().positive().max(100_000).optional(),
  showText: z.boolean().optional(),
  framesPerSecond: z.number().int().positive().max(1_000_000).optional(),
  control: z.boolean().optional(),
  metricsIntervalMs: z.number().int().min(50).optional(),
  batchMs: z.number().int().min(1).max(10_000).optional(),
  logger: z.object({}).loose().optional(),
});

const commandSchema = z.strictObject({ command: z.enum(VISUALIZER_COMMANDS) });

function parseOptions(options: VisualizerOptions): void {
  const parsed = optionsSchema.safeParse(options, { reportInput: true });
  if (!parsed.success) {
    const issue = toValidationIssues(parsed.error)[0];
    throw new InvalidArgumentError(issue?.path || 'options', `expected ${issue?.expected ?? 'valid options'}, received ${issue?.received ?? 'something else'}`);
  }
}

function sse(response: ServerResponse, event: string, data: unknown): void {
  response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers }).end(JSON.stringify(body));
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`${text}\n`);
}

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge(`body over ${limit} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** A slug for URLs: lower-case letters, digits and dashes. */
function slug(name: string, taken: ReadonlySet<string>): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/gu, '-').replace(/^-|-$/gu, '') || 'gateway';
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  return id;
}

interface SourceSet {
  list(): readonly VisualizerSource[];
  get(id: string): VisualizerSource | undefined;
  onChange(listener: () => void): () => void;
  close(): void;
}

function gatewaySources(target: RelayGateway | ReadonlyArray<RelayGateway | NamedGateway> | GatewayRegistry, options: VisualizerOptions, structureHash: string): SourceSet {
  const registry = isGatewayRegistry(target) ? target : createGatewayRegistry(Array.isArray(target) ? target : [target as RelayGateway]);
  const sources = new Map<RelayGateway, VisualizerSource>();
  const listeners = new Set<() => void>();
  const sync = (): void => {
    const wanted = registry.list();
    for (const [gateway, source] of sources) {
      if (!wanted.some((entry) => entry.gateway === gateway)) {
        source.close();
        sources.delete(gateway);
      }
    }
    const taken = new Set([...sources.values()].map((source) => source.id));
    for (const { name, gateway } of wanted) {
      if (sources.has(gateway)) continue;
      const id = slug(name, taken);
      taken.add(id);
      sources.set(
        gateway,
        createGatewaySource(gateway, {
          id,
          name,
          structureHash,
          ...(options.historySize !== undefined ? { historySize: options.historySize } : {}),
          ...(options.framesSize !== undefined ? { framesSize: options.framesSize } : {}),
          ...(options.showText !== undefined ? { showText: options.showText } : {}),
          ...(options.framesPerSecond !== undefined ? { framesPerSecond: options.framesPerSecond } : {}),
          ...(options.batchMs !== undefined ? { batchMs: options.batchMs } : {}),
          ...(options.metricsIntervalMs !== undefined ? { metricsIntervalMs: options.metricsIntervalMs } : {}),
        }),
      );
    }
    for (const listener of [...listeners]) listener();
  };
  sync();
  const stop = registry.onChange(sync);
  return {
    list: () => [...sources.values()],
    get: (id) => [...sources.values()].find((source) => source.id === id),
    onChange: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close: () => {
      stop();
      for (const source of sources.values()) source.close();
      sources.clear();
    },
  };
}

function fixedSources(list: readonly VisualizerSource[]): SourceSet {
  return { list: () => list, get: (id) => list.find((source) => source.id === id), onChange: () => () => {}, close: () => list.forEach((s) => s.close()) };
}

async function startServer(sources: SourceSet, options: VisualizerOptions, mode: 'live' | 'trace'): Promise<VisualizerServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const control = options.control ?? false;
  const token = control ? newRunToken() : null;
  const files = loadStaticFiles();
  const graph = readMachineGraph();
  const graphJson = JSON.stringify(graph);
  const streams = new Set<ServerResponse>();
  const sourceList = () => ({
    mode,
    control,
    sources: sources.list().map((source) => ({ id: source.id, name: source.name, live: source.live })),
  });
  const stopWatchingSources = sources.onChange(() => {
    for (const stream of streams) sse(stream, 'sources', sourceList());
  });
  let port = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const refusal = checkHostAndOrigin(request.headers, port, host);
    if (refusal) {
      sendText(response, refusal.status, refusal.reason);
      return;
    }
    const url = new URL(request.url ?? '/', 'http://visualizer');
    const path = url.pathname;
    const method = request.method ?? 'GET';
    const parts = path.split('/').filter(Boolean);

    if (method === 'POST' && path === '/api/trace') {
      // A page loads a trace file: validated here, where the schema lives, and handed back clean with
      // the snapshot the page shows (the same a `visualize --trace` source gives).
      let body: string;
      try {
        body = await readBody(request, MAX_TRACE_BYTES);
      } catch (error) {
        if (error instanceof BodyTooLarge) sendJson(response, 413, { code: 'ERR_TRACE_INVALID', message: `a trace may be at most ${MAX_TRACE_BYTES} bytes` });
        return;
      }
      try {
        const trace = parseTrace(body);
        sendJson(response, 200, { trace, snapshot: createTraceSource(trace, 'file').snapshot() });
      } catch (error) {
        if (!(error instanceof TraceFormatError)) throw error;
        sendJson(response, 400, { code: error.code, message: error.message, issues: error.issues });
      }
      return;
    }
    if (method === 'POST' && parts[0] === 'api' && parts[1] === 'sources' && parts[3] === 'commands' && parts.length === 4) {
      if (!control || !token) {
        sendJson(response, 403, { code: 'ERR_CONTROL_OFF', message: 'commands are off: start the visualizer with control (--visualize-control)' });
        return;
      }
      if (!tokenMatches(token, request.headers[TOKEN_HEADER])) {
        sendJson(response, 403, { code: 'ERR_BAD_TOKEN', message: `commands need this run's token in the ${TOKEN_HEADER} header (it is in the printed URL)` });
        return;
      }
      const source = sources.get(parts[2] ?? '');
      if (!source?.command) {
        sendJson(response, 404, { code: 'ERR_NO_SOURCE', message: `no live gateway ${JSON.stringify(parts[2])}` });
        return;
      }
      let parsed: z.ZodSafeParseResult<z.infer<typeof commandSchema>>;
      try {
        const raw: unknown = JSON.parse(await readBody(request, MAX_COMMAND_BYTES));
        parsed = commandSchema.safeParse(raw, { reportInput: true });
      } catch {
        sendJson(response, 400, { code: 'ERR_INVALID_ARGUMENT', message: `expected a JSON body like {"command":"reconnectNow"} (one of ${VISUALIZER_COMMANDS.join(', ')})` });
        return;
      }
      if (!parsed.success) {
        sendJson(response, 400, { code: 'ERR_INVALID_ARGUMENT', issues: toValidationIssues(parsed.error) });
        return;
      }
      log(logger, 'info', 'visualizer: command', { source: source.id, command: parsed.data.command });
      source.command(parsed.data.command);
      sendJson(response, 202, { accepted: parsed.data.command });
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD, POST', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const file = files.get(path);
    if (file) {
      response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(file.body);
      return;
    }
    if (path === '/api/machine') {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(graphJson);
      return;
    }
    if (path === '/api/sources') {
      sendJson(response, 200, sourceList());
      return;
    }
    if (parts[0] === 'api' && parts[1] === 'sources' && parts.length === 4 && (parts[3] === 'snapshot' || parts[3] === 'trace')) {
      const source = sources.get(parts[2] ?? '');
      if (!source) {
        sendJson(response, 404, { code: 'ERR_NO_SOURCE', message: `no source ${JSON.stringify(parts[2])}` });
        return;
      }
      if (parts[3] === 'snapshot') sendJson(response, 200, source.snapshot());
      else sendJson(response, 200, source.trace(), { 'content-disposition': `attachment; filename="relay-gateway-trace-${source.id}.json"` });
      return;
    }
    if (path === '/events') {
      const source = sources.get(url.searchParams.get('source') ?? '') ?? sources.list()[0];
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      response.write('retry: 1000\n\n');
      sse(response, 'sources', sourceList());
      streams.add(response);
      let unsubscribe = (): void => {};
      if (source) {
        sse(response, 'snapshot', source.snapshot());
        unsubscribe = source.subscribe((batch: SourceBatch) => sse(response, 'batch', batch));
      }
      request.once('close', () => {
        streams.delete(response);
        unsubscribe();
      });
      return;
    }
    sendText(response, 404, 'not found');
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(logger, 'error', 'visualizer: request failed', { error: String(error) });
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    });
  });
  let bound: Awaited<ReturnType<typeof listen>>;
  try {
    bound = await listen(server, options.port ?? 0, host);
  } catch (error) {
    stopWatchingSources();
    sources.close();
    throw error;
  }
  port = bound.port;
  // The token rides in the fragment: browsers never send it to a server or put it in a Referer.
  const url = `${bound.origin}/${token ? `#token=${token}` : ''}`;
  log(logger, 'info', 'visualizer: serving', { url: `${bound.origin}/`, control });

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        stopWatchingSources();
        sources.close();
        for (const stream of streams) stream.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * Serve the live visualizer for one gateway, a list of them, or a registry (followed while it runs).
 * @throws {InvalidArgumentError} naming the bad option (a non-loopback host included).
 */
export async function serveVisualizer(
  target: RelayGateway | ReadonlyArray<RelayGateway | NamedGateway> | GatewayRegistry,
  options: VisualizerOptions = {},
): Promise<VisualizerServer> {
  parseOptions(options);
  const structureHash = readMachineGraph().structureHash;
  return startServer(gatewaySources(target, options, structureHash), options, 'live');
}

/**
 * Serve the visualizer for a recorded trace (offline replay: the same views, no commands).
 * @throws {InvalidArgumentError} naming the bad option.
 */
export async function serveTrace(trace: Trace, options: Omit<VisualizerOptions, 'control'> = {}): Promise<VisualizerServer> {
  parseOptions(options);
  return startServer(fixedSources([createTraceSource(trace, 'trace')]), { ...options, control: false }, 'trace');
}
