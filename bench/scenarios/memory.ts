/** Memory per idle connected client, measured in a child process with --expose-gc. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { BenchServer } from '../protocol-server.js';

const memoryPerClientSchema = z.object({ clients: z.number().int(), heapPerClient: z.number(), rssPerClient: z.number(), externalPerClient: z.number() });

/** Heap/RSS growth per client, in bytes. */
export type MemoryPerClient = Readonly<z.infer<typeof memoryPerClientSchema>>;

const CHILD = fileURLToPath(new URL('../memory-child.ts', import.meta.url));

/** Connect `count` clients of `mode` in a fresh process and report the growth per client. */
export function memoryPerClient(server: BenchServer, count: number, mode: 'raw' | 'gateway'): Promise<MemoryPerClient> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, server.url, String(count), mode], { timeout: 120_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`memory child failed: ${error.message}\n${stderr}`));
        return;
      }
      // The child's last line is its report; check it like any other input crossing a process.
      let line: unknown = null;
      try {
        line = JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');
      } catch {
        // Left null: the schema check below reports it with the child's output.
      }
      const report = memoryPerClientSchema.safeParse(line);
      if (report.success) resolve(report.data);
      else reject(new Error(`memory child printed an unexpected report: ${report.error.message}\n${stdout}`));
    });
  });
}
