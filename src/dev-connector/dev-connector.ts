/**
 * A real connector for development, tests and the demo: a `ws` server on loopback that speaks the
 * connector side of the contract (docs/relay-connector-contract.md), later protocol included. It
 * answers every `hello` with the descriptor of that hello's platform (several identities on one
 * socket), optionally verifies upgrade tokens, pushes inbound traffic, answers outbound requests by
 * policy (every later op too), declines egress into chosen chats, presses the buttons of prompts it
 * was sent, takes media uploads on `POST /relay/media` and serves them back, buffers durably (in
 * memory) after `going_idle` and replays with `bufferId`s on the gateway's next connection, can
 * revoke a gateway, and injects faults on request. It records everything it receives.
 * @module
 */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { verifyUpgradeToken } from '../auth/upgrade-token.js';
import { createFrameDecoder } from '../codec/frame-decoder.js';
import { encodeFrame } from '../codec/frame-encoder.js';
import type { CapabilityDescriptor } from '../protocol/descriptor.js';
import { gatewayFrameSchema, type GatewayFrame, type HelloFrame, type OutboundFrame } from '../protocol/frames.js';
import { inboundEventToWire, type MessageEventInit } from '../protocol/inbound-event.js';
import type { OutboundAction } from '../protocol/outbound.js';
import type { SessionSourceInit } from '../protocol/session-source.js';
import { CLOSE_UNAUTHORIZED, REASON_EXPIRED } from '../../machines/close-classification.js';
import { devDescriptor } from './dev-descriptors.js';
import { createMediaStore, type MediaAuthVerdict, type MediaUploadRecord, type StoredMedia } from './media-store.js';
import { egressDeclinedResult, succeed, type OutboundPolicy } from './outbound-policy.js';

/** Options of {@link startDevConnector}. */
export interface DevConnectorOptions {
  /** Port on 127.0.0.1. @default 0 (any free port) */
  readonly port?: number;
  /**
   * Descriptor sent after a `hello` whose platform has no entry in `descriptors`; sent as given
   * (its own `platform` field is what the gateway files it under).
   * @default a `relay` descriptor advertising every op the dev connector implements
   */
  readonly descriptor?: CapabilityDescriptor;
  /**
   * One descriptor per platform: a `hello` for a listed platform is answered with its entry, as a
   * connector fronting several platforms on one socket does (protocol-later §1.2). @default {}
   */
  readonly descriptors?: Readonly<Record<string, CapabilityDescriptor>>;
  /** Bounds of the in-memory media store behind `POST /relay/media`. @default 25 MiB per item, 100 MiB in all */
  readonly media?: { readonly maxItemBytes?: number; readonly maxTotalBytes?: number };
  /**
   * When set, upgrades (and media uploads) must carry a valid token for one of these gateway ids.
   * Gateways are told apart by that id, each with its own idle state and buffer; without secrets
   * every gateway is the one `anonymous` gateway. @default undefined (no auth)
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /** How `outbound` requests are answered. @default {@link succeed} */
  readonly outboundPolicy?: OutboundPolicy;
  /** Clock for token expiry, seconds. @default now */
  readonly nowSeconds?: () => number;
  /** Serve `wss://` with this key and certificate (PEM). @default undefined (plain `ws://`) */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

/** One frame received from a gateway. */
export interface ReceivedFrame {
  /** Id of the link (connection) it came on. */
  readonly link: number;
  /** Gateway identity (gateway id from the token, or `anonymous`). */
  readonly gateway: string;
  /** As parsed: an `outbound` frame keeps its identity tag (`platform`, `botId`) when it had one. */
  readonly frame: GatewayFrame;
}

/** One WebSocket connection a gateway made. */
export interface LinkRecord {
  readonly id: number;
  readonly gateway: string;
  /** Whether the upgrade carried an Authorization header (its value is never recorded). */
  readonly hadAuthorization: boolean;
  /** The raw Authorization header, kept only so tests can check a token is fresh per dial. */
  readonly authorization: string | undefined;
  readonly openedAt: number;
  closedAt?: number;
  closeCode?: number;
  /** True once the first `hello` (the gateway's primary identity) was answered. */
  handshaken: boolean;
  /** The identities this link announced, one per `hello`, in order. */
  readonly hellos: Array<{ readonly platform: string; readonly botId: string }>;
}

/** A `prompt` a gateway sent through this connector, kept so its buttons can be pressed. */
export interface SentPrompt {
  readonly promptId: string;
  readonly chatId: string;
  /** The platform it was shown on: the frame's tag, else the chat's, else the link's primary. */
  readonly platform: string;
  /** Gateway id of the link it came on; the press goes back to that gateway. */
  readonly gateway: string;
  readonly kind: string;
  readonly content: string;
  readonly options: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  /** The `message_id` the connector answered with, once answered. */
  messageId: string | undefined;
}

/** What {@link DevConnector.press} did. */
export interface PressOutcome {
  readonly prompt: SentPrompt;
  readonly optionId: string;
  /** The pressed option's label; absent for an option the prompt did not have. */
  readonly label: string | undefined;
  /** Set when the gateway was not serving and the press was buffered. */
  readonly bufferId: string | undefined;
}

/** What the dev connector knows about one gateway (for the CLI's `wake` and `status`). */
export interface GatewayStatus {
  readonly gateway: string;
  /** Links open now for this gateway. */
  readonly openLinks: number;
  /** True after `going_idle_ack` until the next handshake: inbound is buffered meanwhile. */
  readonly idle: boolean;
  /** Entries waiting for the gateway's next handshake (or their ack). */
  readonly buffered: number;
  readonly revoked: boolean;
}

/** Frames the dev connector can buffer for a gateway. */
export type BufferedFrame =
  | { readonly type: 'inbound'; readonly event: Record<string, unknown> }
  | { readonly type: 'passthrough_forward'; readonly forward: Record<string, unknown> };

/** Fault switches, all off by default; change them at any time. */
export interface DevConnectorFaults {
  /** Refuse this many upcoming upgrades with HTTP 503 (`Infinity` for all). */
  refuseUpgrades: number;
  /** Leave this many upcoming upgrades unanswered (the gateway's dial timeout must fire). */
  stallUpgrades: number;
  /** Do not answer `going_idle` until {@link DevConnector.ackGoingIdle} is called. */
  holdGoingIdle: boolean;
  /** Wait this long before answering `hello`. */
  descriptorDelayMs: number;
  /** Never answer `hello`. */
  omitDescriptor: boolean;
  /** Stop answering pings (a half-open link, as the gateway sees it). */
  halfOpen: boolean;
  /** Replay every buffered entry twice after a handshake (overlapping replays). */
  duplicateReplays: boolean;
  /** Called for each received frame before it is handled; return `false` to swallow it. */
  onReceive: ((frame: GatewayFrame, link: LinkRecord) => boolean | void) | undefined;
}

interface Link {
  readonly record: LinkRecord;
  /** Hellos not answered yet (a descriptor fault, or a delay), in arrival order. */
  readonly unanswered: HelloFrame[];
  readonly socket: WebSocket;
  readonly state: GatewayState;
}

interface GatewayState {
  readonly id: string;
  /** True after `going_idle_ack`: inbound is buffered until the next handshake. */
  idle: boolean;
  revoked: boolean;
  readonly buffer: Array<{ readonly bufferId: string; readonly frame: BufferedFrame }>;
}

/** A running dev connector. */
export interface DevConnector {
  /** Base URL to give a gateway (`http://127.0.0.1:PORT`, `https://` with TLS; the gateway appends `/relay`). */
  readonly url: string;
  readonly port: number;
  /** Every frame received, in order. */
  readonly received: readonly ReceivedFrame[];
  /** Every connection, in order. */
  readonly links: readonly LinkRecord[];
  /** Most links open (not closing) at the same time. */
  readonly maxConcurrentLinks: number;
  /** Links open now. */
  readonly openLinks: number;
  /** Fault switches. */
  readonly faults: DevConnectorFaults;
  /** Lines from gateways that did not parse as gateway frames. */
  readonly invalidFromGateways: number;
  /**
   * Emits `link` (LinkRecord), `frame` (ReceivedFrame), `handshake` (LinkRecord), `close`
   * (LinkRecord), `media` (MediaUploadRecord), `press` (PressOutcome).
   */
  readonly events: EventEmitter;
  /** Media upload attempts, accepted or refused, in order: the latest 1024 (no credential is kept). */
  readonly uploads: readonly MediaUploadRecord[];
  /** Every prompt received, in order. */
  readonly prompts: readonly SentPrompt[];
  /** Chats whose egress is declined now. */
  readonly declinedChats: readonly string[];
  /** Deliver an inbound event: live if the gateway is serving, else buffered. Returns its bufferId if buffered. */
  pushInbound(event: MessageEventInit, gateway?: string): string | undefined;
  /** Deliver a passthrough forward (wire form of `forward`), live or buffered like inbound. */
  pushPassthrough(forward: Record<string, unknown>, gateway?: string): string | undefined;
  /** Send `interrupt_inbound` to the gateway's live link. Returns false when none. */
  pushInterrupt(sessionKey: string, chatId: string, gateway?: string): boolean;
  /** Answer every `going_idle` held back by `faults.holdGoingIdle`. Returns how many were answered. */
  ackGoingIdle(): number;
  /** Send the descriptor now to every open link that has said hello but not been answered. */
  sendDescriptor(): number;
  /** Send raw text or bytes to every open link (garbage, split frames). */
  sendRaw(data: string | Buffer): void;
  /** Close every open link with `code`/`reason`. */
  closeLinks(code: number, reason?: string): void;
  /** Drop every open link's TCP connection without a close frame. */
  dropLinks(): void;
  /** Revoke a gateway: close its links with 4401 and refuse it from now on. */
  revoke(gateway?: string, reason?: string): void;
  /** Undo {@link DevConnector.revoke}. */
  restore(gateway?: string): void;
  /** Change the fallback descriptor (for platforms without their own) sent on later handshakes. */
  setDescriptor(descriptor: CapabilityDescriptor): void;
  /** Set (or with `undefined`, remove) the descriptor answered to hellos for `platform` from now on. */
  setDescriptorFor(platform: string, descriptor: CapabilityDescriptor | undefined): void;
  /** The descriptor a `hello` for `platform` gets now. */
  descriptorFor(platform: string): CapabilityDescriptor;
  /** The descriptor a `hello` for a platform without one of its own gets now. */
  readonly fallbackDescriptor: CapabilityDescriptor;
  /** The platforms with a descriptor of their own, in the order they were configured. */
  readonly platforms: readonly string[];
  /**
   * Decline egress into `chatId`: every outbound op addressed to it (all but `get_chat_info`, a
   * lookup, and `follow_up`, which names a session) is answered `{success: false, code:
   * "egress_declined", error: "<platform> egress declined: …"}` instead of by the policy. Returns
   * false when it already was.
   */
  decline(chatId: string): boolean;
  /** Undo {@link DevConnector.decline}; false when the chat was not declined. */
  undecline(chatId: string): boolean;
  /**
   * Press button `optionId` of prompt `promptId`: push an inbound event carrying a
   * `prompt_response` (with the option's label and the prompt's message id) from the chat and
   * platform the prompt went to, to the gateway that sent it (buffered if it is not serving).
   * Undefined when no such prompt came through this connector.
   */
  press(promptId: string, optionId: string, options?: { readonly userId?: string }): PressOutcome | undefined;
  /** A stored media item (uploaded through `POST /relay/media`), or undefined. */
  media(id: string): StoredMedia | undefined;
  /**
   * What the connector knows about a gateway. Nothing here wakes a dormant gateway: it redials by
   * itself (1 s after going dormant, doubling to 30 s) and gets its buffer replayed on that handshake.
   */
  gatewayStatus(gateway?: string): GatewayStatus;
  /** Change how outbound requests are answered. */
  setOutboundPolicy(policy: OutboundPolicy): void;
  /** Entries buffered (not yet acked) for a gateway. */
  buffered(gateway?: string): ReadonlyArray<{ bufferId: string; frame: BufferedFrame }>;
  /** Resolves with the first received frame (past or future) matching `predicate`. */
  waitForFrame(predicate: (received: ReceivedFrame) => boolean, timeoutMs?: number): Promise<ReceivedFrame>;
  /** Resolves when the `n`-th handshake (1-based, counted over all links) has completed. */
  waitForHandshake(n: number, timeoutMs?: number): Promise<LinkRecord>;
  /** Stop the server, close every link, clear every timer. */
  close(): Promise<void>;
}

/** Gateway identity used when upgrades are not authenticated. */
export const ANONYMOUS = 'anonymous';

const DEFAULT_DESCRIPTOR = devDescriptor('relay', { label: 'Relay (dev connector)' });

/** Most prompts and chats remembered; the oldest are forgotten first (a long dev session stays bounded). */
const MEMORY_LIMIT = 1024;

/** Set `key` as the newest entry of `map`, forgetting the oldest past {@link MEMORY_LIMIT}. */
function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MEMORY_LIMIT) {
    const [oldest] = map.keys();
    if (oldest !== undefined) map.delete(oldest);
  }
}

/**
 * The chat an outbound op delivers into, for declines. `get_chat_info` reads, it delivers nothing;
 * `follow_up` names a session, not a chat. A `thread_rename` is judged by its parent chat, as the
 * connector resolves its tenant from it.
 */
function egressChat(action: OutboundAction): string | undefined {
  if (action.op === 'get_chat_info' || action.op === 'follow_up') return undefined;
  return action.chat_id;
}

/** A connector result's `message_id` as text (connectors may answer numbers). */
function resultMessageId(result: Readonly<Record<string, unknown>>): string | undefined {
  const id = result.message_id;
  if (typeof id === 'string' && id !== '') return id;
  return typeof id === 'number' && Number.isFinite(id) ? String(id) : undefined;
}

/** Start a dev connector on 127.0.0.1. */
export async function startDevConnector(options: DevConnectorOptions = {}): Promise<DevConnector> {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const received: ReceivedFrame[] = [];
  const linkRecords: LinkRecord[] = [];
  const open = new Set<Link>();
  const gateways = new Map<string, GatewayState>();
  const timers = new Set<NodeJS.Timeout>();
  const stalled = new Set<Duplex>();
  const heldIdle = new Set<Link>();
  let descriptor = options.descriptor ?? DEFAULT_DESCRIPTOR;
  const descriptors = new Map<string, CapabilityDescriptor>(Object.entries(options.descriptors ?? {}));
  let policy = options.outboundPolicy ?? succeed;
  const declined = new Set<string>();
  const prompts = new Map<string, SentPrompt>();
  const uploads: MediaUploadRecord[] = [];
  // The source last pushed per chat, and per (platform, chat), so a press or a decline speaks for
  // the chat as the gateway saw it: its platform, scope and user.
  const chatSources = new Map<string, SessionSourceInit>();
  const platformChatSources = new Map<string, SessionSourceInit>();
  const platformChatKey = (platform: string, chatId: string): string => JSON.stringify([platform, chatId]);
  let presses = 0;
  let requests = 0;
  let bufferCounter = 0;
  let linkCounter = 0;
  let handshakes = 0;
  let maxConcurrent = 0;
  let invalid = 0;
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const faults: DevConnectorFaults = {
    refuseUpgrades: 0,
    stallUpgrades: 0,
    holdGoingIdle: false,
    descriptorDelayMs: 0,
    omitDescriptor: false,
    halfOpen: false,
    duplicateReplays: false,
    onReceive: undefined,
  };

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const gatewayState = (id: string): GatewayState => {
    let state = gateways.get(id);
    if (!state) {
      state = { id, idle: false, revoked: false, buffer: [] };
      gateways.set(id, state);
    }
    return state;
  };

  const send = (link: Link, frame: object): void => {
    if (link.socket.readyState === WebSocket.OPEN) link.socket.send(encodeFrame(frame));
  };

  const servingLink = (gateway: string): Link | undefined => {
    // A link whose close handshake has begun takes no more frames: what is pushed then is buffered,
    // not written into a socket that drops it.
    for (const link of open) if (link.state.id === gateway && link.record.handshaken && !link.state.idle && link.socket.readyState === WebSocket.OPEN) return link;
    return undefined;
  };

  const descriptorForPlatform = (platform: string): CapabilityDescriptor => descriptors.get(platform) ?? descriptor;

  /**
   * Answer the link's pending hellos in order, each with its platform's descriptor. The first answer
   * on a link completes its handshake (the gateway's primary identity) and replays the buffer; later
   * hellos only get their descriptor, so N identities never mean N replays.
   */
  const answerHellos = (link: Link): boolean => {
    if (faults.omitDescriptor || link.socket.readyState !== WebSocket.OPEN || link.unanswered.length === 0) return false;
    for (const hello of link.unanswered.splice(0)) {
      send(link, { type: 'descriptor', descriptor: descriptorForPlatform(hello.platform) });
      if (link.record.handshaken) continue;
      link.record.handshaken = true;
      link.state.idle = false;
      handshakes++;
      events.emit('handshake', link.record, handshakes);
      // Replay what was buffered, in order; entries leave the buffer only on inbound_ack.
      for (const { bufferId, frame } of link.state.buffer) send(link, { ...frame, bufferId });
      if (faults.duplicateReplays) for (const { bufferId, frame } of link.state.buffer) send(link, { ...frame, bufferId });
    }
    return true;
  };

  /** The platform an outbound frame speaks for: its tag, else the chat's, else the link's primary. */
  const platformOf = (frame: OutboundFrame, link: Link, chatId: string | undefined): string =>
    frame.platform ?? (chatId !== undefined ? chatSources.get(chatId)?.platform : undefined) ?? link.record.hellos[0]?.platform ?? 'relay';

  const rememberPrompt = (frame: OutboundFrame, action: Extract<OutboundAction, { op: 'prompt' }>, link: Link): SentPrompt => {
    const prompt: SentPrompt = {
      promptId: action.prompt_id,
      chatId: action.chat_id,
      platform: platformOf(frame, link, action.chat_id),
      gateway: link.state.id,
      kind: action.prompt_kind,
      content: action.content,
      options: action.options.map((option) => ({ id: option.id, label: option.label })),
      messageId: undefined,
    };
    remember(prompts, prompt.promptId, prompt);
    return prompt;
  };

  const ackIdle = (link: Link): void => {
    heldIdle.delete(link);
    send(link, { type: 'going_idle_ack' });
    link.state.idle = true;
  };

  const handleFrame = (link: Link, frame: GatewayFrame): void => {
    const record: ReceivedFrame = { link: link.record.id, gateway: link.state.id, frame };
    received.push(record);
    events.emit('frame', record);
    if (faults.onReceive?.(frame, link.record) === false) return;
    switch (frame.type) {
      case 'hello':
        link.record.hellos.push({ platform: frame.platform, botId: frame.botId });
        link.unanswered.push(frame);
        if (faults.descriptorDelayMs > 0) later(faults.descriptorDelayMs, () => answerHellos(link));
        else answerHellos(link);
        return;
      case 'outbound': {
        const n = ++requests;
        const chatId = egressChat(frame.action);
        const prompt = frame.action.op === 'prompt' ? rememberPrompt(frame, frame.action, link) : undefined;
        // A declined chat is refused whatever the policy says, as a connector's egress check comes
        // before any platform call.
        const reply =
          chatId !== undefined && declined.has(chatId)
            ? ({ kind: 'result', result: egressDeclinedResult(platformOf(frame, link, chatId)) } as const)
            : policy(frame.action, n);
        if (reply.kind === 'never') return;
        const answer = (): void => {
          if (prompt && reply.result.success === true) prompt.messageId = resultMessageId(reply.result);
          send(link, { type: 'outbound_result', requestId: frame.requestId, result: reply.result });
        };
        if ('delayMs' in reply && reply.delayMs) later(reply.delayMs, answer);
        else answer();
        return;
      }
      case 'going_idle':
        if (faults.holdGoingIdle) heldIdle.add(link);
        else ackIdle(link);
        return;
      case 'inbound_ack': {
        const index = link.state.buffer.findIndex((entry) => entry.bufferId === frame.bufferId);
        if (index >= 0) link.state.buffer.splice(index, 1);
        return;
      }
      case 'interrupt':
        return;
    }
  };

  const attach = (socket: WebSocket, request: IncomingMessage, gateway: string, rejectWith: string | undefined): void => {
    const authorization = request.headers.authorization;
    const record: LinkRecord = {
      id: ++linkCounter,
      gateway,
      hadAuthorization: authorization !== undefined,
      authorization,
      openedAt: Date.now(),
      handshaken: false,
      hellos: [],
    };
    linkRecords.push(record);
    const link: Link = { record, socket, state: gatewayState(gateway), unanswered: [] };
    open.add(link);
    // Count links that are still usable; one whose close handshake is under way does not count.
    let usable = 0;
    for (const other of open) if (other.socket.readyState === WebSocket.OPEN) usable++;
    maxConcurrent = Math.max(maxConcurrent, usable);
    events.emit('link', record);

    const decoder = createFrameDecoder({
      onFrame: (raw) => {
        const parsed = gatewayFrameSchema.safeParse(raw);
        if (!parsed.success) {
          invalid++;
          return;
        }
        handleFrame(link, parsed.data);
      },
      onMalformed: () => void invalid++,
    });
    socket.on('message', (data: RawData) => {
      try {
        decoder.push(data);
      } catch {
        socket.close(1009, 'frame too large');
      }
    });
    socket.on('ping', (data: Buffer) => {
      if (!faults.halfOpen) socket.pong(data);
    });
    socket.on('error', () => undefined);
    socket.on('close', (code) => {
      open.delete(link);
      record.closedAt = Date.now();
      record.closeCode = code;
      events.emit('close', record);
    });
    // Credential problems are reported after the upgrade, as close 4401 (relay-connector-contract.md §10).
    if (rejectWith !== undefined) socket.close(CLOSE_UNAUTHORIZED, rejectWith);
  };

  const authenticate = (request: IncomingMessage): { gateway: string; rejectWith?: string } => {
    const secrets = options.secrets;
    if (!secrets) {
      const state = gatewayState(ANONYMOUS);
      return state.revoked ? { gateway: ANONYMOUS, rejectWith: 'unauthorized' } : { gateway: ANONYMOUS };
    }
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    const verdict = verifyUpgradeToken(token, (id) => secrets[id], { nowSeconds: nowSeconds() });
    if (!verdict.ok) return { gateway: ANONYMOUS, rejectWith: verdict.reason === 'expired' ? REASON_EXPIRED : 'unauthorized' };
    if (gatewayState(verdict.gatewayId).revoked) return { gateway: verdict.gatewayId, rejectWith: 'unauthorized' };
    return { gateway: verdict.gatewayId };
  };

  const mediaStore = createMediaStore({
    ...(options.media?.maxItemBytes !== undefined ? { maxItemBytes: options.media.maxItemBytes } : {}),
    ...(options.media?.maxTotalBytes !== undefined ? { maxTotalBytes: options.media.maxTotalBytes } : {}),
    // The upgrade's rule, so whoever may connect may upload and a revoked gateway may do neither.
    authorize: (request): MediaAuthVerdict => {
      const verdict = authenticate(request);
      return { ok: verdict.rejectWith === undefined, gateway: verdict.gateway };
    },
    onUpload: (upload) => {
      uploads.push(upload);
      if (uploads.length > MEMORY_LIMIT) uploads.shift();
      events.emit('media', upload);
    },
  });

  const wss = new WebSocketServer({ noServer: true, autoPong: false });
  const onRequest: RequestListener = (request, response) => {
    if (mediaStore.handle(request, response)) return;
    response.writeHead(426, { 'content-type': 'text/plain' }).end('relay dev connector: WebSocket only\n');
  };
  const server: Server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest) : createServer(onRequest);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/relay') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (faults.stallUpgrades > 0) {
      faults.stallUpgrades--;
      stalled.add(socket);
      socket.on('close', () => stalled.delete(socket));
      return;
    }
    if (faults.refuseUpgrades > 0) {
      faults.refuseUpgrades--;
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    const { gateway, rejectWith } = authenticate(request);
    wss.handleUpgrade(request, socket, head, (ws) => attach(ws, request, gateway, rejectWith));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const noteSource = (source: SessionSourceInit): void => {
    if (!source.chat_id) return;
    remember(chatSources, source.chat_id, source);
    remember(platformChatSources, platformChatKey(source.platform, source.chat_id), source);
  };

  const deliver = (frame: BufferedFrame, gateway: string): string | undefined => {
    const state = gatewayState(gateway);
    const live = servingLink(gateway);
    if (live) {
      send(live, frame);
      return undefined;
    }
    const bufferId = `buf-${++bufferCounter}`;
    state.buffer.push({ bufferId, frame });
    return bufferId;
  };

  const defaultGateway = (): string => {
    for (const link of open) return link.state.id;
    return options.secrets ? (Object.keys(options.secrets)[0] ?? ANONYMOUS) : ANONYMOUS;
  };

  const waitFor = <T>(check: () => T | undefined, eventName: string, timeoutMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const found = check();
      if (found !== undefined) {
        resolve(found);
        return;
      }
      const onEvent = (): void => {
        const hit = check();
        if (hit === undefined) return;
        cleanup();
        resolve(hit);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`dev connector: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        events.off(eventName, onEvent);
      };
      events.on(eventName, onEvent);
    });

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    received,
    links: linkRecords,
    get maxConcurrentLinks() {
      return maxConcurrent;
    },
    get openLinks() {
      return open.size;
    },
    faults,
    get invalidFromGateways() {
      return invalid;
    },
    events,
    get uploads() {
      return uploads;
    },
    get prompts() {
      return [...prompts.values()];
    },
    get declinedChats() {
      return [...declined];
    },
    get platforms() {
      return [...descriptors.keys()];
    },
    get fallbackDescriptor() {
      return descriptor;
    },
    pushInbound(event, gateway = defaultGateway()) {
      noteSource(event.source);
      return deliver({ type: 'inbound', event: inboundEventToWire(event) }, gateway);
    },
    pushPassthrough: (forward, gateway = defaultGateway()) => deliver({ type: 'passthrough_forward', forward }, gateway),
    pushInterrupt(sessionKey, chatId, gateway = defaultGateway()) {
      const live = servingLink(gateway);
      if (!live) return false;
      send(live, { type: 'interrupt_inbound', session_key: sessionKey, chat_id: chatId });
      return true;
    },
    ackGoingIdle() {
      const links = [...heldIdle];
      for (const link of links) ackIdle(link);
      return links.length;
    },
    sendDescriptor() {
      let sent = 0;
      const omitted = faults.omitDescriptor;
      faults.omitDescriptor = false;
      try {
        for (const link of open) if (answerHellos(link)) sent++;
      } finally {
        faults.omitDescriptor = omitted;
      }
      return sent;
    },
    sendRaw(data) {
      for (const link of open) if (link.socket.readyState === WebSocket.OPEN) link.socket.send(data);
    },
    closeLinks(code, reason = '') {
      for (const link of open) link.socket.close(code, reason);
    },
    dropLinks() {
      for (const link of open) link.socket.terminate();
    },
    revoke(gateway = defaultGateway(), reason = 'revoked') {
      gatewayState(gateway).revoked = true;
      for (const link of open) if (link.state.id === gateway) link.socket.close(CLOSE_UNAUTHORIZED, reason);
    },
    restore(gateway = defaultGateway()) {
      gatewayState(gateway).revoked = false;
    },
    setDescriptor(next) {
      descriptor = next;
    },
    setDescriptorFor(platform, next) {
      if (next) descriptors.set(platform, next);
      else descriptors.delete(platform);
    },
    descriptorFor: descriptorForPlatform,
    decline(chatId) {
      if (declined.has(chatId)) return false;
      declined.add(chatId);
      return true;
    },
    undecline: (chatId) => declined.delete(chatId),
    press(promptId, optionId, pressOptions = {}) {
      const prompt = prompts.get(promptId);
      if (!prompt) return undefined;
      const label = prompt.options.find((option) => option.id === optionId)?.label;
      // Speak for the chat as it was last seen from that platform (scope, user), so the gateway
      // files the press under the same session as the conversation.
      const known = platformChatSources.get(platformChatKey(prompt.platform, prompt.chatId));
      const userId = pressOptions.userId ?? known?.user_id ?? 'dev-user';
      const source: SessionSourceInit = {
        ...known,
        // The source's own message id belongs to the message it came with, not to this press.
        message_id: null,
        platform: prompt.platform,
        chat_id: prompt.chatId,
        user_id: userId,
        user_name: pressOptions.userId ?? known?.user_name ?? userId,
      };
      const event: MessageEventInit = {
        // What a connector shows for a press; the gateway consumes the event by its prompt_response.
        text: `/${optionId}`,
        message_type: 'command',
        // Unique per press, so a second press is a second event (the gateway's "already resolved").
        message_id: `press-${++presses}`,
        source,
        prompt_response: {
          prompt_id: prompt.promptId,
          option_id: optionId,
          ...(label !== undefined ? { label } : {}),
          ...(prompt.messageId !== undefined ? { prompt_message_id: prompt.messageId } : {}),
        },
      };
      const bufferId = deliver({ type: 'inbound', event: inboundEventToWire(event) }, prompt.gateway);
      const outcome: PressOutcome = { prompt, optionId, label, bufferId };
      events.emit('press', outcome);
      return outcome;
    },
    media: (id) => mediaStore.get(id),
    gatewayStatus(gateway = defaultGateway()) {
      const state = gatewayState(gateway);
      let links = 0;
      for (const link of open) if (link.state.id === gateway) links++;
      return { gateway, openLinks: links, idle: state.idle, buffered: state.buffer.length, revoked: state.revoked };
    },
    setOutboundPolicy(next) {
      policy = next;
    },
    buffered: (gateway = defaultGateway()) => [...gatewayState(gateway).buffer],
    waitForFrame: (predicate, timeoutMs = 5000) =>
      waitFor(() => received.find(predicate), 'frame', timeoutMs, 'a matching frame'),
    waitForHandshake: (n, timeoutMs = 5000) =>
      waitFor(() => (handshakes >= n ? linkRecords.filter((l) => l.handshaken)[n - 1] : undefined), 'handshake', timeoutMs, `handshake #${n}`),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const link of open) link.socket.terminate();
      for (const socket of stalled) socket.destroy();
      heldIdle.clear();
      mediaStore.clear();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      events.removeAllListeners();
    },
  };
}
