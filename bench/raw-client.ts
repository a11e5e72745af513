/**
 * The baseline: a bare `ws` client doing only what the protocol needs (split lines, JSON.parse,
 * dispatch by type, correlate results by requestId). This is the physical limit of the stack.
 */
import WebSocket from 'ws';
import { lineSplitter } from './line-splitter.js';

/** A raw protocol client. */
export interface RawClient {
  /** Called for each inbound frame. */
  onInbound: (() => void) | undefined;
  /** Send an outbound `send` and resolve with its result. */
  request(chatId: string, content: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Connect, say hello, wait for the descriptor. */
export function connectRawClient(baseUrl: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${baseUrl.replace(/^http/u, 'ws')}/relay`);
    const pending = new Map<string, (result: unknown) => void>();
    let nextId = 0;
    const client: RawClient = {
      onInbound: undefined,
      request: (chatId, content) =>
        new Promise((settle) => {
          const requestId = `r${++nextId}`;
          pending.set(requestId, settle);
          socket.send(`${JSON.stringify({ type: 'outbound', requestId, action: { op: 'send', chat_id: chatId, content, reply_to: null, metadata: {} } })}\n`);
        }),
      close: () =>
        new Promise((done) => {
          if (socket.readyState === WebSocket.CLOSED) return done();
          socket.once('close', () => done());
          socket.close(1000);
        }),
    };
    socket.on('open', () => socket.send(`${JSON.stringify({ type: 'hello', platform: 'telegram', botId: 'bench' })}\n`));
    socket.on('error', reject);
    socket.on(
      'message',
      lineSplitter((line) => {
        const frame = JSON.parse(line) as { type: string; requestId?: string; result?: unknown };
        if (frame.type === 'inbound') client.onInbound?.();
        else if (frame.type === 'outbound_result') {
          const settle = pending.get(frame.requestId ?? '');
          pending.delete(frame.requestId ?? '');
          settle?.(frame.result);
        } else if (frame.type === 'descriptor') resolve(client);
      }),
    );
  });
}
