/**
 * TEST ORACLE: the ignore lists of the flat machine (see flat-connection.machine.ts), unchanged.
 *
 * Events each state deliberately ignores. Nothing is dropped silently: every (state, event) pair is
 * either handled by a transition or listed here with the reason, a test checks the table is complete,
 * and at run time an ignored event increments `context.ignoredEvents`.
 * @module
 */
import type { ConnectionEvent } from '../../../machines/connection.types.js';

type EventType = ConnectionEvent['type'];

/** Why socket events can reach a state that has no socket: they were in flight when it closed. */
const STALE_SOCKET_EVENTS = [
  'SOCKET_OPEN',
  'DIAL_FAILED',
  'DESCRIPTOR',
  'HANDSHAKE_INVALID',
  'SOCKET_CLOSED',
  'GOING_IDLE_ACK',
  'LINK_ALIVE',
] as const satisfies readonly EventType[];

/** Backlog signals only mean something while serving (they are edge-triggered, so rare elsewhere). */
const INTAKE_EVENTS = ['INTAKE_HIGH', 'INTAKE_DRAINED'] as const satisfies readonly EventType[];

/** Per state path (`serving.live` for nested ones), the events it ignores. */
export const IGNORED_EVENTS = {
  // Nothing to go idle from; socket events are late arrivals from a closed socket.
  idle: ['GO_IDLE', ...STALE_SOCKET_EVENTS, ...INTAKE_EVENTS],
  // Already started; not serving yet, so going idle is not possible (goIdle() resolves false).
  // Before the upgrade completes the socket actor reports failures as DIAL_FAILED, so a
  // SOCKET_CLOSED here can only be a late event from an earlier socket.
  dialing: ['START', 'GO_IDLE', 'DESCRIPTOR', 'HANDSHAKE_INVALID', 'SOCKET_CLOSED', 'GOING_IDLE_ACK', 'LINK_ALIVE', ...INTAKE_EVENTS],
  handshaking: ['START', 'GO_IDLE', 'SOCKET_OPEN', 'DIAL_FAILED', 'GOING_IDLE_ACK', 'LINK_ALIVE', ...INTAKE_EVENTS],
  // A second descriptor without a new handshake changes nothing. (An ack that flow control did not
  // ask for is counted by the GOING_IDLE_ACK transition's last branch.)
  serving: ['START', 'SOCKET_OPEN', 'DIAL_FAILED', 'DESCRIPTOR', 'HANDSHAKE_INVALID'],
  // Liveness proofs only matter while a check is pending.
  'serving.live': ['LINK_ALIVE'],
  'serving.awaitingPong': [],
  // Already going idle; the going_idle frame already asks the connector to buffer.
  goingIdle: ['START', 'GO_IDLE', 'SOCKET_OPEN', 'DIAL_FAILED', 'DESCRIPTOR', 'HANDSHAKE_INVALID', 'LINK_ALIVE', ...INTAKE_EVENTS],
  'goingIdle.requested': [],
  // A stop can never be undone: a second stop or a reconnect request changes nothing.
  'goingIdle.stopping': ['STOP', 'RECONNECT_NOW'],
  reconnecting: ['START', 'GO_IDLE', ...STALE_SOCKET_EVENTS, ...INTAKE_EVENTS],
} as const satisfies Record<string, readonly EventType[]>;

/** A state path that has an ignore list. */
export type StateWithIgnores = keyof typeof IGNORED_EVENTS;

/** Transitions that count an ignored event, for spreading into a state's `on`. */
export function ignoring(state: StateWithIgnores): Record<string, { actions: 'countIgnoredEvent'; description: string }> {
  const on: Record<string, { actions: 'countIgnoredEvent'; description: string }> = {};
  for (const type of IGNORED_EVENTS[state]) on[type] = { actions: 'countIgnoredEvent', description: 'ignored (counted)' };
  return on;
}
