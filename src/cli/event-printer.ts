/**
 * How `relay-gateway connect` reports what happens: one JSON object per line on stdout (`--json`,
 * for machines) or one readable, timestamped line per event on stderr (for people). Secrets never
 * reach it: it is only handed states, messages and results.
 * @module
 */
import type { ConnectionStateName } from '../../machines/connection.types.js';
import type { StateChangeInfo } from '../gateway/create-relay-gateway.js';
import type { LinkCauseKind } from '../transport/link-cause.js';
import type { Redial } from '../transport/relay-connection.js';
import type { SendResult } from '../protocol/outbound.js';
import type { CliIo } from './cli-io.js';

/** A `state` line: the new state, and, when the change follows from one, why and what comes next. */
export interface CliStateEvent {
  readonly event: 'state';
  readonly state: ConnectionStateName;
  /** Consecutive failed attempts, in `reconnecting` (the backoff ladder's position). */
  readonly failures?: number;
  /** When the next dial starts, in `reconnecting`. */
  readonly retryInMs?: number;
  /** The classified cause (`refused`, `dns`, `tls`, `http`, `closed`, `no-pong`, `revoked`, ...). */
  readonly cause?: LinkCauseKind;
  /** The cause in words, with the error or close as reported. */
  readonly message?: string;
  readonly closeCode?: number;
  readonly closeReason?: string;
  /** Set when a dial starts while a link was up: `fresh-token`, `replay` or `requested`. */
  readonly redial?: Redial;
}

/** One `--json` output line (each also carries `ts`, ISO 8601). Field names are a public contract. */
export type CliEvent =
  | CliStateEvent
  | {
      readonly event: 'inbound';
      readonly sessionKey: string;
      readonly chatId: string;
      readonly text: string;
      readonly messageType: string;
      readonly bufferId: string | null;
    }
  | { readonly event: 'interrupt'; readonly sessionKey: string; readonly chatId: string }
  | { readonly event: 'reply'; readonly chatId: string; readonly success: boolean; readonly error?: string }
  | { readonly event: 'disabled'; readonly reason: string }
  | { readonly event: 'visualizer'; readonly url: string }
  | { readonly event: 'health'; readonly url: string }
  | { readonly event: 'error'; readonly message: string };

/**
 * Build the `state` event for a state change. The cause, the close and the retry delay appear only
 * when this change follows from them (no stale close on a stop that was asked for), and the failure
 * count only while reconnecting (it is the backoff ladder's position, not a count of dials).
 */
export function stateEvent(state: ConnectionStateName, info: Pick<StateChangeInfo, 'attempt' | 'cause' | 'retryInMs' | 'redial'>): CliStateEvent {
  const cause = info.cause;
  return {
    event: 'state',
    state,
    ...(state === 'reconnecting' && info.attempt > 0 ? { failures: info.attempt } : {}),
    ...(info.retryInMs !== null ? { retryInMs: info.retryInMs } : {}),
    ...(cause ? { cause: cause.kind, message: cause.summary } : {}),
    ...(cause?.closeCode !== undefined ? { closeCode: cause.closeCode, closeReason: cause.closeReason ?? '' } : {}),
    ...(info.redial ? { redial: info.redial } : {}),
  };
}

const REDIAL_TEXT: Readonly<Record<Redial, string>> = {
  'fresh-token': 're-dialling at once with a fresh token (a second 4401 would mean revoked)',
  replay: 're-dialling so the connector replays what it buffered',
  requested: 're-dialling on request',
};

function describeState(event: CliStateEvent): string {
  let line = `state ${event.state}`;
  if (event.failures !== undefined) line += ` (failure ${event.failures} in a row)`;
  if (event.redial) line += `: ${REDIAL_TEXT[event.redial]}${event.message ? `, after ${event.message}` : ''}`;
  else if (event.cause === 'stopped') line += ' (on request)';
  else if (event.message) line += `: ${event.message}`;
  if (event.state === 'stopped' && event.cause && event.cause !== 'stopped') line += ' (reconnect is off)';
  if (event.retryInMs !== undefined) line += `; next dial in ${(event.retryInMs / 1000).toFixed(1)} s`;
  return line;
}

/** Render an event as a readable line (without the timestamp). */
export function describeEvent(event: CliEvent): string {
  switch (event.event) {
    case 'state':
      return describeState(event);
    case 'inbound':
      return `inbound ${event.messageType} in ${event.chatId} [${event.sessionKey}]${event.bufferId ? ` replayed ${event.bufferId}` : ''}: ${JSON.stringify(event.text)}`;
    case 'interrupt':
      return `interrupt ${event.sessionKey} in ${event.chatId}`;
    case 'reply':
      return `reply to ${event.chatId}: ${event.success ? 'sent' : `failed (${event.error ?? 'unknown error'})`}`;
    case 'disabled':
      return `disabled: ${event.reason} (the connector revoked this gateway's credential; fix it and restart)`;
    case 'visualizer':
      return `visualizer at ${event.url}`;
    case 'health':
      return `health at ${event.url}/healthz, metrics at ${event.url}/metrics`;
    case 'error':
      return `error: ${event.message}`;
  }
}

/** Writes events in the chosen format. */
export type EventPrinter = (event: CliEvent) => void;

/** Create the printer for `--json` (stdout) or readable (stderr) output; both carry the time. */
export function createEventPrinter(json: boolean, io: Pick<CliIo, 'stdout' | 'stderr' | 'now'>): EventPrinter {
  if (json) {
    return (event) => {
      const { event: kind, ...fields } = event;
      io.stdout(JSON.stringify({ event: kind, ts: new Date(io.now()).toISOString(), ...fields }));
    };
  }
  return (event) => io.stderr(`${new Date(io.now()).toISOString()} ${describeEvent(event)}`);
}

/** The `reply` event of an echo send. */
export function replyEvent(chatId: string, result: SendResult): CliEvent {
  return { event: 'reply', chatId, success: result.success, ...(result.success ? {} : { error: result.error ?? (result.ambiguous ? 'ambiguous' : 'failed') }) };
}
