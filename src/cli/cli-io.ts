/**
 * The CLI's view of its process: output streams, environment, stdin and signals, injected so the
 * commands can run in-process in tests and from `main.ts` in production.
 * @module
 */
import type { Readable } from 'node:stream';

/** Signals that end a long-running command gracefully. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** What a CLI command may touch of its process. */
export interface CliIo {
  /** Write one line to standard output (a newline is added). */
  readonly stdout: (line: string) => void;
  /** Write one line to standard error (a newline is added). */
  readonly stderr: (line: string) => void;
  /** Environment variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Standard input, for the dev connector's control lines. */
  readonly stdin: Readable;
  /** Call `handler` on SIGINT/SIGTERM; returns a function that removes it. */
  readonly onStopSignal: (handler: (signal: StopSignal) => void) => () => void;
  /** Wall clock (for log timestamps). */
  readonly now: () => number;
}

/** The real process's {@link CliIo}. */
export function processIo(): CliIo {
  // A reader that went away (`relay-gateway demo --json | head`) is not an error worth a stack
  // trace: stop quietly, as command-line tools do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
  return {
    stdout: (line) => void process.stdout.write(`${line}\n`),
    stderr: (line) => void process.stderr.write(`${line}\n`),
    env: process.env,
    stdin: process.stdin,
    onStopSignal: (handler) => {
      const onInt = (): void => handler('SIGINT');
      const onTerm = (): void => handler('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
    now: Date.now,
  };
}
