/**
 * The CLI's visualizer: `--visualize[=PORT]` (with `--visualize-control` for lifecycle buttons)
 * next to a gateway, and `relay-gateway visualize --trace FILE` to replay a recorded trace offline.
 * @module
 */
import { readBoundedFile } from '../config/read-bounded-file.js';
import { TraceFormatError } from '../errors.js';
import type { RelayGateway } from '../gateway/create-relay-gateway.js';
import type { CliIo } from './cli-io.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { portInUse } from './port-in-use.js';

/** A running visualizer, as the CLI needs it. */
export interface CliVisualizer {
  readonly url: string;
  close(): Promise<void>;
}

/** How the CLI serves the visualizer. */
export interface CliVisualizerOptions {
  /** Port on 127.0.0.1 (0 = any free port). */
  readonly port: number;
  /** Lifecycle buttons (reconnect now, go idle, stop), guarded by the URL's token. @default false */
  readonly control?: boolean;
}

/** Largest trace file `visualize --trace` reads. */
export const MAX_TRACE_FILE_BYTES = 64 * 1024 * 1024;

/** Serve the visualizer for `gateway` on 127.0.0.1. */
export async function startCliVisualizer(gateway: RelayGateway, options: CliVisualizerOptions): Promise<CliVisualizer> {
  // Loaded on demand: most runs never visualize.
  const { serveVisualizer } = await import('../visualizer/serve-visualizer.js');
  const server = await serveVisualizer(gateway, { port: options.port, control: options.control ?? false });
  return { url: server.url, close: () => server.close() };
}

/**
 * `relay-gateway visualize --trace FILE`: serve the page for a recorded trace until SIGINT/SIGTERM.
 * Exit 2 when the file cannot be read or is not a trace (the message names the field at fault).
 */
export async function runVisualizeTrace(options: { readonly trace: string; readonly port: number; readonly json: boolean }, io: CliIo): Promise<ExitCode> {
  const { parseTrace } = await import('../visualizer/trace.js');
  const { serveTrace } = await import('../visualizer/serve-visualizer.js');
  let trace;
  try {
    trace = parseTrace(readBoundedFile(options.trace, { setting: '--trace', what: 'trace file', maxBytes: MAX_TRACE_FILE_BYTES }).text);
  } catch (error) {
    if (error instanceof TraceFormatError) {
      io.stderr(`relay-gateway: --trace ${JSON.stringify(options.trace)}: ${error.message}`);
      return EXIT_CODES.usage;
    }
    throw error;
  }
  const server = await serveTrace(trace, { port: options.port }).catch((error: unknown) => {
    throw portInUse(error, '--port', options.port) ?? error;
  });
  let remove: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    remove = io.onStopSignal(() => {
      remove();
      resolve();
    });
  });
  const summary = { event: 'visualizer', url: server.url, trace: trace.source.name, entries: trace.entries.length, frames: trace.frames.length };
  if (options.json) io.stdout(JSON.stringify(summary));
  else io.stdout(`visualizer at ${server.url} (trace of ${trace.source.kind} ${trace.source.name}: ${trace.entries.length} steps, ${trace.frames.length} frames); Ctrl+C stops`);
  await stopped;
  await server.close();
  return EXIT_CODES.ok;
}
