/**
 * Helpers for the protocol-later integration tests: a connector written for these tests (a plain `ws`
 * server on 127.0.0.1:0 speaking hand-written JSON lines, independent of the library's dev connector)
 * that answers each `hello` with the descriptor configured for its platform, and gateways that stop
 * themselves. Everything made here is torn down after each test, gateways first.
 * @module
 */
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { createRelayGateway, type RelayGateway } from '../../../src/gateway/create-relay-gateway.js';
import type { RelayGatewayOptions } from '../../../src/gateway/gateway-options.js';
import type { LogFields, Logger } from '../../../src/logger.js';
import { conditionWaiters } from '../../support/condition-waiters.js';

export type Json = Record<string, unknown>;

const disposers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});

/** One frame the gateway sent, with the link it came on. */
export interface Seen {
  readonly link: number;
  readonly frame: Json;
}

/** One connection from the gateway, as the connector sees it. */
export interface TestLink {
  readonly id: number;
  readonly socket: WebSocket;
  /** Frames received on this link, in order. */
  readonly frames: Json[];
  /** Descriptors sent on this link so far. */
  descriptorsSent: number;
  /** WebSocket pings received. */
  pings: number;
  closed: boolean;
  /** Close code seen by the connector (the gateway's, or 1006 for a dropped socket). */
  closeCode: number | undefined;
  /** Send frames, each as its own WebSocket text message. */
  send(...frames: Json[]): void;
  /** Send raw text as one message (several lines, garbage, ...). */
  sendText(text: string): void;
  /** Send the descriptor configured for `platform` (or the given one). */
  sendDescriptor(descriptorOrPlatform: Json | string): void;
  /** Close with a code, as a connector would (the gateway sees a clean close). */
  close(code?: number, reason?: string): void;
  /** Drop the TCP connection (the gateway sees 1006). */
  terminate(): void;
}

/** How the connector answers an `outbound` frame. */
export type Answer = { readonly result: Json } | 'never';

/** Options of {@link useTestConnector}. */
export interface TestConnectorOptions {
  /** Descriptors by platform: a `hello` for a listed platform is answered with it. @default TELEGRAM only */
  readonly descriptors?: Record<string, Json>;
  /** `each`: answer every hello as it arrives; `manual`: never (the test sends descriptors). @default each */
  readonly hellos?: 'each' | 'manual';
  /** Answer WebSocket pings with a pong. Mutable on the connector. @default true */
  readonly answerPings?: boolean;
  /** Answer `going_idle` with `going_idle_ack`. @default true */
  readonly ackIdle?: boolean;
  /** How outbound requests are answered. Mutable on the connector. @default success, message id `m-<requestId>` */
  readonly answer?: (frame: Json, link: TestLink) => Answer;
}

/** A running test connector. */
export interface TestConnector {
  /** Base URL for the gateway (it appends `/relay`). */
  readonly url: string;
  readonly links: TestLink[];
  /** Every frame from the gateway, over all links, in order. */
  readonly seen: Seen[];
  /** Descriptors by platform for the `each` mode; change it between dials. */
  descriptors: Record<string, Json>;
  hellos: 'each' | 'manual';
  answerPings: boolean;
  answer: (frame: Json, link: TestLink) => Answer;
  /** Hold every new WebSocket upgrade (the gateway's dial stays open, unanswered) until released. */
  holdUpgrades: boolean;
  /** Upgrades being held now. */
  readonly upgradesHeld: number;
  /** Let the held upgrades through (and stop holding new ones). */
  releaseUpgrades(): void;
  /** Link `n` (1-based), once it has connected. */
  waitForLink(n: number, timeoutMs?: number): Promise<TestLink>;
  /** The first frame (past or future) matching `predicate`. */
  waitForFrame(predicate: (seen: Seen) => boolean, timeoutMs?: number): Promise<Seen>;
  /** Resolves once `check()` holds; re-checked on every frame, ping, connection and close. */
  waitUntil(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** `outbound` frames received (on `link` only, when given). */
  outbounds(link?: number): Json[];
  close(): Promise<void>;
}

/** A telegram descriptor: 4096 UTF-16 units, edits, no drafts, the legacy ops. */
export const TELEGRAM: Json = {
  contract_version: 1,
  platform: 'telegram',
  label: 'Telegram (test)',
  max_message_length: 4096,
  supports_draft_streaming: false,
  supports_edit: true,
  supports_threads: false,
  markdown_dialect: 'plain',
  len_unit: 'utf16',
};

/** A discord descriptor: 2000 code points, edits, threads, markdown. */
export const DISCORD: Json = {
  contract_version: 1,
  platform: 'discord',
  label: 'Discord (test)',
  max_message_length: 2000,
  supports_draft_streaming: false,
  supports_edit: true,
  supports_threads: true,
  markdown_dialect: 'discord',
  len_unit: 'chars',
};

/** A slack descriptor. */
export const SLACK: Json = {
  contract_version: 1,
  platform: 'slack',
  label: 'Slack (test)',
  max_message_length: 3000,
  supports_draft_streaming: false,
  supports_edit: true,
  supports_threads: true,
  markdown_dialect: 'slack',
  len_unit: 'chars',
};

/** Every outbound op of the later contract. */
export const ALL_OPS = [
  'send',
  'edit',
  'typing',
  'follow_up',
  'get_chat_info',
  'draft',
  'send_media',
  'prompt',
  'react',
  'thread_create',
  'thread_rename',
  'delete',
  'task_card',
  'task_card_stop',
] as const;

export type Op = (typeof ALL_OPS)[number];

const line = (frame: Json): string => `${JSON.stringify(frame)}\n`;

/** Start a test connector that closes itself after the test. */
export async function useTestConnector(options: TestConnectorOptions = {}): Promise<TestConnector> {
  const held: Array<() => void> = [];
  let holdUpgrades = false;
  // Pings are answered by hand, so a test can stop answering them mid-way.
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    path: '/relay',
    autoPong: false,
    verifyClient: (_info, callback) => {
      if (!holdUpgrades) {
        callback(true);
        return;
      }
      held.push(() => callback(true));
      notify();
    },
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const links: TestLink[] = [];
  const seen: Seen[] = [];
  const waits = conditionWaiters();
  const notify = waits.notify;

  const connector: TestConnector = {
    url: '',
    links,
    seen,
    descriptors: options.descriptors ?? { telegram: TELEGRAM },
    hellos: options.hellos ?? 'each',
    answerPings: options.answerPings ?? true,
    answer: options.answer ?? ((frame) => ({ result: { success: true, message_id: `m-${String(frame.requestId)}` } })),
    get holdUpgrades() {
      return holdUpgrades;
    },
    set holdUpgrades(value: boolean) {
      holdUpgrades = value;
    },
    get upgradesHeld() {
      return held.length;
    },
    releaseUpgrades: () => {
      holdUpgrades = false;
      for (const release of held.splice(0)) release();
    },
    waitForLink: async (n, timeoutMs) => {
      await connector.waitUntil(() => links.length >= n, `link #${n}`, timeoutMs);
      return links[n - 1] as TestLink;
    },
    waitForFrame: async (predicate, timeoutMs) => {
      let found: Seen | undefined;
      await connector.waitUntil(
        () => {
          found ??= seen.find(predicate);
          return found !== undefined;
        },
        'a matching frame',
        timeoutMs,
      );
      return found as Seen;
    },
    waitUntil: (check, what, timeoutMs = 10_000) =>
      waits.waitUntil(check, timeoutMs, () => new Error(`test connector: timed out after ${timeoutMs} ms waiting for ${what}`)),
    outbounds: (link) => seen.filter((s) => s.frame.type === 'outbound' && (link === undefined || s.link === link)).map((s) => s.frame),
    close: async () => {
      connector.releaseUpgrades();
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  server.on('connection', (socket) => {
    let partial = '';
    const link: TestLink = {
      id: links.length + 1,
      socket,
      frames: [],
      descriptorsSent: 0,
      pings: 0,
      closed: false,
      closeCode: undefined,
      send: (...frames) => {
        for (const frame of frames) if (socket.readyState === WebSocket.OPEN) socket.send(line(frame));
      },
      sendText: (text) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(text);
      },
      sendDescriptor: (descriptorOrPlatform) => {
        const descriptor = typeof descriptorOrPlatform === 'string' ? connector.descriptors[descriptorOrPlatform] : descriptorOrPlatform;
        if (!descriptor) throw new Error(`test connector: no descriptor for ${JSON.stringify(descriptorOrPlatform)}`);
        link.descriptorsSent++;
        link.send({ type: 'descriptor', descriptor });
      },
      close: (code = 1000, reason = '') => socket.close(code, reason),
      terminate: () => socket.terminate(),
    };
    links.push(link);
    const onFrame = (frame: Json): void => {
      link.frames.push(frame);
      seen.push({ link: link.id, frame });
      if (frame.type === 'hello' && connector.hellos === 'each') {
        const descriptor = connector.descriptors[String(frame.platform)];
        if (descriptor) link.sendDescriptor(descriptor);
      } else if (frame.type === 'going_idle' && (options.ackIdle ?? true)) {
        link.send({ type: 'going_idle_ack' });
      } else if (frame.type === 'outbound') {
        const answer = connector.answer(frame, link);
        if (answer !== 'never') link.send({ type: 'outbound_result', requestId: frame.requestId, result: answer.result });
      }
      notify();
    };
    socket.on('message', (data: RawData) => {
      partial += Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8');
      let end = partial.indexOf('\n');
      while (end !== -1) {
        const text = partial.slice(0, end);
        partial = partial.slice(end + 1);
        if (text.trim()) onFrame(JSON.parse(text) as Json);
        end = partial.indexOf('\n');
      }
    });
    socket.on('ping', (data: Buffer) => {
      link.pings++;
      if (connector.answerPings && socket.readyState === WebSocket.OPEN) socket.pong(data);
      notify();
    });
    socket.on('error', () => undefined);
    socket.on('close', (code: number) => {
      link.closed = true;
      link.closeCode = code;
      notify();
    });
    notify();
  });

  (connector as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  disposers.push(() => connector.close());
  return connector;
}

/** A gateway against `connector` that stops itself after the test (not started). Fast backoff by default. */
export function useTestGateway(connector: Pick<TestConnector, 'url'>, options: Partial<RelayGatewayOptions> = {}): RelayGateway {
  const gw = createRelayGateway({ url: connector.url, random: () => 0, reconnect: { baseMs: 20, capMs: 100 }, ...options });
  disposers.push(() => gw.stop({ budgetS: 2 }));
  return gw;
}

/** One captured log line. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields | undefined;
}

/** A logger that keeps every line. */
export function captureLogger(): { readonly logger: Logger; readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (message: string, fields?: LogFields): void =>
      void lines.push({ level, message, fields });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** Options of {@link inbound}. */
export interface InboundExtra {
  readonly messageId?: string;
  readonly bufferId?: string;
  readonly chatType?: string;
  readonly userId?: string;
  readonly scopeId?: string;
  readonly text?: string;
  /** Extra keys for the top level of the frame (`delivery_id`, ...). */
  readonly frame?: Json;
  /** Extra keys for `event` (`owner_id`, ...). */
  readonly event?: Json;
}

/** A wire `inbound` frame from `platform` chat `chatId`. */
export function inbound(platform: string, chatId: string, extra: InboundExtra = {}): Json {
  return {
    type: 'inbound',
    event: {
      text: extra.text ?? `hello from ${chatId}`,
      message_type: 'text',
      ...(extra.messageId ? { message_id: extra.messageId } : {}),
      source: {
        platform,
        chat_id: chatId,
        chat_type: extra.chatType ?? 'dm',
        user_id: extra.userId ?? `u-${chatId}`,
        ...(extra.scopeId ? { scope_id: extra.scopeId } : {}),
      },
      ...extra.event,
    },
    ...(extra.bufferId ? { bufferId: extra.bufferId } : {}),
    ...extra.frame,
  };
}

/** A promise with its resolve function. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Resolves once the gateway has handled one message from each of `chats` (recorded by
 * {@link recordMessages}), so what they taught it (platform, scope) is known.
 */
export function recordMessages(gw: RelayGateway): {
  readonly events: Array<{ platform: string; chatId: string; text: string; messageId: string | null; bufferId: string | undefined }>;
  until(count: number, timeoutMs?: number): Promise<void>;
} {
  const events: Array<{ platform: string; chatId: string; text: string; messageId: string | null; bufferId: string | undefined }> = [];
  const waits = conditionWaiters();
  gw.onMessage((event, ctx) => {
    events.push({ platform: event.source.platform, chatId: event.source.chat_id ?? '', text: event.text, messageId: event.message_id ?? null, bufferId: ctx.bufferId });
    waits.notify();
  });
  return {
    events,
    until: (count, timeoutMs = 10_000) =>
      waits.waitUntil(() => events.length >= count, timeoutMs, () => new Error(`timed out waiting for ${count} handled messages (have ${events.length})`)),
  };
}

/**
 * Proves that nothing was written before this point: sends a marker `send` and waits for it on the
 * wire; frames on one socket arrive in order, so any frame a refused call had written would be
 * seen before it. Returns the outbound frames of the link (marker excluded), in order.
 */
export async function outboundsBeforeMarker(gw: RelayGateway, connector: TestConnector, link: number): Promise<Json[]> {
  const marker = `marker-${Math.random().toString(16).slice(2)}`;
  const result = await gw.send(marker, marker);
  if (!result.success) throw new Error(`marker send failed: ${JSON.stringify(result)}`);
  const all = connector.outbounds(link);
  const at = all.findIndex((frame) => (frame.action as Json).chat_id === marker);
  if (at === -1) throw new Error('marker not seen');
  return all.slice(0, at);
}

/** The `action` of an outbound frame. */
export const actionOf = (frame: Json): Json => frame.action as Json;

/** Resolves once the gateway is serving after at least `n` completed handshakes. */
export function waitForHandshakes(gw: RelayGateway, n: number, timeoutMs = 10_000): Promise<void> {
  const done = (): boolean => gw.state === 'serving' && gw.metrics().handshakes >= n;
  if (done()) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for handshake #${n} (have ${gw.metrics().handshakes}, state ${gw.state})`));
    }, timeoutMs);
    const off = gw.onStateChange(() => {
      if (!done()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** The gateway's next entry into `state` (or now, if it is in it). */
export function reachState(gw: RelayGateway, state: RelayGateway['state'], timeoutMs = 10_000): Promise<void> {
  if (gw.state === state) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for state ${state} (now ${gw.state})`));
    }, timeoutMs);
    const off = gw.onStateChange((next) => {
      if (next !== state) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
