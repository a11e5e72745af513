/**
 * A TCP proxy for the tests, between a gateway and its connector on 127.0.0.1, with network faults
 * that can be switched on and off at any time: latency and jitter, a bandwidth limit, fragmentation
 * into 1-byte writes, resets, half-open directions, slow closes and a stall in the middle of the
 * HTTP upgrade. Directions are named from the gateway: `up` is gateway -> connector, `down` is
 * connector -> gateway.
 *
 * What each fault does, exactly:
 * - **latency / jitter** (per direction): every chunk read is forwarded `latencyMs ± jitterMs` later
 *   (jitter drawn from the injected, seeded random source). A chunk is never forwarded before the one
 *   read before it, so bytes keep their order whatever the jitter.
 * - **bandwidth** (per direction, bytes/s): a token bucket; a chunk is cut into the pieces the bucket
 *   allows (at most one second's worth at once), so a direction never forwards more than about
 *   `bytesPerSecond` per second.
 * - **fragment** (per direction): one byte per write, one write per turn of the event loop, with
 *   Nagle off, so the peer sees the stream in tiny TCP segments.
 * - **halfOpen** (per direction): the direction stops forwarding without closing anything. Bytes
 *   read meanwhile are **held** (queued, in order), never dropped, and so is a FIN or a reset that
 *   arrives behind them: the peer sees nothing at all, as behind a black-holed path. Clearing the
 *   fault forwards what was held, in order (to a peer that is still there; bytes for a socket that
 *   has closed are discarded, as the kernel would). So a half-open connection stays open at the proxy
 *   until the fault clears.
 * - **slowCloseMs**: a FIN or reset read from one side is forwarded that much later than its turn.
 * - **stallUpgrade** (`request` or `response`): on a connection whose upgrade is in flight, only the
 *   first {@link STALL_GATE_BYTES} bytes of that direction pass; the rest is held until the fault
 *   clears. Connections past their upgrade are not affected.
 * - **reset**: while on, every connection is reset (RST to both ends, `socket.resetAndDestroy()`)
 *   at once and on accept; {@link FaultProxy.resetAll} does it once.
 *
 * The proxy closes itself after the test (see {@link FaultProxyOptions.onTestFinished}); closing
 * destroys every socket and clears every timer.
 * @module
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import { conditionWaiters } from './condition-waiters.js';

/** A direction through the proxy: `up` = gateway -> connector, `down` = connector -> gateway. */
export type Direction = 'up' | 'down';

/** Faults of one direction. */
export interface DirectionFaults {
  /** Fixed delay added to every chunk, ms. */
  readonly latencyMs: number;
  /** Uniform ± spread around the latency, ms (never below zero in total). */
  readonly jitterMs: number;
  /** Most bytes forwarded per second; 0 = unlimited. */
  readonly bytesPerSecond: number;
  /** Forward one byte per write. */
  readonly fragment: boolean;
  /** Forward nothing (data, FIN and reset are held until cleared). */
  readonly halfOpen: boolean;
}

/** Which half of the upgrade a stall cuts: the gateway's request or the connector's response. */
export type UpgradeStall = 'request' | 'response';

/** Every fault of the proxy at one moment. */
export interface ProxyFaults {
  readonly up: DirectionFaults;
  readonly down: DirectionFaults;
  /** Reset every connection, current and new, while on. */
  readonly reset: boolean;
  /** Delay of a FIN or reset behind its turn, ms. */
  readonly slowCloseMs: number;
  /** Hold upgrades in flight after their first bytes. */
  readonly stallUpgrade: UpgradeStall | null;
}

/** A change of faults: directions by name or `both`, the rest as in {@link ProxyFaults}. */
export interface FaultPatch {
  readonly up?: Partial<DirectionFaults>;
  readonly down?: Partial<DirectionFaults>;
  readonly both?: Partial<DirectionFaults>;
  readonly reset?: boolean;
  readonly slowCloseMs?: number;
  readonly stallUpgrade?: UpgradeStall | null;
}

/** Byte counters of one direction. */
export interface DirectionCounters {
  /** Bytes read from the sending side. */
  received: number;
  /** Bytes written to the receiving side. */
  forwarded: number;
  /** Writes made to the receiving side (a 1-byte fragmentation makes one per byte). */
  writes: number;
}

/** What the proxy has done so far. */
export interface ProxyCounters {
  /** Connections accepted. */
  accepted: number;
  /** Connections with at least one side still open. */
  open: number;
  /** Connections reset by the reset fault. */
  resets: number;
  readonly up: DirectionCounters;
  readonly down: DirectionCounters;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Where connections go (the connector). */
  readonly target: { readonly host: string; readonly port: number };
  /** Random source in [0, 1) for jitter. @default a generator seeded with `seed` */
  readonly random?: () => number;
  /** Seed of the default random source. @default 1 */
  readonly seed?: number;
  /** Faults from the start. @default none */
  readonly faults?: FaultPatch;
  /**
   * Registers the proxy's close: pass a concurrent test's `onTestFinished` (the context's), so the
   * proxy closes when that test ends. @default closed after each test (a module-level `afterEach`)
   */
  readonly onTestFinished?: (close: () => Promise<void>) => void;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** Base URL for the gateway (`http://127.0.0.1:PORT`, as a connector's). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The faults in effect now. */
  readonly faults: ProxyFaults;
  /** Change faults (takes effect at once, on open connections too). */
  configure(patch: FaultPatch): void;
  /** Every fault off (what was held is forwarded). */
  clear(): void;
  /** Reset every open connection now (RST to both ends). Returns how many. */
  resetAll(): number;
  /** Live counters. */
  readonly counters: Readonly<ProxyCounters>;
  /** Resolves once `check` holds, re-checked on every accept, close and forwarded chunk. */
  waitUntil(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Resolves once `n` connections have been accepted in total. */
  waitForAccepted(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once `n` bytes in total have been forwarded in `direction`. */
  waitForForwarded(direction: Direction, n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once exactly `n` connections are open. */
  waitForOpen(n: number, timeoutMs?: number): Promise<void>;
  /** Close the listener and every connection, clear every timer. Idempotent. */
  close(): Promise<void>;
}

/** Bytes of an upgrade in flight that pass before a stall holds the rest (less than any request or response head). */
export const STALL_GATE_BYTES = 20;

/** No fault on a direction. */
export const NO_DIRECTION_FAULTS: DirectionFaults = Object.freeze({ latencyMs: 0, jitterMs: 0, bytesPerSecond: 0, fragment: false, halfOpen: false });

/** A small seeded generator (mulberry32) in [0, 1): jitter is reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Item = { kind: 'data'; data: Buffer; at: number } | { kind: 'end' | 'reset'; at: number };

const proxies = new Set<FaultProxy>();
afterEach(async () => {
  for (const proxy of [...proxies]) await proxy.close();
});

function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    // Not a connected TCP socket any more (closing already): destroying it is all that is left.
    socket.destroy();
  }
}

/** Start a fault proxy on 127.0.0.1:0 in front of `target`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const random = options.random ?? seededRandom(options.seed ?? 1);
  let faults: ProxyFaults = { up: NO_DIRECTION_FAULTS, down: NO_DIRECTION_FAULTS, reset: false, slowCloseMs: 0, stallUpgrade: null };
  const counters: ProxyCounters = {
    accepted: 0,
    open: 0,
    resets: 0,
    up: { received: 0, forwarded: 0, writes: 0 },
    down: { received: 0, forwarded: 0, writes: 0 },
  };
  // Waits re-checked on every change; cancelled when the proxy closes.
  const waits = conditionWaiters();
  const notify = waits.notify;
  const connections = new Set<Connection>();
  let closed = false;
  // Closed and every connection gone: nothing will change any more, so nothing is worth waiting for.

  /** One direction of one connection: a queue of chunks and closes, forwarded as the faults allow. */
  class Pipe {
    private readonly queue: Item[] = [];
    private lastAt = 0;
    private timer: NodeJS.Timeout | undefined;
    private immediate: NodeJS.Immediate | undefined;
    private waitingDrain = false;
    private tokens = 0;
    private refilledAt = performance.now();
    /** Bytes forwarded on this pipe (the stall gate is measured against it). */
    private offset = 0;
    /** A stall cut this pipe at the gate: it waits there until the stall clears. */
    private heldAtGate = false;
    private done = false;

    constructor(
      private readonly direction: Direction,
      private readonly destination: Socket,
    ) {}

    private faults(): DirectionFaults {
      return faults[this.direction];
    }

    data(chunk: Buffer): void {
      counters[this.direction].received += chunk.length;
      notify();
      if (this.done) return;
      const { latencyMs, jitterMs } = this.faults();
      const delay = Math.max(0, latencyMs + jitterMs * (2 * random() - 1));
      // Never before the chunk read before it: jitter reorders nothing.
      this.lastAt = Math.max(this.lastAt, performance.now() + delay);
      this.queue.push({ kind: 'data', data: chunk, at: this.lastAt });
      this.pump();
    }

    close(kind: 'end' | 'reset'): void {
      if (this.done || this.queue.some((item) => item.kind !== 'data')) return;
      this.lastAt = Math.max(this.lastAt, performance.now() + this.faults().latencyMs) + faults.slowCloseMs;
      this.queue.push({ kind, at: this.lastAt });
      this.pump();
    }

    /** The destination is gone: nothing more can reach it. */
    discard(): void {
      this.done = true;
      this.queue.length = 0;
      this.dispose();
    }

    dispose(): void {
      clearTimeout(this.timer);
      if (this.immediate) clearImmediate(this.immediate);
      this.timer = undefined;
      this.immediate = undefined;
    }

    pump(): void {
      if (this.done || closed) return;
      this.dispose();
      while (this.queue.length > 0) {
        const current = this.faults();
        // Half-open: hold everything, closes included.
        if (current.halfOpen || this.waitingDrain) return;
        const head = this.queue[0]!;
        const now = performance.now();
        if (head.at > now) {
          this.timer = setTimeout(() => this.pump(), Math.ceil(head.at - now));
          return;
        }
        if (head.kind !== 'data') {
          this.queue.shift();
          this.done = true;
          if (head.kind === 'reset') resetSocket(this.destination);
          else if (!this.destination.destroyed) this.destination.end();
          return;
        }
        if (this.destination.destroyed) {
          this.discard();
          return;
        }
        let allowed = head.data.length;
        const stall = faults.stallUpgrade;
        if ((stall === 'request' && this.direction === 'up') || (stall === 'response' && this.direction === 'down')) {
          if (this.offset < STALL_GATE_BYTES) {
            allowed = Math.min(allowed, STALL_GATE_BYTES - this.offset);
            this.heldAtGate = this.offset + allowed === STALL_GATE_BYTES;
          } else if (this.heldAtGate) return; // held mid-upgrade until the stall clears
        }
        if (current.fragment) allowed = 1;
        if (current.bytesPerSecond > 0) {
          // Refill, at most one second's worth: a long quiet spell buys no burst above the rate.
          this.tokens = Math.min(current.bytesPerSecond, this.tokens + ((now - this.refilledAt) / 1000) * current.bytesPerSecond);
          this.refilledAt = now;
          if (this.tokens < 1) {
            this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(((1 - this.tokens) / current.bytesPerSecond) * 1000)));
            return;
          }
          allowed = Math.min(allowed, Math.floor(this.tokens));
          this.tokens -= allowed;
        }
        const piece = head.data.subarray(0, allowed);
        if (allowed === head.data.length) this.queue.shift();
        else this.queue[0] = { kind: 'data', data: head.data.subarray(allowed), at: head.at };
        this.offset += allowed;
        // Past the gate: the upgrade got through, a later stall no longer concerns this pipe.
        if (this.offset > STALL_GATE_BYTES) this.heldAtGate = false;
        const count = counters[this.direction];
        count.forwarded += allowed;
        count.writes++;
        const flushed = this.destination.write(piece);
        notify();
        if (!flushed) {
          this.waitingDrain = true;
          this.destination.once('drain', () => {
            this.waitingDrain = false;
            this.pump();
          });
          return;
        }
        if (current.fragment && this.queue.length > 0) {
          // One byte per turn of the loop, so the bytes leave as separate segments.
          this.immediate = setImmediate(() => this.pump());
          return;
        }
      }
    }
  }

  class Connection {
    readonly upstream: Socket;
    readonly up: Pipe;
    readonly down: Pipe;
    private clientClosed = false;
    private upstreamClosed = false;

    constructor(readonly client: Socket) {
      this.upstream = connect({ host: options.target.host, port: options.target.port, allowHalfOpen: true });
      client.setNoDelay(true);
      this.upstream.setNoDelay(true);
      this.up = new Pipe('up', this.upstream);
      this.down = new Pipe('down', client);
      this.wire(client, this.up, this.down, () => (this.clientClosed = true));
      this.wire(this.upstream, this.down, this.up, () => (this.upstreamClosed = true));
    }

    /** `source`'s bytes and closes go out through `outgoing`; once it is closed, `incoming` has nowhere to go. */
    private wire(source: Socket, outgoing: Pipe, incoming: Pipe, markClosed: () => void): void {
      let reset = false;
      source.on('data', (chunk: Buffer) => outgoing.data(chunk));
      source.on('end', () => outgoing.close('end'));
      source.on('error', () => (reset = true));
      source.on('close', () => {
        markClosed();
        outgoing.close(reset ? 'reset' : 'end');
        incoming.discard();
        this.settle();
      });
    }

    private settle(): void {
      if (!this.clientClosed || !this.upstreamClosed || !connections.has(this)) return;
      connections.delete(this);
      this.up.dispose();
      this.down.dispose();
      counters.open--;
      notify();
    }

    reset(): void {
      counters.resets++;
      resetSocket(this.client);
      resetSocket(this.upstream);
    }

    pump(): void {
      this.up.pump();
      this.down.pump();
    }

    destroy(): void {
      this.up.discard();
      this.down.discard();
      this.client.destroy();
      this.upstream.destroy();
    }
  }

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    if (closed) {
      client.destroy();
      return;
    }
    counters.accepted++;
    counters.open++;
    const connection = new Connection(client);
    connections.add(connection);
    if (faults.reset) connection.reset();
    notify();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const merge = (base: DirectionFaults, ...patches: Array<Partial<DirectionFaults> | undefined>): DirectionFaults =>
    Object.freeze(Object.assign({}, base, ...patches.filter(Boolean)) as DirectionFaults);

  const resetAll = (): number => {
    const open = [...connections];
    for (const connection of open) connection.reset();
    return open.length;
  };

  const configure = (patch: FaultPatch): void => {
    faults = {
      up: merge(faults.up, patch.both, patch.up),
      down: merge(faults.down, patch.both, patch.down),
      reset: patch.reset ?? faults.reset,
      slowCloseMs: patch.slowCloseMs ?? faults.slowCloseMs,
      stallUpgrade: patch.stallUpgrade === undefined ? faults.stallUpgrade : patch.stallUpgrade,
    };
    if (faults.reset) resetAll();
    // Whatever a fault held may go now.
    for (const connection of connections) connection.pump();
  };
  if (options.faults) configure(options.faults);

  const waitUntil = (check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> =>
    waits.waitUntil(
      check,
      timeoutMs,
      () => new Error(`fault proxy: timed out after ${timeoutMs} ms waiting for ${what} (open ${counters.open}, accepted ${counters.accepted})`),
    );

  let closing: Promise<void> | undefined;
  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    get faults() {
      return faults;
    },
    configure,
    clear: () => configure({ up: NO_DIRECTION_FAULTS, down: NO_DIRECTION_FAULTS, reset: false, slowCloseMs: 0, stallUpgrade: null }),
    resetAll,
    counters,
    waitUntil,
    waitForAccepted: (n, timeoutMs) => waitUntil(() => counters.accepted >= n, `${n} accepted connections`, timeoutMs),
    waitForForwarded: (direction, n, timeoutMs) => waitUntil(() => counters[direction].forwarded >= n, `${n} bytes forwarded ${direction}`, timeoutMs),
    waitForOpen: (n, timeoutMs) => waitUntil(() => counters.open === n, `${n} open connections`, timeoutMs),
    close() {
      closing ??= (async () => {
        proxies.delete(proxy);
        const listening = new Promise<void>((resolve) => server.close(() => resolve()));
        const gone = waitUntil(() => counters.open === 0, 'every connection to close', 5_000);
        // From here nothing is forwarded: every pipe stops, every socket goes.
        closed = true;
        for (const connection of connections) connection.destroy();
        await gone;
        await listening;
        // Nobody waits for a proxy that is gone: their timers go too.
        waits.close(new Error('fault proxy: closed'));
      })();
      return closing;
    },
  };
  if (options.onTestFinished) options.onTestFinished(() => proxy.close());
  else proxies.add(proxy);
  return proxy;
}
