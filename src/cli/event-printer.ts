/**
 * How `relay-gateway connect` reports what happens: one JSON object per line on stdout (`--json`,
 * for machines) or one readable, timestamped line per event on stderr (for people). Secrets never
 * reach it: it is only handed states, messages and results.
 * @module
 */
import type { ConnectionStateName } from '../../machines/connection.types.js';
import type { StateChangeInfo } from '../gateway/create-relay-gateway.js';
import type { SendResult } from '../protocol/outbound.js';
import type { CliIo } from './cli-io.js';

/** One `--json` output line. Field names are a public contract (scripts parse them). */
export type CliEvent =
  | { readonly event: 'state'; readonly state: ConnectionStateName; readonly attempt?: number; readonly closeCode?: number; readonly closeReason?: string }
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
  | { readonly event: 'error'; readonly message: string };

/** States after which the last close is worth reporting (elsewhere it is stale history). */
const CLOSE_STATES: ReadonlySet<ConnectionStateName> = new Set(['reconnecting', 'disabled', 'stopped']);

/** Build the `state` event for a state change: attempt and close only when they say something. */
export function stateEvent(state: ConnectionStateName, info: Pick<StateChangeInfo, 'attempt' | 'lastClose'>): CliEvent {
  return {
    event: 'state',
    state,
    ...(info.attempt > 0 ? { attempt: info.attempt } : {}),
    ...(CLOSE_STATES.has(state) && info.lastClose ? { closeCode: info.lastClose.code, closeReason: info.lastClose.reason } : {}),
  };
}

/** Render an event as a readable line (without the timestamp). */
export function describeEvent(event: CliEvent): string {
  switch (event.event) {
    case 'state': {
      const parts = [`state ${event.state}`];
      if (event.attempt !== undefined) parts.push(`attempt ${event.attempt}`);
      if (event.closeCode !== undefined) parts.push(`after close ${event.closeCode}${event.closeReason ? ` (${event.closeReason})` : ''}`);
      return parts.join(', ');
    }
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
    case 'error':
      return `error: ${event.message}`;
  }
}

/** Writes events in the chosen format. */
export type EventPrinter = (event: CliEvent) => void;

/** Create the printer for `--json` (stdout) or readable (stderr) output. */
export function createEventPrinter(json: boolean, io: Pick<CliIo, 'stdout' | 'stderr' | 'now'>): EventPrinter {
  if (json) return (event) => io.stdout(JSON.stringify(event));
  return (event) => io.stderr(`${new Date(io.now()).toISOString()} ${describeEvent(event)}`);
}

/** The `reply` event of an echo send. */
export function replyEvent(chatId: string, result: SendResult): CliEvent {
  return { event: 'reply', chatId, success: result.success, ...(result.success ? {} : { error: result.error ?? (result.ambiguous ? 'ambiguous' : 'failed') }) };
}
