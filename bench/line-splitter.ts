/** Newline splitting for the benchmark's own peers (the raw client and the bench server). */
import type { RawData } from 'ws';

function text(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
}

/**
 * A `message` listener that calls `onLine` with each complete non-empty line, keeping a partial
 * line for the next message. As lean as the protocol allows: the raw baseline is built on it.
 */
export function lineSplitter(onLine: (line: string) => void): (data: RawData) => void {
  let partial = '';
  return (data) => {
    partial += text(data);
    let newline: number;
    while ((newline = partial.indexOf('\n')) !== -1) {
      const line = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      if (line !== '') onLine(line);
    }
  };
}
