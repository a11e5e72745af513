/**
 * The logging seam. Compatible with `console` and pino (`logger.info(msg, fields)` / pino's
 * `logger.info(fields, msg)` both work because only the message string is required). Silent unless
 * the application passes a logger. Secrets and tokens are never passed to it.
 * @module
 */

/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A logger: any subset of `debug`, `info`, `warn`, `error`. */
export interface Logger {
  debug?(message: string, fields?: LogFields): void;
  info?(message: string, fields?: LogFields): void;
  warn?(message: string, fields?: LogFields): void;
  error?(message: string, fields?: LogFields): void;
}

/** The default: logs nothing. */
export const silentLogger: Logger = Object.freeze({});

/** Log levels of {@link Logger}. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Call `logger[level]` if present; a logger that throws never breaks the gateway. */
export function log(logger: Logger, level: LogLevel, message: string, fields?: LogFields): void {
  if (!logger[level]) return;
  try {
    // Called as a method so loggers that rely on `this` (pino, console) keep working.
    logger[level](message, fields);
  } catch {
    // Logging must never take the gateway down.
  }
}
