/**
 * Types of the connection machine: its settings, context, events and the socket actor's contract.
 * Everything here is plain serialisable data.
 * @module
 */
import type { CapabilityDescriptor } from '../src/protocol/descriptor.js';
import type { BackoffPolicy } from './backoff.js';

/** Timings and switches the machine runs with (milliseconds). */
export interface ConnectionSettings {
  /** Re-dial after an unexpected close. @default true */
  readonly reconnect: boolean;
  /** Backoff ladder. @default {@link DEFAULT_BACKOFF} */
  readonly backoff: BackoffPolicy;
  /** TCP + TLS + upgrade. @default 10000 */
  readonly dialTimeoutMs: number;
  /** `hello` to the first `descriptor`. @default 30000 */
  readonly handshakeTimeoutMs: number;
  /** Waiting for `going_idle_ack` after `goIdle()`. @default 10000 */
  readonly goIdleTimeoutMs: number;
  /** Waiting for `going_idle_ack` during a graceful stop. @default 2000 */
  readonly stopGoIdleTimeoutMs: number;
  /** Silence (no inbound traffic) before a WebSocket ping. @default 30000 */
  readonly pingIntervalMs: number;
  /** Pong wait before the link counts as dead. @default 15000 */
  readonly pongTimeoutMs: number;
  /** First redial after going dormant; doubles after each failed dormant dial. @default 1000 */
  readonly dormantBaseMs: number;
  /** Longest wait between dormant redials. @default 30000 */
  readonly dormantCapMs: number;
  /** Longest a held redial waits for `releaseRedial()` before it dials anyway. @default 60000 */
  readonly redialHoldMaxMs: number;
}

/** The last close the gateway saw. */
export interface CloseRecord {
  readonly code: number;
  readonly reason: string;
}

/** The machine's context: serialisable, so the visualizer and tests can show and compare it. */
export interface ConnectionContext {
  readonly settings: ConnectionSettings;
  /** Dials started so far; also the generation of the current socket. */
  readonly dials: number;
  /** Consecutive failed attempts; drives the backoff ladder. Reset after stable serving. */
  readonly attempt: number;
  /** Handshakes completed so far. */
  readonly handshakes: number;
  /** Whether a handshake ever succeeded (decides how a 4401 is read). */
  readonly handshakeSeen: boolean;
  /** The provisional-4401 mark: the next non-expired 4401 means revoked. */
  readonly provisional: boolean;
  /** Last close code and reason. */
  readonly lastClose: CloseRecord | null;
  /** Last dial or handshake failure, for humans. */
  readonly lastError: string | null;
  /** The adopted descriptor of the latest handshake. */
  readonly descriptor: CapabilityDescriptor | null;
  /** Wait chosen for the current backoff. */
  readonly backoffMs: number;
  /** When the current backoff ends (ms since epoch), or null. */
  readonly nextRetryAt: number | null;
  /** When serving last began (ms since epoch), or null. */
  readonly servingSince: number | null;
  /** Whether a stop is in progress (going idle before closing). */
  readonly stopping: boolean;
  /**
   * Inbound flow control on the current link: `open`, or `held` once the backlog crossed its
   * high-water mark and `going_idle` asked the connector to buffer new inbound (it replays it after
   * the next handshake, so the gateway re-dials once the backlog has drained).
   */
  readonly intake: IntakeState;
  /** `going_idle_ack`s received for flow control (not for `goIdle()`). */
  readonly intakeAcks: number;
  /** Re-dials made so the connector replays what it buffered during flow control. */
  readonly replayRedials: number;
  /** Ack timeout of the going-idle in progress. */
  readonly goIdleTimeoutMs: number;
  /** Inbound silence measured at the last liveness check. */
  readonly quietMs: number;
  /** `going_idle_ack`s received so far (how `goIdle()` learns it succeeded). */
  readonly idleAcks: number;
  /** Events that arrived in a state that ignores them (counted, never silent). */
  readonly ignoredEvents: number;
  /** Why the gateway ended disabled, or null. */
  readonly disabledReason: string | null;
  /** What the going-idle in progress leads to: `idle` (goIdle, stop) or `dormant` (goDormant). */
  readonly idleIntent: 'idle' | 'dormant';
  /** Asleep after goDormant(): redials on the dormant cadence until a handshake completes. */
  readonly dormant: boolean;
  /** Dormant redials that failed in a row (the dormant cadence's own counter). */
  readonly dormantAttempt: number;
  /** Wait before the next dormant redial. */
  readonly dormantDelayMs: number;
  /** holdRedial() is in effect: the next redial waits for releaseRedial() (at most redialHoldMaxMs). */
  readonly redialHeld: boolean;
  /** During a stop: the connector acknowledged going idle, or the wait for it is over. */
  readonly stopAcked: boolean;
  /** During a stop: the written requests have settled, or the drain grace is over. */
  readonly drained: boolean;
  /** During a stop: how long written requests may still be awaited (the drain grace). */
  readonly drainGraceMs: number;
  /**
   * goIdle() or goDormant() stopped waiting for its ack on the current link, so its `going_idle`
   * is still unanswered: an ack that arrives now means the connector buffers new inbound after all,
   * and the gateway re-dials so it replays (cleared by the next handshake).
   */
  readonly idleAskUnanswered: boolean;
}

/** Inbound flow control of one link: see {@link ConnectionContext.intake}. */
export type IntakeState = 'open' | 'held';

/** Events sent by the application (through the gateway API). */
export type UserEvent =
  | { readonly type: 'START' }
  /**
   * `goIdleMs` caps the wait for the ack (default `stopGoIdleTimeoutMs`); `drainMs` is how long
   * written requests may still be awaited before closing (default 0: nothing to drain).
   */
  | { readonly type: 'STOP'; readonly goIdleMs?: number; readonly drainMs?: number }
  | { readonly type: 'GO_IDLE'; readonly timeoutMs?: number }
  | { readonly type: 'GO_DORMANT'; readonly timeoutMs?: number }
  | { readonly type: 'RECONNECT_NOW' }
  | { readonly type: 'HOLD_REDIAL' }
  | { readonly type: 'RELEASE_REDIAL' }
  /** During a stop: every written request has settled. */
  | { readonly type: 'DRAIN_DONE' };

/** Events sent by the socket actor. */
export type SocketEvent =
  | { readonly type: 'SOCKET_OPEN' }
  | { readonly type: 'DIAL_FAILED'; readonly error: string }
  | { readonly type: 'DESCRIPTOR'; readonly descriptor: CapabilityDescriptor }
  | { readonly type: 'HANDSHAKE_INVALID'; readonly error: string }
  | { readonly type: 'SOCKET_CLOSED'; readonly code: number; readonly reason: string }
  | { readonly type: 'GOING_IDLE_ACK' }
  | { readonly type: 'LINK_ALIVE'; readonly quietMs: number };

/** Events sent by the data plane about the inbound backlog (edge-triggered, once per crossing). */
export type IntakeEvent =
  /** The backlog crossed its high-water mark: ask the connector to buffer. */
  | { readonly type: 'INTAKE_HIGH' }
  /** After an `INTAKE_HIGH`, the backlog is gone (nothing queued, nothing running). */
  | { readonly type: 'INTAKE_DRAINED' };

/** Every event the connection machine knows. */
export type ConnectionEvent = UserEvent | SocketEvent | IntakeEvent;

/** Every event type, for exhaustive checks. */
export const CONNECTION_EVENT_TYPES = [
  'START',
  'STOP',
  'GO_IDLE',
  'GO_DORMANT',
  'RECONNECT_NOW',
  'HOLD_REDIAL',
  'RELEASE_REDIAL',
  'DRAIN_DONE',
  'SOCKET_OPEN',
  'DIAL_FAILED',
  'DESCRIPTOR',
  'HANDSHAKE_INVALID',
  'SOCKET_CLOSED',
  'GOING_IDLE_ACK',
  'LINK_ALIVE',
  'INTAKE_HIGH',
  'INTAKE_DRAINED',
] as const satisfies ReadonlyArray<ConnectionEvent['type']>;

/** Commands the machine sends to the socket actor. */
export type SocketCommand = { readonly type: 'CHECK_LIVENESS' } | { readonly type: 'SEND_GOING_IDLE' };

/** Input of the socket actor, one per dial. */
export interface SocketInput {
  /** Generation of this dial (1, 2, ...). */
  readonly dial: number;
  /** Whether this dial is the fresh-token re-dial after a provisional 4401. */
  readonly provisional: boolean;
}

/** The public state names (`gateway.state`, logs, metrics): tags on the states of the chart, see public-state.ts. */
export type ConnectionStateName =
  | 'idle'
  | 'dialing'
  | 'handshaking'
  | 'serving'
  | 'goingIdle'
  | 'reconnecting'
  | 'dormant'
  | 'held'
  | 'disabled'
  | 'stopped';
