/**
 * A real connector for development, tests and the demo: a `ws` server on loopback that speaks the
 * connector side of the contract (docs/relay-connector-contract.md). It answers `hello` with a
 * descriptor, optionally verifies upgrade tokens, pushes inbound traffic, answers outbound requests
 * by policy, buffers durably (in memory) after `going_idle` and replays with `bufferId`s, can revoke
 * a gateway, and injects faults on request. It records everything it receives.
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
import { descriptorFromPlatformEntry, type CapabilityDescriptor } from '../protocol/descriptor.js';
import { gatewayFrameSchema, type GatewayFrame } from '../protocol/frames.js';
import { inboundEventToWire, type MessageEventInit } from '../protocol/inbound-event.js';
import { CLOSE_UNAUTHORIZED, REASON_EXPIRED } from '../../machines/close-classification.js';
import { succeed, type OutboundPolicy } from './outbound-policy.js';

/** Options of {@link startDevConnector}. */
export interface DevConnectorOptions {
  /** Port on 127.0.0.1. @default 0 (any free port) */
  readonly port?: number;
  /** Descriptor sent after each `hello`. @default a plain `relay` descriptor */
  readonly descriptor?: CapabilityDescriptor;
  /** When set, upgrades must carry a valid token for one of these gateway ids. @default undefined (no auth) */
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
  handshaken: boolean;
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
  saidHello: boolean;
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
  /** Emits `link` (LinkRecord), `frame` (ReceivedFrame), `handshake` (LinkRecord), `close` (LinkRecord). */
  readonly events: EventEmitter;
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
  /** Change the descriptor sent on later handshakes. */
  setDescriptor(descriptor: CapabilityDescriptor): void;
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

const DEFAULT_DESCRIPTOR = descriptorFromPlatformEntry({ name: 'relay', label: 'Relay (dev connector)', max_message_length: 4096 });

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
  let policy = options.outboundPolicy ?? succeed;
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
    for (const link of open) if (link.state.id === gateway && link.record.handshaken && !link.state.idle) return link;
    return undefined;
  };

  const handshake = (link: Link): void => {
    if (faults.omitDescriptor || link.socket.readyState !== WebSocket.OPEN) return;
    send(link, { type: 'descriptor', descriptor });
    link.record.handshaken = true;
    link.state.idle = false;
    handshakes++;
    events.emit('handshake', link.record, handshakes);
    // Replay what was buffered, in order; entries leave the buffer only on inbound_ack.
    for (const { bufferId, frame } of link.state.buffer) send(link, { ...frame, bufferId });
    if (faults.duplicateReplays) for (const { bufferId, frame } of link.state.buffer) send(link, { ...frame, bufferId });
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
        link.saidHello = true;
        if (faults.descriptorDelayMs > 0) later(faults.descriptorDelayMs, () => handshake(link));
        else handshake(link);
        return;
      case 'outbound': {
        const reply = policy(frame.action, ++requests);
        if (reply.kind === 'never') return;
        const answer = (): void => send(link, { type: 'outbound_result', requestId: frame.requestId, result: reply.result });
        if (reply.delayMs) later(reply.delayMs, answer);
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
    };
    linkRecords.push(record);
    const link: Link = { record, socket, state: gatewayState(gateway), saidHello: false };
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

  const wss = new WebSocketServer({ noServer: true, autoPong: false });
  const onRequest: RequestListener = (_request, response) => {
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
    pushInbound: (event, gateway = defaultGateway()) => deliver({ type: 'inbound', event: inboundEventToWire(event) }, gateway),
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
      for (const link of open) {
        if (!link.record.handshaken && link.saidHello) {
          const omitted = faults.omitDescriptor;
          faults.omitDescriptor = false;
          handshake(link);
          faults.omitDescriptor = omitted;
          sent++;
        }
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
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      events.removeAllListeners();
    },
  };
}
