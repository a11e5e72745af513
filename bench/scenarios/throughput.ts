/**
 * Inbound throughput (frames/s delivered to a no-op handler) and outbound throughput (pipelined
 * requests/s with a window in flight) plus sequential round-trip latency, with and without a backlog
 * of inbound work waiting, raw `ws` vs relay-gateway (and relay-gateway with something attached,
 * such as the live visualizer, vs without).
 */
import { library, type RelayGateway } from '../library.js';
import type { BenchServer } from '../protocol-server.js';
import { connectRawClient, type RawClient } from '../raw-client.js';
import { percentile, until } from '../measure.js';

const { createRelayGateway } = library;

/** A client under test, raw or gateway, behind one small interface. */
interface Subject {
  onInbound(handler: () => void): void;
  /** Accept inbound frames but never finish handling them (a backlog). */
  holdInbound(): void;
  /** Inbound frames received and not handled (the backlog held). */
  waiting(): number;
  request(i: number): Promise<unknown>;
  close(): Promise<void>;
}

async function serverLinkFor(server: BenchServer, connect: () => Promise<void>) {
  const before = new Set(server.ready);
  await connect();
  await server.waitForReady(before.size + 1);
  const link = [...server.ready].find((socket) => !before.has(socket));
  if (!link) throw new Error('bench: no server link for the new client');
  return link;
}

/** Connect a raw client; returns it with its server-side link. */
export async function rawSubject(server: BenchServer) {
  let raw: RawClient | undefined;
  const link = await serverLinkFor(server, async () => {
    raw = await connectRawClient(server.url);
  });
  const client = raw!;
  let held = 0;
  const subject: Subject = {
    onInbound: (handler) => void (client.onInbound = handler),
    // The raw client has no handlers: holding a frame is counting it.
    holdInbound: () => void (client.onInbound = () => void held++),
    waiting: () => held,
    request: (i) => client.request(`chat-${i % 50}`, `reply ${i}`),
    close: () => client.close(),
  };
  return { subject, link };
}

/**
 * Something attached to a serving gateway for the length of one measurement (the live visualizer,
 * say). Resolves with its detach, which the subject's close runs before it stops the gateway.
 */
export type Attach = (gateway: RelayGateway) => Promise<() => Promise<void>>;

/** Three identities on one socket (the inbound frames are telegram's): what identity resolution and op gating cost per message. */
const THREE_IDENTITIES = [
  { platform: 'telegram', botId: 'bench' },
  { platform: 'discord', botId: 'bench-d' },
  { platform: 'slack', botId: 'bench-s' },
] as const;

/** Connect a relay gateway, with `attach` run on it once it serves; returns it with its server-side link. */
export async function gatewaySubject(server: BenchServer, attach?: Attach, identities: 'one' | 'three' = 'one') {
  let gateway: RelayGateway | undefined;
  const link = await serverLinkFor(server, async () => {
    const who = identities === 'three' ? { identities: THREE_IDENTITIES } : { platform: 'telegram', botId: 'bench' };
    gateway = createRelayGateway({ url: server.url, ...who, reconnect: false, concurrency: 64 });
    await gateway.start();
  });
  const gw = gateway!;
  let detach: (() => Promise<void>) | undefined;
  try {
    detach = await attach?.(gw);
  } catch (error) {
    await gw.stop();
    throw error;
  }
  let removeHandler: (() => void) | undefined;
  const subject: Subject = {
    onInbound: (handler) => void (removeHandler = gw.onMessage(() => handler())),
    holdInbound: () => {
      removeHandler?.();
      const never = new Promise<void>(() => undefined);
      removeHandler = gw.onMessage(() => never);
    },
    waiting: () => {
      const metrics = gw.metrics();
      return metrics.inboundQueued + metrics.handlersRunning;
    },
    request: (i) => gw.send(`chat-${i % 50}`, `reply ${i}`),
    close: async () => {
      try {
        await detach?.();
      } finally {
        await gw.stop();
      }
    },
  };
  return { subject, link };
}

/** {@link gatewaySubject} with three identities on its socket. */
export const threeIdentitiesSubject: Connect = (server) => gatewaySubject(server, undefined, 'three');

/** {@link gatewaySubject} with `attach` on the gateway while it is measured. */
export function attachedGatewaySubject(attach: Attach): Connect {
  return (server) => gatewaySubject(server, attach);
}

export type Connect = (server: BenchServer) => Promise<{ subject: Subject; link: Parameters<BenchServer['blast']>[0] }>;

/** Frames per second delivered to the handler. */
export async function inboundRate(server: BenchServer, connect: Connect, count: number): Promise<number> {
  const { subject, link } = await connect(server);
  let received = 0;
  subject.onInbound(() => void received++);
  const started = performance.now();
  await server.blast(link, count);
  await until(() => received >= count);
  const seconds = (performance.now() - started) / 1000;
  await subject.close();
  return count / seconds;
}

/** Requests per second with `window` in flight. */
export async function pipelinedRate(server: BenchServer, connect: Connect, count: number, window: number): Promise<number> {
  const { subject } = await connect(server);
  let issued = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (issued < count) await subject.request(issued++);
  };
  await Promise.all(Array.from({ length: window }, lane));
  const seconds = (performance.now() - started) / 1000;
  await subject.close();
  return count / seconds;
}

/** Sequential round trips: p50 and p99 in microseconds. */
export async function sequentialLatency(server: BenchServer, connect: Connect, count: number): Promise<{ p50: number; p99: number }> {
  const { subject } = await connect(server);
  const latency = await roundTrips(subject, count);
  await subject.close();
  return latency;
}

/** `count` sequential requests after a warm-up: p50 and p99 in microseconds. */
async function roundTrips(subject: Subject, count: number): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(200, count); i++) await subject.request(i); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await subject.request(i);
    samples.push((performance.now() - t) * 1000);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/**
 * Sequential round trips while `backlog` inbound frames wait unhandled: the replies must not queue
 * behind them. p50 and p99 in microseconds.
 */
export async function repliesUnderBacklog(
  server: BenchServer,
  connect: Connect,
  backlog: number,
  count: number,
): Promise<{ p50: number; p99: number; waiting: number }> {
  const { subject, link } = await connect(server);
  subject.holdInbound();
  await server.blast(link, backlog);
  await until(() => subject.waiting() >= backlog);
  const latency = await roundTrips(subject, count);
  const waiting = subject.waiting();
  await subject.close();
  return { ...latency, waiting };
}
