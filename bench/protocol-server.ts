/**
 * A minimal, fast connector for benchmarks: answers each `hello` with a descriptor for its platform, answers every
 * `outbound` and `going_idle` at once, and can blast prepared inbound frames at every handshaken link. Raw clients
 * and relay-gateway talk to the same server, so the only difference measured is the client side.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { descriptorFromPlatformEntry } from '../src/protocol/descriptor.js';
import { encodeFrame } from '../src/codec/frame-encoder.js';
import { inboundEventToWire } from '../src/protocol/inbound-event.js';
import { lineSplitter } from './line-splitter.js';

/** A running benchmark server. */
export interface BenchServer {
  /** Base URL (`http://127.0.0.1:PORT`); clients dial `<url>/relay`. */
  readonly url: string;
  readonly port: number;
  /** Links that completed the hello/descriptor exchange. */
  readonly ready: ReadonlySet<WebSocket>;
  /** Called with the time of each new connection (for the herd histogram). */
  onConnection: ((at: number) => void) | undefined;
  /** Send `count` inbound frames to one link, in chunks so the event loop keeps breathing. */
  blast(link: WebSocket, count: number): Promise<void>;
  /** Resolves when `n` links have handshaken. */
  waitForReady(n: number): Promise<void>;
  /** Close every link without stopping the server. */
  dropAll(code?: number): void;
  close(): Promise<void>;
}

/** The descriptor line for a hello's platform (one per identity of a gateway), made once per platform. */
const descriptorLines = new Map<string, string>();
function descriptorLine(platform: string): string {
  let line = descriptorLines.get(platform);
  if (line === undefined) {
    line = encodeFrame({ type: 'descriptor', descriptor: descriptorFromPlatformEntry({ name: platform, label: platform, max_message_length: 4096 }) });
    descriptorLines.set(platform, line);
  }
  return line;
}

const GOING_IDLE_ACK_LINE = encodeFrame({ type: 'going_idle_ack' });

const MESSAGE_ID_SLOT = '@@ID@@';

/**
 * ~400-byte inbound frames over 50 chats, split once around their message id so every frame sent
 * carries a fresh id (the gateway de-duplicates repeated ids) at the cost of one string concat.
 */
export function inboundTemplates(count: number): Array<readonly [string, string]> {
  const templates: Array<readonly [string, string]> = [];
  const text = 'benchmark message body '.repeat(8).slice(0, 180);
  for (let i = 0; i < count; i++) {
    const line = encodeFrame({
      type: 'inbound',
      event: inboundEventToWire({
        text: `${i} ${text}`,
        message_id: MESSAGE_ID_SLOT,
        source: { platform: 'telegram', chat_id: `chat-${i % 50}`, chat_type: 'group', user_id: `user-${i % 7}`, user_name: 'Bench User', chat_name: 'Bench chat' },
      }),
    });
    const [before, after] = line.split(MESSAGE_ID_SLOT);
    templates.push([before!, after!]);
  }
  return templates;
}

/** Start the server on 127.0.0.1 (`port` 0 = any). */
export async function startBenchServer(port = 0): Promise<BenchServer> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http, path: '/relay', maxPayload: 64 * 1024 * 1024 });
  const ready = new Set<WebSocket>();
  const readyWaiters: Array<{ n: number; resolve: () => void }> = [];
  const templates = inboundTemplates(1000);
  let messageId = 0;
  let inboundId = 0;

  const server: BenchServer = {
    url: '',
    port: 0,
    ready,
    onConnection: undefined,
    async blast(link, count) {
      for (let sent = 0; sent < count; ) {
        const chunk = Math.min(2000, count - sent);
        for (let i = 0; i < chunk; i++) {
          const [before, after] = templates[(sent + i) % templates.length]!;
          link.send(`${before}m${++inboundId}${after}`);
        }
        sent += chunk;
        // Let the socket drain instead of queueing 80 MB in userland.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
    waitForReady: (n) => (ready.size >= n ? Promise.resolve() : new Promise((resolve) => readyWaiters.push({ n, resolve }))),
    dropAll(code = 1012) {
      for (const client of wss.clients) client.close(code, 'bench restart');
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };

  wss.on('connection', (socket) => {
    server.onConnection?.(performance.now());
    socket.on(
      'message',
      lineSplitter((line) => {
        const frame = JSON.parse(line) as { type: string; requestId?: string; platform?: string };
        if (frame.type === 'hello') {
          socket.send(descriptorLine(frame.platform ?? 'telegram'));
          ready.add(socket);
          for (const waiter of readyWaiters.filter((w) => ready.size >= w.n)) {
            readyWaiters.splice(readyWaiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        } else if (frame.type === 'going_idle') {
          // Acknowledge at once, as a real connector does, so stop() does not wait out its timeout.
          socket.send(GOING_IDLE_ACK_LINE);
        } else if (frame.type === 'outbound') {
          socket.send(encodeFrame({ type: 'outbound_result', requestId: frame.requestId, result: { success: true, message_id: `m${++messageId}` } }));
        }
      }),
    );
    socket.on('close', () => ready.delete(socket));
  });
  // A deep accept queue: with Node's default (511) a herd of 1000 overflows it and the kernel's 1 s
  // SYN retransmit, not the gateways' backoff, shapes the arrivals.
  await new Promise<void>((resolve) => http.listen({ port, host: '127.0.0.1', backlog: 4096 }, resolve));
  const actual = (http.address() as AddressInfo).port;
  Object.assign(server, { url: `http://127.0.0.1:${actual}`, port: actual });
  return server;
}
