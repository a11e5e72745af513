/**
 * A bare gateway for dev connector tests: a real `ws` client on 127.0.0.1 that writes the frames a
 * test gives it and collects every frame the connector sends, so the connector side of the
 * protocol can be checked frame by frame without the gateway's own logic in between. Every client
 * is closed after its test.
 */
import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { createFrameDecoder } from '../../src/codec/frame-decoder.js';
import { encodeFrame } from '../../src/codec/frame-encoder.js';

const sockets: WebSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
});

/** A connected raw client. */
export interface RawGateway {
  readonly socket: WebSocket;
  /** Every frame received, in order. */
  readonly frames: Array<Record<string, unknown>>;
  /** Write one frame. */
  send(frame: Record<string, unknown>): void;
  /** Resolves with the `n`-th (1-based) received frame matching `predicate`, past or future. */
  waitFor(predicate: (frame: Record<string, unknown>) => boolean, n?: number, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the close code once the connector closed the socket. */
  readonly closed: Promise<number>;
}

/** Connect to `baseUrl` + `/relay`, optionally with upgrade headers. */
export async function connectRaw(baseUrl: string, headers: Record<string, string> = {}): Promise<RawGateway> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/u, 'ws')}/relay`, { headers });
  sockets.push(socket);
  const frames: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  const decoder = createFrameDecoder({
    onFrame: (frame) => {
      frames.push(frame);
      for (const waiter of [...waiters]) waiter();
    },
    onMalformed: () => undefined,
  });
  socket.on('message', (data) => decoder.push(data));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    frames,
    closed,
    send: (frame) => socket.send(encodeFrame(frame)),
    waitFor: (predicate, n = 1, timeoutMs = 3000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = frames.filter(predicate)[n - 1];
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`raw gateway: timed out waiting for frame #${n} (have: ${frames.map((f) => String(f.type)).join(', ')})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

/** Frames of a given `type`. */
export const ofType =
  (type: string) =>
  (frame: Record<string, unknown>): boolean =>
    frame.type === type;

/** The `outbound_result` of request `requestId`. */
export const resultOf =
  (requestId: string) =>
  (frame: Record<string, unknown>): boolean =>
    frame.type === 'outbound_result' && frame.requestId === requestId;
