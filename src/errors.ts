/**
 * Typed errors of relay-gateway. Every error carries a stable string `code` (never reworded, safe to
 * switch on) plus structured fields, in the manner of `ws`. Messages are for humans and may change.
 * @module
 */

/** Every stable error code this library throws or reports. */
export type RelayErrorCode =
  | 'ERR_PROTOCOL_INVALID'
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_CONFIG_INVALID'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_RELAY_DISABLED'
  | 'ERR_GATEWAY_STOPPED'
  | 'ERR_INVALID_STATE'
  | 'ERR_TRACE_INVALID';

/** Base class of every error raised by relay-gateway. Check `code`, not the message. */
export class RelayGatewayError extends Error {
  /** Stable machine-readable code. */
  readonly code: RelayErrorCode;

  constructor(code: RelayErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One reason a value failed validation: where, what was expected, what arrived. */
export interface ValidationIssue {
  /** Dotted path of the offending field from the root of the validated value (`""` for the root). */
  readonly path: string;
  /** Short description of what was expected (a type, an enum, "required"). */
  readonly expected: string;
  /** Short, truncated rendering of what was received (`"undefined"` when the field was missing). */
  readonly received: string;
  /** Human-readable sentence. */
  readonly message: string;
}

/**
 * A value from the wire (a frame, a descriptor, an event) did not match the contract.
 * `subject` names what was being parsed (`descriptor`, `frame`, `inbound event`, ...).
 */
export class ProtocolValidationError extends RelayGatewayError {
  /** What was being parsed. */
  readonly subject: string;
  /** Every problem found, first one first. Never empty. */
  readonly issues: readonly ValidationIssue[];

  constructor(subject: string, issues: readonly ValidationIssue[]) {
    const first = issues[0];
    const where = first && first.path !== '' ? ` at "${first.path}"` : '';
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? 's' : ''})` : '';
    super(
      'ERR_PROTOCOL_INVALID',
      `invalid ${subject}${where}: ${first ? `expected ${first.expected}, received ${first.received}` : 'unknown problem'}${more}`,
    );
    this.subject = subject;
    this.issues = issues;
  }

  /** Path of the first offending field (convenience for `issues[0].path`). */
  get path(): string {
    return this.issues[0]?.path ?? '';
  }
}

/**
 * A partial line grew past the decoder's cap without a newline. The connection should be closed
 * with 1009 (message too big) and re-dialled.
 */
export class FrameTooLargeError extends RelayGatewayError {
  /** Size of the offending partial line, in UTF-8 bytes. */
  readonly size: number;
  /** The configured cap, in UTF-8 bytes. */
  readonly limit: number;

  constructor(size: number, limit: number) {
    super('ERR_FRAME_TOO_LARGE', `partial frame line of ${size} bytes exceeds the limit of ${limit} bytes`);
    this.size = size;
    this.limit = limit;
  }
}

/** Configuration (environment variable, config-file key or option) is invalid. */
export class ConfigError extends RelayGatewayError {
  /** The environment variable, config-file key or option at fault, e.g. `GATEWAY_RELAY_URL`. */
  readonly setting: string;

  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG_INVALID', `${setting}: ${message}`, options);
    this.setting = setting;
  }
}

/** A function was called with an argument it cannot accept. */
export class InvalidArgumentError extends RelayGatewayError {
  /** Name of the argument or option at fault. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super('ERR_INVALID_ARGUMENT', `${argument}: ${message}`);
    this.argument = argument;
  }
}

/**
 * The connector revoked this gateway's credential (close 4401 twice, relay-connector-contract.md §10). Non-retryable:
 * fix the credential and create a new gateway. `reason` is the stable string `relay_disabled`.
 */
export class RelayDisabledError extends RelayGatewayError {
  /** Stable, non-retryable reason. */
  readonly reason = 'relay_disabled' as const;
  /** The last close the connector sent. */
  readonly closeCode: number | undefined;

  constructor(message: string, closeCode?: number) {
    super('ERR_RELAY_DISABLED', message);
    this.closeCode = closeCode;
  }
}

/** The gateway stopped before the operation could complete (stop(), or a close with reconnect off). */
export class GatewayStoppedError extends RelayGatewayError {
  /** Last close code seen, if the stop followed a close. */
  readonly closeCode: number | undefined;
  /** Last dial or handshake error, if any. */
  readonly lastError: string | undefined;

  constructor(message: string, details: { closeCode?: number; lastError?: string; cause?: unknown } = {}) {
    super('ERR_GATEWAY_STOPPED', message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.closeCode = details.closeCode;
    this.lastError = details.lastError;
  }
}

/** An operation was called in a state that cannot perform it (e.g. a push from inside a callback). */
export class InvalidStateError extends RelayGatewayError {
  constructor(message: string) {
    super('ERR_INVALID_STATE', message);
  }
}

/**
 * A visualizer trace file is not one this version can read: not JSON, another format or version, or
 * a field of the wrong shape. `issues` says where, what was expected and what was found.
 */
export class TraceFormatError extends RelayGatewayError {
  /** Every problem found, first one first. Never empty. */
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    const first = issues[0];
    super('ERR_TRACE_INVALID', `invalid trace${first ? `: ${first.message}` : ''}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`);
    this.issues = issues;
  }
}
