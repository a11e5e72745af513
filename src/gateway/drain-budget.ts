/**
 * Timing arithmetic of a graceful stop (protocol-later §5.3) and the redial hold ceiling (§5.2), kept
 * apart from the connection code so the numbers can be tested exactly.
 * @module
 */

/** The stop budget, in seconds, used when none (or an unusable one) is given. */
export const STOP_BUDGET_DEFAULT_S = 5;

/** Longest a held redial waits for `releaseRedial()`, in seconds, so a stuck suspend cannot keep us offline. */
export const REDIAL_HOLD_MAX_S = 60;

/** Upper bound of the drain grace, in seconds. */
export const DRAIN_GRACE_MAX_S = 5;

/**
 * Seconds of the budget kept back from the drain for going idle and closing the socket; what is left
 * (up to {@link DRAIN_GRACE_MAX_S}) is how long written requests are awaited.
 */
export const DRAIN_BUDGET_RESERVE_S = 3.5;

/**
 * The stop budget to use for `value`: a finite number >= 0 is kept as is, anything else (missing,
 * negative, `NaN`, `Infinity`, a numeric string) becomes {@link STOP_BUDGET_DEFAULT_S}. Strings are not
 * converted: a budget is an API option, not a wire value.
 */
export function normalizeBudgetS(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : STOP_BUDGET_DEFAULT_S;
}

/**
 * How long, in seconds, a stop with `budgetS` awaits written requests:
 * `max(0, min(5, budgetS - 3.5))` (1.5 s for the default budget, 0 for a budget <= 3.5 s). The budget
 * is passed through {@link normalizeBudgetS} first, so a bad value can never yield `NaN`.
 */
export function drainGraceS(budgetS: number): number {
  return Math.max(0, Math.min(DRAIN_GRACE_MAX_S, normalizeBudgetS(budgetS) - DRAIN_BUDGET_RESERVE_S));
}
