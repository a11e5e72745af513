/**
 * A connector written for the tests, independent of the library's dev connector: a plain `ws`
 * server on 127.0.0.1:0 that speaks the wire contract with hand-written JSON lines. Tests script it
 * the way an independent or hostile connector behaves (answer late, flood, replay, drop mid-way).
 * Closed after each test.
 */
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { conditionWaiters } from './condition-waiters.js';

type Json = Record<string, unknown>;

/** One frame the gateway sent, with when it arrived. */
export interface SeenFrame {
  readonly link: number;
  readonly at: number;
  readonly frame: Json;
}

/** One connection from the gateway. */
export interface PlainLink {
  readonly id: number;
  readonly socket: WebSocket;
  /** Frames received on this link, in order. */
  readonly frames: Json[];
  handshaken: boolean;
  closed: boolean;
  /** WebSocket pings received (answered when `autoPong`). */
  pings: number;
  /** Send frames, each as its own WebSocket message. */
  send(...frames: Json[]): void;
  /** Send frames as lines of one WebSocket message. */
  sendBatch(frames: readonly Json[]): void;
}

/** How the connector answers an `outbound`: a result after a delay, or never. */
export type OutboundAnswer = { readonly result: Json; readonly delayMs?: number } | 'never';

/** Options of {@link usePlainConnector}. */
export interface PlainConnectorOptions {
  /** Answer `hello` with a descriptor at once. @default true */
  readonly autoDescriptor?: boolean;
  /** Answer `going_idle` with `going_idle_ack` at once. @default true */
  readonly autoIdleAck?: boolean;
  /** Answer WebSocket pings. @default true */
  readonly autoPong?: boolean;
  /** How outbound requests are answered. @default success with a message id, at once */
  readonly answer?: (action: Json, requestId: string) => OutboundAnswer;
  /**
   * Replay every buffered frame twice after a handshake (overlapping replays). Only matters with
   * {@link PlainConnector.push}. @default false
   */
  readonly duplicateReplays?: boolean;
}

/** A frame the plain connector holds for the gateway until it is acked. */
export interface HeldFrame {
  readonly bufferId: string;
  readonly frame: Json;
}

/** A running plain connector. */
export interface PlainConnector {
  /** Base URL for the gateway (it appends `/relay`). */
  readonly url: string;
  readonly links: PlainLink[];
  /** Every frame from the gateway, over all links, in order. */
  readonly seen: SeenFrame[];
  /** Handshakes completed so far. */
  readonly handshakes: number;
  /**
   * Deliver frames like a connector with a durable buffer: live, `linesPerMessage` lines per
   * WebSocket message, to a handshaken link that has not gone idle; otherwise held with a
   * `bufferId`, replayed (same batching) after each handshake and dropped from the buffer only on
   * `inbound_ack`. Returns the buffer ids given (empty when delivered live).
   */
  push(frames: readonly Json[], linesPerMessage?: number): string[];
  /** Frames held and not yet acked, oldest first. */
  held(): readonly HeldFrame[];
  /**
   * Answer a `going_idle` by hand (with `autoIdleAck: false`, to answer late): send the ack on the
   * link and buffer for it from now on, as an ack promises.
   */
  ackGoingIdle(link: PlainLink): void;
  /** The newest link. */
  latest(): PlainLink;
  /** Resolves once `predicate` holds for some frame seen (past or future). */
  waitForFrame(predicate: (seen: SeenFrame) => boolean, timeoutMs?: number): Promise<SeenFrame>;
  /** Resolves once `n` handshakes have completed. */
  waitForHandshake(n: number, timeoutMs?: number): Promise<PlainLink>;
  /** Resolves once `check` returns true, re-checked on every frame and link change. */
  waitUntil(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The descriptor the plain connector sends (a minimal valid one). */
export const PLAIN_DESCRIPTOR: Json = {
  contract_version: 1,
  platform: 'telegram',
  label: 'Plain test connector',
  max_message_length: 4096,
  supports_draft_streaming: false,
  supports_edit: true,
  supports_threads: false,
  markdown_dialect: 'plain',
  len_unit: 'utf16',
};

const line = (frame: Json): string => `${JSON.stringify(frame)}\n`;

const connectors: PlainConnector[] = [];
afterEach(async () => {
  for (const connector of connectors.splice(0)) await connector.close();
});

/** Start a plain connector that closes itself after the test. */
export async function usePlainConnector(options: PlainConnectorOptions = {}): Promise<PlainConnector> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/relay', autoPong: options.autoPong ?? true });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const links: PlainLink[] = [];
  const seen: SeenFrame[] = [];
  const buffer = new Map<string, HeldFrame>();
  const idleLinks = new Set<number>();
  let bufferCounter = 0;
  let replayBatch = 1;
  const sendLines = (link: PlainLink, frames: readonly Json[], perMessage: number): void => {
    for (let i = 0; i < frames.length; i += perMessage) link.sendBatch(frames.slice(i, i + perMessage));
  };
  const replay = (link: PlainLink): void => {
    const frames = [...buffer.values()].map((held) => ({ ...held.frame, bufferId: held.bufferId }));
    sendLines(link, frames, replayBatch);
    if (options.duplicateReplays) sendLines(link, frames, replayBatch);
  };
  const timers = new Set<NodeJS.Timeout>();
  const waits = conditionWaiters();
  let handshakes = 0;
  const notify = waits.notify;
  const answer = options.answer ?? ((_action: Json, requestId: string): OutboundAnswer => ({ result: { success: true, message_id: `m-${requestId}` } }));

  server.on('connection', (socket) => {
    let partial = '';
    const link: PlainLink = {
      id: links.length + 1,
      socket,
      frames: [],
      handshaken: false,
      closed: false,
      pings: 0,
      send: (...frames) => {
        for (const frame of frames) if (socket.readyState === WebSocket.OPEN) socket.send(line(frame));
      },
      sendBatch: (frames) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(frames.map(line).join(''));
      },
    };
    links.push(link);
    const onFrame = (frame: Json): void => {
      link.frames.push(frame);
      seen.push({ link: link.id, at: performance.now(), frame });
      if (frame.type === 'hello' && (options.autoDescriptor ?? true) && !link.handshaken) {
        link.send({ type: 'descriptor', descriptor: PLAIN_DESCRIPTOR });
        link.handshaken = true;
        handshakes++;
        replay(link);
      } else if (frame.type === 'going_idle' && (options.autoIdleAck ?? true)) {
        link.send({ type: 'going_idle_ack' });
        idleLinks.add(link.id);
      } else if (frame.type === 'inbound_ack') {
        buffer.delete(String(frame.bufferId));
      } else if (frame.type === 'outbound') {
        const requestId = String(frame.requestId);
        const reply = answer(frame.action as Json, requestId);
        if (reply !== 'never') {
          const respond = (): void => link.send({ type: 'outbound_result', requestId, result: reply.result });
          if (!reply.delayMs) respond();
          else {
            const timer = setTimeout(() => {
              timers.delete(timer);
              respond();
            }, reply.delayMs);
            timers.add(timer);
          }
        }
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
    socket.on('ping', () => {
      link.pings++;
      notify();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      link.closed = true;
      notify();
    });
    notify();
  });

  const waitUntil = (check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> =>
    waits.waitUntil(check, timeoutMs, () => new Error(`plain connector: timed out after ${timeoutMs} ms waiting for ${what}`));

  const port = (server.address() as AddressInfo).port;
  const connector: PlainConnector = {
    url: `http://127.0.0.1:${port}`,
    links,
    seen,
    get handshakes() {
      return handshakes;
    },
    push(frames, linesPerMessage = 1) {
      replayBatch = linesPerMessage;
      const live = links.findLast((l) => l.handshaken && !l.closed && l.socket.readyState === WebSocket.OPEN && !idleLinks.has(l.id));
      if (live) {
        sendLines(live, frames, linesPerMessage);
        return [];
      }
      return frames.map((frame) => {
        const bufferId = `held-${++bufferCounter}`;
        buffer.set(bufferId, { bufferId, frame });
        return bufferId;
      });
    },
    held: () => [...buffer.values()],
    ackGoingIdle: (link) => {
      link.send({ type: 'going_idle_ack' });
      idleLinks.add(link.id);
    },
    latest: () => {
      const link = links.at(-1);
      if (!link) throw new Error('plain connector: no link yet');
      return link;
    },
    async waitForFrame(predicate, timeoutMs) {
      // Scan only what arrived since the last check: tests wait on this while thousands of frames flow.
      let scanned = 0;
      let found: SeenFrame | undefined;
      await waitUntil(
        () => {
          for (; scanned < seen.length && !found; scanned++) if (predicate(seen[scanned] as SeenFrame)) found = seen[scanned];
          return found !== undefined;
        },
        'a matching frame',
        timeoutMs,
      );
      return found as SeenFrame;
    },
    async waitForHandshake(n, timeoutMs) {
      await waitUntil(() => handshakes >= n, `handshake #${n}`, timeoutMs);
      return links.filter((l) => l.handshaken)[n - 1] as PlainLink;
    },
    waitUntil,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  connectors.push(connector);
  return connector;
}

/** A wire `inbound` frame for a direct message in `chat`, optionally with a message id and buffer id. */
export function inboundFrame(chat: string, text: string, extra: { messageId?: string; bufferId?: string; platform?: string } = {}): Json {
  return {
    type: 'inbound',
    event: {
      text,
      message_type: 'text',
      ...(extra.messageId ? { message_id: extra.messageId } : {}),
      source: { platform: extra.platform ?? 'telegram', chat_id: chat, chat_type: 'dm', user_id: `u-${chat}` },
    },
    ...(extra.bufferId ? { bufferId: extra.bufferId } : {}),
  };
}

/** Buffer ids the gateway acked on link `link`, in order. */
export function acksOn(connector: PlainConnector, link: number): string[] {
  return connector.seen.filter((s) => s.link === link && s.frame.type === 'inbound_ack').map((s) => String(s.frame.bufferId));
}

/** A promise with its resolve function, for gating handlers in tests. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
