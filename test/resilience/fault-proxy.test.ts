/**
 * The fault proxy's own behaviour (test/support/fault-proxy.ts), with plain TCP sockets and `ws`:
 * bytes arrive intact and in order under latency with jitter and under 1-byte fragmentation, the
 * bandwidth limit cuts a burst into pieces, half-open holds data (and the FIN) until cleared, a reset
 * reaches both ends as ECONNRESET, a stalled upgrade never completes until the stall clears, a slow
 * close forwards the FIN after the data, and nothing is left behind by close().
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { startFaultProxy, seededRandom, STALL_GATE_BYTES, type FaultProxy } from '../support/fault-proxy.js';

/** What a target server saw of each connection. */
interface Peer {
  readonly socket: Socket;
  readonly received: Buffer[];
  ended: boolean;
  error: string | undefined;
  readonly closed: Promise<void>;
}

/** A TCP target: echoes (or just records) what it gets, closed after each test. */
interface Target {
  readonly server: Server;
  readonly port: number;
  readonly peers: Peer[];
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// What the test's own sockets saw changes outside the proxy: waits on it re-check on these events.
const watchers = new Set<() => void>();
const changed = (): void => {
  for (const watcher of [...watchers]) watcher();
};

/** Resolves once `check` holds, re-checked whenever a test socket or the proxy reports something. */
function until(proxy: FaultProxy, check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const attempt = (): void => {
      if (!check()) return;
      clearTimeout(timer);
      watchers.delete(attempt);
      resolve();
    };
    const timer = setTimeout(() => {
      watchers.delete(attempt);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    watchers.add(attempt);
    // The proxy's own events re-check it as well (its wait ends with ours: the check holds then).
    void proxy.waitUntil(check, what, timeoutMs).then(attempt, () => undefined);
    attempt();
  });
}

/** A proxy in front of `port`, closed before the targets (the cleanups run newest first). */
function proxyTo(port: number, seed?: number): Promise<FaultProxy> {
  return startFaultProxy({ target: { host: '127.0.0.1', port }, ...(seed !== undefined ? { seed } : {}), onTestFinished: (close) => void cleanups.push(close) });
}

async function startTarget(echo: boolean): Promise<Target> {
  const peers: Peer[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const peer: Peer = { socket, received: [], ended: false, error: undefined, closed: new Promise((resolve) => socket.once('close', () => resolve())) };
    peers.push(peer);
    socket.on('data', (chunk: Buffer) => {
      peer.received.push(chunk);
      if (echo) socket.write(chunk);
      changed();
    });
    socket.on('end', () => {
      peer.ended = true;
      changed();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (peer.error = error.code));
    socket.on('close', changed);
    changed();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const target: Target = {
    server,
    port: (server.address() as AddressInfo).port,
    peers,
    close: async () => {
      for (const peer of peers) peer.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  cleanups.push(() => target.close());
  return target;
}

/** A client socket through the proxy, with what it received and how it ended. */
interface Client {
  readonly socket: Socket;
  readonly received: Buffer[];
  ended: boolean;
  error: string | undefined;
  closed: Promise<void>;
}

async function dial(proxy: FaultProxy): Promise<Client> {
  const socket = connect({ host: proxy.host, port: proxy.port, allowHalfOpen: true });
  const client: Client = { socket, received: [], ended: false, error: undefined, closed: new Promise((resolve) => socket.once('close', () => resolve())) };
  socket.on('data', (chunk: Buffer) => {
    client.received.push(chunk);
    changed();
  });
  socket.on('end', () => {
    client.ended = true;
    changed();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => (client.error = error.code));
  socket.on('close', changed);
  // A connection reset on accept may never report 'connect': its close ends the wait as well.
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });
  cleanups.push(async () => {
    socket.destroy();
    await client.closed;
  });
  return client;
}

const total = (chunks: readonly Buffer[]): number => chunks.reduce((sum, chunk) => sum + chunk.length, 0);

/** `count` chunks of varying sizes (1..300 bytes) whose bytes count up, so any reordering shows. */
function countingChunks(count: number): Buffer[] {
  const random = seededRandom(7);
  let next = 0;
  return Array.from({ length: count }, () => {
    const size = 1 + Math.floor(random() * 300);
    return Buffer.from(Array.from({ length: size }, () => next++ % 251));
  });
}

describe('fault proxy: bytes intact and in order', () => {
  it('latency with a jitter larger than the latency: an echo comes back byte for byte', async () => {
    const target = await startTarget(true);
    const proxy = await proxyTo(target.port, 3);
    proxy.configure({ both: { latencyMs: 4, jitterMs: 6 } });
    const client = await dial(proxy);
    const chunks = countingChunks(120);
    for (const chunk of chunks) client.socket.write(chunk);
    const sent = Buffer.concat(chunks);
    await until(proxy, () => total(client.received) >= sent.length, 'the whole echo');

    expect(Buffer.concat(target.peers[0]!.received).equals(sent)).toBe(true);
    expect(Buffer.concat(client.received).equals(sent)).toBe(true);
    expect(proxy.counters.up).toMatchObject({ received: sent.length, forwarded: sent.length });
    expect(proxy.counters.down).toMatchObject({ received: sent.length, forwarded: sent.length });
  });

  it('1-byte fragmentation: one write per byte each way, and the stream is unchanged', async () => {
    const target = await startTarget(true);
    const proxy = await proxyTo(target.port);
    proxy.configure({ both: { fragment: true } });
    const client = await dial(proxy);
    const sent = Buffer.concat(countingChunks(12));
    client.socket.write(sent);
    await until(proxy, () => total(client.received) >= sent.length, 'the whole echo');

    expect(Buffer.concat(client.received).equals(sent)).toBe(true);
    expect(proxy.counters.up.writes).toBe(sent.length);
    expect(proxy.counters.down.writes).toBe(sent.length);
    // The peer saw the stream in many pieces, not in the one write the client made.
    expect(target.peers[0]!.received.length).toBeGreaterThan(1);
  });
});

describe('fault proxy: bandwidth limit', () => {
  it('a burst of 6000 bytes at 2000 B/s goes out in pieces of at most a second each, intact', async () => {
    const target = await startTarget(false);
    const proxy = await proxyTo(target.port);
    proxy.configure({ up: { bytesPerSecond: 2000 } });
    const client = await dial(proxy);
    const sent = Buffer.concat(countingChunks(40)).subarray(0, 6000);
    client.socket.write(sent);
    await until(proxy, () => proxy.counters.up.received === sent.length, 'the burst read');
    await proxy.waitForForwarded('up', 1);
    // The proxy read it all at once, but forwards it as the bucket allows.
    expect(proxy.counters.up.forwarded).toBeLessThan(sent.length);

    await until(proxy, () => total(target.peers[0]!.received) === sent.length, 'the whole burst at the target');
    expect(Buffer.concat(target.peers[0]!.received).equals(sent)).toBe(true);
    // No piece is larger than one second's worth: at least three writes for three seconds' worth.
    expect(proxy.counters.up.writes).toBeGreaterThanOrEqual(3);
    // The other direction is not limited.
    expect(proxy.faults.down.bytesPerSecond).toBe(0);
  });
});

describe('fault proxy: half-open', () => {
  it('up: data and the FIN are held (nothing closes), then forwarded in order once cleared', async () => {
    const target = await startTarget(false);
    const proxy = await proxyTo(target.port);
    const client = await dial(proxy);
    await until(proxy, () => target.peers.length === 1, 'the target connection');
    proxy.configure({ up: { halfOpen: true } });
    client.socket.write('held ');
    client.socket.write('then sent');
    client.socket.end();
    await until(proxy, () => proxy.counters.up.received === 14, 'the bytes read by the proxy');

    expect(proxy.counters.up.forwarded).toBe(0);
    expect(target.peers[0]!.received).toEqual([]);
    expect(target.peers[0]!.ended).toBe(false);
    expect(proxy.counters.open).toBe(1);
    // The other direction still works.
    target.peers[0]!.socket.write('down is fine');
    await until(proxy, () => total(client.received) === 12, 'the down bytes');

    proxy.configure({ up: { halfOpen: false } });
    await until(proxy, () => target.peers[0]!.ended, 'the held FIN');
    expect(Buffer.concat(target.peers[0]!.received).toString()).toBe('held then sent');
  });

  it('down: the connector side writes, the client sees nothing until cleared', async () => {
    const target = await startTarget(false);
    const proxy = await proxyTo(target.port);
    const client = await dial(proxy);
    await until(proxy, () => target.peers.length === 1, 'the target connection');
    proxy.configure({ down: { halfOpen: true } });
    target.peers[0]!.socket.write('answer');
    await until(proxy, () => proxy.counters.down.received === 6, 'the bytes read by the proxy');
    expect(client.received).toEqual([]);
    proxy.clear();
    await until(proxy, () => total(client.received) === 6, 'the held answer');
    expect(Buffer.concat(client.received).toString()).toBe('answer');
  });
});

describe('fault proxy: reset', () => {
  it('resetAll gives ECONNRESET to both ends; while the reset fault is on, new connections are reset too', async () => {
    const target = await startTarget(true);
    const proxy = await proxyTo(target.port);
    const client = await dial(proxy);
    client.socket.write('ping');
    await until(proxy, () => total(client.received) === 4, 'the echo');

    expect(proxy.resetAll()).toBe(1);
    await client.closed;
    await until(proxy, () => target.peers[0]!.socket.destroyed, 'the target side to close');
    expect(client.error).toBe('ECONNRESET');
    expect(target.peers[0]!.error).toBe('ECONNRESET');
    await proxy.waitForOpen(0);

    proxy.configure({ reset: true });
    const second = await dial(proxy);
    await second.closed;
    expect(second.error).toBe('ECONNRESET');
    expect(proxy.counters).toMatchObject({ accepted: 2, resets: 2 });
  });
});

describe('fault proxy: slow close', () => {
  it('the data goes at once, the FIN after it (the connection stays open meanwhile)', async () => {
    const target = await startTarget(false);
    const proxy = await proxyTo(target.port);
    proxy.configure({ slowCloseMs: 300 });
    const client = await dial(proxy);
    client.socket.end('last words');
    await until(proxy, () => target.peers[0] !== undefined && total(target.peers[0].received) === 10, 'the data');
    expect(target.peers[0]!.ended).toBe(false);
    expect(proxy.counters.open).toBe(1);
    await until(proxy, () => target.peers[0]!.ended, 'the delayed FIN');
    // Both sides ended: the target ends its side too, and the connection is gone.
    target.peers[0]!.socket.end();
    await proxy.waitForOpen(0);
  });
});

describe('fault proxy: upgrade stall', () => {
  async function wsTarget(): Promise<{ port: number; connections: () => number }> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    let connections = 0;
    server.on('connection', () => {
      connections++;
      changed();
    });
    cleanups.push(async () => {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return { port: (server.address() as AddressInfo).port, connections: () => connections };
  }

  /** Open a ws client through the proxy; resolves with how it ended (open, or the error). */
  function openWs(proxy: FaultProxy, handshakeTimeout: number): { ws: WebSocket; outcome: Promise<string> } {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/`, { handshakeTimeout });
    const outcome = new Promise<string>((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('error', (error) => resolve(`error: ${error.message}`));
    });
    cleanups.push(async () => {
      ws.terminate();
      await new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve())));
    });
    return { ws, outcome };
  }

  for (const stall of ['request', 'response'] as const) {
    it(`${stall}: only the first bytes pass, the upgrade never completes (the client's handshake timeout fires)`, async () => {
      const target = await wsTarget();
      const proxy = await proxyTo(target.port);
      proxy.configure({ stallUpgrade: stall });
      const { outcome } = openWs(proxy, 400);
      expect(await outcome).toBe('error: Opening handshake has timed out');
      const direction = stall === 'request' ? 'up' : 'down';
      expect(proxy.counters[direction].forwarded).toBe(STALL_GATE_BYTES);
      expect(proxy.counters[direction].received).toBeGreaterThan(STALL_GATE_BYTES);
      // The connector accepts a response stall's upgrade; a request stall's never reaches it.
      expect(target.connections()).toBe(stall === 'request' ? 0 : 1);
    });
  }

  it('cleared before the client gives up: the held rest goes and the upgrade completes; open sockets are never stalled', async () => {
    const target = await wsTarget();
    const proxy = await proxyTo(target.port);
    const first = openWs(proxy, 5_000);
    expect(await first.outcome).toBe('open');

    proxy.configure({ stallUpgrade: 'response' });
    const second = openWs(proxy, 5_000);
    await until(proxy, () => proxy.counters.accepted === 2 && target.connections() === 2, 'the second upgrade at the target');
    // The open socket still talks while the new one is stalled.
    const echoed = new Promise<string>((resolve) => first.ws.once('pong', (data) => resolve(data.toString())));
    first.ws.ping('alive');
    expect(await echoed).toBe('alive');
    expect(second.ws.readyState).toBe(WebSocket.CONNECTING);
    proxy.clear();
    expect(await second.outcome).toBe('open');
  });
});

describe('fault proxy: counters, events and close', () => {
  it('counts connections, waits for them, and close() leaves no socket or timer behind', async () => {
    const resources = (): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
      return counts;
    };
    const target = await startTarget(true);
    const before = resources();
    const proxy = await proxyTo(target.port);
    const accepted = proxy.waitForAccepted(2);
    const a = await dial(proxy);
    const b = await dial(proxy);
    await accepted;
    await proxy.waitForOpen(2);
    expect(proxy.counters).toMatchObject({ accepted: 2, open: 2 });
    // Leave work in flight: a held direction with data, a latency timer, a bandwidth timer.
    proxy.configure({ up: { halfOpen: true }, down: { latencyMs: 5_000, bytesPerSecond: 1 } });
    a.socket.write('held');
    b.socket.write('x');
    await until(proxy, () => proxy.counters.up.received === 5, 'the bytes read');
    const pendingWait = proxy.waitForForwarded('up', 1_000).catch((error: Error) => error.message);

    await proxy.close();
    expect(proxy.counters.open).toBe(0);
    expect(await pendingWait).toBe('fault proxy: closed');
    // The far ends of the proxy's sockets see them end (they allow half-open, so they close their own side).
    await until(proxy, () => a.ended && b.ended && target.peers.every((peer) => peer.ended), 'both ends to see the proxy go');
    for (const socket of [a.socket, b.socket, ...target.peers.map((peer) => peer.socket)]) socket.destroy();
    await Promise.all([a.closed, b.closed, ...target.peers.map((peer) => peer.closed)]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    const after = resources();
    for (const kind of ['Timeout', 'Immediate', 'TCPSocketWrap', 'TCPServerWrap']) expect(after[kind] ?? 0, kind).toBeLessThanOrEqual(before[kind] ?? 0);
  });
});
