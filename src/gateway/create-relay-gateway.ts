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
import type { SendResult } from '../protocol/outbound.js';
import type { PassthroughForward } from '../protocol/passthrough.js';
import type { JsonObject } from '../protocol/wire-types.js';
import type { MediaUploadTlsOptions as MediaTls } from '../transport/media-upload.js';
import { buildSessionKey } from '../session/session-key.js';
import { createRelayConnection, type ConnectionMetrics, type Delivery, type Redial, type RequestObservation } from '../transport/relay-connection.js';
import type { LinkCause } from '../transport/link-cause.js';
import type { DeliveryAbort } from '../transport/session-scheduler.js';
import { gatewayIdentities, validateGatewayOptions, type InspectObserver, type RelayGatewayOptions } from './gateway-options.js';
import { ScopeMemory } from './scope-memory.js';
import { authorizationHeader } from '../auth/upgrade-token.js';
import { IdentitySet } from '../identity/identity-set.js';
import type { Identity } from '../identity/identity.js';
import { mediaBaseUrl } from '../transport/media-upload.js';
import { toDialUrl } from '../transport/dial-url.js';
import { AutoThreads, type AutoThread } from './auto-threads.js';
import { ChatPlatforms } from './chat-platforms.js';
import type {
  DeclineNotice,
  DraftOptions,
  MetadataOptions,
  PromptAnswer,
  PromptOptions,
  PromptResult,
  ReactOptions,
  SendMediaOptions,
  TaskCardChunk,
  TaskCardOptions,
  ThreadCreateOptions,
  ThreadCreateResult,
  ThreadRenameOptions,
} from './later-op-types.js';
import { createOutboundLanes, type ChatInfoResult, type SendOptions } from './outbound-lanes.js';
import { answerPrompt } from './prompt-answers.js';
import { PromptRegistry } from './prompt-registry.js';

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

export type { ChatInfoResult, SendOptions } from './outbound-lanes.js';

/** Counters and gauges of a gateway (plain data). */
export interface GatewayMetrics extends ConnectionMetrics {
  /** Chats whose scope is remembered. */
  scopeMemoryChats: number;
  /** Passthrough forwards dropped (no handler, not convertible). */
  passthroughDropped: number;
  /** Inbound events that arrived with no `onMessage` handler registered (not acked). */
  inboundWithoutHandler: number;
  /** Chats whose platform is known (learned from inbound, for outbound tagging). */
  chatPlatforms: number;
  /** Prompts waiting for an answer. */
  promptsPending: number;
  /** Prompt answers by classification (`resolved`, `stale`, `foreign`, `already-resolved`, `malformed`). */
  promptAnswers: Record<string, number>;
  /** Open draft streams and sealed-stream tombstones. */
  draftStreamsOpen: number;
  draftTombstones: number;
  /** Egress declines seen, over all lanes. */
  egressDeclines: number;
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
  /** The primary's descriptor adopted at the latest handshake, or null. */
  readonly descriptor: CapabilityDescriptor | null;
  /** Capabilities of the primary's descriptor, or null before the first handshake. */
  readonly capabilities: Capabilities | null;
  /** Every identity announced, primary first (a `hello` each). */
  readonly identities: readonly Identity[];
  /** Whether `platform` is fronted (an identity's platform other than `relay`). */
  frontsPlatform(platform: string): boolean;
  /** The bot's configured user name on `platform` (without `@`), if any. Never sent. */
  botUsername(platform: string): string | undefined;
  /**
   * The descriptor that governs `chatId`: the one of the platform learned for it from inbound, else
   * the primary's (protocol-later §1.4). Null before the first handshake.
   */
  descriptorForChat(chatId: string): CapabilityDescriptor | null;
  /** Capabilities of {@link RelayGateway.descriptorForChat} (length and its unit, edit, ops, drafts). */
  capabilitiesFor(chatId: string): Capabilities | null;
  /**
   * Send a message, tagged with the chat's learned platform. Never rejects; see `SendResult` (a bad
   * argument is `code: "invalid_action"`).
   */
  send(chatId: string, content: string, options?: SendOptions): Promise<SendResult>;
  /**
   * Send for a named platform (a scheduled or restored delivery: no inbound to learn from). A
   * platform this gateway does not front resolves at once with `code: "not_fronted"`, no frame.
   */
  sendForPlatform(platform: string, chatId: string, content: string, options?: SendOptions): Promise<SendResult>;
  /** Edit a message; refused locally (`not_supported`) when the chat's platform cannot edit. */
  edit(chatId: string, messageId: string, content: string, options?: MetadataOptions): Promise<SendResult>;
  /** Show a typing indicator (degrades on a decline: logged once per chat). */
  typing(chatId: string, options?: MetadataOptions): Promise<SendResult>;
  /** Late reply through a session-bound platform handle the connector holds. */
  followUp(sessionKey: string, kind: string, content: string, metadata?: JsonObject): Promise<SendResult>;
  /** Look up a chat's name and type (local `{name: chatId, type: "dm"}` when the op is not advertised). */
  getChatInfo(chatId: string): Promise<ChatInfoResult>;
  /** Add (or with `remove`, take back) a reaction. A failure is logged at debug level only. */
  react(chatId: string, messageId: string, emoji: string, options?: ReactOptions): Promise<SendResult>;
  /** Delete a message (degrades on a decline). */
  deleteMessage(chatId: string, messageId: string, options?: MetadataOptions): Promise<SendResult>;
  /**
   * Stream a message in place: interim frames, then one with `final: true` (the seal, retried once
   * when its result is lost; later frames for a sealed stream write nothing).
   */
  draft(chatId: string, draftId: number, content: string, options?: DraftOptions): Promise<SendResult>;
  /**
   * Send media: an `http(s):` URL is passed through; a local path or `file:` URL is uploaded to the
   * relay first (`POST {base}/relay/media`, at most 25 MiB).
   */
  sendMedia(chatId: string, source: string, options: SendMediaOptions): Promise<SendResult>;
  /** Show a prompt with buttons; answers arrive at {@link RelayGateway.onPromptResponse}. */
  prompt(chatId: string, content: string, options: PromptOptions): Promise<PromptResult>;
  /** Register the prompt answer handler (one at a time): called once per answered prompt. */
  onPromptResponse(handler: (answer: PromptAnswer) => Promise<void> | void): () => void;
  /** Open a thread under `chatId`; `thread` is its id, or null (degrades on a decline). */
  threadCreate(chatId: string, name: string, options?: ThreadCreateOptions): Promise<ThreadCreateResult>;
  /** Rename a thread under one guard (`onlyIfConnectorCreated` or `onlyIfCurrentName`; neither is `invalid_action`). */
  threadRename(threadId: string, name: string, options: ThreadRenameOptions): Promise<SendResult>;
  /** Show or update a task card. */
  taskCard(chatId: string, cardId: string, chunks: readonly TaskCardChunk[], options?: TaskCardOptions): Promise<SendResult>;
  /** Stop a task card (best effort). */
  taskCardStop(chatId: string, cardId: string, options?: MetadataOptions): Promise<SendResult>;
  /**
   * Wait for the next `send` result into `chatId`: the thread the connector put it in, or null at once
   * when it put it in none (null after `timeoutMs` when no send result comes).
   */
  waitForAutoThread(chatId: string, timeoutMs: number): Promise<AutoThread | null>;
  /** Be told about every egress decline (op, chat, the connector's text). Returns a function that stops it. */
  onDecline(listener: (notice: DeclineNotice) => void): () => void;
  /** Tell the connector a session's turn was stopped. */
  interrupt(sessionKey: string, reason?: string | null): Promise<SendResult>;
  /** Ask the connector to buffer; resolves true on ack (then the gateway is `idle`). */
  goIdle(timeoutMs?: number): Promise<boolean>;
  /**
   * Scale to zero: go idle, and on the ack close the socket and redial on the dormant cadence (1 s,
   * doubling to 30 s) until a handshake completes. False without an ack (still serving) or when not
   * serving. @param timeoutMs - wait for the ack. @default 10000
   */
  goDormant(timeoutMs?: number): Promise<boolean>;
  /** Make the next redial wait for {@link RelayGateway.releaseRedial} (at most 60 s). False when stopped, stopping or disabled. */
  holdRedial(): boolean;
  /** Clear the hold and wake a waiting redial; true when a hold was in effect. */
  releaseRedial(): boolean;
  /** Dial now (skip a backoff, wake from idle). */
  reconnectNow(): void;
  /**
   * Graceful stop within `budgetS` seconds: new sends fail at once, going idle (at most 2 s) and the
   * drain of written requests (`max(0, min(5, budgetS - 3.5))` s) run side by side, then the socket
   * closes; what is still pending resolves `closed`, ambiguous. @default budgetS 5
   */
  stop(options?: { readonly budgetS?: number }): Promise<void>;
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

function requireText(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidArgumentError(name, `expected a non-empty string, received ${value === undefined ? 'undefined' : JSON.stringify(value) ?? typeof value}`);
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
  const resolvedIdentities = gatewayIdentities(options);
  for (const warning of resolvedIdentities.warnings) log(logger, 'warn', `relay: ${warning}`);
  const identities = new IdentitySet(resolvedIdentities.identities);
  const scopes = new ScopeMemory(options.scopeMemorySize);
  // Same bound as the scope memory: both remember the chats seen inbound.
  const chats = new ChatPlatforms(options.scopeMemorySize);
  // Not `options.random`: that one is for backoff jitter, and a test's constant jitter must not make
  // every prompt id the same.
  const prompts = new PromptRegistry(options.now ? { now: options.now } : {});
  const autoThreads = new AutoThreads();
  const declineListeners = new Set<(notice: DeclineNotice) => void>();
  let promptHandler: ((answer: PromptAnswer) => Promise<void> | void) | undefined;
  const promptAnswers: Record<string, number> = {};
  let egressDeclines = 0;
  const sessionKeyOptions = options.sessionKeys ?? {};
  let messageHandler: ((event: MessageEvent, ctx: MessageContext) => Promise<void> | void) | undefined;
  let passthroughHandler: ((forward: PassthroughForward, ctx: PassthroughContext) => Promise<void> | void) | undefined;
  const interruptListeners = new Set<(sessionKey: string, chatId: string) => void>();
  const stateListeners = new Set<(state: ConnectionStateName, info: StateChangeInfo) => void>();
  const disabledListeners = new Set<(error: RelayDisabledError) => void>();
  let disabledNotified = false;
  let passthroughDropped = 0;
  let inboundWithoutHandler = 0;

  const reconnect = options.reconnect ?? true;
  const timeouts = options.timeouts ?? {};

  const messageDelivery = (event: MessageEvent, bufferId: string | undefined, forward?: PassthroughForward): Delivery => {
    scopes.remember(event.source);
    chats.learn(event.source);
    const sessionKey = buildSessionKey(event.source, sessionKeyOptions);
    // The platform is part of the key: one chat id and message id on two platforms are two messages.
    const messageKey = event.message_id ? `${event.source.platform}:${event.source.chat_id}:${event.message_id}` : undefined;
    if (event.prompt_response !== undefined) {
      // An answer to a prompt is the gateway's, not the chat handler's; and it runs beside the session
      // queue, since the turn that asked may be waiting for it.
      return { sessionKey, ...(messageKey ? { messageKey } : {}), unordered: true, run: () => answerPrompt(event, promptDeps) };
    }
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
    identities: identities.all,
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
          ...(messageStep?.unordered ? { unordered: true } : {}),
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

  const lanes = createOutboundLanes({
    connection,
    identities,
    chats,
    scopes,
    prompts,
    autoThreads,
    logger,
    media: {
      baseUrl: mediaBaseUrl(toDialUrl(options.url)),
      // Minted per upload, never reused (protocol-later §3.2).
      authorization: () =>
        authorizationHeader(options.gatewayId, options.secret, {
          ...(options.tokenTtlSeconds !== undefined ? { ttlSeconds: options.tokenTtlSeconds } : {}),
          nowSeconds: Math.floor((options.now ?? Date.now)() / 1000),
        }),
      ...(options.socketOptions ? { tls: options.socketOptions as MediaTls } : {}),
    },
    onDecline: (notice) => {
      egressDeclines++;
      for (const listener of [...declineListeners]) {
        try {
          listener(notice);
        } catch (error) {
          log(logger, 'error', 'relay: onDecline listener failed', { error: String(error) });
        }
      }
    },
  });

  const promptDeps = {
    prompts,
    logger,
    handler: () => promptHandler,
    send: (chatId: string, content: string, metadata: JsonObject) => lanes.send(chatId, content, { metadata }),
    count: (kind: string) => {
      promptAnswers[kind] = (promptAnswers[kind] ?? 0) + 1;
    },
  };

  const capabilitiesCacheByDescriptor = new WeakMap<CapabilityDescriptor, Capabilities>();
  const capabilitiesOfCached = (descriptor: CapabilityDescriptor | null): Capabilities | null => {
    if (!descriptor) return null;
    let capabilities = capabilitiesCacheByDescriptor.get(descriptor);
    if (!capabilities) {
      capabilities = capabilitiesOf(descriptor);
      capabilitiesCacheByDescriptor.set(descriptor, capabilities);
    }
    return capabilities;
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
      return capabilitiesOfCached(connection.descriptor);
    },
    get identities() {
      return identities.all;
    },
    frontsPlatform: (platform) => identities.frontsPlatform(platform),
    botUsername: (platform) => identities.botUsername(platform),
    descriptorForChat: (chatId) => lanes.descriptorForChat(chatId),
    capabilitiesFor: (chatId) => capabilitiesOfCached(lanes.descriptorForChat(chatId)),
    send: (chatId, content, sendOptions) => lanes.send(chatId, content, sendOptions),
    sendForPlatform: (platform, chatId, content, sendOptions) => lanes.sendForPlatform(platform, chatId, content, sendOptions),
    edit: (chatId, messageId, content, editOptions) => lanes.edit(chatId, messageId, content, editOptions),
    typing: (chatId, typingOptions) => lanes.typing(chatId, typingOptions),
    followUp: (sessionKey, kind, content, metadata) => lanes.followUp(sessionKey, kind, content, metadata),
    getChatInfo: (chatId) => lanes.getChatInfo(chatId),
    react: (chatId, messageId, emoji, reactOptions) => lanes.react(chatId, messageId, emoji, reactOptions),
    deleteMessage: (chatId, messageId, deleteOptions) => lanes.deleteMessage(chatId, messageId, deleteOptions),
    draft: (chatId, draftId, content, draftOptions) => lanes.draft(chatId, draftId, content, draftOptions),
    sendMedia: (chatId, source, mediaOptions) => lanes.sendMedia(chatId, source, mediaOptions),
    prompt: (chatId, content, promptOptions) => lanes.prompt(chatId, content, promptOptions),
    onPromptResponse: (handler) => single('onPromptResponse', promptHandler, (value) => (promptHandler = value), handler),
    threadCreate: (chatId, name, threadOptions) => lanes.threadCreate(chatId, name, threadOptions),
    threadRename: (threadId, name, renameOptions) => lanes.threadRename(threadId, name, renameOptions),
    taskCard: (chatId, cardId, chunks, cardOptions) => lanes.taskCard(chatId, cardId, chunks, cardOptions),
    taskCardStop: (chatId, cardId, stopOptions) => lanes.taskCardStop(chatId, cardId, stopOptions),
    waitForAutoThread: (chatId, timeoutMs) => lanes.waitForAutoThread(chatId, timeoutMs),
    onDecline: (listener) => listen('onDecline', declineListeners, listener),
    async interrupt(sessionKey, reason = null) {
      requireText('sessionKey', sessionKey);
      return connection.interrupt(sessionKey, reason);
    },
    goIdle: (timeoutMs) => connection.goIdle(timeoutMs),
    goDormant: (timeoutMs) => connection.goDormant(timeoutMs),
    holdRedial: () => connection.holdRedial(),
    releaseRedial: () => connection.releaseRedial(),
    reconnectNow: () => connection.reconnectNow(),
    stop: async (stopOptions) => {
      await connection.stop(stopOptions);
      // Nothing can answer a waiter any more.
      autoThreads.close();
    },
    metrics: () => {
      const draftCounts = lanes.draftCounts;
      return {
        ...connection.metrics(),
        scopeMemoryChats: scopes.size,
        passthroughDropped,
        inboundWithoutHandler,
        chatPlatforms: chats.size,
        promptsPending: prompts.pendingCount,
        promptAnswers: { ...promptAnswers },
        draftStreamsOpen: draftCounts.open,
        draftTombstones: draftCounts.tombstones,
        egressDeclines,
      };
    },
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
