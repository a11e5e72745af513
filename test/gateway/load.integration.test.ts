/**
 * Load is part of correctness: 20,000 inbound messages over 1,000 sessions, every handler awaiting
 * its own reply, against a connector (the tests' own) that answers every outbound within 5 ms. No
 * reply may time out, the link may not be blamed by keepalive, and every handler runs exactly once.
 * The figures (wall time, peak heap growth, most deliveries waiting at once) are printed, not asserted
 * as timings; the heap bound is a correctness bound (the backlog must not blow up memory).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { RelayGateway } from '../../src/gateway/create-relay-gateway.js';
import type { SendResult } from '../../src/protocol/outbound.js';
import { useRelayGateway } from '../support/fixtures.js';
import { inboundFrame, usePlainConnector, type PlainConnector } from '../support/plain-connector.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MESSAGES = 20_000;
const SESSIONS = 1_000;

/** A fixed pseudo-random sequence, so every run does the same work. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

interface LoadRun {
  readonly results: SendResult[];
  readonly runs: Map<string, number>;
  readonly peakHeapGrowth: number;
  readonly peakQueued: number;
  readonly ms: number;
}

function connectorAnsweringWithin5ms(): Promise<PlainConnector> {
  const random = sequence(7);
  return usePlainConnector({
    answer: (_action, requestId) => ({ result: { success: true, message_id: `m-${requestId}` }, delayMs: Math.floor(random() * 6) }),
  });
}

/** Handlers that work 0-20 ms and then await their reply; `hang` makes one session's handler hang. */
function installHandler(gw: RelayGateway, runs: Map<string, number>, results: SendResult[], hang?: string): void {
  const random = sequence(11);
  gw.onMessage(async (event, ctx) => {
    const id = event.message_id ?? '?';
    runs.set(id, (runs.get(id) ?? 0) + 1);
    if (event.source.chat_id === hang) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 30_000);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 21)));
    results.push(await gw.send(event.source.chat_id, `re ${event.text}`, { replyTo: id }));
  });
}

async function runLoad(connector: PlainConnector, gw: RelayGateway, linesPerMessage: number, expected: number): Promise<Omit<LoadRun, 'results' | 'runs'>> {
  gc();
  const before = process.memoryUsage().heapUsed;
  let peakHeap = before;
  let peakQueued = 0;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    peakQueued = Math.max(peakQueued, gw.metrics().inboundQueued);
  }, 20);
  const started = performance.now();
  const frames = Array.from({ length: MESSAGES }, (_, i) => inboundFrame(`chat-${i % SESSIONS}`, `message ${i}`, { messageId: `${i}` }));
  const link = connector.latest();
  if (linesPerMessage === 1) link.send(...frames);
  else for (let i = 0; i < frames.length; i += linesPerMessage) link.sendBatch(frames.slice(i, i + linesPerMessage));
  try {
    await connector.waitUntil(() => connector.seen.filter((s) => s.frame.type === 'outbound').length >= expected, `${expected} replies`, 90_000);
    await new Promise<void>((resolve) => {
      const check = (): void => (gw.metrics().pendingRequests === 0 ? resolve() : void setImmediate(check));
      check();
    });
  } finally {
    clearInterval(sampler);
  }
  return { peakHeapGrowth: peakHeap - before, peakQueued, ms: performance.now() - started };
}

function report(name: string, run: Omit<LoadRun, 'results' | 'runs'>): void {
  console.log(
    `load ${name}: ${MESSAGES} inbound over ${SESSIONS} sessions in ${(run.ms / 1000).toFixed(1)} s, ` +
      `most waiting at once ${run.peakQueued}, peak heap growth ${(run.peakHeapGrowth / 2 ** 20).toFixed(1)} MiB`,
  );
}

function expectCleanRun(gw: RelayGateway, connector: PlainConnector, results: SendResult[], runs: Map<string, number>, handled: number): void {
  expect(results.filter((r) => !r.success)).toEqual([]);
  expect(results).toHaveLength(handled);
  expect([...runs.values()].filter((n) => n !== 1)).toEqual([]);
  const metrics = gw.metrics();
  expect(metrics).toMatchObject({ requestTimeouts: 0, dials: 1, reconnectsByCode: {}, inboundShed: 0, inboundDeferred: 0, intakeHeld: false, duplicatesDropped: 0 });
  expect(connector.links).toHaveLength(1);
}

// Keepalive is short, so a reader that stopped reading pongs would be caught within the run.
const OPTIONS = { timeouts: { pingIntervalMs: 200, pongTimeoutMs: 1000 } } as const;

describe('load: 20,000 inbound over 1,000 sessions, every handler awaiting its reply', () => {
  it.each([
    ['one frame per WebSocket message', 1],
    ['2,000 lines per WebSocket message', 2_000],
  ])('%s: no timeout, no reconnect, every handler once, heap bounded', async (name, linesPerMessage) => {
    const connector = await connectorAnsweringWithin5ms();
    const gw = useRelayGateway({ url: connector.url, ...OPTIONS });
    const results: SendResult[] = [];
    const runs = new Map<string, number>();
    installHandler(gw, runs, results);
    await gw.start();
    const run = await runLoad(connector, gw, linesPerMessage, MESSAGES);
    report(name, run);
    expect(runs.size).toBe(MESSAGES);
    expectCleanRun(gw, connector, results, runs, MESSAGES);
    expect(run.peakHeapGrowth).toBeLessThan(256 * 2 ** 20);
  }, 120_000);

  it('one session hangs for 30 s: every other session keeps going', async () => {
    const connector = await connectorAnsweringWithin5ms();
    const gw = useRelayGateway({ url: connector.url, ...OPTIONS });
    const results: SendResult[] = [];
    const runs = new Map<string, number>();
    installHandler(gw, runs, results, 'chat-0');
    await gw.start();
    // chat-0 has 20 messages: its first hangs, the other 19 wait behind it, in order.
    const others = MESSAGES - MESSAGES / SESSIONS;
    const run = await runLoad(connector, gw, 1, others);
    report('one hung session', run);
    expect(runs.size).toBe(others + 1);
    expect(gw.metrics()).toMatchObject({ handlersRunning: 1, inboundQueued: MESSAGES / SESSIONS - 1 });
    expectCleanRun(gw, connector, results, runs, others);
  }, 120_000);
});
