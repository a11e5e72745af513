/**
 * The reconnect backoff ladder (relay-connector-contract.md §13): `base * factor^(attempt-1)`, capped, times a jitter drawn
 * uniformly from [0.5, 1.0) so a fleet that lost the same connector does not return in lockstep.
 * @module
 */

/** Backoff settings. All in milliseconds except `factor`. */
export interface BackoffPolicy {
  /** First step. @default 1000 */
  readonly baseMs: number;
  /** Growth per attempt. @default 2 */
  readonly factor: number;
  /** Largest step. @default 30000 */
  readonly capMs: number;
  /** Continuous serving needed before the ladder starts again from `baseMs`. @default 10000 */
  readonly stableMs: number;
}

/** The spec's defaults. */
export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 1000, factor: 2, capMs: 30_000, stableMs: 10_000 });

/** The un-jittered step for the n-th consecutive attempt (1-based). */
export function backoffStep(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.max(0, attempt - 1);
  // Math.min before multiplying keeps huge attempt counts from overflowing to Infinity.
  const step = policy.baseMs * Math.pow(policy.factor, Math.min(exponent, 64));
  return Math.min(policy.capMs, step);
}

/**
 * The wait before the n-th consecutive attempt: the step times `0.5 + 0.5 * random`, where `random`
 * is a value in [0, 1) from an injected source. Rounded to whole milliseconds.
 */
export function backoffDelay(attempt: number, random: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const jitter = 0.5 + 0.5 * Math.min(Math.max(random, 0), 1);
  return Math.round(backoffStep(attempt, policy) * jitter);
}
