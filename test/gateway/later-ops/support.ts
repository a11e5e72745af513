/**
 * Helpers of the later-ops integration tests (protocol-later §8): a connector written for these
 * tests, independent of the library's dev connector — a `ws` WebSocketServer on 127.0.0.1:0 sharing
 * its port with a node:http server that answers `POST /relay/media` — plus gateways that stop
 * themselves, a capturing logger and small wait helpers. Everything made here is torn down after each
 * test, the gateways before the connectors.
 *
 * Timers: the real `setTimeout` family is captured at import, so the waits here keep working while a
 * test runs the gateway under fake timers (the redial-hold ceiling).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { createRelayGateway, type RelayGateway } from '../../../src/gateway/create-relay-gateway.js';
import type { RelayGatewayOptions } from '../../../src/gateway/gateway-options.js';
import type { LogFields, Logger, LogLevel } from '../../../src/logger.js';

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetImmediate = globalThis.setImmediate;

export type Json = Record<string, unknown>;

// ------------------------------------------------------------------ teardown

const disposers: Array<() => Promise<void>> = [];

afterEach(async () => {
  // Last made, first gone: gateways stop while their connector still answers going_idle.
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});

// ------------------------------------------------------------------ descriptors

/** A valid telegram descriptor (base §5); `overrides` replace or add keys. */
export function descriptor(overrides: Json = {}): Json {
  return {
    contract_version: 1,
    platform: 'telegram',
    label: 'Later-ops test connector',
    max_message_length: 4096,
    supports_draft_streaming: true,
    supports_edit: true,
    supports_threads: true,
    markdown_dialect: 'plain',
    len_unit: 'utf16',
    supported_ops: ALL_OPS,
    ...overrides,
  };
}

/** Every op a connector can advertise (`task_card` covers `task_card_stop`). */
export const ALL_OPS: readonly string[] = [
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
];

// ------------------------------------------------------------------ the connector

/** One WebSocket connection from a gateway. */
export interface Link {
  /** 1-based, in order of connection. */
  readonly id: number;
  readonly socket: WebSocket;
  /** Headers of the upgrade request. */
  readonly upgradeHeaders: IncomingHttpHeaders;
  /** `performance.now()` at the upgrade. */
  readonly openedAt: number;
  /** Frames from the gateway on this link, in order. */
  readonly frames: Json[];
  handshaken: boolean;
  closed: boolean;
  /** `performance.now()` when the socket closed. */
  closedAt?: number;
  /** The close code and reason as this end saw them. */
  closeCode?: number;
  closeReason?: string;
  /** Send frames, one WebSocket message each. */
  send(...frames: Json[]): void;
}

/** One frame from the gateway, with its link. */
export interface Seen {
  readonly link: Link;
  readonly frame: Json;
}

/** One `outbound` frame and a way to answer it. */
export interface Outbound {
  readonly link: Link;
  readonly requestId: string;
  readonly action: Json;
  /** The whole frame, as written. */
  readonly frame: Json;
  /** Write the `outbound_result` (on this request's link). */
  reply(result: Json): void;
}

/** A result sent after a delay (real time). */
export class Delayed {
  constructor(
    readonly ms: number,
    readonly result: Json,
  ) {}
}

/** How the connector answers an outbound: at once, after a delay, or not (`hold`; reply by hand). */
export type Answer = Json | Delayed | 'hold';

/** One request to the HTTP side (the media endpoint). */
export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Options of {@link startConnector}. */
export interface ConnectorOptions {
  /** Sent after the first `hello` of every link, one message each. @default [descriptor()] */
  readonly descriptors?: readonly Json[];
  /** Answer `going_idle` with `going_idle_ack` at once. @default true */
  readonly autoIdleAck?: boolean;
  /** How outbound requests are answered. @default `{success: true, message_id: "m-<n>"}` at once */
  answer?: (outbound: Outbound) => Answer;
  /**
   * Refuse the `n`-th upgrade (1-based, counting every attempt) with HTTP 503 when it returns true.
   * @default accept every upgrade
   */
  readonly refuseUpgrade?: (attempt: number) => boolean;
  /** The media endpoint. @default 200 `{"id":"m1"}` for `POST /relay/media`, 404 otherwise */
  media?: (request: HttpRequest, response: ServerResponse) => void;
}

/** A running test connector. */
export interface TestConnector {
  /** Base URL for the gateway (it appends `/relay`), `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly links: Link[];
  /** Every frame from the gateway, over all links, in order. */
  readonly seen: Seen[];
  /** Every outbound, in order. */
  readonly outbounds: Outbound[];
  /** Every HTTP request to the media side. */
  readonly httpRequests: HttpRequest[];
  /** `performance.now()` of every upgrade attempt, refused ones included. */
  readonly upgradeAttempts: number[];
  /** The newest link. */
  latest(): Link;
  /** Outbounds whose action is addressed to `chatId` (`chat_id`, or `session_key` for follow-ups). */
  outboundsTo(chatId: string): Outbound[];
  /** Replace the answering policy. */
  setAnswer(answer: (outbound: Outbound) => Answer): void;
  /** Resolves once `check` holds; re-checked on every frame, link change and HTTP request. */
  waitUntil(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** The first outbound (past or future) matching `predicate`. */
  waitForOutbound(predicate: (outbound: Outbound) => boolean, what?: string, timeoutMs?: number): Promise<Outbound>;
  /** The first frame (past or future) matching `predicate`. */
  waitForFrame(predicate: (seen: Seen) => boolean, what?: string, timeoutMs?: number): Promise<Seen>;
  /** The `n`-th link (1-based) once its handshake was answered. */
  waitForHandshake(n: number, timeoutMs?: number): Promise<Link>;
  /**
   * Write a marker `send` through `gw` and wait for it to arrive: every frame `gw` wrote before it
   * has arrived by then (one socket, in order). Returns how many outbounds came before the marker.
   */
  flush(gw: RelayGateway): Promise<number>;
  close(): Promise<void>;
}

const line = (frame: Json): string => `${JSON.stringify(frame)}\n`;

let markers = 0;

/** Start a test connector that closes itself after the test. */
export async function startConnector(options: ConnectorOptions = {}): Promise<TestConnector> {
  const links: Link[] = [];
  const seen: Seen[] = [];
  const outbounds: Outbound[] = [];
  const httpRequests: HttpRequest[] = [];
  const waiters = new Set<() => void>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const notify = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  let requestCounter = 0;
  let answer = options.answer ?? ((): Answer => ({ success: true, message_id: `m-${++requestCounter}` }));
  const media =
    options.media ??
    ((request: HttpRequest, response: ServerResponse): void => {
      if (request.method === 'POST' && request.url === '/relay/media') {
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: 'm1' }));
      } else response.writeHead(404).end();
    });

  const http: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: HttpRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      httpRequests.push(request);
      media(request, res);
      notify();
    });
  });
  const upgradeAttempts: number[] = [];
  const wss = new WebSocketServer({
    server: http,
    path: '/relay',
    verifyClient: (_info, accept) => {
      upgradeAttempts.push(performance.now());
      const refuse = options.refuseUpgrade?.(upgradeAttempts.length) ?? false;
      notify();
      if (refuse) accept(false, 503, 'not now');
      else accept(true);
    },
  });

  wss.on('connection', (socket, upgrade) => {
    let partial = '';
    const link: Link = {
      id: links.length + 1,
      socket,
      upgradeHeaders: upgrade.headers,
      openedAt: performance.now(),
      frames: [],
      handshaken: false,
      closed: false,
      send: (...frames) => {
        for (const frame of frames) if (socket.readyState === WebSocket.OPEN) socket.send(line(frame));
      },
    };
    links.push(link);
    const respond = (outbound: Outbound, reply: Answer): void => {
      if (reply === 'hold') return;
      if (reply instanceof Delayed) {
        const timer = realSetTimeout(() => {
          timers.delete(timer);
          outbound.reply(reply.result);
        }, reply.ms);
        timers.add(timer);
        return;
      }
      outbound.reply(reply);
    };
    const onFrame = (frame: Json): void => {
      link.frames.push(frame);
      seen.push({ link, frame });
      if (frame.type === 'hello' && !link.handshaken) {
        link.handshaken = true;
        for (const d of options.descriptors ?? [descriptor()]) link.send({ type: 'descriptor', descriptor: d });
      } else if (frame.type === 'going_idle' && (options.autoIdleAck ?? true)) {
        link.send({ type: 'going_idle_ack' });
      } else if (frame.type === 'outbound') {
        const requestId = String(frame.requestId);
        const outbound: Outbound = {
          link,
          requestId,
          action: frame.action as Json,
          frame,
          reply: (result) => link.send({ type: 'outbound_result', requestId, result }),
        };
        outbounds.push(outbound);
        respond(outbound, answer(outbound));
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
    socket.on('error', () => undefined);
    socket.on('close', (code, reason) => {
      link.closed = true;
      link.closedAt = performance.now();
      link.closeCode = code;
      link.closeReason = reason.toString('utf8');
      notify();
    });
    notify();
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;

  const waitUntil = (check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (check()) {
        resolve();
        return;
      }
      const attempt = (): void => {
        if (!check()) return;
        realClearTimeout(timer);
        waiters.delete(attempt);
        resolve();
      };
      const timer = realSetTimeout(() => {
        waiters.delete(attempt);
        reject(new Error(`test connector: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      waiters.add(attempt);
    });

  const chatOf = (action: Json): unknown => action.chat_id ?? action.session_key;

  let closed = false;
  const connector: TestConnector = {
    url: `http://127.0.0.1:${port}`,
    links,
    seen,
    outbounds,
    httpRequests,
    upgradeAttempts,
    latest: () => {
      const link = links.at(-1);
      if (!link) throw new Error('test connector: no link yet');
      return link;
    },
    outboundsTo: (chatId) => outbounds.filter((o) => chatOf(o.action) === chatId),
    setAnswer(next) {
      answer = next;
    },
    waitUntil,
    async waitForOutbound(predicate, what = 'a matching outbound', timeoutMs) {
      let found: Outbound | undefined;
      await waitUntil(() => (found = outbounds.find(predicate)) !== undefined, what, timeoutMs);
      return found as Outbound;
    },
    async waitForFrame(predicate, what = 'a matching frame', timeoutMs) {
      let found: Seen | undefined;
      await waitUntil(() => (found = seen.find(predicate)) !== undefined, what, timeoutMs);
      return found as Seen;
    },
    async waitForHandshake(n, timeoutMs) {
      await waitUntil(() => links.filter((l) => l.handshaken).length >= n, `handshake #${n}`, timeoutMs);
      return links.filter((l) => l.handshaken)[n - 1] as Link;
    },
    async flush(gw) {
      const content = `marker-${++markers}`;
      void gw.send('marker-chat', content);
      const marker = await connector.waitForOutbound((o) => o.action.content === content, `marker ${content}`);
      return outbounds.indexOf(marker);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) realClearTimeout(timer);
      timers.clear();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  disposers.push(() => connector.close());
  return connector;
}

// ------------------------------------------------------------------ inbound frames

/** What {@link inbound} puts in an event besides chat and text. */
export interface InboundExtra {
  readonly platform?: string;
  readonly chatType?: string;
  readonly userId?: string;
  readonly scopeId?: string;
  readonly threadId?: string;
  readonly messageId?: string;
  readonly bufferId?: string;
  readonly messageType?: string;
  readonly promptResponse?: Json;
}

/** A wire `inbound` frame for `chat`. */
export function inbound(chat: string, text: string, extra: InboundExtra = {}): Json {
  return {
    type: 'inbound',
    event: {
      text,
      message_type: extra.messageType ?? 'text',
      ...(extra.messageId ? { message_id: extra.messageId } : {}),
      source: {
        platform: extra.platform ?? 'telegram',
        chat_id: chat,
        chat_type: extra.chatType ?? 'dm',
        user_id: extra.userId ?? `u-${chat}`,
        ...(extra.scopeId ? { scope_id: extra.scopeId } : {}),
        ...(extra.threadId ? { thread_id: extra.threadId } : {}),
      },
      ...(extra.promptResponse ? { prompt_response: extra.promptResponse } : {}),
    },
    ...(extra.bufferId ? { bufferId: extra.bufferId } : {}),
  };
}

/** A press on a prompt button, as a connector forwards it (an `inbound` with `prompt_response`). */
export function press(chat: string, promptId: string, optionId: string, extra: Omit<InboundExtra, 'promptResponse'> & { label?: string } = {}): Json {
  const { label, ...rest } = extra;
  return inbound(chat, `/${optionId}`, {
    messageType: 'command',
    ...rest,
    promptResponse: { prompt_id: promptId, option_id: optionId, ...(label !== undefined ? { label } : {}) },
  });
}

/** A `passthrough_forward` of a Discord interaction body (base §10). */
export function discordForward(body: Json, bufferId?: string): Json {
  return {
    type: 'passthrough_forward',
    forward: {
      platform: 'discord',
      botId: '',
      method: 'POST',
      path: '/interactions',
      headers: [['content-type', 'application/json']],
      bodyB64: Buffer.from(JSON.stringify(body), 'utf8').toString('base64'),
    },
    ...(bufferId ? { bufferId } : {}),
  };
}

// ------------------------------------------------------------------ gateways

/** A gateway against `connector` (not started) that stops itself after the test. */
export function useGateway(connector: TestConnector, options: Partial<RelayGatewayOptions> = {}): RelayGateway {
  const gw = createRelayGateway({
    // No `random` override: the gateway mints prompt ids from it too (a constant one makes every
    // prompt id the same).
    url: connector.url,
    ...options,
    // A short stop timeout keeps teardown quick when a test's connector never acks going_idle.
    timeouts: { stopGoIdleMs: 500, ...options.timeouts },
  });
  // A budget <= 3.5 s has no drain grace: a request a test left unanswered fails at once.
  disposers.push(() => gw.stop({ budgetS: 2 }));
  return gw;
}

/** Start a gateway against `connector` and wait until it serves. */
export async function startGateway(connector: TestConnector, options: Partial<RelayGatewayOptions> = {}): Promise<RelayGateway> {
  const gw = useGateway(connector, options);
  await gw.start();
  return gw;
}

/** Resolves at the next entry into `state` (at once when the gateway is in it already). */
export function waitForState(gw: RelayGateway, state: string, timeoutMs = 10_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (gw.state === state) {
      resolve();
      return;
    }
    const stopListening = gw.onStateChange((next) => {
      if (next !== state) return;
      stopListening();
      realClearTimeout(timer);
      resolve();
    });
    const timer = realSetTimeout(() => {
      stopListening();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for state ${state} (now ${gw.state})`));
    }, timeoutMs);
  });
}

/**
 * Whether `promise` has settled by the end of the current turn of the event loop (after its pending
 * I/O callbacks): `{ value }` when it has, `'pending'` when not. Not a sleep: it asks "already?".
 */
export function settledNow<T>(promise: Promise<T>): Promise<{ value: T } | 'pending'> {
  return Promise.race([promise.then((value) => ({ value })), new Promise<'pending'>((resolve) => realSetImmediate(() => resolve('pending')))]);
}

/** A clock that starts at the real time and can be moved forward (for token `exp` and prompt expiry). */
export function movableClock(): { now: () => number; advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

// ------------------------------------------------------------------ logging

/** One captured log line. */
export interface LogLine {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields | undefined;
}

/** A logger that keeps every line. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void =>
      void lines.push({ level, message, fields });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

// ------------------------------------------------------------------ files

/** A fresh temporary directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'later-ops-'));
  disposers.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A promise with its resolve function. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
