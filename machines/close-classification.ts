/**
 * What to do when the socket closes (relay-connector-contract.md §10), as one pure, table-driven function. The machine's
 * guards call it; the table is also what the operators' docs render.
 * @module
 */

/** The close code a connector uses to reject or revoke the upgrade credential. */
export const CLOSE_UNAUTHORIZED = 4401;

/** The close reason that means "your token merely expired". */
export const REASON_EXPIRED = 'expired';

/**
 * The outcome of a close:
 * - `reconnect`: dial again after the backoff delay;
 * - `redialFreshToken`: dial again at once, with a fresh token, and remember the provisional mark;
 * - `disable`: the credential is revoked; stop for good.
 */
export type CloseAction = 'reconnect' | 'redialFreshToken' | 'disable';

/** The facts a close is judged on. */
export interface CloseFacts {
  /** WebSocket close code (1006 when the link died without a close frame). */
  readonly code: number;
  /** Close reason text (`""` when none). */
  readonly reason: string;
  /** Whether a handshake ever succeeded on this gateway. */
  readonly handshakeSeen: boolean;
  /** Whether this connection is the fresh-token re-dial after a provisional 4401. */
  readonly provisional: boolean;
}

/** One row of {@link CLOSE_RULES}. Omitted conditions match anything. */
export interface CloseRule {
  /** Short name of the situation, for logs and docs. */
  readonly when: string;
  readonly code?: number;
  readonly reason?: string;
  readonly handshakeSeen?: boolean;
  readonly provisional?: boolean;
  readonly action: CloseAction;
}

/** The rules, first match wins. The last row matches every close. */
export const CLOSE_RULES: readonly CloseRule[] = Object.freeze([
  { when: '4401 with reason "expired": the token expired, not revoked', code: CLOSE_UNAUTHORIZED, reason: REASON_EXPIRED, action: 'reconnect' },
  { when: '4401 before any handshake: a cold-start race, retry', code: CLOSE_UNAUTHORIZED, handshakeSeen: false, action: 'reconnect' },
  { when: '4401 again on the fresh-token re-dial: revoked', code: CLOSE_UNAUTHORIZED, provisional: true, action: 'disable' },
  { when: '4401 after a handshake: provisional, re-dial once at once', code: CLOSE_UNAUTHORIZED, action: 'redialFreshToken' },
  { when: 'any other close (1000, 1001, 1006, 1009, 1011, 1012, 1013, 4xxx, ...)', action: 'reconnect' },
] satisfies CloseRule[]);

function matches(rule: CloseRule, facts: CloseFacts): boolean {
  return (
    (rule.code === undefined || rule.code === facts.code) &&
    (rule.reason === undefined || rule.reason === facts.reason) &&
    (rule.handshakeSeen === undefined || rule.handshakeSeen === facts.handshakeSeen) &&
    (rule.provisional === undefined || rule.provisional === facts.provisional)
  );
}

/** The first rule of {@link CLOSE_RULES} that matches `facts`. */
export function closeRuleFor(facts: CloseFacts): CloseRule {
  // The last rule has no conditions, so a match always exists.
  return CLOSE_RULES.find((rule) => matches(rule, facts)) ?? (CLOSE_RULES[CLOSE_RULES.length - 1] as CloseRule);
}

/** Classify a close: what the gateway does next. */
export function classifyClose(facts: CloseFacts): CloseAction {
  return closeRuleFor(facts).action;
}
