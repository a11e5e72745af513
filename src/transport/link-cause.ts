/**
 * Why a link went down (or never came up), in words an operator can act on: a refused port, a DNS
 * failure, a TLS problem, an HTTP answer instead of an upgrade, a timeout, a dead link, a close and
 * its code. Pure functions over what the machine records (`lastError`, `lastClose`), so logs, the
 * CLI and `start()`'s rejection all say the same thing.
 * @module
 */
import { CLOSE_UNAUTHORIZED, REASON_EXPIRED } from '../../machines/close-classification.js';
import type { CloseRecord } from '../../machines/connection.types.js';

/** The kinds of cause, stable strings (scripts may switch on them). */
export type LinkCauseKind =
  | 'refused'
  | 'dns'
  | 'tls'
  | 'http'
  | 'reset'
  | 'dial-timeout'
  | 'handshake-timeout'
  | 'invalid-descriptor'
  | 'no-pong'
  | 'too-big'
  | 'unauthorized'
  | 'expired'
  | 'revoked'
  | 'closed'
  | 'stopped'
  | 'other';

/** A classified cause. */
export interface LinkCause {
  readonly kind: LinkCauseKind;
  /** One line for people, e.g. `connection refused (connect ECONNREFUSED 127.0.0.1:1)`. */
  readonly summary: string;
  /** The dial or handshake error as reported, when the cause is one. */
  readonly error?: string;
  /** The close, when the cause is one. */
  readonly closeCode?: number;
  readonly closeReason?: string;
  /** The HTTP status the upgrade was answered with (`http`). */
  readonly httpStatus?: number;
}

const TIMEOUT_PATTERNS: ReadonlyArray<readonly [RegExp, LinkCauseKind, string]> = [
  [/^dial timed out/u, 'dial-timeout', 'the dial (TCP, TLS, upgrade) did not complete in time'],
  [/^no descriptor within/u, 'handshake-timeout', 'the connector accepted the socket but sent no descriptor in time'],
  [/^no pong within/u, 'no-pong', 'the link went silent: no pong to the keepalive ping'],
];

/** Classify a dial or handshake failure from its message (the socket actor appends errno codes). */
export function classifyFailure(error: string): LinkCause {
  for (const [pattern, kind, text] of TIMEOUT_PATTERNS) if (pattern.test(error)) return { kind, summary: `${text} (${error})`, error };
  const http = /Unexpected server response: (\d{3})/u.exec(error);
  if (http) {
    const status = Number(http[1]);
    return { kind: 'http', summary: `the upgrade was answered with HTTP ${status} instead of a WebSocket (${error})`, error, httpStatus: status };
  }
  if (/ECONNREFUSED/u.test(error)) return { kind: 'refused', summary: `connection refused: nothing listens there (${error})`, error };
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME|getaddrinfo/u.test(error)) return { kind: 'dns', summary: `the host name does not resolve (${error})`, error };
  if (/CERT|SSL|TLS|EPROTO|certificate|self[- ]signed/iu.test(error)) return { kind: 'tls', summary: `TLS failed: check the scheme (wss:// for TLS) and the CA (${error})`, error };
  if (/ECONNRESET|socket hang up|EPIPE/u.test(error)) return { kind: 'reset', summary: `the connection was reset during the upgrade (${error})`, error };
  if (/^invalid descriptor|descriptor/u.test(error)) return { kind: 'invalid-descriptor', summary: `the connector's descriptor is invalid (${error})`, error };
  return { kind: 'other', summary: error, error };
}

/** Classify a close. `revoked` when the machine ended disabled on it. */
export function classifyCloseCause(close: CloseRecord, revoked: boolean): LinkCause {
  const base = { closeCode: close.code, closeReason: close.reason };
  const said = `close ${close.code}${close.reason ? ` "${close.reason}"` : ''}`;
  if (close.code === CLOSE_UNAUTHORIZED) {
    if (revoked) return { kind: 'revoked', summary: `the connector revoked this gateway's credential (${said}, twice)`, ...base };
    if (close.reason === REASON_EXPIRED) return { kind: 'expired', summary: `the upgrade token expired (${said}); a fresh one is minted for the next dial`, ...base };
    return { kind: 'unauthorized', summary: `the connector refused the credential (${said})`, ...base };
  }
  if (close.code === 1006 && close.reason.startsWith('keepalive')) return { kind: 'no-pong', summary: 'the link went silent: no pong to the keepalive ping (closed as 1006)', ...base };
  if (close.code === 1009) return { kind: 'too-big', summary: `the connector sent a message or line over the size limit (${said})`, ...base };
  if (close.code === 1006) return { kind: 'closed', summary: 'the link dropped without a close frame (1006)', ...base };
  return { kind: 'closed', summary: `the connector closed the link (${said})`, ...base };
}
