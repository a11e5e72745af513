/**
 * Process exit codes of the `relay-gateway` CLI. Stable: scripts and supervisors branch on them.
 * @module
 */

/** Exit codes of the CLI. */
export const EXIT_CODES = Object.freeze({
  /** Graceful stop (SIGINT/SIGTERM), or a command that finished as expected. */
  ok: 0,
  /** Anything unexpected: an internal error, the connection ending with reconnect off, a failed demo. */
  unexpected: 1,
  /** Invalid arguments or configuration; the message names the flag, variable or key. */
  usage: 2,
  /** The gateway ended `disabled`: the connector revoked its credential (not retryable). */
  disabled: 3,
} as const);

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
