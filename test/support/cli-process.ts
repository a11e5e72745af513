/**
 * Runs the `relay-gateway` CLI as a real child process (through tsx, from source) and collects its
 * output line by line. Every child is killed after its test.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach } from 'vitest';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** A running CLI process. */
export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every stdout line so far. */
  readonly stdout: readonly string[];
  /** Every stderr line so far. */
  readonly stderr: readonly string[];
  /**
   * Stdout lines parsed as JSON (non-JSON lines skipped), without their `ts` field when it is an
   * ISO 8601 time (so tests compare what the line says; {@link CliProcess.jsonWithTime} keeps it).
   */
  json(): Array<Record<string, unknown>>;
  /** Stdout lines parsed as JSON, exactly as printed. */
  jsonWithTime(): Array<Record<string, unknown>>;
  /** Resolves with the first stdout JSON line (past or future) matching `predicate`. */
  waitForJson(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the first stderr line (past or future) matching `predicate`. */
  waitForStderr(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Write one line to stdin. */
  send(line: string): void;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number | null>;
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/u;

function parseRaw(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parse(line: string): Record<string, unknown> | undefined {
  const value = parseRaw(line);
  if (!value || typeof value.ts !== 'string' || !ISO_TIME.test(value.ts)) return value;
  const { ts: _ts, ...rest } = value;
  return rest;
}

/** Spawn `relay-gateway <args>` with exactly `env` (plus PATH/HOME so node and tsx work). */
export function runCliProcess(args: readonly string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  children.push(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout.push(line);
    wake();
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr.push(line);
    wake();
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => {
    wake();
    resolve(code);
  }));
  const waitFor = <T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const found = find();
        if (found !== undefined) {
          done();
          resolve(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`the CLI exited (${String(child.exitCode ?? child.signalCode)}) before ${what}\nstdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}\nstdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const json = (): Array<Record<string, unknown>> => stdout.map(parse).filter((v): v is Record<string, unknown> => v !== undefined);
  return {
    child,
    stdout,
    stderr,
    json,
    jsonWithTime: () => stdout.map(parseRaw).filter((v): v is Record<string, unknown> => v !== undefined),
    waitForJson: (predicate, timeoutMs = 10_000) => waitFor(() => json().find(predicate), 'a matching JSON line', timeoutMs),
    waitForStderr: (predicate, timeoutMs = 10_000) => waitFor(() => stderr.find(predicate), 'a matching stderr line', timeoutMs),
    send: (line) => void child.stdin.write(`${line}\n`),
    exited,
  };
}
