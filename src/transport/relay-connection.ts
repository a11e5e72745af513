/**
 * The transport: one connection machine, its socket actor, and the data plane around them
 * (request correlation, inbound scheduling, acks and de-duplication). The gateway API is a thin
 * layer over this.
 * @module
 */
import { FrameTap, type FrameTapListener } from './frame-tap.js';
import { drainGraceS, normalizeBudgetS } from '../gateway/drain-budget.js';
import { randomUUID } from 'node:crypto';
import type { ClientOptions } from 'ws';
import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import type { ConnectionMachine } from '../../machines/connection.machine.js';
import { connectionStateOf, connectionStatePathOf, machinePathOf } from '../../machines/public-state.js';
import type { ConnectionContext, ConnectionSettings, ConnectionStateName } from '../../machines/connection.types.js';
import { relayUserAgent } from '../http/user-agent.js';
import { authorizationHeader } from '../auth/upgrade-token.js';
import { encodeFrame } from '../codec/frame-encoder.js';
import { DEFAULT_MAX_LINE_BYTES } from '../codec/frame-decoder.js';
import { GatewayStoppedError, InvalidArgumentError, RelayDisabledError } from '../errors.js';
import { log, silentLogger, type Logger } from '../logger.js';
import type { CapabilityDescriptor } from '../protocol/descriptor.js';
import {
  helloFrame,
  inboundAckFrame,
  interruptFrame,
  outboundFrame,
  type InboundFrame,
  type PassthroughForwardFrame,
} from '../protocol/frames.js';
import type { OutboundAction, SendResult } from '../protocol/outbound.js';
import { DEFAULT_DEDUPE_WINDOW, DeliveryLedger, type LedgerEntry } from './delivery-ledger.js';
import { classifyCloseCause, classifyFailure, type LinkCause } from './link-cause.js';
import { toDialUrl } from './dial-url.js';
import type { DataFrame, LinkSink, LinkWriter, RejectedInput } from './link.js';
import { FAILURES, PendingRequests, sendFailed, type RequestOutcome } from './pending-requests.js';
import { SessionScheduler, type DeliveryAbort } from './session-scheduler.js';
import { sharedConnectionMachine } from './shared-machine.js';
import { createSocketActor, type SocketCounters, type WebSocketFactory } from './socket-actor.js';

function isThenable(value: unknown): value is PromiseLike<void> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** One unit of inbound work: which session it belongs to and what to run. */
export interface Delivery {
  /** Session key: deliveries of one session run one at a time, in order. */
  readonly sessionKey: string;
  /** `platform:chat_id:message_id`, when the event has a message id (de-duplication). */
  readonly messageKey?: string;
  /** The application's handling. Completing without error acks a buffered delivery. */
  run(abort: DeliveryAbort): Promise<void> | void;
  /**
   * Run at once, beside the session queues and outside the concurrency cap (still de-duplicated and
   * acked). For answers a running turn may be waiting for (a prompt press): queued behind that turn
   * they would never arrive. Its abort state is never aborted. @default false
   */
  readonly unordered?: boolean;
}

/**
 * Decides what an inbound data frame means for the application. Called on the reader, so it must
 * be cheap and synchronous; return `null` to drop the frame (a buffered one is still acked).
 */
export interface DeliveryRouter {
  inbound(frame: InboundFrame): Delivery | null;
  passthrough(frame: PassthroughForwardFrame): Delivery | null;
}

/** Options of {@link createRelayConnection}. */
export interface RelayConnectionOptions {
  /** Connector base URL; normalised with `toDialUrl` (relay-connector-contract.md §1). */
  readonly url: string;
  /** `hello.platform` of the single identity (ignored when `identities` is given). @default "relay" */
  readonly platform?: string;
  /** `hello.botId` of the single identity (ignored when `identities` is given). @default "" */
  readonly botId?: string;
  /**
   * Every identity this gateway fronts on its one socket: one `hello` each, in this order; the first
   * descriptor back is the primary. @default one identity from `platform` and `botId`
   */
  readonly identities?: ReadonlyArray<{ readonly platform: string; readonly botId: string }>;
  /** Gateway id for upgrade auth. @default null (no Authorization header) */
  readonly gatewayId?: string | null;
  /** Shared secret for upgrade auth; never logged. @default null */
  readonly secret?: string | null;
  /** Token lifetime in seconds; 0 = never expires. @default 300 */
  readonly tokenTtlSeconds?: number;
  /** Lifecycle timings and reconnect switch. @default DEFAULT_CONNECTION_SETTINGS */
  readonly settings?: Partial<ConnectionSettings>;
  /** Wait for `outbound_result`. @default 30000 */
  readonly outboundTimeoutMs?: number;
  /** Handlers running at once across sessions. @default 64 */
  readonly concurrency?: number;
  /**
   * Most inbound deliveries held waiting for a handler (queued, not running). At half of it the
   * gateway asks the connector to buffer (`going_idle`, flow control); at the cap, new buffered
   * frames are left unacked for the connector to replay and live ones are refused and counted
   * (`inboundShed`). The reader itself never pauses. @default {@link DEFAULT_MAX_QUEUED_INBOUND}
   */
  readonly maxQueuedInbound?: number;
  /**
   * The same cap in bytes: the summed line length of the waiting deliveries' frames.
   * @default {@link DEFAULT_MAX_QUEUED_INBOUND_BYTES}
   */
  readonly maxQueuedInboundBytes?: number;
  /** Largest WebSocket message accepted. @default 4 MiB */
  readonly maxPayload?: number;
  /** Largest partial line kept between messages. @default 1 MiB */
  readonly maxLineBytes?: number;
  /**
   * Completed deliveries remembered for de-duplication, besides every outstanding (queued or running)
   * one, which is never forgotten; up to an eighth more between batch evictions.
   * @default {@link DEFAULT_DEDUPE_WINDOW}
   */
  readonly dedupeWindow?: number;
  /** Extra `ws` client options (TLS `ca`, ...). @default {} */
  readonly socketOptions?: ClientOptions;
  /** Socket factory. @default `new WebSocket(url, options)` */
  readonly createSocket?: WebSocketFactory;
  /** Random source in [0, 1) for backoff jitter. @default Math.random */
  readonly random?: () => number;
  /** Wall clock in ms. @default Date.now */
  readonly now?: () => number;
  /** Observer of the machine's inspection events (Stately's inspector or the visualizer). @default none */
  readonly inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** What inbound frames mean. */
  readonly router: DeliveryRouter;
  /** Told about every `interrupt_inbound`; `running` says whether a handler was aborted. @default none */
  readonly onInterrupt?: (sessionKey: string, chatId: string, running: boolean) => void;
  /** Told when a handler fails (it is not acked, so the connector redelivers). @default logged */
  readonly onHandlerError?: (error: unknown, delivery: { sessionKey: string; bufferId: string | undefined }) => void;
  /** Logger. @default silent */
  readonly logger?: Logger;
}

/** Counters and gauges of one connection. Plain data. */
export interface ConnectionMetrics {
  state: ConnectionStateName;
  /** Milliseconds in the current top-level state. */
  timeInStateMs: number;
  dials: number;
  handshakes: number;
  /** Reconnects, keyed by the close code that caused them (`dial-failed`, `timeout`, ... for others). */
  reconnectsByCode: Record<string, number>;
  /** Reconnects (and re-dials), keyed by cause: `refused`, `dns`, `tls`, `closed`, `no-pong`, `replay`, ... (see LinkCauseKind). */
  reconnectsByCause: Record<string, number>;
  framesIn: number;
  framesOut: number;
  malformedLines: number;
  unknownFrames: number;
  invalidFrames: number;
  ignoredMachineEvents: number;
  inboundDelivered: number;
  inboundAcked: number;
  duplicatesDropped: number;
  handlerErrors: number;
  interruptsReceived: number;
  interruptsUnknown: number;
  pendingRequests: number;
  requestTimeouts: number;
  lateResults: number;
  handlersRunning: number;
  /** Deliveries waiting for a handler. */
  inboundQueued: number;
  /** Summed frame size of the waiting deliveries (see `maxQueuedInboundBytes`). */
  inboundQueuedBytes: number;
  /** Buffered frames left unacked at the backlog cap; the connector replays them after the next handshake. */
  inboundDeferred: number;
  /** Live frames (no `bufferId`) refused at the backlog cap: lost unless the connector redelivers them. */
  inboundShed: number;
  /** Data frames the connector sent before its descriptor (dropped; buffered ones are redelivered). */
  framesBeforeHandshake: number;
  /** Whether flow control has asked the connector to buffer on the current link. */
  intakeHeld: boolean;
  /** Re-dials made after flow control so the connector replays what it buffered. */
  replayRedials: number;
}

/** Why a dial started while a link was up (or coming up): see {@link StateChange.redial}. */
export type Redial = 'fresh-token' | 'replay' | 'requested';

/** One settled request, as {@link RelayConnection.observeRequests} reports it. */
export interface RequestObservation {
  /** The action's `op` (`send`, `edit`, ...). */
  readonly op: string;
  /**
   * `success`; the failure code a transport failure carries (`not_connected`, `timeout`, ...); the
   * connector result's `code` when it failed with one; else `failed`.
   */
  readonly result: string;
  /** From the call to the outcome, in milliseconds. */
  readonly durationMs: number;
}

/** A state change, as the application sees it. */
export interface StateChange {
  readonly state: ConnectionStateName;
  readonly previous: ConnectionStateName;
  /** Public state path, e.g. `serving.awaitingPong`. */
  readonly path: string;
  readonly context: ConnectionContext;
  /** Why the link ended or never came up, when this change is the consequence of it; else null. */
  readonly cause: LinkCause | null;
  /** The backoff before the next dial, when entering `reconnecting`; else null. */
  readonly retryInMs: number | null;
  /**
   * Set when a dial starts while a link was up or coming up: `fresh-token` (the one immediate re-dial
   * after a 4401, relay-connector-contract.md §10), `replay` (after flow control, for the connector's replay) or `requested`
   * (`reconnectNow()`).
   */
  readonly redial?: Redial;
}

/** The identity keys an outbound frame may carry beside its action. */
export interface OutboundTags {
  readonly platform?: string;
  readonly botId?: string;
}

/** The transport's interface. */
export interface RelayConnection {
  /** Resolves when first serving; rejects with a typed error if it ends disabled or stopped first. */
  start(): Promise<void>;
  /**
   * Graceful stop within `budgetS` seconds (default 5): new sends fail at once; going idle (at most
   * 2 s) and the drain of written requests (at most `max(0, min(5, budgetS - 3.5))` s) run side by
   * side; then close. What is still pending resolves `closed`, ambiguous. Resolves when nothing is
   * left open, within the budget.
   */
  stop(options?: { readonly budgetS?: number }): Promise<void>;
  /** Ask the connector to buffer. True on ack; false on timeout or when not serving. */
  goIdle(timeoutMs?: number): Promise<boolean>;
  /**
   * Go idle, then sleep: on the ack the gateway is dormant and closes its socket, then redials on the
   * dormant cadence (1 s, doubling to 30 s) until a handshake completes. False without an ack (still
   * serving) or when not serving.
   */
  goDormant(timeoutMs?: number): Promise<boolean>;
  /** Make the next redial wait for {@link releaseRedial} (at most 60 s). False when stopped, stopping or disabled. */
  holdRedial(): boolean;
  /** Clear the hold and wake a waiting redial. True when a hold was in effect. */
  releaseRedial(): boolean;
  /** Descriptors adopted at the latest handshake (plus later arrivals), by platform. */
  descriptors(): ReadonlyMap<string, CapabilityDescriptor>;
  /** Dial now: skip a backoff, wake from idle, or replace the current socket. */
  reconnectNow(): void;
  /**
   * Send one outbound action and wait for its result. Never rejects. `tags` are written beside the
   * action (`platform`, `botId`: which identity it is for).
   */
  request(action: OutboundAction, tags?: OutboundTags): Promise<RequestOutcome>;
  /** Send an `interrupt` frame. Never rejects. */
  interrupt(sessionKey: string, reason?: string | null): Promise<SendResult>;
  /** Current top-level state. */
  readonly state: ConnectionStateName;
  /** The machine's full state path (`running.link.open.serving.live`), for drawings and debugging. */
  readonly machinePath: string;
  /** Current public state and its substates (`serving.awaitingPong`, `goingIdle.stopping`). */
  readonly statePath: string;
  /** Current machine context (serialisable). */
  readonly context: ConnectionContext;
  /** The adopted descriptor of the latest handshake, or null before the first. */
  readonly descriptor: CapabilityDescriptor | null;
  /** Subscribe to state changes; returns an unsubscribe function. */
  onStateChange(listener: (change: StateChange) => void): () => void;
  /** Told about every request once it has settled (for metrics); returns an unsubscribe function. */
  observeRequests(observer: (request: RequestObservation) => void): () => void;
  /** Listen to every frame on the socket (see {@link FrameTap}); returns a function that stops it. */
  observeFrames(listener: FrameTapListener): () => void;
  /** Counters and gauges. */
  metrics(): ConnectionMetrics;
  /** The underlying actor, for inspection and tests. */
  readonly actor: Actor<ConnectionMachine>;
}

/** States a connection waits in without a socket: a dial from them is not a re-dial of a live link. */
const WAITING_STATES: ReadonlySet<ConnectionStateName> = new Set(['idle', 'reconnecting', 'dormant', 'held']);

/** The abort state of an unordered delivery: nothing interrupts it. */
const NEVER_ABORTED: DeliveryAbort = Object.freeze({ signal: new AbortController().signal, cause: undefined });

/** How much before the budget's end a stop gives up waiting, so that it resolves within the budget. */
const STOP_MARGIN_MS = 25;

/** Part of a stop's budget kept for closing the socket. */
const CLOSE_ALLOWANCE_MS = 1000;

/** Default of {@link RelayConnectionOptions.outboundTimeoutMs}: 30 s (relay-connector-contract.md §12). */
export const DEFAULT_OUTBOUND_TIMEOUT_MS = 30_000;

/** Default of {@link RelayConnectionOptions.maxQueuedInbound}. */
export const DEFAULT_MAX_QUEUED_INBOUND = 50_000;

/** Default of {@link RelayConnectionOptions.maxQueuedInboundBytes}: 64 MiB. */
export const DEFAULT_MAX_QUEUED_INBOUND_BYTES = 64 * 1024 * 1024;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidArgumentError(name, `must be a positive integer, received ${String(value)}`);
  return value;
}

/** Create a transport. Nothing is dialled until `start()`. */
export function createRelayConnection(options: RelayConnectionOptions): RelayConnection {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const dialUrl = toDialUrl(options.url);
  const outboundTimeoutMs = positiveInteger('outboundTimeoutMs', options.outboundTimeoutMs, DEFAULT_OUTBOUND_TIMEOUT_MS);
  const maxLineBytes = positiveInteger('maxLineBytes', options.maxLineBytes, DEFAULT_MAX_LINE_BYTES);
  const maxPayload = positiveInteger('maxPayload', options.maxPayload, 4 * 1024 * 1024);
  const concurrency = positiveInteger('concurrency', options.concurrency, 64);
  const maxQueued = positiveInteger('maxQueuedInbound', options.maxQueuedInbound, DEFAULT_MAX_QUEUED_INBOUND);
  const maxQueuedBytes = positiveInteger('maxQueuedInboundBytes', options.maxQueuedInboundBytes, DEFAULT_MAX_QUEUED_INBOUND_BYTES);
  // Flow control starts at half the cap, so the frames in flight until the connector's ack fit below it.
  const highQueued = Math.ceil(maxQueued / 2);
  const highQueuedBytes = Math.ceil(maxQueuedBytes / 2);
  const dedupeWindow = positiveInteger('dedupeWindow', options.dedupeWindow, DEFAULT_DEDUPE_WINDOW);
  const requestPrefix = randomUUID().slice(0, 8);
  let requestCounter = 0;

  const counters: SocketCounters = { framesIn: 0, framesOut: 0 };
  const m = {
    dials: 0,
    reconnectsByCode: {} as Record<string, number>,
    malformedLines: 0,
    unknownFrames: 0,
    invalidFrames: 0,
    inboundDelivered: 0,
    inboundAcked: 0,
    duplicatesDropped: 0,
    handlerErrors: 0,
    interruptsReceived: 0,
    interruptsUnknown: 0,
    lateResults: 0,
    reconnectsByCause: {} as Record<string, number>,
    inboundDeferred: 0,
    inboundShed: 0,
    framesBeforeHandshake: 0,
  };

  const pending = new PendingRequests();
  const frameTap = new FrameTap();
  const requestObservers = new Set<(request: RequestObservation) => void>();
  const observeRequest = (op: string, outcome: RequestOutcome, durationMs: number): void => {
    const code = outcome.ok ? outcome.result.code : undefined;
    const result = outcome.ok ? (outcome.result.success === true ? 'success' : typeof code === 'string' && code !== '' ? code : 'failed') : (outcome.failure.code ?? 'failed');
    for (const observer of [...requestObservers]) {
      try {
        observer({ op, result, durationMs });
      } catch (error) {
        log(logger, 'error', 'relay: request observer failed', { error: String(error) });
      }
    }
  };
  const ledger = new DeliveryLedger(dedupeWindow);
  let writer: LinkWriter | null = null;
  // Bumped on every handshake, so work started for one link can tell that it is gone.
  let linkGeneration = 0;
  // Whether this link's backlog crossed its high-water mark (checked per frame, so a plain flag), and
  // whether a drain watcher is registered for this link.
  let intakeRaised = false;
  let drainWatched = false;
  let stopRequested = false;

  const scheduler = new SessionScheduler({ concurrency });

  const write = (frame: object): Promise<void> => {
    if (!writer) return Promise.reject(new Error('not connected'));
    return writer.write(encodeFrame(frame));
  };

  // Every delivery of a completed buffered frame is acked, a repeat on the same link included (spec
  // §9): a connector whose replay is ack-gated waits for exactly this ack.
  const ack = (bufferId: string): void => {
    if (!writer) return; // Not acked: the connector redelivers after the next handshake and the ledger dedupes.
    write(inboundAckFrame(bufferId)).then(
      () => m.inboundAcked++,
      (error: unknown) => log(logger, 'warn', 'relay: inbound_ack failed', { bufferId, error: String(error) }),
    );
  };

  /**
   * Flow control: the backlog reached its high-water mark (or its cap), so ask the connector, through
   * the machine, to buffer new inbound. Once nothing is queued or running any more the machine
   * re-dials and the connector replays what it held. Called on the crossing and at the cap only.
   */
  const raiseIntake = (): void => {
    // Already held, or not serving (going idle: its own going_idle asks the connector to buffer).
    const snapshot = actor.getSnapshot();
    if (!writer || snapshot.context.intake === 'held' || !snapshot.hasTag('serving')) return;
    log(logger, 'warn', 'relay: inbound backlog at its high-water mark; asking the connector to buffer', {
      queued: scheduler.queued,
      queuedBytes: scheduler.queuedBytes,
    });
    actor.send({ type: 'INTAKE_HIGH' });
    if (drainWatched) return;
    drainWatched = true;
    const link = linkGeneration;
    void scheduler.whenIdle().then(() => {
      if (link === linkGeneration && writer) actor.send({ type: 'INTAKE_DRAINED' });
    });
  };

  // At the cap nothing more is held. A buffered frame is left unacked: the connector keeps it and
  // replays it after the next handshake. A live frame has no such promise and is lost: counted and
  // logged, and flow control (started at half the cap) is there so a cooperating connector never
  // gets this far.
  const refuse = (bufferId: string | undefined, size: number): void => {
    if (bufferId) m.inboundDeferred++;
    else {
      if (m.inboundShed === 0) log(logger, 'error', 'relay: inbound backlog full; refusing live frames', { queued: scheduler.queued, size });
      m.inboundShed++;
    }
    raiseIntake();
  };

  const deliver = (bufferId: string | undefined, route: () => Delivery | null, size: number): void => {
    let delivery: Delivery | null;
    try {
      delivery = route();
    } catch (error) {
      m.handlerErrors++;
      log(logger, 'error', 'relay: routing an inbound frame failed', { error: String(error) });
      return;
    }
    if (!delivery) {
      if (bufferId) ack(bufferId);
      return;
    }
    const messageKey = delivery.messageKey;
    const seen = bufferId || messageKey ? ledger.find(bufferId, messageKey) : undefined;
    if (seen) {
      m.duplicatesDropped++;
      if (bufferId) {
        if (seen.status === 'done') ack(bufferId);
        else if (bufferId !== seen.bufferId) {
          const late = (seen.lateBufferIds ??= []);
          if (!late.includes(bufferId)) late.push(bufferId);
        }
      }
      return;
    }
    if (delivery.unordered) {
      runUnordered(delivery, bufferId, bufferId || messageKey ? ledger.begin(bufferId, messageKey) : undefined);
      return;
    }
    if (scheduler.queued >= maxQueued || scheduler.queuedBytes + size > maxQueuedBytes) {
      refuse(bufferId, size);
      return;
    }
    const entry = bufferId || messageKey ? ledger.begin(bufferId, messageKey) : undefined;
    const sessionKey = delivery.sessionKey;
    // Not async: with a handler that returns synchronously, a delivery costs no promise at all.
    scheduler.enqueue(
      sessionKey,
      (abort) => {
        m.inboundDelivered++;
        let running: unknown;
        try {
          running = delivery.run(abort);
        } catch (error) {
          handlerFailed(error, abort, sessionKey, bufferId, entry);
          return;
        }
        // A JavaScript handler may return anything (`(e) => seen.push(e)` returns a number): only a
        // thenable is waited for; any other value means it finished.
        if (!isThenable(running)) {
          handlerSucceeded(bufferId, entry);
          return;
        }
        return running.then(
          () => handlerSucceeded(bufferId, entry),
          (error: unknown) => handlerFailed(error, abort, sessionKey, bufferId, entry),
        );
      },
      size,
    );
    if (!intakeRaised && (scheduler.queued >= highQueued || scheduler.queuedBytes >= highQueuedBytes)) {
      intakeRaised = true;
      raiseIntake();
    }
  };

  const runUnordered = (delivery: Delivery, bufferId: string | undefined, entry: LedgerEntry | undefined): void => {
    m.inboundDelivered++;
    let running: unknown;
    try {
      running = delivery.run(NEVER_ABORTED);
    } catch (error) {
      handlerFailed(error, NEVER_ABORTED, delivery.sessionKey, bufferId, entry);
      return;
    }
    if (!isThenable(running)) {
      handlerSucceeded(bufferId, entry);
      return;
    }
    running.then(
      () => handlerSucceeded(bufferId, entry),
      (error: unknown) => handlerFailed(error, NEVER_ABORTED, delivery.sessionKey, bufferId, entry),
    );
  };

  const handlerSucceeded = (bufferId: string | undefined, entry: LedgerEntry | undefined): void => {
    if (!entry) return;
    ledger.complete(entry);
    if (bufferId) ack(bufferId);
    if (entry.lateBufferIds) for (const late of entry.lateBufferIds.splice(0)) ack(late);
  };

  const handlerFailed = (
    error: unknown,
    abort: DeliveryAbort,
    sessionKey: string,
    bufferId: string | undefined,
    entry: LedgerEntry | undefined,
  ): void => {
    // An interrupted turn counts as handled: re-running a turn the user stopped would be wrong.
    if (abort.cause === 'interrupt') {
      handlerSucceeded(bufferId, entry);
      return;
    }
    if (entry) ledger.forget(entry);
    // Aborted because the gateway stopped: not handled, not an application error (no ack was sent).
    if (abort.cause === 'stop') return;
    m.handlerErrors++;
    if (options.onHandlerError) options.onHandlerError(error, { sessionKey, bufferId });
    else log(logger, 'error', 'relay: inbound handler failed; not acked, the connector will redeliver', { sessionKey, error: String(error) });
  };

  const onDataFrame = (frame: DataFrame, size: number): void => {
    switch (frame.type) {
      case 'outbound_result':
        if (!pending.settle(frame.requestId, { ok: true, result: frame.result })) m.lateResults++;
        return;
      case 'inbound':
        deliver(frame.bufferId, () => options.router.inbound(frame), size);
        return;
      case 'passthrough_forward':
        deliver(frame.bufferId, () => options.router.passthrough(frame), size);
        return;
      case 'interrupt_inbound': {
        m.interruptsReceived++;
        const running = scheduler.abort(frame.session_key, new Error('interrupted by the connector'));
        if (!running) {
          m.interruptsUnknown++;
          log(logger, 'info', 'relay: interrupt for a session with no running turn', { sessionKey: frame.session_key });
        }
        try {
          options.onInterrupt?.(frame.session_key, frame.chat_id, running);
        } catch (error) {
          log(logger, 'error', 'relay: onInterrupt listener failed', { error: String(error) });
        }
        return;
      }
    }
  };

  // Descriptors by platform: the set adopted at the latest handshake (plus later arrivals on that
  // link). A new link starts empty; until its handshake completes, checks use the set adopted last.
  let adopted: Map<string, CapabilityDescriptor> = new Map();
  let linkDescriptors: Map<string, CapabilityDescriptor> = new Map();
  let contractVersionLogged = false;
  const noteDescriptor = (descriptor: CapabilityDescriptor): void => {
    if (descriptor.contract_version > 1 && !contractVersionLogged) {
      contractVersionLogged = true;
      log(logger, 'info', 'relay: the connector speaks a newer contract version; using version 1 behaviour', { contractVersion: descriptor.contract_version });
    }
  };

  const sink: LinkSink = {
    attach: (next) => {
      writer = next;
      linkGeneration++;
      intakeRaised = false;
      drainWatched = false;
      linkDescriptors = new Map();
    },
    handshake: (descriptor) => {
      noteDescriptor(descriptor);
      linkDescriptors = new Map(descriptor.platform ? [[descriptor.platform, descriptor]] : []);
      // The primary and the map are adopted together; later arrivals are added to this same map.
      adopted = linkDescriptors;
    },
    descriptor: (descriptor) => {
      noteDescriptor(descriptor);
      if (!descriptor.platform) return;
      linkDescriptors.set(descriptor.platform, descriptor);
    },
    detach: () => {
      writer = null;
      const failed = pending.failAll(stopRequested ? FAILURES.closedPending : FAILURES.connectionLost);
      if (failed > 0) log(logger, 'warn', stopRequested ? 'relay: stopped with requests still unanswered' : 'relay: link lost with requests in flight', { failed });
    },
    frame: onDataFrame,
    rejected: (problem: RejectedInput) => {
      if (problem.kind === 'malformed-line') m.malformedLines++;
      else if (problem.kind === 'unknown-frame') m.unknownFrames++;
      else if (problem.kind === 'before-handshake') m.framesBeforeHandshake++;
      else m.invalidFrames++;
      log(logger, 'warn', `relay: skipped input (${problem.kind})`, problemFields(problem));
    },
  };

  const socket = createSocketActor({
    url: dialUrl,
    // The upgrade is an HTTP request too: it names the library (protocol-later §3.2; some CDNs refuse default agents).
    headersForDial: () => ({ 'User-Agent': relayUserAgent(), ...authorizationHeader(options.gatewayId, options.secret, {
        ...(options.tokenTtlSeconds !== undefined ? { ttlSeconds: options.tokenTtlSeconds } : {}),
        nowSeconds: Math.floor(now() / 1000),
      }) }),
    hellos: (options.identities && options.identities.length > 0 ? options.identities : [{ platform: options.platform ?? 'relay', botId: options.botId ?? '' }]).map((identity) =>
      helloFrame(identity.platform, identity.botId),
    ),
    maxPayload,
    maxLineBytes,
    socketOptions: options.socketOptions,
    createSocket: options.createSocket,
    now: () => performance.now(),
    closeGraceMs: 1000,
    sink,
    counters,
    tap: frameTap,
    onDial: (input) => {
      m.dials++;
      log(logger, 'info', 'relay: dialling', { url: dialUrl, dial: input.dial, provisional: input.provisional });
    },
  });

  const actor = createActor(sharedConnectionMachine(options.random ?? Math.random, now), {
    input: { settings: options.settings },
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  socket.bindTo(actor.system);

  let state: ConnectionStateName = 'idle';
  let stateSince = now();
  let replayRedialsSeen = 0;
  // The newest cause seen (kept across states, so start() can say what last went wrong).
  let lastCause: LinkCause | null = null;
  const listeners = new Set<(change: StateChange) => void>();

  // The context of the previous snapshot: a close is new when `lastClose` is a new record.
  let previousContext: ConnectionContext | undefined;

  /**
   * Why the link ended on this change (null when it did not). A new close record means a close; no
   * new close with a failure recorded means a failed dial, handshake or timeout.
   */
  const causeOf = (next: ConnectionStateName, previous: ConnectionStateName, context: ConnectionContext): LinkCause | null => {
    const ended = next === 'reconnecting' || next === 'stopped' || next === 'disabled' || (next === 'dialing' && !WAITING_STATES.has(previous));
    if (!ended) return null;
    if (next === 'stopped' && stopRequested) return { kind: 'stopped', summary: 'stopped on request' };
    if (context.lastClose && context.lastClose !== previousContext?.lastClose) return classifyCloseCause(context.lastClose, next === 'disabled');
    if (context.lastError && next !== 'dialing') return classifyFailure(context.lastError);
    return null;
  };

  /** Why a dial started while a link was up or coming up, if it did. */
  const redialOf = (next: ConnectionStateName, previous: ConnectionStateName, context: ConnectionContext, cause: LinkCause | null): Redial | undefined => {
    if (next !== 'dialing' || WAITING_STATES.has(previous)) return undefined;
    if (context.replayRedials > replayRedialsSeen) return 'replay';
    if (cause?.kind === 'unauthorized' && context.provisional) return 'fresh-token';
    return 'requested';
  };

  /** Publish a snapshot's state; `forced` names the state when the machine was cut short (a stop over budget). */
  const onSnapshot = (snapshot: ReturnType<typeof actor.getSnapshot>, forced?: ConnectionStateName): void => {
      const next = forced ?? connectionStateOf(snapshot);
      const context = snapshot.context;
      if (next === state) {
        previousContext = context;
        return;
      }
      const previous = state;
      state = next;
      stateSince = now();
      const cause = causeOf(next, previous, context);
      const redial = redialOf(next, previous, context, cause);
      previousContext = context;
      if (next === 'reconnecting' || redial !== undefined) {
        const key = redial === 'replay' ? 'replay' : previous === 'dialing' ? 'dial-failed' : context.lastClose ? String(context.lastClose.code) : 'timeout';
        m.reconnectsByCode[key] = (m.reconnectsByCode[key] ?? 0) + 1;
        const causeKey = redial === 'replay' || redial === 'requested' ? redial : (cause?.kind ?? 'other');
        m.reconnectsByCause[causeKey] = (m.reconnectsByCause[causeKey] ?? 0) + 1;
      }
      replayRedialsSeen = context.replayRedials;
      lastCause = cause ?? lastCause;
      const retryInMs = next === 'reconnecting' ? context.backoffMs : null;
      // A failed dial or a lost link is worth a warning each time: nothing retries silently.
      const level = next === 'disabled' ? 'error' : next === 'reconnecting' ? 'warn' : 'info';
      log(logger, level, `relay: ${previous} -> ${next}${cause ? `: ${cause.summary}` : ''}${redial ? ` (re-dial: ${redial})` : ''}`, {
        failures: context.attempt,
        cause: cause?.kind,
        lastClose: context.lastClose,
        lastError: context.lastError,
        ...(retryInMs !== null ? { retryInMs } : {}),
      });
      if (next === 'stopped' || next === 'disabled') {
        pending.failAll(next === 'disabled' ? FAILURES.connectionLost : FAILURES.closedPending);
        // Nothing runs for a gateway that has ended: running handlers see their signal abort, and
        // waiting deliveries are dropped unacked (buffered ones stay with the connector).
        const dropped = scheduler.close(new GatewayStoppedError(`the gateway is ${next}`));
        if (dropped > 0) log(logger, 'warn', 'relay: inbound deliveries dropped at the end', { dropped, state: next });
      }
      const change: StateChange = { state: next, previous, path: forced ?? connectionStatePathOf(snapshot), context, cause, retryInMs, ...(redial ? { redial } : {}) };
      for (const listener of [...listeners]) {
        try {
          listener(change);
        } catch (error) {
          log(logger, 'error', 'relay: state listener failed', { error: String(error) });
        }
      }
  };

  actor.subscribe({
    next: (snapshot) => onSnapshot(snapshot),
    error: (error) => log(logger, 'error', 'relay: connection machine failed', { error: String(error) }),
  });
  actor.start();

  const whenState = <T>(decide: (change: StateChange) => { done: true; value: T } | { done: true; error: Error } | null): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = (change: StateChange): boolean => {
        const verdict = decide(change);
        if (!verdict) return false;
        unsubscribe();
        if ('error' in verdict) reject(verdict.error);
        else resolve(verdict.value);
        return true;
      };
      const listener = (change: StateChange): void => void check(change);
      listeners.add(listener);
      const unsubscribe = (): boolean => listeners.delete(listener);
      const snapshot = actor.getSnapshot();
      check({ state, previous: state, path: connectionStatePathOf(snapshot), context: snapshot.context, cause: lastCause, retryInMs: null });
    });

  let idleOutcome: Promise<boolean> | null = null;

  const endError = (change: StateChange): Error => {
    if (change.state === 'disabled') return new RelayDisabledError(change.context.disabledReason ?? 'relay disabled', change.context.lastClose?.code);
    const cause = change.cause ?? lastCause;
    // Say what happened: on request, or the last failure (with reconnect off, or while stopping).
    const why = cause ? `: ${cause.summary}` : '';
    return new GatewayStoppedError(`the gateway stopped before it was serving${why}`, {
      closeCode: cause?.closeCode ?? change.context.lastClose?.code,
      lastError: change.context.lastError ?? undefined,
      ...(cause && cause.kind !== 'stopped' ? { cause: new Error(cause.error ?? cause.summary) } : {}),
    });
  };

  const connection: RelayConnection = {
    start() {
      const snapshot = actor.getSnapshot();
      const current: StateChange = { state, previous: state, path: connectionStatePathOf(snapshot), context: snapshot.context, cause: lastCause, retryInMs: null };
      if (state === 'disabled' || state === 'stopped') return Promise.reject(endError(current));
      if (state === 'serving') return Promise.resolve();
      const serving = whenState<void>((change) => {
        if (change.state === 'serving') return { done: true, value: undefined };
        if (change.state === 'disabled' || change.state === 'stopped') return { done: true, error: endError(change) };
        return null;
      });
      if (state === 'idle') actor.send({ type: 'START' });
      return serving;
    },

    async stop(stopOptions = {}) {
      const budgetS = normalizeBudgetS(stopOptions.budgetS);
      const deadline = now() + budgetS * 1000;
      // The machine's own waits end early enough to leave the socket its close allowance.
      const waitBudgetMs = Math.max(0, budgetS * 1000 - CLOSE_ALLOWANCE_MS);
      stopRequested = true;
      const snapshot = actor.getSnapshot();
      if (snapshot.status === 'active') {
        // The drain: written requests are awaited (not cancelled) for the grace, beside going idle.
        const drainMs = pending.size > 0 && writer ? Math.min(waitBudgetMs, Math.round(drainGraceS(budgetS) * 1000)) : 0;
        actor.send({ type: 'STOP', goIdleMs: Math.min(snapshot.context.settings.stopGoIdleTimeoutMs, waitBudgetMs), drainMs });
        if (drainMs > 0) {
          void pending.whenEmpty().then(() => {
            if (actor.getSnapshot().status === 'active') actor.send({ type: 'DRAIN_DONE' });
          });
        }
      }
      // The whole stop stays within the budget: whatever is still going on at the deadline is cut.
      let budgetTimer: NodeJS.Timeout | undefined;
      const overBudget = new Promise<void>((resolve) => {
        budgetTimer = setTimeout(resolve, Math.max(0, deadline - now() - STOP_MARGIN_MS));
      });
      const ended = (): boolean => state === 'stopped' || state === 'disabled';
      if (!ended()) {
        await Promise.race([
          whenState<void>((change) => (change.state === 'stopped' || change.state === 'disabled' ? { done: true, value: undefined } : null)),
          overBudget,
        ]);
      }
      pending.failAll(FAILURES.closedPending);
      const last = actor.getSnapshot();
      actor.stop();
      // Cut short by the budget (a socket slow to close): the gateway is stopped all the same, and
      // says so, so that nobody waits for a state that will never come.
      if (!ended()) onSnapshot(last, 'stopped');
      await Promise.race([socket.whenClosed(), new Promise<void>((resolve) => {
        clearTimeout(budgetTimer);
        budgetTimer = setTimeout(resolve, Math.max(0, deadline - now()));
      })]);
      clearTimeout(budgetTimer);
    },

    goDormant(timeoutMs) {
      if (timeoutMs !== undefined) {
        try {
          positiveInteger('timeoutMs', timeoutMs, 0);
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
      if (idleOutcome) return idleOutcome.then(() => false);
      if (state !== 'serving' || stopRequested) return Promise.resolve(false);
      actor.send({ type: 'GO_DORMANT', ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
      const outcome = whenState<boolean>((change) => (change.state === 'goingIdle' ? null : { done: true, value: change.state === 'dormant' }));
      idleOutcome = outcome;
      const clear = (): void => {
        if (idleOutcome === outcome) idleOutcome = null;
      };
      outcome.then(clear, clear);
      return outcome;
    },

    holdRedial() {
      if (stopRequested || state === 'stopped' || state === 'disabled' || actor.getSnapshot().status !== 'active') return false;
      actor.send({ type: 'HOLD_REDIAL' });
      return true;
    },

    releaseRedial() {
      if (actor.getSnapshot().status !== 'active') return false;
      const held = actor.getSnapshot().context.redialHeld;
      actor.send({ type: 'RELEASE_REDIAL' });
      return held;
    },

    descriptors: () => adopted,

    goIdle(timeoutMs) {
      if (timeoutMs !== undefined) {
        try {
          positiveInteger('timeoutMs', timeoutMs, 0);
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
      // A goIdle() already under way: every caller gets its outcome (its timeout stands).
      if (idleOutcome) return idleOutcome;
      if (state !== 'serving' || stopRequested) return Promise.resolve(false);
      const acksBefore = actor.getSnapshot().context.idleAcks;
      actor.send({ type: 'GO_IDLE', ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
      const outcome = whenState<boolean>((change) =>
        // An ack that arrives because stop() went idle is not this call's: after a stop it is false.
        change.state === 'goingIdle' ? null : { done: true, value: change.context.idleAcks > acksBefore && !stopRequested },
      );
      idleOutcome = outcome;
      const clear = (): void => {
        if (idleOutcome === outcome) idleOutcome = null;
      };
      outcome.then(clear, clear);
      return outcome;
    },

    reconnectNow() {
      // A stop can never be undone (the machine ignores it while stopping too).
      if (stopRequested) return;
      if (actor.getSnapshot().status === 'active') actor.send({ type: 'RECONNECT_NOW' });
    },

    request(action, tags) {
      const started = requestObservers.size > 0 ? performance.now() : 0;
      // A stop in progress and the terminal states are "closed" (nothing was written), not a
      // transient "not connected".
      let outcome: Promise<RequestOutcome>;
      if (stopRequested || state === 'disabled' || state === 'stopped') outcome = Promise.resolve(FAILURES.closed);
      else if (!writer) outcome = Promise.resolve(FAILURES.notConnected);
      else {
        const requestId = `${requestPrefix}-${++requestCounter}`;
        outcome = pending.wait(requestId, outboundTimeoutMs);
        write(outboundFrame(requestId, action, tags)).catch((error: unknown) => pending.settle(requestId, sendFailed(error)));
      }
      // Only watched requests pay for the clock and the extra callback.
      if (requestObservers.size > 0) void outcome.then((settled) => observeRequest(action.op, settled, performance.now() - started));
      return outcome;
    },

    observeFrames: (listener) => frameTap.listen(listener),
    observeRequests(observer) {
      requestObservers.add(observer);
      return () => void requestObservers.delete(observer);
    },

    async interrupt(sessionKey, reason = null) {
      if (!writer) return stopRequested || state === 'disabled' || state === 'stopped' ? FAILURES.closed.failure : FAILURES.notConnected.failure;
      try {
        await write(interruptFrame(sessionKey, reason));
        return { success: true };
      } catch (error) {
        const failed = sendFailed(error);
        return failed.ok ? { success: true } : failed.failure;
      }
    },

    get state() {
      return state;
    },
    get statePath() {
      return connectionStatePathOf(actor.getSnapshot());
    },
    get machinePath() {
      return machinePathOf(actor.getSnapshot().value);
    },
    get context() {
      return actor.getSnapshot().context;
    },
    get descriptor() {
      return actor.getSnapshot().context.descriptor;
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    metrics() {
      const context = actor.getSnapshot().context;
      return {
        state,
        timeInStateMs: now() - stateSince,
        dials: m.dials,
        handshakes: context.handshakes,
        reconnectsByCode: { ...m.reconnectsByCode },
        reconnectsByCause: { ...m.reconnectsByCause },
        framesIn: counters.framesIn,
        framesOut: counters.framesOut,
        malformedLines: m.malformedLines,
        unknownFrames: m.unknownFrames,
        invalidFrames: m.invalidFrames,
        ignoredMachineEvents: context.ignoredEvents,
        inboundDelivered: m.inboundDelivered,
        inboundAcked: m.inboundAcked,
        duplicatesDropped: m.duplicatesDropped,
        handlerErrors: m.handlerErrors,
        interruptsReceived: m.interruptsReceived,
        interruptsUnknown: m.interruptsUnknown,
        pendingRequests: pending.size,
        requestTimeouts: pending.timedOut,
        lateResults: m.lateResults,
        handlersRunning: scheduler.running,
        inboundQueued: scheduler.queued,
        inboundQueuedBytes: scheduler.queuedBytes,
        inboundDeferred: m.inboundDeferred,
        inboundShed: m.inboundShed,
        framesBeforeHandshake: m.framesBeforeHandshake,
        intakeHeld: context.intake === 'held',
        replayRedials: context.replayRedials,
      };
    },
    actor,
  };
  return connection;
}

function problemFields(problem: RejectedInput): Record<string, unknown> {
  switch (problem.kind) {
    case 'malformed-line':
      return { reason: problem.info.reason, line: problem.info.line };
    case 'unknown-frame':
      return { type: problem.type };
    case 'invalid-frame':
      return { type: problem.type, path: problem.error.path, error: problem.error.message };
    case 'before-handshake':
      return { type: problem.type };
  }
}
