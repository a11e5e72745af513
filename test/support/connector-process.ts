/**
 * Runs the dev connector in a child process (test/fixtures/connector-process.ts) so a test can kill it
 * or measure the gateway's memory apart from the connector's. Killed after each test.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach } from 'vitest';

const FIXTURE = new URL('../fixtures/connector-process.ts', import.meta.url).pathname;
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** A connector child process. Commands are answered in order, one line each. */
export interface ConnectorProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly port: number;
  command(command: object): Promise<Record<string, unknown>>;
}

/** Start a connector process on `port` (0 = any). */
export async function startConnectorProcess(port = 0): Promise<ConnectorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const replies: Array<(line: Record<string, unknown>) => void> = [];
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`connector process exited (${String(code)})`))));
  exited.catch(() => undefined);
  createInterface({ input: child.stdout }).on('line', (line) => replies.shift()?.(JSON.parse(line) as Record<string, unknown>));
  const next = (): Promise<Record<string, unknown>> => Promise.race([new Promise<Record<string, unknown>>((resolve) => replies.push(resolve)), exited]);
  const hello = await next();
  return {
    child,
    url: hello.url as string,
    port: hello.port as number,
    command: (command) => {
      const reply = next();
      child.stdin.write(`${JSON.stringify(command)}\n`);
      return reply;
    },
  };
}
