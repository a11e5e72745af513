/**
 * Events each state deliberately ignores. Nothing is dropped silently: every (state, event) pair is
 * either handled by a transition or listed here with the reason, a test checks the table is complete,
 * and at run time an ignored event increments `context.ignoredEvents`.
 * @module
 */
import type { ConnectionEvent } from './connection.types.js';

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

/** Backlog signals only mean something while serving. */
const INTAKE_EVENTS = ['INTAKE_HIGH', 'INTAKE_DRAINED'] as const satisfies readonly EventType[];

/**
 * Per state path (`running.link.open.serving` for nested ones), the events it ignores. A child's
 * entry shadows a parent's handler, so every entry here is load-bearing: a test holds the effective
 * behaviour of every leaf state to the flat machine the chart was refactored from.
 */
export const IGNORED_EVENTS = {
  // Whatever a running state does not handle itself is out of place there: START once started,
  // GO_IDLE when not serving, socket events that were in flight from a socket already closed (or,
  // before the upgrade completes, a SOCKET_CLOSED: the socket actor reports those as DIAL_FAILED), a
  // second descriptor, an ack nobody asked for, liveness proofs with no check pending, and backlog
  // signals outside serving.
  // GO_DORMANT like GO_IDLE (only serving goes dormant); DRAIN_DONE means something only while stopping.
  running: ['START', 'GO_IDLE', 'GO_DORMANT', 'DRAIN_DONE', ...STALE_SOCKET_EVENTS, ...INTAKE_EVENTS],
  // A stop can never be undone: a second stop or a reconnect request changes nothing.
  // A hold makes no sense once stopping (nothing will redial); it is ignored, counted.
  'running.link.open.goingIdle.stopping': ['STOP', 'RECONNECT_NOW', 'HOLD_REDIAL'],
} as const satisfies Record<string, readonly EventType[]>;

/** A state path that has an ignore list. */
export type StateWithIgnores = keyof typeof IGNORED_EVENTS;

/** Transitions that count an ignored event, for spreading into a state's `on`. */
export function ignoring(state: StateWithIgnores): Record<string, { actions: 'countIgnoredEvent'; description: string }> {
  const on: Record<string, { actions: 'countIgnoredEvent'; description: string }> = {};
  for (const type of IGNORED_EVENTS[state]) on[type] = { actions: 'countIgnoredEvent', description: 'ignored (counted)' };
  return on;
}
