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
import type { DeclineNotice, PromptAnswer } from '../gateway/later-op-types.js';
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

/**
 * A `prompt` line: an answer to one of this gateway's prompts (`onPromptResponse`, once per prompt).
 * The label is button text the connector reports; nothing here is a credential.
 */
export interface CliPromptEvent {
  readonly event: 'prompt';
  readonly promptId: string;
  readonly optionId: string;
  /** False when `optionId` is not one of the prompt's options. */
  readonly knownOption: boolean;
  /** `approval`, `clarify` or `choice`, as sent. */
  readonly promptKind: string;
  /** The pressed button's label, when the connector gave one. */
  readonly label: string | null;
  /** Where the press came from. */
  readonly platform: string;
  readonly chatId: string;
}

/**
 * A `decline` line: the connector refused to deliver an outbound op to this chat (an egress
 * decline, protocol-later §4). `error` is the connector's text, verbatim.
 */
export interface CliDeclineEvent {
  readonly event: 'decline';
  /** The op declined (`send`, `prompt`, `draft`, ...). */
  readonly op: string;
  readonly chatId: string;
  /** `egress_declined` when the connector gave the code, else `null` (recognised by its text). */
  readonly code: string | null;
  readonly error: string;
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
  | {
      readonly event: 'reply';
      readonly chatId: string;
      readonly success: boolean;
      readonly error?: string;
      /** `--echo`: the echo was cut to the chat's length limit (`maxMessageLength` in its unit). */
      readonly truncated?: true;
      /** `--echo` with `/prompt`: the reply was a prompt, and answers to it carry this id. */
      readonly promptId?: string;
    }
  | CliPromptEvent
  | CliDeclineEvent
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
    case 'reply': {
      const what = event.promptId !== undefined ? `prompt ${event.promptId}` : 'reply';
      const cut = event.truncated ? ' (cut to the chat\'s length limit)' : '';
      return `${what} to ${event.chatId}: ${event.success ? `sent${cut}` : `failed (${event.error ?? 'unknown error'})`}`;
    }
    case 'prompt':
      return (
        `prompt answer in ${event.chatId} (${event.platform}): option ${JSON.stringify(event.optionId)}` +
        `${event.label !== null ? ` ${JSON.stringify(event.label)}` : ''} of ${event.promptKind} prompt ${event.promptId}` +
        `${event.knownOption ? '' : ' (not one of its options)'}`
      );
    case 'decline':
      return `decline: the connector refused ${event.op} to ${event.chatId}${event.code !== null ? ` (${event.code})` : ''}: ${event.error}`;
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

/** The `reply` event of an echo send (or, with `promptId`, of an echo prompt). */
export function replyEvent(chatId: string, result: SendResult, extra: { readonly truncated?: boolean; readonly promptId?: string } = {}): CliEvent {
  return {
    event: 'reply',
    chatId,
    success: result.success,
    ...(result.success ? {} : { error: result.error ?? (result.ambiguous ? 'ambiguous' : 'failed') }),
    ...(extra.truncated ? { truncated: true as const } : {}),
    ...(extra.promptId !== undefined ? { promptId: extra.promptId } : {}),
  };
}

/** The `prompt` event of an answer. */
export function promptEvent(answer: PromptAnswer): CliPromptEvent {
  return {
    event: 'prompt',
    promptId: answer.prompt_id,
    optionId: answer.option_id,
    knownOption: answer.known_option,
    promptKind: answer.prompt_kind,
    label: answer.label ?? null,
    platform: answer.source.platform,
    chatId: answer.source.chat_id,
  };
}

/** The `decline` event of a decline notice. */
export function declineEvent(notice: DeclineNotice): CliDeclineEvent {
  return { event: 'decline', op: notice.op, chatId: notice.chatId, code: notice.code ?? null, error: notice.error };
}
