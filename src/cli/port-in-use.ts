/**
 * A port that is already taken is an operator's mistake, not a crash: it becomes a usage error
 * (exit 2) naming the flag and the port.
 * @module
 */
import { ConfigError } from '../errors.js';

/** The usage error for a listen error that is `EADDRINUSE` (or `EACCES`), else undefined. */
export function portInUse(error: unknown, flag: string, port: number, host = '127.0.0.1'): ConfigError | undefined {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (code === 'EADDRINUSE') return new ConfigError(flag, `port ${port} on ${host} is already in use; pick another port (0 picks a free one)`, { cause: error });
  if (code === 'EACCES') return new ConfigError(flag, `port ${port} on ${host} needs privileges this process does not have; use a port above 1023`, { cause: error });
  return undefined;
}
