/**
 * The `ws` client actor: one instance per dial, spawned by the connection machine. It opens the
 * socket with a freshly minted token, says `hello`, decodes frames, answers the machine's liveness
 * checks with pings, and turns socket happenings into machine events. Data frames go straight to
 * the {@link LinkSink}. When the machine stops it, every listener and timer is released and the
 * socket closed; the next dial waits until this socket is fully gone, so at most one socket is ever
 * open or opening.
 * @module
 */
import WebSocket, { type ClientOptions, type RawData } from 'ws';
import { fromCallback, type CallbackLogicFunction } from 'xstate';
import { createFrameDecoder } from '../codec/frame-decoder.js';
import { encodeFrame } from '../codec/frame-encoder.js';
import { FrameTooLargeError } from '../errors.js';
import { goingIdleFrame, parseConnectorFrame, type HelloFrame } from '../protocol/frames.js';
import type { SocketCommand, SocketEvent, SocketInput } from '../../machines/connection.types.js';
import type { FrameTap } from './frame-tap.js';
import type { LinkSink, LinkWriter } from './link.js';

/** Close code for "message too big" (a partial line past the cap). */
export const CLOSE_TOO_BIG = 1009;

/** Creates the client socket; injectable for TLS options or tests. */
export type WebSocketFactory = (url: string, options: ClientOptions) => WebSocket;

/** What the socket actor needs from its owner. */
export interface SocketActorDeps {
  /** The dial URL (already normalised with `toDialUrl`). */
  readonly url: string;
  /** Headers for one dial: called once per dial so the token is fresh. */
  readonly headersForDial: () => Record<string, string>;
  /** The `hello` frames to send after the upgrade, one per identity, in order, without waiting. */
  readonly hellos: readonly HelloFrame[];
  /** Largest WebSocket message accepted (`ws` closes with 1009 above it). */
  readonly maxPayload: number;
  /** Largest partial line kept between messages. */
  readonly maxLineBytes: number;
  /** Extra `ws` client options (TLS `ca`, `rejectUnauthorized`, ...). */
  readonly socketOptions?: ClientOptions;
  /** Socket factory. @default `new WebSocket(url, options)` */
  readonly createSocket?: WebSocketFactory;
  /** Monotonic clock in ms, for inbound silence. */
  readonly now: () => number;
  /** How long a graceful close may take before the socket is destroyed. */
  readonly closeGraceMs: number;
  /** The data plane. */
  readonly sink: LinkSink;
  /** Told about each dial before it starts (metrics). */
  readonly onDial?: (input: SocketInput) => void;
  /** Frame counters, updated in place. */
  readonly counters: SocketCounters;
  /** Debugging tap (the visualizer's frames lane); skipped while nobody listens. */
  readonly tap?: FrameTap;
}

const noop = (): void => {};

function reasonText(reason: Buffer | string): string {
  return typeof reason === 'string' ? reason : reason.toString('utf8');
}

/** The socket actor of one gateway, plus a way to await its last socket's end. */
export interface SocketActor {
  /**
   * Make this gateway's sockets the ones {@link socketLogic} runs for every socket actor spawned
   * inside `system` (the connection actor's `actor.system`). Call before the actor starts.
   */
  bindTo(system: SocketActorSystem): void;
  /** Resolves once the most recent socket is fully closed (or was never opened). */
  whenClosed(): Promise<void>;
}

type SocketCallback = CallbackLogicFunction<SocketCommand, SocketEvent, SocketInput>;

/** The actor system a connection actor runs in (`actor.system`). */
export type SocketActorSystem = Parameters<SocketCallback>[0]['system'];

// Which gateway's socket code runs inside which actor system. Weak, so a gateway that is dropped
// without stop() does not pin its dependencies here.
const socketRunners = new WeakMap<SocketActorSystem, SocketCallback>();

/**
 * The `socket` actor logic for the connection machine, shared by every gateway in the process.
 * One logic (and so one provided machine) for all gateways keeps the per-gateway cost to the actor
 * itself: a machine built per gateway costs ~75 KiB of heap. The per-gateway dependencies are found
 * through the actor system, once per dial, never per frame.
 */
export const socketLogic = fromCallback<SocketCommand, SocketInput>((args) => {
  const run = socketRunners.get(args.system);
  if (!run) throw new Error('relay socket actor started in an actor system no gateway was bound to (call SocketActor.bindTo first)');
  return run(args);
});

/** Live counters the socket actor maintains (plain numbers, read by `metrics()`). */
export interface SocketCounters {
  framesIn: number;
  framesOut: number;
}

/**
 * Build the socket side of one gateway. Bind it to the connection actor's system; {@link socketLogic}
 * then runs it once per dial.
 */
export function createSocketActor(deps: SocketActorDeps): SocketActor {
  const createSocket: WebSocketFactory = deps.createSocket ?? ((url, options) => new WebSocket(url, options));
  const tap = deps.tap;
  // Resolves when the previous dial's socket is completely closed (the one-socket rule).
  let previousGone: Promise<void> = Promise.resolve();

  const run: SocketCallback = ({ input, sendBack, receive }) => {
    let disposed = false;
    let socket: WebSocket | undefined;
    let opened = false;
    let attached = false;
    let handshaken = false;
    let dialError: string | undefined;
    let tooBig = false;
    let lastInboundAt = deps.now();
    let lastCheckAt = lastInboundAt;
    let awaitingPong = false;
    let closingTimer: NodeJS.Timeout | undefined;
    let markGone: () => void = noop;
    const gone = new Promise<void>((resolve) => (markGone = resolve));
    const waitFor = previousGone;
    previousGone = gone;

    const emit = (event: SocketEvent): void => {
      if (!disposed) sendBack(event);
    };

    const writer: LinkWriter = {
      write: (line) =>
        new Promise<void>((resolve, reject) => {
          const ws = socket;
          if (!ws || ws.readyState !== WebSocket.OPEN) {
            reject(new Error('socket is not open'));
            return;
          }
          deps.counters.framesOut++;
          tap?.emit?.({ direction: 'out', kind: 'line', line });
          ws.send(line, (error) => (error ? reject(error) : resolve()));
        }),
    };

    const detach = (): void => {
      if (attached) {
        attached = false;
        deps.sink.detach();
      }
    };

    const decoder = createFrameDecoder({
      maxLineBytes: deps.maxLineBytes,
      onMalformed: (info) => deps.sink.rejected({ kind: 'malformed-line', info }),
      onFrame: (raw, size) => {
        deps.counters.framesIn++;
        const parsed = parseConnectorFrame(raw);
        if (parsed.kind === 'unknown') {
          deps.sink.rejected({ kind: 'unknown-frame', type: parsed.type });
          return;
        }
        if (parsed.kind === 'invalid') {
          if (parsed.type === 'descriptor' && !handshaken) emit({ type: 'HANDSHAKE_INVALID', error: parsed.error.message });
          deps.sink.rejected({ kind: 'invalid-frame', type: parsed.type, error: parsed.error });
          return;
        }
        const frame = parsed.frame;
        tap?.emit?.({ direction: 'in', kind: 'frame', frame, size });
        switch (frame.type) {
          case 'descriptor':
            if (handshaken) {
              // Another identity's descriptor: the data plane adds it to this link's map; the
              // handshake (and the machine) only ever waits for the first.
              deps.sink.descriptor(frame.descriptor);
              return;
            }
            handshaken = true;
            // Serving starts now: the keepalive's silence is measured from here.
            lastCheckAt = lastInboundAt;
            deps.sink.handshake(frame.descriptor);
            emit({ type: 'DESCRIPTOR', descriptor: frame.descriptor });
            return;
          case 'going_idle_ack':
            emit({ type: 'GOING_IDLE_ACK' });
            return;
          default:
            // Application data only flows after the handshake: a connector that sends it earlier
            // breaks the contract, and a buffered frame dropped here is redelivered (it is never acked).
            if (!handshaken) deps.sink.rejected({ kind: 'before-handshake', type: frame.type });
            else deps.sink.frame(frame, size);
        }
      },
    });

    const onPong = (): void => {
      tap?.emit?.({ direction: 'in', kind: 'pong' });
      proveAlive();
    };

    const proveAlive = (): void => {
      lastInboundAt = deps.now();
      if (awaitingPong) {
        awaitingPong = false;
        emit({ type: 'LINK_ALIVE', quietMs: 0 });
      }
    };

    const onOpen = (): void => {
      opened = true;
      lastInboundAt = lastCheckAt = deps.now();
      tap?.emit?.({ direction: 'in', kind: 'open' });
      // Every identity's hello, in order, at once: descriptors come back in any order.
      for (const frame of deps.hellos) {
        const hello = encodeFrame(frame);
        deps.counters.framesOut++;
        tap?.emit?.({ direction: 'out', kind: 'line', line: hello });
        socket?.send(hello);
      }
      // From here requests may be written (after the hellos, before the handshake completes).
      attached = true;
      deps.sink.attach(writer);
      emit({ type: 'SOCKET_OPEN' });
    };

    const onMessage = (data: RawData): void => {
      proveAlive();
      try {
        decoder.push(data);
      } catch (error) {
        if (error instanceof FrameTooLargeError) {
          // The peer is sending a line we refuse to buffer: close 1009 and let the machine reconnect.
          tooBig = true;
          socket?.close(CLOSE_TOO_BIG, 'frame too large');
        }
        // Anything else came from the sink, which must not throw; nothing more to do on the reader.
      }
    };

    const onClose = (code: number, reason: Buffer): void => {
      if (opened) tap?.emit?.({ direction: 'in', kind: 'close', code: tooBig ? CLOSE_TOO_BIG : code, reason: tooBig ? 'message too big' : reasonText(reason) });
      detach();
      markGone();
      if (closingTimer) clearTimeout(closingTimer);
      if (opened && tooBig) emit({ type: 'SOCKET_CLOSED', code: CLOSE_TOO_BIG, reason: 'message too big' });
      else if (opened) emit({ type: 'SOCKET_CLOSED', code, reason: reasonText(reason) });
      else emit({ type: 'DIAL_FAILED', error: dialError ?? `connection closed during the upgrade (code ${code})` });
    };

    const onError = (error: Error & { code?: string }): void => {
      // `ws` follows every error with 'close'; remember the first message for DIAL_FAILED, with its
      // errno or TLS code when the message leaves it out (TLS messages do), so it can be classified.
      // OpenSSL messages end in a newline: one line, always (it ends up in logs and state lines).
      const message = error.message.replace(/\s+/gu, ' ').trim();
      dialError ??= error.code && !message.includes(error.code) ? `${message} (${error.code})` : message;
      // ws refuses a message over maxPayload and drops the link; its close then reads 1006.
      // Report what really happened: the peer sent a message that was too big.
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') tooBig = true;
    };

    const dial = (): void => {
      if (disposed) return;
      deps.onDial?.(input);
      try {
        socket = createSocket(deps.url, {
          ...deps.socketOptions,
          headers: { ...deps.socketOptions?.headers, ...deps.headersForDial() },
          maxPayload: deps.maxPayload,
        });
      } catch (error) {
        markGone();
        emit({ type: 'DIAL_FAILED', error: error instanceof Error ? error.message : String(error) });
        return;
      }
      socket.on('open', onOpen);
      socket.on('message', onMessage);
      socket.on('pong', onPong);
      socket.on('close', onClose);
      socket.on('error', onError);
    };

    void waitFor.then(dial);

    receive((command) => {
      const ws = socket;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      if (command.type === 'SEND_GOING_IDLE') {
        deps.counters.framesOut++;
        const line = encodeFrame(goingIdleFrame());
        tap?.emit?.({ direction: 'out', kind: 'line', line });
        ws.send(line);
        return;
      }
      // CHECK_LIVENESS: traffic since the last check proves the link; otherwise ping and wait.
      const now = deps.now();
      if (lastInboundAt > lastCheckAt) {
        emit({ type: 'LINK_ALIVE', quietMs: now - lastInboundAt });
      } else {
        awaitingPong = true;
        tap?.emit?.({ direction: 'out', kind: 'ping' });
        ws.ping();
      }
      lastCheckAt = now;
    });

    return () => {
      disposed = true;
      detach();
      const ws = socket;
      if (!ws) {
        // Not dialled yet: it was still waiting for the socket before it to be gone. This one is
        // "gone" only once that one is, or the dial after it would open beside a socket still open.
        void waitFor.then(markGone);
        return;
      }
      ws.off('open', onOpen);
      ws.off('message', onMessage);
      ws.off('pong', onPong);
      ws.off('error', onError);
      // A late error from a socket we are discarding must not crash the process.
      ws.on('error', noop);
      if (ws.readyState === WebSocket.CLOSED) {
        ws.off('close', onClose);
        markGone();
        return;
      }
      if (ws.readyState === WebSocket.OPEN) {
        ws.close(1000, 'gateway closing');
        closingTimer = setTimeout(() => ws.terminate(), deps.closeGraceMs);
        closingTimer.unref();
      } else {
        ws.terminate();
      }
    };
  };

  return {
    bindTo: (system) => void socketRunners.set(system, run),
    whenClosed: () => previousGone,
  };
}
