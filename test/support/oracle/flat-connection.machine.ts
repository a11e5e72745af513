/**
 * TEST ORACLE: the connection machine as it was before it was re-modelled hierarchically (flat:
 * every state repeats the transitions it shares). Kept unchanged so a differential property test can
 * hold the hierarchical machine in machines/ to exactly the same behaviour. Not shipped.
 *
 * The connection lifecycle of a relay gateway as an XState v5 statechart (spec §9, §11, §12).
 *
 * The definition is pure: the socket is a child actor supplied with `provide({ actors: { socket } })`,
 * randomness and time are injected into {@link createConnectionMachine}, and the only timers are
 * `after` transitions. Frames that carry application data never reach this machine; it sees
 * lifecycle events only, so serving traffic costs no transitions.
 * @module
 */
import { and, assign, fromCallback, sendTo, setup, spawnChild, stopChild } from 'xstate';
import { backoffDelay, DEFAULT_BACKOFF } from '../../../machines/backoff.js';
import { classifyClose } from '../../../machines/close-classification.js';
import { ignoring } from './flat-ignored-events.js';
import type {
  ConnectionContext as CurrentContext,
  ConnectionEvent,
  ConnectionSettings as CurrentSettings,
  SocketCommand,
  SocketEvent,
  SocketInput,
} from '../../../machines/connection.types.js';

// The oracle speaks the vocabulary of its time: what came later (dormancy, the redial hold, the stop
// drain) is not in it, and the differential test compares only what both machines know.
type ConnectionSettings = Omit<CurrentSettings, 'dormantBaseMs' | 'dormantCapMs' | 'redialHoldMaxMs'>;
type ConnectionContext = Omit<CurrentContext, 'settings' | 'idleIntent' | 'dormant' | 'dormantAttempt' | 'dormantDelayMs' | 'redialHeld' | 'stopAcked' | 'drained' | 'drainGraceMs'> & {
  readonly settings: ConnectionSettings;
};

/** The spec's defaults for every timing. */
export const DEFAULT_CONNECTION_SETTINGS: ConnectionSettings = Object.freeze({
  reconnect: true,
  backoff: DEFAULT_BACKOFF,
  dialTimeoutMs: 10_000,
  handshakeTimeoutMs: 30_000,
  goIdleTimeoutMs: 10_000,
  stopGoIdleTimeoutMs: 2_000,
  pingIntervalMs: 30_000,
  pongTimeoutMs: 15_000,
});

/** The message given to the application when the credential is revoked. */
export const REVOKED_REASON = 'relay disabled: credential revoked';

/** Effects the machine needs but must not own. */
export interface ConnectionMachineDeps {
  /** Uniform random source in [0, 1) for backoff jitter. @default Math.random */
  readonly random?: () => number;
  /** Wall clock in milliseconds (for timestamps in context). @default Date.now */
  readonly now?: () => number;
}

/** Input of the machine: settings that override {@link DEFAULT_CONNECTION_SETTINGS}. */
export interface ConnectionMachineInput {
  readonly settings?: Partial<ConnectionSettings>;
}

/** Child id of the socket actor of dial generation `dial`. Unique per dial so an old one can never be confused. */
export function socketActorId(dial: number): string {
  return `socket-${dial}`;
}

/** Placeholder socket: reports that no transport was provided. Replace it with `provide`. */
const unprovidedSocket = fromCallback<SocketCommand, SocketInput>(({ sendBack }) => {
  sendBack({ type: 'DIAL_FAILED', error: 'no socket actor provided to the connection machine' } satisfies SocketEvent);
});

function initialContext(input: ConnectionMachineInput | undefined): ConnectionContext {
  const settings = { ...DEFAULT_CONNECTION_SETTINGS, ...input?.settings };
  return {
    settings: { ...settings, backoff: { ...DEFAULT_BACKOFF, ...input?.settings?.backoff } },
    dials: 0,
    attempt: 0,
    handshakes: 0,
    handshakeSeen: false,
    provisional: false,
    lastClose: null,
    lastError: null,
    descriptor: null,
    backoffMs: 0,
    nextRetryAt: null,
    servingSince: null,
    stopping: false,
    intake: 'open',
    intakeAcks: 0,
    replayRedials: 0,
    goIdleTimeoutMs: settings.goIdleTimeoutMs,
    quietMs: 0,
    idleAcks: 0,
    ignoredEvents: 0,
    disabledReason: null,
    idleAskUnanswered: false,
  };
}

type CloseEvent = Extract<ConnectionEvent, { type: 'SOCKET_CLOSED' }>;

function closeFacts(context: ConnectionContext, event: ConnectionEvent) {
  const close = event as CloseEvent;
  return { code: close.code, reason: close.reason, handshakeSeen: context.handshakeSeen, provisional: context.provisional };
}

/**
 * Build the connection machine with injected randomness and clock. Provide the `socket` actor before
 * running it for real; without one every dial fails with a clear error.
 */
export function createFlatConnectionMachine(deps: ConnectionMachineDeps = {}) {
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;

  return setup({
    types: {
      context: {} as ConnectionContext,
      events: {} as ConnectionEvent,
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the assertion is how XState learns the input type
      input: {} as ConnectionMachineInput | undefined,
    },
    actors: { socket: unprovidedSocket },
    actions: {
      openSocket: spawnChild('socket', {
        id: ({ context }) => socketActorId(context.dials),
        input: ({ context }): SocketInput => ({ dial: context.dials, provisional: context.provisional }),
      }),
      closeSocket: stopChild(({ context }) => socketActorId(context.dials)),
      countDial: assign({ dials: ({ context }) => context.dials + 1 }),
      checkLiveness: sendTo(({ context }) => socketActorId(context.dials), { type: 'CHECK_LIVENESS' } satisfies SocketCommand),
      sendGoingIdle: sendTo(({ context }) => socketActorId(context.dials), { type: 'SEND_GOING_IDLE' } satisfies SocketCommand),
      adoptDescriptor: assign(({ context, event }) => ({
        descriptor: event.type === 'DESCRIPTOR' ? event.descriptor : context.descriptor,
        handshakes: context.handshakes + 1,
        handshakeSeen: true,
        idleAskUnanswered: false,
        servingSince: now(),
        lastError: null,
        nextRetryAt: null,
        quietMs: 0,
        // A new link starts with open intake: the connector replays what it buffered, then streams live.
        intake: 'open' as const,
      })),
      recordClose: assign({
        lastClose: ({ event }) => (event.type === 'SOCKET_CLOSED' ? { code: event.code, reason: event.reason } : null),
        servingSince: null,
      }),
      recordFailure: assign({
        lastError: ({ event }) => (event.type === 'DIAL_FAILED' || event.type === 'HANDSHAKE_INVALID' ? event.error : 'unknown failure'),
        servingSince: null,
      }),
      recordDialTimeout: assign({ lastError: ({ context }) => `dial timed out after ${context.settings.dialTimeoutMs} ms` }),
      recordHandshakeTimeout: assign({
        lastError: ({ context }) => `no descriptor within ${context.settings.handshakeTimeoutMs} ms`,
      }),
      recordLinkDead: assign({
        lastClose: { code: 1006, reason: 'keepalive: no pong' },
        lastError: ({ context }) => `no pong within ${context.settings.pongTimeoutMs} ms`,
        servingSince: null,
      }),
      recordGoIdleTimeout: assign({ lastError: ({ context }) => `no going_idle_ack within ${context.goIdleTimeoutMs} ms` }),
      markProvisional: assign({ provisional: true }),
      markRevoked: assign({ disabledReason: REVOKED_REASON, nextRetryAt: null }),
      scheduleRetry: assign(({ context }) => {
        const attempt = context.attempt + 1;
        const backoffMs = backoffDelay(attempt, random(), context.settings.backoff);
        return { attempt, backoffMs, nextRetryAt: now() + backoffMs };
      }),
      clearRetry: assign({ nextRetryAt: null }),
      resetBackoffAfterStableServing: assign({ attempt: 0, provisional: false }),
      recordLiveness: assign({ quietMs: ({ event }) => (event.type === 'LINK_ALIVE' ? event.quietMs : 0) }),
      beginGoIdle: assign({
        stopping: false,
        goIdleTimeoutMs: ({ context, event }) =>
          event.type === 'GO_IDLE' && event.timeoutMs !== undefined ? event.timeoutMs : context.settings.goIdleTimeoutMs,
      }),
      beginStop: assign({ stopping: true, goIdleTimeoutMs: ({ context }) => context.settings.stopGoIdleTimeoutMs }),
      countIdleAck: assign({ idleAcks: ({ context }) => context.idleAcks + 1 }),
      markIdleAskUnanswered: assign({ idleAskUnanswered: true }),
      holdIntake: assign({ intake: 'held' }),
      countIntakeAck: assign({ intakeAcks: ({ context }) => context.intakeAcks + 1 }),
      beginReplayRedial: assign({ intake: 'open', replayRedials: ({ context }) => context.replayRedials + 1 }),
      countIgnoredEvent: assign({ ignoredEvents: ({ context }) => context.ignoredEvents + 1 }),
    },
    guards: {
      reconnectEnabled: ({ context }) => context.settings.reconnect,
      closeMeansDisable: ({ context, event }) => classifyClose(closeFacts(context, event)) === 'disable',
      closeMeansFreshTokenRedial: ({ context, event }) => classifyClose(closeFacts(context, event)) === 'redialFreshToken',
      intakeHeld: ({ context }) => context.intake === 'held',
      lateAck: ({ context }) => context.idleAskUnanswered,
    },
    delays: {
      dialTimeout: ({ context }) => context.settings.dialTimeoutMs,
      handshakeTimeout: ({ context }) => context.settings.handshakeTimeoutMs,
      pingDelay: ({ context }) => Math.max(0, context.settings.pingIntervalMs - context.quietMs),
      pongTimeout: ({ context }) => context.settings.pongTimeoutMs,
      goIdleTimeout: ({ context }) => context.goIdleTimeoutMs,
      stopGoIdleTimeout: ({ context }) => context.settings.stopGoIdleTimeoutMs,
      backoff: ({ context }) => context.backoffMs,
      stableServing: ({ context }) => context.settings.backoff.stableMs,
    },
  }).createMachine({
    id: 'connection',
    description: 'Lifecycle of one relay gateway: dial out, handshake, serve, go idle, reconnect, stop or be disabled.',
    initial: 'idle',
    context: ({ input }) => initialContext(input),
    // The socket-closing transitions below are shared by every state that holds a socket.
    states: {
      idle: {
        description:
          'Not connected and not dialling: before start(), or after going idle (the connector buffers inbound until the next dial).',
        entry: 'closeSocket',
        on: {
          ...ignoring('idle'),
          START: { target: 'dialing', description: 'start(): dial the connector' },
          RECONNECT_NOW: { target: 'dialing', description: 'wake up and dial now' },
          STOP: { target: 'stopped', description: 'stop(): nothing to close' },
        },
      },
      dialing: {
        description: 'Opening the WebSocket (TCP, TLS, upgrade) with a freshly minted token.',
        entry: ['closeSocket', 'countDial', 'openSocket'],
        after: {
          dialTimeout: [
            { guard: 'reconnectEnabled', target: 'reconnecting', actions: 'recordDialTimeout', description: 'dial took too long' },
            { target: 'stopped', actions: 'recordDialTimeout', description: 'dial took too long; reconnect is off' },
          ],
        },
        on: {
          ...ignoring('dialing'),
          SOCKET_OPEN: { target: 'handshaking', description: 'upgrade accepted; hello sent' },
          DIAL_FAILED: [
            { guard: 'reconnectEnabled', target: 'reconnecting', actions: 'recordFailure', description: 'dial failed: back off' },
            { target: 'stopped', actions: 'recordFailure', description: 'dial failed; reconnect is off' },
          ],
          RECONNECT_NOW: { target: 'dialing', reenter: true, description: 'abandon this dial and start a new one' },
          STOP: { target: 'stopped', description: 'stop(): abandon the dial' },
        },
      },
      handshaking: {
        description: 'Socket open and hello sent; waiting for the capability descriptor.',
        after: {
          handshakeTimeout: [
            { guard: 'reconnectEnabled', target: 'reconnecting', actions: 'recordHandshakeTimeout', description: 'no descriptor in time' },
            { target: 'stopped', actions: 'recordHandshakeTimeout', description: 'no descriptor; reconnect is off' },
          ],
        },
        on: {
          ...ignoring('handshaking'),
          DESCRIPTOR: { target: 'serving', actions: 'adoptDescriptor', description: 'descriptor adopted' },
          HANDSHAKE_INVALID: [
            { guard: 'reconnectEnabled', target: 'reconnecting', actions: 'recordFailure', description: 'descriptor invalid: back off' },
            { target: 'stopped', actions: 'recordFailure', description: 'descriptor invalid; reconnect is off' },
          ],
          SOCKET_CLOSED: [
            { guard: 'closeMeansDisable', target: 'disabled', actions: ['recordClose', 'markRevoked'], description: 'second 4401: revoked' },
            {
              guard: and(['closeMeansFreshTokenRedial', 'reconnectEnabled']),
              target: 'dialing',
              actions: ['recordClose', 'markProvisional'],
              description: '4401 after a handshake: re-dial once at once with a fresh token',
            },
            { guard: 'reconnectEnabled', target: 'reconnecting', actions: 'recordClose', description: 'closed: back off' },
            { target: 'stopped', actions: 'recordClose', description: 'closed; reconnect is off' },
          ],
          RECONNECT_NOW: { target: 'dialing', description: 'drop this socket and dial again' },
          STOP: { target: 'stopped', description: 'stop(): close without going idle (not serving yet)' },
        },
      },
      serving: {
        description: 'Handshake done: inbound events flow to the application and outbound requests to the connector.',
        initial: 'live',
        after: {
          stableServing: { actions: 'resetBackoffAfterStableServing', description: 'served long enough: the backoff ladder starts over' },
        },
        on: {
          ...ignoring('serving'),
          GO_IDLE: { target: 'goingIdle', actions: 'beginGoIdle', description: 'goIdle(): ask the connector to buffer' },
          STOP: { target: 'goingIdle.stopping', actions: 'beginStop', description: 'stop(): go idle first (short timeout), then close' },
          RECONNECT_NOW: { target: 'dialing', description: 'drop this socket and dial again' },
          INTAKE_HIGH: {
            actions: ['holdIntake', 'sendGoingIdle'],
            description: 'backlog at its high-water mark: ask the connector to buffer new inbound',
          },
          GOING_IDLE_ACK: [
            { guard: 'intakeHeld', actions: 'countIntakeAck', description: 'the connector buffers; keep working off the backlog' },
            // Fixed later in both machines (a late ack used to leave the connector buffering unseen).
            { guard: 'lateAck', target: 'dialing', actions: ['countIdleAck', 'beginReplayRedial'], description: 'late ack of a goIdle() that gave up: re-dial so it replays' },
            { actions: 'countIgnoredEvent', description: 'unsolicited ack: ignored (counted)' },
          ],
          INTAKE_DRAINED: [
            {
              guard: 'intakeHeld',
              target: 'dialing',
              actions: 'beginReplayRedial',
              description: 'backlog drained: re-dial so the connector replays what it buffered',
            },
            { actions: 'countIgnoredEvent', description: 'nothing was held: ignored (counted)' },
          ],
          SOCKET_CLOSED: [
            { guard: 'closeMeansDisable', target: 'disabled', actions: ['recordClose', 'markRevoked'], description: 'second 4401: revoked' },
            {
              guard: and(['closeMeansFreshTokenRedial', 'reconnectEnabled']),
              target: 'dialing',
              actions: ['recordClose', 'markProvisional'],
              description: '4401 after a handshake: re-dial once at once with a fresh token',
            },
            { guard: 'reconnectEnabled', target: 'reconnecting', actions: 'recordClose', description: 'unexpected close: back off' },
            { target: 'stopped', actions: 'recordClose', description: 'closed; reconnect is off' },
          ],
        },
        states: {
          live: {
            description: 'The link is known to be alive; a liveness check is due after the ping interval of silence.',
            on: { ...ignoring('serving.live') },
            after: { pingDelay: { target: 'awaitingPong', description: 'quiet for the ping interval' } },
          },
          awaitingPong: {
            description: 'Checking the link: recent inbound traffic or a pong proves it alive; otherwise a ping is out.',
            entry: 'checkLiveness',
            on: {
              ...ignoring('serving.awaitingPong'),
              LINK_ALIVE: { target: 'live', actions: 'recordLiveness', description: 'traffic or pong seen' },
            },
            after: {
              pongTimeout: [
                { guard: 'reconnectEnabled', target: '#connection.reconnecting', actions: 'recordLinkDead', description: 'no pong: the link is dead' },
                { target: '#connection.stopped', actions: 'recordLinkDead', description: 'no pong; reconnect is off' },
              ],
            },
          },
        },
      },
      goingIdle: {
        description: 'going_idle sent; still serving inbound until the connector acknowledges that it buffers.',
        entry: 'sendGoingIdle',
        initial: 'requested',
        on: {
          ...ignoring('goingIdle'),
          SOCKET_CLOSED: [
            { guard: 'closeMeansDisable', target: 'disabled', actions: ['recordClose', 'markRevoked'], description: 'second 4401: revoked' },
            {
              guard: and(['closeMeansFreshTokenRedial', 'reconnectEnabled']),
              target: 'dialing',
              actions: ['recordClose', 'markProvisional'],
              description: '4401 after a handshake: re-dial once at once with a fresh token',
            },
            { guard: 'reconnectEnabled', target: 'reconnecting', actions: 'recordClose', description: 'unexpected close: back off' },
            { target: 'stopped', actions: 'recordClose', description: 'closed; reconnect is off' },
          ],
        },
        states: {
          requested: {
            description: 'goIdle(): waiting for the ack with the goIdle timeout; the gateway stays idle after it.',
            on: {
              ...ignoring('goingIdle.requested'),
              GOING_IDLE_ACK: { target: '#connection.idle', actions: 'countIdleAck', description: 'connector buffers; close and stay idle' },
              STOP: { target: 'stopping', actions: 'beginStop', description: 'stop(): the stop timeout replaces the goIdle one' },
              RECONNECT_NOW: { target: '#connection.dialing', description: 'abandon going idle; dial again' },
            },
            after: {
              goIdleTimeout: { target: '#connection.serving', actions: ['recordGoIdleTimeout', 'markIdleAskUnanswered'], description: 'no ack in time: keep serving' },
            },
          },
          stopping: {
            description: 'stop(): waiting at most the stop timeout for the ack, then closing for good. Nothing undoes a stop.',
            on: {
              ...ignoring('goingIdle.stopping'),
              GOING_IDLE_ACK: { target: '#connection.stopped', actions: 'countIdleAck', description: 'connector buffers; close and stop' },
              SOCKET_CLOSED: { target: '#connection.stopped', actions: 'recordClose', description: 'closed while stopping' },
            },
            after: {
              stopGoIdleTimeout: { target: '#connection.stopped', actions: 'recordGoIdleTimeout', description: 'no ack in time; close anyway' },
            },
          },
        },
      },
      reconnecting: {
        description: 'Waiting out the backoff delay before the next dial. No socket is open.',
        entry: ['closeSocket', 'scheduleRetry'],
        exit: 'clearRetry',
        after: { backoff: { target: 'dialing', description: 'backoff elapsed' } },
        on: {
          ...ignoring('reconnecting'),
          RECONNECT_NOW: { target: 'dialing', description: 'skip the rest of the delay' },
          STOP: { target: 'stopped', description: 'stop(): cancel the pending dial' },
        },
      },
      disabled: {
        description: 'Terminal: the connector revoked this gateway\'s credential. No more dials.',
        type: 'final',
        entry: 'closeSocket',
      },
      stopped: {
        description: 'Terminal: stopped on purpose (or a close with reconnect turned off). No more dials.',
        type: 'final',
        entry: 'closeSocket',
      },
    },
  });
}

/** The oracle's machine type. */
export type FlatConnectionMachine = ReturnType<typeof createFlatConnectionMachine>;

