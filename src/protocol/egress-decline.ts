/**
 * The egress-decline classifier (protocol-later §4). A connector refuses to deliver to a destination
 * this connection is not approved for; such a refusal must never be retried through another op or
 * dressed up as success, so every lane needs the same, exact test for it.
 * @module
 */

/** The connector's stable `code` for a declined egress. */
export const EGRESS_DECLINED_CODE = 'egress_declined';

/**
 * The lower-cased marker an older connector puts in `error` instead of a `code`. Matched as a
 * substring only: the text is reported verbatim and never parsed for a reason.
 */
export const EGRESS_DECLINED_MARKER = 'egress declined:';

/**
 * The fields the classifier reads. Typed loosely on purpose: it also runs on results that did not come
 * through the typed result reader (raw connector objects, results from other lanes).
 */
export interface EgressDeclineCandidate {
  readonly success?: unknown;
  readonly ambiguous?: unknown;
  readonly code?: unknown;
  readonly error?: unknown;
}

/**
 * Whether `result` is an egress decline: not a success, not ambiguous (an ambiguous outcome may have
 * been delivered, so it is not a refusal), and either `code === "egress_declined"` or an `error` text
 * containing `"egress declined:"` in any letter case. A missing or non-string `error` reads as `""`;
 * `null`/`undefined` is never a decline.
 */
export function isEgressDecline(result: EgressDeclineCandidate | null | undefined): boolean {
  if (result === null || result === undefined) return false;
  if (result.success === true || result.ambiguous === true) return false;
  if (result.code === EGRESS_DECLINED_CODE) return true;
  const error = typeof result.error === 'string' ? result.error : '';
  return error.toLowerCase().includes(EGRESS_DECLINED_MARKER);
}
