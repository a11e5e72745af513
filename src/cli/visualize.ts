/**
 * `--visualize[=PORT]` for the CLI: serves the live visualizer next to a gateway and reports its URL.
 * @module
 */
import type { RelayGateway } from '../gateway/create-relay-gateway.js';

/** A running visualizer, as the CLI needs it. */
export interface CliVisualizer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serve the visualizer for `gateway` on 127.0.0.1:`port` (0 = any free port). */
export async function startCliVisualizer(gateway: RelayGateway, port: number): Promise<CliVisualizer> {
  // Loaded on demand: the layout engine (elkjs) is heavy and most runs never visualize.
  const { serveVisualizer } = await import('../visualizer/serve-visualizer.js');
  const server = await serveVisualizer(gateway, { port });
  return { url: server.url, close: () => server.close() };
}
