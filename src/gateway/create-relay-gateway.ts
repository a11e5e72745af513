/**
 * The library API: {@link createRelayGateway} returns a small interface over the transport. This is
 * the thin adapter of the design: it turns inbound frames into `MessageEvent`s with a session key and
 * an abort signal, and the application's calls into outbound actions (with tenant scope re-attached).
 * The lifecycle stays in the connection machine.
 * @module
 */
import type { FrameTapListener } from '../transport/frame-tap.js';
import type { ConnectionContext, ConnectionStateName } from '../../machines/connection.types.js';
import { discordInteractionToEvent } from '../adapter/discord-interaction.js';
import { InvalidArgumentError, InvalidStateError, RelayDisabledError } from '../errors.js';
import { log, silentLogger } from '../logger.js';
import { capabilitiesOf, type Capabilities } from '../protocol/capabilities.js';
import type { CapabilityDescriptor } from '../protocol/descriptor.js';
import type { MessageEvent } from '../protocol/inbound-event.js';
import {
  TRANSPORT_ERRORS,
  editAction,
  followUpAction,
  getChatInfoAction,
  sendAction,
  toChatInfo,
  toSendResult,
  typingAction,
  type ChatInfo,
  type OutboundAction,
  type SendResult,
} from '../protocol/outbound.js';
import type { PassthroughForward } from '../protocol/passthrough.js';
import type { JsonObject } from '../protocol/wire-types.js';
import { buildSessionKey } from '../session/session-key.js';
import { createRelayConnection, type ConnectionMetrics, type Delivery, type Redial, type RequestObservation } from '../transport/relay-connection.js';
import type { LinkCause } from '../transport/link-cause.js';
import type { DeliveryAbort } from '../transport/session-scheduler.js';
import { validateGatewayOptions, type InspectObserver, type RelayGatewayOptions } from './gateway-options.js';
import { ScopeMemory } from './scope-memory.js';

/** Context handed to the message handler with each event. */
export interface MessageContext {
  /** `buildSessionKey(event.source)` with the gateway's session-key options. */
  readonly sessionKey: string;
  /** Aborted when the connector interrupts this session's running turn (`/stop`), or when the gateway stops. */
  readonly signal: AbortSignal;
  /** Set when the event was replayed from the connector's buffer; acked after the handler succeeds. */
  readonly bufferId: string | undefined;
  /** The raw passthrough forward, when the event came from a Discord interaction. */
  readonly forward?: PassthroughForward;
}

/** Context handed to the passthrough handler. */
export interface PassthroughContext {
  /** Aborted when the connector interrupts this session's running turn, or when the gateway stops. */
  readonly signal: AbortSignal;
  readonly bufferId: string | undefined;
  /** The converted event, when the forward was a Discord interaction (it also reaches `onMessage`). */
  readonly event?: MessageEvent;
}

/** What `onStateChange` listeners receive besides the new state. */
export interface StateChangeInfo {
  readonly previous: ConnectionStateName;
  /** Nested state path, e.g. `serving.live`. */
  readonly path: string;
  /** Consecutive failed attempts (backoff ladder position; reset after stable serving, not on a handshake). */
  readonly attempt: number;
  readonly lastClose: { readonly code: number; readonly reason: string } | null;
  readonly lastError: string | null;
  /** When the pending reconnect fires (ms since epoch), in `reconnecting`. */
  readonly nextRetryAt: number | null;
  /** Why the link ended or never came up, when this change follows from it (a refused dial, a close, ...). */
  readonly cause: LinkCause | null;
  /** The backoff before the next dial, when entering `reconnecting`. */
  readonly retryInMs: number | null;
  /** Why a dial starts while a link was up: `fresh-token` (after a 4401), `replay` (flow control), `requested`. */
  readonly redial?: Redial;
}

/** Result of {@link RelayGateway.getChatInfo}: always has a name and type to use. */
export type ChatInfoResult = (ChatInfo & { readonly success: true }) | (ChatInfo & SendResult & { readonly success: false });

/** Options of {@link RelayGateway.send}. */
export interface SendOptions {
  /** Message to reply to. @default null */
  readonly replyTo?: string | null;
  /** Extra fields for the connector; scope fields are filled in when absent. @default {} */
  readonly metadata?: JsonObject;
}

/** Counters and gauges of a gateway (plain data). */
export interface GatewayMetrics extends ConnectionMetrics {
  /** Chats whose scope is remembered. */
  scopeMemoryChats: number;
  /** Passthrough forwards dropped (no handler, not convertible). */
  passthroughDropped: number;
  /** Inbound events that arrived with no `onMessage` handler registered (not acked). */
  inboundWithoutHandler: number;
}

/** A relay gateway. Create with {@link createRelayGateway}. */
export interface RelayGateway {
  /** Register the inbound message handler (one at a time). Returns a function that removes it. */
  onMessage(handler: (event: MessageEvent, ctx: MessageContext) => Promise<void> | void): () => void;
  /** Listen to `interrupt_inbound` (after the running turn's signal was aborted). */
  onInterrupt(listener: (sessionKey: string, chatId: string) => void): () => void;
  /** Listen to top-level state changes. */
  onStateChange(listener: (state: ConnectionStateName, info: StateChangeInfo) => void): () => void;
  /** Register the raw passthrough handler (one at a time). */
  onPassthrough(handler: (forward: PassthroughForward, ctx: PassthroughContext) => Promise<void> | void): () => void;
  /** Told once, when the credential is revoked. */
  onDisabled(listener: (error: RelayDisabledError) => void): () => void;
  /** Dial and resolve when serving; rejects with `RelayDisabledError` / `GatewayStoppedError` if it ends first. */
  start(): Promise<void>;
  /** Current top-level state. */
  readonly state: ConnectionStateName;
  /** Descriptor adopted at the latest handshake, or null. */
  readonly descriptor: CapabilityDescriptor | null;
  /** Capabilities of the adopted descriptor, or null before the first handshake. */
  readonly capabilities: Capabilities | null;
  /** Send a message. Never rejects for transport reasons; see `SendResult`. */
  send(chatId: string, content: string, options?: SendOptions): Promise<SendResult>;
  /** Edit a message; refused locally when the platform cannot edit. */
  edit(chatId: string, messageId: string, content: string, options?: { readonly metadata?: JsonObject }): Promise<SendResult>;
  /** Show a typing indicator. */
  typing(chatId: string, options?: { readonly metadata?: JsonObject }): Promise<SendResult>;
  /** Late reply through a session-bound platform handle the connector holds. */
  followUp(sessionKey: string, kind: string, content: string, metadata?: JsonObject): Promise<SendResult>;
  /** Look up a chat's name and type. */
  getChatInfo(chatId: string): Promise<ChatInfoResult>;
  /** Tell the connector a session's turn was stopped. */
  interrupt(sessionKey: string, reason?: string | null): Promise<SendResult>;
  /** Ask the connector to buffer; resolves true on ack (then the gateway is `idle`). */
  goIdle(timeoutMs?: number): Promise<boolean>;
  /** Dial now (skip a backoff, wake from idle). */
  reconnectNow(): void;
  /** Graceful stop: go idle (2 s), close, settle everything pending. */
  stop(): Promise<void>;
  /** Counters and gauges. */
  metrics(): GatewayMetrics;
  /** Serialisable machine context (attempt, last close, next retry, ...). */
  readonly context: ConnectionContext;
  /**
   * The public state and its substates, e.g. `serving.awaitingPong`, `goingIdle.stopping`, `dialing`:
   * stable whatever the chart's nesting.
   */
  readonly statePath: string;
  /**
   * The machine's full state path, e.g. `running.link.open.serving.awaitingPong` (the boxes of
   * docs/state-machine.md and the visualizer). Follows the chart's structure; for debugging.
   */
  readonly machinePath: string;
  /**
   * Attach an inspection observer to the connection machine at run time (the visualizer uses this;
   * Stately's inspector can be given as the `inspect` option instead). Returns a detach function.
   */
  inspect(observer: InspectObserver): () => void;
  /**
   * Be told about every outbound request once it settled: its op, its result (`success`, a failure
   * code such as `timeout` or `not_connected`, the connector's `code`, or `failed`) and how long it
   * took. For metrics (`registerGatewayMetrics` in `relay-gateway/prometheus` uses it). Returns a
   * function that stops it.
   */
  observeRequests(observer: (request: RequestObservation) => void): () => void;
  /**
   * Listen to every frame on the socket, in and out, plus pings, pongs, opens and closes: for
   * debugging tools (the visualizer's frames lane uses it). The events are raw (message text,
   * webhook bodies and headers); summarise before showing them to anyone. Costs nothing while
   * nobody listens. Returns a function that stops it.
   */
  observeFrames(listener: FrameTapListener): () => void;
}

function requireText(name: string, value: unknown, allowEmpty = false): void {
  if (typeof value !== 'string' || (!allowEmpty && value.trim() === '')) {
    throw new InvalidArgumentError(name, `expected ${allowEmpty ? 'a string' : 'a non-empty string'}, received ${value === undefined ? 'undefined' : JSON.stringify(value) ?? typeof value}`);
  }
}

/**
 * The context handed to a message handler. `signal` is a prototype getter that reads through to the
 * delivery's abort state, so a handler that never looks at it never pays for an `AbortSignal`, and
 * building the context costs no closure (it is made once per inbound frame).
 */
class DeliveryContext implements MessageContext {
  readonly #abort: DeliveryAbort;
  declare readonly forward?: PassthroughForward;

  constructor(
    readonly sessionKey: string,
    abort: DeliveryAbort,
    readonly bufferId: string | undefined,
    forward: PassthroughForward | undefined,
  ) {
    this.#abort = abort;
    if (forward) (this as { forward?: PassthroughForward }).forward = forward;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }
}

/**
 * Create a relay gateway. Nothing is dialled until `start()`.
 * @throws {ConfigError} (`ERR_CONFIG_INVALID`) naming the first invalid option, what was expected and what was received.
 */
export function createRelayGateway(options: RelayGatewayOptions): RelayGateway {
  validateGatewayOptions(options);
  const logger = options.logger ?? silentLogger;
  const scopes = new ScopeMemory(options.scopeMemorySize);
  const sessionKeyOptions = options.sessionKeys ?? {};
  let messageHandler: ((event: MessageEvent, ctx: MessageContext) => Promise<void> | void) | undefined;
  let passthroughHandler: ((forward: PassthroughForward, ctx: PassthroughContext) => Promise<void> | void) | undefined;
  const interruptListeners = new Set<(sessionKey: string, chatId: string) => void>();
  const stateListeners = new Set<(state: ConnectionStateName, info: StateChangeInfo) => void>();
  const disabledListeners = new Set<(error: RelayDisabledError) => void>();
  let disabledNotified = false;
  let passthroughDropped = 0;
  let inboundWithoutHandler = 0;
  let capabilitiesCache: { descriptor: CapabilityDescriptor; capabilities: Capabilities } | undefined;

  const reconnect = options.reconnect ?? true;
  const timeouts = options.timeouts ?? {};

  const messageDelivery = (event: MessageEvent, bufferId: string | undefined, forward?: PassthroughForward): Delivery => {
    scopes.remember(event.source);
    const sessionKey = buildSessionKey(event.source, sessionKeyOptions);
    const messageKey = event.message_id ? `${event.source.platform}:${event.source.chat_id}:${event.message_id}` : undefined;
    return {
      sessionKey,
      messageKey,
      // Not async: a handler that returns synchronously costs no promise here (this runs per frame).
      run: (abort) => {
        if (!messageHandler) {
          inboundWithoutHandler++;
          throw new InvalidStateError('an inbound message arrived but no onMessage handler is registered');
        }
        return messageHandler(event, new DeliveryContext(sessionKey, abort, bufferId, forward));
      },
    };
  };

  const connection = createRelayConnection({
    url: options.url,
    platform: options.platform,
    botId: options.botId,
    gatewayId: options.gatewayId,
    secret: options.secret,
    tokenTtlSeconds: options.tokenTtlSeconds,
    settings: {
      reconnect: reconnect !== false,
      ...(typeof reconnect === 'object'
        ? { backoff: { baseMs: 1000, factor: 2, capMs: 30_000, stableMs: 10_000, ...reconnect } }
        : {}),
      ...(timeouts.dialMs !== undefined ? { dialTimeoutMs: timeouts.dialMs } : {}),
      ...(timeouts.handshakeMs !== undefined ? { handshakeTimeoutMs: timeouts.handshakeMs } : {}),
      ...(timeouts.goIdleMs !== undefined ? { goIdleTimeoutMs: timeouts.goIdleMs } : {}),
      ...(timeouts.stopGoIdleMs !== undefined ? { stopGoIdleTimeoutMs: timeouts.stopGoIdleMs } : {}),
      ...(timeouts.pingIntervalMs !== undefined ? { pingIntervalMs: timeouts.pingIntervalMs } : {}),
      ...(timeouts.pongTimeoutMs !== undefined ? { pongTimeoutMs: timeouts.pongTimeoutMs } : {}),
    },
    outboundTimeoutMs: timeouts.outboundMs,
    concurrency: options.concurrency,
    maxQueuedInbound: options.maxQueuedInbound,
    maxQueuedInboundBytes: options.maxQueuedInboundBytes,
    dedupeWindow: options.dedupeWindow,
    maxPayload: options.maxPayload,
    maxLineBytes: options.maxLineBytes,
    socketOptions: options.socketOptions,
    createSocket: options.createSocket,
    random: options.random,
    now: options.now,
    inspect: options.inspect,
    logger,
    router: {
      inbound: (frame) => messageDelivery(frame.event, frame.bufferId),
      passthrough: (frame) => {
        const forward = frame.forward;
        const converted = forward.platform === 'discord' ? discordInteractionToEvent(forward) : undefined;
        const event = converted?.ok ? converted.event : undefined;
        if (!passthroughHandler && !event) {
          passthroughDropped++;
          log(logger, 'warn', 'relay: passthrough forward dropped', {
            platform: forward.platform,
            reason: converted && !converted.ok ? converted.reason : 'no onPassthrough handler',
          });
          return null;
        }
        const messageStep = event ? messageDelivery(event, frame.bufferId, forward) : undefined;
        return {
          sessionKey: messageStep?.sessionKey ?? `passthrough:${forward.platform}:${forward.botId}`,
          ...(messageStep?.messageKey ? { messageKey: messageStep.messageKey } : {}),
          run: async (abort) => {
            if (passthroughHandler) {
              const context: PassthroughContext = {
                get signal() {
                  return abort.signal;
                },
                bufferId: frame.bufferId,
                ...(event ? { event } : {}),
              };
              await passthroughHandler(forward, context);
            }
            if (messageStep) await messageStep.run(abort);
          },
        };
      },
    },
    onInterrupt: (sessionKey, chatId) => {
      for (const listener of [...interruptListeners]) {
        try {
          listener(sessionKey, chatId);
        } catch (error) {
          log(logger, 'error', 'relay: onInterrupt listener failed', { error: String(error) });
        }
      }
    },
  });

  connection.onStateChange((change) => {
    const { context } = change;
    const info: StateChangeInfo = {
      previous: change.previous,
      path: change.path,
      attempt: context.attempt,
      lastClose: context.lastClose,
      lastError: context.lastError,
      nextRetryAt: context.nextRetryAt,
      cause: change.cause,
      retryInMs: change.retryInMs,
      ...(change.redial ? { redial: change.redial } : {}),
    };
    for (const listener of [...stateListeners]) {
      try {
        listener(change.state, info);
      } catch (error) {
        log(logger, 'error', 'relay: onStateChange listener failed', { error: String(error) });
      }
    }
    if (change.state === 'disabled' && !disabledNotified) {
      disabledNotified = true;
      const error = new RelayDisabledError(context.disabledReason ?? 'relay disabled: credential revoked', context.lastClose?.code);
      for (const listener of [...disabledListeners]) {
        try {
          listener(error);
        } catch (listenerError) {
          log(logger, 'error', 'relay: onDisabled listener failed', { error: String(listenerError) });
        }
      }
    }
  });

  const request = async (action: OutboundAction): Promise<SendResult> => {
    const outcome = await connection.request(action);
    return outcome.ok ? toSendResult(outcome.result) : outcome.failure;
  };

  const single = <T>(name: string, current: T | undefined, set: (value: T | undefined) => void, handler: T): (() => void) => {
    if (typeof handler !== 'function') throw new InvalidArgumentError(name, 'expected a function');
    if (current !== undefined) throw new InvalidStateError(`${name}: a handler is already registered; call the function returned by ${name}() to remove it first`);
    set(handler);
    return () => set(undefined);
  };

  const listen = <T>(name: string, set: Set<T>, listener: T): (() => void) => {
    if (typeof listener !== 'function') throw new InvalidArgumentError(name, 'expected a function');
    set.add(listener);
    return () => void set.delete(listener);
  };

  return {
    onMessage: (handler) =>
      single('onMessage', messageHandler, (value) => (messageHandler = value), handler),
    onPassthrough: (handler) =>
      single('onPassthrough', passthroughHandler, (value) => (passthroughHandler = value), handler),
    onInterrupt: (listener) => listen('onInterrupt', interruptListeners, listener),
    onStateChange: (listener) => listen('onStateChange', stateListeners, listener),
    onDisabled: (listener) => listen('onDisabled', disabledListeners, listener),
    start: () => connection.start(),
    get state() {
      return connection.state;
    },
    get descriptor() {
      return connection.descriptor;
    },
    get capabilities() {
      const descriptor = connection.descriptor;
      if (!descriptor) return null;
      if (capabilitiesCache?.descriptor !== descriptor) capabilitiesCache = { descriptor, capabilities: capabilitiesOf(descriptor) };
      return capabilitiesCache.capabilities;
    },
    async send(chatId, content, sendOptions = {}) {
      requireText('chatId', chatId);
      requireText('content', content, true);
      return request(sendAction(chatId, content, { replyTo: sendOptions.replyTo ?? null, metadata: scopes.attach(chatId, sendOptions.metadata) }));
    },
    async edit(chatId, messageId, content, editOptions = {}) {
      requireText('chatId', chatId);
      requireText('messageId', messageId);
      requireText('content', content, true);
      // The platform cannot edit: answer locally, send nothing (relay-connector-contract.md §8).
      if (connection.descriptor && !connection.descriptor.supports_edit) return { success: false, error: TRANSPORT_ERRORS.notSupported, code: 'not_supported' };
      return request(editAction(chatId, messageId, content, { metadata: scopes.attach(chatId, editOptions.metadata) }));
    },
    async typing(chatId, typingOptions = {}) {
      requireText('chatId', chatId);
      return request(typingAction(chatId, { metadata: scopes.attach(chatId, typingOptions.metadata) }));
    },
    async followUp(sessionKey, kind, content, metadata) {
      requireText('sessionKey', sessionKey);
      requireText('kind', kind);
      requireText('content', content, true);
      return request(followUpAction(sessionKey, kind, content, metadata));
    },
    async getChatInfo(chatId) {
      requireText('chatId', chatId);
      const outcome = await connection.request(getChatInfoAction(chatId));
      if (!outcome.ok) return { ...outcome.failure, success: false, name: chatId, type: 'dm' };
      return { success: true, ...toChatInfo(outcome.result, chatId) };
    },
    async interrupt(sessionKey, reason = null) {
      requireText('sessionKey', sessionKey);
      return connection.interrupt(sessionKey, reason);
    },
    goIdle: (timeoutMs) => connection.goIdle(timeoutMs),
    reconnectNow: () => connection.reconnectNow(),
    stop: () => connection.stop(),
    metrics: () => ({
      ...connection.metrics(),
      scopeMemoryChats: scopes.size,
      passthroughDropped,
      inboundWithoutHandler,
    }),
    get context() {
      return connection.context;
    },
    get statePath() {
      return connection.statePath;
    },
    get machinePath() {
      return connection.machinePath;
    },
    inspect(observer) {
      const subscription = connection.actor.system.inspect(observer);
      return () => subscription.unsubscribe();
    },
    observeFrames: (listener) => {
      if (typeof listener !== 'function') throw new InvalidArgumentError('observeFrames', 'expected a function');
      return connection.observeFrames(listener);
    },
    observeRequests: (observer) => {
      if (typeof observer !== 'function') throw new InvalidArgumentError('observeRequests', 'expected a function');
      return connection.observeRequests(observer);
    },
  };
}
