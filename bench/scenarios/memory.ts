/** Memory per idle connected client, measured in a child process with --expose-gc. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchServer } from '../protocol-server.js';

/** Heap/RSS growth per client, in bytes. */
export interface MemoryPerClient {
  readonly clients: number;
  readonly heapPerClient: number;
  readonly rssPerClient: number;
  readonly externalPerClient: number;
}

const CHILD = fileURLToPath(new URL('../memory-child.ts', import.meta.url));

/** Connect `count` clients of `mode` in a fresh process and report the growth per client. */
export function memoryPerClient(server: BenchServer, count: number, mode: 'raw' | 'gateway'): Promise<MemoryPerClient> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, server.url, String(count), mode], { timeout: 120_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`memory child failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as MemoryPerClient);
    });
  });
}
