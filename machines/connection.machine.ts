/**
 * The connection lifecycle of a relay gateway as an XState v5 statechart (relay-connector-contract.md §11, §11, §12).
 *
 * The chart is hierarchical: a parent states once what its children share (`running` owns stop and
 * reconnect-now, `link` owns the socket's lifetime, `open` owns the close), and one choice state
 * (`linkDown`) decides, once, what a close, a failure or a timeout means.
 * The public state names are tags (see public-state.ts), so the nesting can change without changing
 * them.
 *
 * The definition is pure: the socket is a child actor supplied with `provide({ actors: { socket } })`,
 * randomness and time are injected into {@link createConnectionMachine}, and the only timers are
 * `after` transitions. Frames that carry application data never reach this machine; it sees
 * lifecycle events only, so serving traffic costs no transitions.
 * @module
 */
import { assign, fromCallback, sendTo, setup, spawnChild, stopChild } from 'xstate';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { classifyClose, type CloseAction } from './close-classification.js';
import { ignoring } from './ignored-events.js';
import type {
  ConnectionContext,
  ConnectionEvent,
  ConnectionSettings,
  SocketCommand,
  SocketEvent,
  SocketInput,
} from './connection.types.js';

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
  dormantBaseMs: 1_000,
  dormantCapMs: 30_000,
  redialHoldMaxMs: 60_000,
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
    idleIntent: 'idle',
    dormant: false,
    dormantAttempt: 0,
    dormantDelayMs: 0,
    redialHeld: false,
    stopAcked: false,
    drained: true,
    idleAskUnanswered: false,
    drainGraceMs: 0,
  };
}

/** The dormant cadence: the base wait, doubled after each failed dormant dial, capped; no jitter. */
export function dormantDelay(failures: number, settings: Pick<ConnectionSettings, 'dormantBaseMs' | 'dormantCapMs'>): number {
  return Math.min(settings.dormantCapMs, settings.dormantBaseMs * 2 ** Math.max(0, failures));
}

/**
 * What a close means, or null when the event is not a close. The choice state `linkDown` is reached
 * by closes and by failures alike; its guards see the event that led there.
 */
function closeAction(context: ConnectionContext, event: ConnectionEvent): CloseAction | null {
  if (event.type !== 'SOCKET_CLOSED') return null;
  return classifyClose({ code: event.code, reason: event.reason, handshakeSeen: context.handshakeSeen, provisional: context.provisional });
}

/**
 * Build the connection machine with injected randomness and clock. Provide the `socket` actor before
 * running it for real; without one every dial fails with a clear error.
 */
export function createConnectionMachine(deps: ConnectionMachineDeps = {}) {
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
        // A going_idle left unanswered belonged to the previous link.
        idleAskUnanswered: false,
        servingSince: now(),
        lastError: null,
        nextRetryAt: null,
        quietMs: 0,
        // A new link starts with open intake: the connector replays what it buffered, then streams live.
        intake: 'open' as const,
        // The first completed handshake ends dormancy; later drops use the normal ladder.
        dormant: false,
        dormantAttempt: 0,
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
        idleIntent: 'idle' as const,
        goIdleTimeoutMs: ({ context, event }) =>
          event.type === 'GO_IDLE' && event.timeoutMs !== undefined ? event.timeoutMs : context.settings.goIdleTimeoutMs,
      }),
      beginGoDormant: assign({
        stopping: false,
        idleIntent: 'dormant' as const,
        goIdleTimeoutMs: ({ context, event }) =>
          event.type === 'GO_DORMANT' && event.timeoutMs !== undefined ? event.timeoutMs : context.settings.goIdleTimeoutMs,
      }),
      endIdleIntent: assign({ idleIntent: 'idle' as const }),
      markIdleAskUnanswered: assign({ idleAskUnanswered: true }),
      beginStop: assign(({ context, event }) => {
        const drainGraceMs = event.type === 'STOP' ? Math.max(0, event.drainMs ?? 0) : 0;
        return {
          stopping: true,
          idleIntent: 'idle' as const,
          goIdleTimeoutMs: event.type === 'STOP' && event.goIdleMs !== undefined ? Math.max(0, event.goIdleMs) : context.settings.stopGoIdleTimeoutMs,
          stopAcked: false,
          drainGraceMs,
          // Nothing written and waiting: no drain at all (a stop then behaves as it always did).
          drained: drainGraceMs === 0,
        };
      }),
      markStopAcked: assign({ stopAcked: true }),
      markDrained: assign({ drained: true }),
      markDormant: assign(({ context }) => ({ dormant: true, dormantAttempt: 0, dormantDelayMs: context.settings.dormantBaseMs, idleIntent: 'idle' as const })),
      scheduleDormantRetry: assign(({ context }) => ({ dormantAttempt: context.dormantAttempt + 1, dormantDelayMs: dormantDelay(context.dormantAttempt + 1, context.settings) })),
      holdRedial: assign({ redialHeld: true }),
      releaseRedial: assign({ redialHeld: false }),
      countIdleAck: assign({ idleAcks: ({ context }) => context.idleAcks + 1 }),
      holdIntake: assign({ intake: 'held' }),
      countIntakeAck: assign({ intakeAcks: ({ context }) => context.intakeAcks + 1 }),
      beginReplayRedial: assign({ intake: 'open', replayRedials: ({ context }) => context.replayRedials + 1 }),
      countIgnoredEvent: assign({ ignoredEvents: ({ context }) => context.ignoredEvents + 1 }),
    },
    guards: {
      reconnectEnabled: ({ context }) => context.settings.reconnect,
      closeMeansDisable: ({ context, event }) => closeAction(context, event) === 'disable',
      // A 4401 after a handshake re-dials at once with a fresh token, unless reconnect is off.
      freshTokenRedial: ({ context, event }) => closeAction(context, event) === 'redialFreshToken' && context.settings.reconnect,
      intakeHeld: ({ context }) => context.intake === 'held',
      dormancyRequested: ({ context }) => context.idleIntent === 'dormant',
      // A dormant gateway whose redial failed goes back to sleep (its own cadence), unless ended.
      stillDormant: ({ context, event }) => context.dormant && context.settings.reconnect && closeAction(context, event) !== 'disable',
      redialHeld: ({ context }) => context.redialHeld,
      lateAck: ({ context }) => context.idleAskUnanswered,
      freshTokenRedialHeld: ({ context, event }) => context.redialHeld && closeAction(context, event) === 'redialFreshToken' && context.settings.reconnect,
      stopReady: ({ context }) => context.stopAcked && context.drained,
    },
    delays: {
      dialTimeout: ({ context }) => context.settings.dialTimeoutMs,
      handshakeTimeout: ({ context }) => context.settings.handshakeTimeoutMs,
      pingDelay: ({ context }) => Math.max(0, context.settings.pingIntervalMs - context.quietMs),
      pongTimeout: ({ context }) => context.settings.pongTimeoutMs,
      goIdleTimeout: ({ context }) => context.goIdleTimeoutMs,
      stopGoIdleTimeout: ({ context }) => context.goIdleTimeoutMs,
      drainGrace: ({ context }) => context.drainGraceMs,
      backoff: ({ context }) => context.backoffMs,
      dormantWait: ({ context }) => context.dormantDelayMs,
      redialHoldMax: ({ context }) => context.settings.redialHoldMaxMs,
      stableServing: ({ context }) => context.settings.backoff.stableMs,
    },
  }).createMachine({
    id: 'connection',
    description: 'Lifecycle of one relay gateway: dial out, handshake, serve, go idle, reconnect, stop or be disabled.',
    initial: 'running',
    context: ({ input }) => initialContext(input),
    states: {
      running: {
        description: 'Alive: between dials, dialling or connected. A stop or a revocation ends it for good.',
        initial: 'idle',
        on: {
          // Whatever a state below does not handle is a late or out-of-place event: counted, never silent.
          ...ignoring('running'),
          STOP: { target: 'stopped', description: 'stop(): nothing to go idle from, close what is open' },
          RECONNECT_NOW: { target: '.link', description: 'dial now: skip a backoff, a hold or dormancy, wake from idle, or replace the socket' },
          HOLD_REDIAL: { actions: 'holdRedial', description: 'holdRedial(): the next redial waits for releaseRedial() (at most 60 s)' },
          RELEASE_REDIAL: { actions: 'releaseRedial', description: 'releaseRedial(): redials go ahead' },
        },
        states: {
          idle: {
            tags: ['idle'],
            description:
              'Not connected and not dialling: before start(), or after going idle (the connector buffers inbound until the next dial).',
            on: { START: { target: 'link', description: 'start(): dial the connector' } },
          },
          link: {
            description: 'One socket, from the dial to its close: entering opens a new one (fresh token), leaving closes it.',
            entry: ['countDial', 'openSocket'],
            exit: 'closeSocket',
            initial: 'dialing',
            states: {
              dialing: {
                tags: ['dialing'],
                description: 'Opening the WebSocket (TCP, TLS, upgrade) with a freshly minted token.',
                after: { dialTimeout: { target: '#connection.running.linkDown', actions: 'recordDialTimeout', description: 'dial took too long' } },
                on: {
                  SOCKET_OPEN: { target: 'open', description: 'upgrade accepted; hello sent' },
                  DIAL_FAILED: { target: '#connection.running.linkDown', actions: 'recordFailure', description: 'dial failed' },
                },
              },
              open: {
                description: 'The socket is open; a close is handled here, once, whatever is going on inside.',
                initial: 'handshaking',
                on: { SOCKET_CLOSED: { target: '#connection.running.linkDown', actions: 'recordClose', description: 'the socket closed' } },
                states: {
                  handshaking: {
                    tags: ['handshaking'],
                    description: 'Socket open and hello sent; waiting for the capability descriptor.',
                    after: {
                      handshakeTimeout: { target: '#connection.running.linkDown', actions: 'recordHandshakeTimeout', description: 'no descriptor in time' },
                    },
                    on: {
                      DESCRIPTOR: { target: 'serving', actions: 'adoptDescriptor', description: 'descriptor adopted' },
                      HANDSHAKE_INVALID: { target: '#connection.running.linkDown', actions: 'recordFailure', description: 'descriptor invalid' },
                    },
                  },
                  serving: {
                    tags: ['serving'],
                    description: 'Handshake done: inbound events flow to the application and outbound requests to the connector.',
                    initial: 'live',
                    after: {
                      stableServing: { actions: 'resetBackoffAfterStableServing', description: 'served long enough: the backoff ladder starts over' },
                    },
                    on: {
                      GO_IDLE: { target: 'goingIdle', actions: 'beginGoIdle', description: 'goIdle(): ask the connector to buffer' },
                      GO_DORMANT: { target: 'goingIdle', actions: 'beginGoDormant', description: 'goDormant(): go idle, then sleep and redial on the dormant cadence' },
                      STOP: { target: 'goingIdle.stopping', actions: 'beginStop', description: 'stop(): go idle first (short timeout), then close' },
                      INTAKE_HIGH: {
                        actions: ['holdIntake', 'sendGoingIdle'],
                        description: 'backlog at its high-water mark: ask the connector to buffer new inbound',
                      },
                      GOING_IDLE_ACK: [
                        { guard: 'intakeHeld', actions: 'countIntakeAck', description: 'the connector buffers; keep working off the backlog' },
                        {
                          guard: 'lateAck',
                          target: '#connection.running.link',
                          actions: ['countIdleAck', 'beginReplayRedial'],
                          description: 'late ack of a goIdle() that gave up: the connector buffers now; re-dial so it replays',
                        },
                        { actions: 'countIgnoredEvent', description: 'unsolicited ack: ignored (counted)' },
                      ],
                      INTAKE_DRAINED: [
                        {
                          guard: 'intakeHeld',
                          target: '#connection.running.link',
                          actions: 'beginReplayRedial',
                          description: 'backlog drained: re-dial so the connector replays what it buffered',
                        },
                        { actions: 'countIgnoredEvent', description: 'nothing was held: ignored (counted)' },
                      ],
                    },
                    states: {
                      live: {
                        description: 'The link is known to be alive; a liveness check is due after the ping interval of silence.',
                        after: { pingDelay: { target: 'awaitingPong', description: 'quiet for the ping interval' } },
                      },
                      awaitingPong: {
                        description: 'Checking the link: recent inbound traffic or a pong proves it alive; otherwise a ping is out.',
                        entry: 'checkLiveness',
                        on: { LINK_ALIVE: { target: 'live', actions: 'recordLiveness', description: 'traffic or pong seen' } },
                        after: {
                          pongTimeout: { target: '#connection.running.linkDown', actions: 'recordLinkDead', description: 'no pong: the link is dead' },
                        },
                      },
                    },
                  },
                  goingIdle: {
                    tags: ['goingIdle'],
                    description: 'going_idle sent; still serving inbound until the connector acknowledges that it buffers.',
                    entry: 'sendGoingIdle',
                    initial: 'requested',
                    states: {
                      requested: {
                        description: 'goIdle(): waiting for the ack with the goIdle timeout; the gateway stays idle after it.',
                        on: {
                          GOING_IDLE_ACK: [
                            {
                              guard: 'dormancyRequested',
                              target: '#connection.running.dormant',
                              actions: ['countIdleAck', 'markDormant'],
                              description: 'goDormant(): the connector buffers; dormant first, then close',
                            },
                            { target: '#connection.running.idle', actions: 'countIdleAck', description: 'connector buffers; close and stay idle' },
                          ],
                          STOP: { target: 'stopping', actions: 'beginStop', description: 'stop(): the stop timeout replaces the goIdle one' },
                        },
                        after: {
                          goIdleTimeout: {
                            target: '#connection.running.link.open.serving',
                            actions: ['recordGoIdleTimeout', 'endIdleIntent', 'markIdleAskUnanswered'],
                            description: 'no ack in time: keep serving',
                          },
                        },
                      },
                      stopping: {
                        description:
                          'stop(): side by side, the ack (at most the stop timeout) and the drain of written requests (at most the grace); then closing for good. Nothing undoes a stop.',
                        on: {
                          ...ignoring('running.link.open.goingIdle.stopping'),
                          GOING_IDLE_ACK: { actions: ['countIdleAck', 'markStopAcked'], description: 'connector buffers' },
                          DRAIN_DONE: { actions: 'markDrained', description: 'every written request settled' },
                          SOCKET_CLOSED: { target: '#connection.stopped', actions: 'recordClose', description: 'closed while stopping' },
                        },
                        always: { guard: 'stopReady', target: '#connection.stopped', description: 'acked (or timed out) and drained: close and stop' },
                        after: {
                          stopGoIdleTimeout: { actions: ['recordGoIdleTimeout', 'markStopAcked'], description: 'no ack in time; close anyway' },
                          drainGrace: { actions: 'markDrained', description: 'drain grace over: what is still pending fails as closed' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          linkDown: {
            description: 'Choice: the link closed, failed or timed out. A close is classified (close-classification.ts); anything else backs off.',
            always: [
              { guard: 'closeMeansDisable', target: '#connection.disabled', actions: 'markRevoked', description: 'second 4401: revoked' },
              {
                guard: 'freshTokenRedialHeld',
                target: 'held',
                actions: 'markProvisional',
                description: '4401 after a handshake, redial held: wait for the release, then re-dial with a fresh token',
              },
              {
                guard: 'freshTokenRedial',
                target: 'link',
                actions: 'markProvisional',
                description: '4401 after a handshake: re-dial once at once with a fresh token',
              },
              { guard: 'stillDormant', target: 'dormant', actions: 'scheduleDormantRetry', description: 'dormant: sleep again, twice as long (no jitter)' },
              { guard: 'reconnectEnabled', target: 'reconnecting', description: 'back off, then dial again' },
              { target: '#connection.stopped', description: 'reconnect is off' },
            ],
          },
          reconnecting: {
            tags: ['reconnecting'],
            description: 'Waiting out the backoff delay before the next dial. No socket is open.',
            entry: 'scheduleRetry',
            exit: 'clearRetry',
            after: {
              backoff: [
                { guard: 'redialHeld', target: 'held', description: 'backoff elapsed, redial held' },
                { target: 'link', description: 'backoff elapsed' },
              ],
            },
          },
          dormant: {
            tags: ['dormant'],
            description:
              'Asleep after goDormant(): no socket, the connector buffers. Redials after 1 s, doubling after each failure up to 30 s, no jitter; the first handshake wakes it.',
            after: {
              dormantWait: [
                { guard: 'redialHeld', target: 'held', description: 'dormant wait over, redial held' },
                { target: 'link', description: 'dormant wait over: dial' },
              ],
            },
          },
          held: {
            tags: ['held'],
            description: 'A redial waits for releaseRedial() (a suspend in progress), at most 60 s; then the hold clears and it dials.',
            exit: 'releaseRedial',
            on: { RELEASE_REDIAL: { target: 'link', description: 'releaseRedial(): dial now' } },
            after: { redialHoldMax: { target: 'link', description: 'held for the longest allowed: dial anyway' } },
          },
        },
      },
      disabled: {
        tags: ['disabled'],
        description: "Terminal: the connector revoked this gateway's credential. No more dials.",
        type: 'final',
      },
      stopped: {
        tags: ['stopped'],
        description: 'Terminal: stopped on purpose (or a close with reconnect turned off). No more dials.',
        type: 'final',
      },
    },
  });
}

/** The machine type, for typing actors and snapshots. */
export type ConnectionMachine = ReturnType<typeof createConnectionMachine>;

/** A default instance (Math.random, Date.now, placeholder socket): for diagrams, docs and graph tests. */
export const connectionMachine: ConnectionMachine = createConnectionMachine();
