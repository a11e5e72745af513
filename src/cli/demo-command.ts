/**
 * `relay-gateway demo`: the scripted story on the embedded dev connector (see `src/demo/run-demo.ts`).
 * @module
 */
import { runDemo } from '../demo/run-demo.js';
import type { RelayGateway } from '../gateway/create-relay-gateway.js';
import type { CliIo } from './cli-io.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { startCliVisualizer, type CliVisualizer } from './visualize.js';

/** Options of `relay-gateway demo`. */
export interface DemoCommandOptions {
  /** JSON lines instead of the readable timeline. @default false */
  readonly json: boolean;
  /** Serve the visualizer on this port (0 = any), or null. @default null */
  readonly visualizePort: number | null;
  /** The visualizer's lifecycle buttons. @default false */
  readonly visualizeControl?: boolean;
  /** Pause between chapters. @default 0, or 1500 with the visualizer so a person can follow */
  readonly pauseMs: number | undefined;
}

/** Pause between chapters when a person watches the visualizer. */
export const VISUALIZE_PAUSE_MS = 1500;

/**
 * Run the demo. Exit 0 only if the story happened as scripted. With the visualizer, the page stays
 * up after the story until SIGINT/SIGTERM so it can be read.
 */
export async function runDemoCommand(options: DemoCommandOptions, io: CliIo): Promise<ExitCode> {
  let visualizer: CliVisualizer | undefined;
  try {
    const result = await runDemo({
      json: options.json,
      write: io.stdout,
      chapterPauseMs: options.pauseMs ?? (options.visualizePort !== null ? VISUALIZE_PAUSE_MS : 0),
      ...(options.visualizePort !== null
        ? {
            onGateway: async (gateway: RelayGateway) => {
              visualizer = await startCliVisualizer(gateway, { port: options.visualizePort ?? 0, control: options.visualizeControl ?? false });
              if (options.json) io.stdout(JSON.stringify({ event: 'visualizer', url: visualizer.url }));
              else io.stdout(`visualizer at ${visualizer.url}`);
            },
          }
        : {}),
    });
    if (visualizer) {
      // Handler first, announcement second: a reader may signal as soon as it sees the line.
      let remove: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => {
        remove = io.onStopSignal(() => {
          remove();
          resolve();
        });
      });
      io.stderr(`the story is over; the visualizer stays at ${visualizer.url} until Ctrl+C`);
      await stopped;
    }
    return result.ok ? EXIT_CODES.ok : EXIT_CODES.unexpected;
  } finally {
    await visualizer?.close();
  }
}
