/**
 * The reader never waits on the application: with thousands of inbound deliveries waiting for
 * handlers, every control frame (results, pongs, acks, interrupts, closes, descriptors) is still read
 * and acted on, and replays are de-duplicated whatever the backlog. The connector is the tests' own
 * plain `ws` server, scripted the way a busy or hostile connector behaves.
 */
import { describe, expect, it } from 'vitest';
import type { SendResult } from '../../src/protocol/outbound.js';
import { buildSessionKey } from '../../src/session/session-key.js';
import { useRelayGateway } from '../support/fixtures.js';
import { acksOn, deferred, inboundFrame, PLAIN_DESCRIPTOR, usePlainConnector } from '../support/plain-connector.js';



describe('replies are never starved by the inbound backlog', () => {
  it('concurrency 1, ten messages in one chat, each handler awaiting its reply: ten successes', async () => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url, concurrency: 1, timeouts: { outboundMs: 3000 } });
    const results: SendResult[] = [];
    const all = deferred();
    gw.onMessage(async (event) => {
      results.push(await gw.send(event.source.chat_id, `re: ${event.text}`));
      if (results.length === 10) all.resolve();
    });
    await gw.start();
    for (let i = 0; i < 10; i++) connector.latest().send(inboundFrame('chat-1', `m${i}`));
    await all.promise;
    expect(results.filter((r) => !r.success)).toEqual([]);
    expect(gw.metrics().requestTimeouts).toBe(0);
  }, 40_000);

  it('defaults, 400 chats at once, each handler awaiting its reply: 400 successes', async () => {
    const connector = await usePlainConnector({ answer: (_action, requestId) => ({ result: { success: true, message_id: requestId }, delayMs: 2 }) });
    const gw = useRelayGateway({ url: connector.url, timeouts: { outboundMs: 3000 } });
    const results: SendResult[] = [];
    const all = deferred();
    gw.onMessage(async (event) => {
      results.push(await gw.send(event.source.chat_id, 'pong'));
      if (results.length === 400) all.resolve();
    });
    await gw.start();
    connector.latest().sendBatch(Array.from({ length: 400 }, (_, i) => inboundFrame(`chat-${i}`, 'ping')));
    await all.promise;
    expect(results.filter((r) => !r.success)).toEqual([]);
    expect(gw.metrics()).toMatchObject({ requestTimeouts: 0, dials: 1 });
  }, 40_000);
});

describe('keepalive never blames the link for our own backlog', () => {
  it('slow handlers and 300 waiting deliveries: pings are answered and read, no reconnect', async () => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url, concurrency: 2, timeouts: { pingIntervalMs: 50, pongTimeoutMs: 150 } });
    const gate = deferred();
    let handled = 0;
    gw.onMessage(async () => {
      await gate.promise;
      handled++;
    });
    await gw.start();
    const link = connector.latest();
    link.sendBatch(Array.from({ length: 300 }, (_, i) => inboundFrame(`chat-${i}`, 'slow')));
    // Ten keepalive rounds (each one a ping after 50 ms of silence, answered within 150 ms) while
    // every handler is stuck and 298 deliveries wait.
    await connector.waitUntil(() => link.pings >= 10, 'ten pings on the first link');
    expect(gw.state).toBe('serving');
    expect(gw.metrics()).toMatchObject({ dials: 1, reconnectsByCode: {}, handlersRunning: 2, inboundQueued: 298 });
    gate.resolve();
    await expect.poll(() => handled, { timeout: 10_000 }).toBe(300);
    expect(connector.links).toHaveLength(1);
  }, 30_000);
});

describe('control frames are acted on with 10,000 deliveries waiting', () => {
  it('results, interrupts, closes, descriptors and going_idle_ack all get through the backlog', async () => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url, concurrency: 4, timeouts: { outboundMs: 5000 } });
    const gate = deferred();
    const interrupted: string[] = [];
    gw.onMessage(async (event, ctx) => {
      ctx.signal.addEventListener('abort', () => interrupted.push(event.source.chat_id));
      await gate.promise;
    });
    await gw.start();
    connector.latest().sendBatch(Array.from({ length: 10_004 }, (_, i) => inboundFrame(`c${i}`, `m${i}`)));
    await expect.poll(() => gw.metrics().inboundQueued).toBe(10_000);

    // outbound_result: a send resolves with the connector's answer, not at its timeout.
    const sent = await gw.send('c1', 'from outside a handler');
    expect(sent).toMatchObject({ success: true });

    // interrupt_inbound: the running turn of that session sees its signal abort.
    const sessionKey = buildSessionKey({ platform: 'telegram', chat_id: 'c0', chat_type: 'dm', user_id: 'u-c0' });
    connector.latest().send({ type: 'interrupt_inbound', session_key: sessionKey, chat_id: 'c0' });
    await expect.poll(() => interrupted).toEqual(['c0']);

    // A close frame: the gateway notices at once and reconnects; the new link's descriptor is read.
    connector.latest().socket.close(1001, 'going away');
    await connector.waitForHandshake(2);
    await expect.poll(() => gw.state).toBe('serving');

    // going_idle_ack: goIdle() resolves true while the backlog is still there.
    expect(await gw.goIdle(5000)).toBe(true);
    expect(gw.metrics().inboundQueued).toBeGreaterThan(9_000);
    gate.resolve();
  }, 30_000);
});

describe('exactly once at any backlog', () => {
  it.each([1_153, 20_000])('%i outstanding buffered deliveries replayed after a drop: each handler once, each acked on the replaying link', async (count) => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url });
    const runs = new Map<string, number>();
    const gate = deferred();
    gw.onMessage(async (_event, ctx) => {
      runs.set(ctx.bufferId ?? '?', (runs.get(ctx.bufferId ?? '?') ?? 0) + 1);
      await gate.promise;
    });
    await gw.start();
    const frames = Array.from({ length: count }, (_, i) => inboundFrame(`c${i % 1000}`, `t${i}`, { bufferId: `b${i}`, messageId: `${i}` }));
    const batches = (send: (batch: typeof frames) => void): void => {
      for (let i = 0; i < frames.length; i += 2000) send(frames.slice(i, i + 2000));
    };
    batches((batch) => connector.latest().sendBatch(batch));
    await expect.poll(() => gw.metrics().inboundQueued + gw.metrics().handlersRunning, { timeout: 20_000 }).toBe(count);

    connector.latest().socket.terminate();
    const second = await connector.waitForHandshake(2);
    batches((batch) => second.sendBatch(batch));
    await expect.poll(() => gw.metrics().duplicatesDropped, { timeout: 20_000 }).toBe(count);
    gate.resolve();
    await connector.waitUntil(() => acksOn(connector, second.id).length >= count, `${count} acks on the second link`, 60_000);

    expect(runs.size).toBe(count);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(acksOn(connector, second.id)).size).toBe(count);
    expect(acksOn(connector, 1)).toEqual([]);
  }, 120_000);

  it('a drop in the middle of a 20,000-frame replay: each event handled once, each bufferId acked on the link that last delivered it', async () => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url });
    const handledIds: string[] = [];
    gw.onMessage(async (event) => {
      handledIds.push(event.message_id ?? '?');
      // 0-2 ms of work: the drop falls between handlers that are queued, running and done.
      if (handledIds.length % 3 === 0) await new Promise((resolve) => setTimeout(resolve, handledIds.length % 2));
    });
    await gw.start();
    const frames = Array.from({ length: 20_000 }, (_, i) => inboundFrame(`c${i % 1000}`, `t${i}`, { bufferId: `b${i}`, messageId: `${i}` }));
    const first = connector.latest();
    for (let i = 0; i < frames.length; i += 2000) first.sendBatch(frames.slice(i, i + 2000));
    await connector.waitUntil(() => first.frames.filter((f) => f.type === 'inbound_ack').length >= 10_000, 'half the acks on the first link', 60_000);
    first.socket.terminate();
    // What the connector replays: every frame whose ack it has not received.
    const ackedFirst = new Set(acksOn(connector, first.id));
    const second = await connector.waitForHandshake(2);
    const replayed = frames.filter((f) => !ackedFirst.has(String(f.bufferId)));
    for (let i = 0; i < replayed.length; i += 2000) second.sendBatch(replayed.slice(i, i + 2000));
    await connector.waitUntil(() => new Set(acksOn(connector, second.id)).size >= replayed.length, 'an ack for every replayed frame', 60_000);

    expect(handledIds).toHaveLength(20_000);
    expect(new Set(handledIds).size).toBe(20_000);
    const ackedSecond = new Set(acksOn(connector, second.id));
    for (const frame of replayed) expect(ackedSecond.has(String(frame.bufferId))).toBe(true);
    expect(replayed.length).toBeGreaterThan(0);
    expect(replayed.length).toBeLessThan(20_000);
  }, 120_000);

  it('a duplicate bufferId on the same link is acked again without running the handler again', async () => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url });
    let runs = 0;
    gw.onMessage(() => void runs++);
    await gw.start();
    const link = connector.latest();
    link.send(inboundFrame('c1', 'once', { bufferId: 'buf-1' }));
    await connector.waitUntil(() => acksOn(connector, link.id).length === 1, 'the first ack');
    link.send(inboundFrame('c1', 'once', { bufferId: 'buf-1' }));
    await connector.waitUntil(() => acksOn(connector, link.id).length === 2, 'the second ack');
    expect(acksOn(connector, link.id)).toEqual(['buf-1', 'buf-1']);
    expect(runs).toBe(1);
    expect(gw.metrics().duplicatesDropped).toBe(1);
  });
});

describe('nothing reaches a handler before the handshake', () => {
  it('data frames sent between hello and descriptor are dropped and counted; a buffered one is not acked', async () => {
    const connector = await usePlainConnector({ autoDescriptor: false });
    const gw = useRelayGateway({ url: connector.url });
    const texts: string[] = [];
    gw.onMessage((event) => void texts.push(event.text));
    const started = gw.start();
    await connector.waitForFrame((s) => s.frame.type === 'hello');
    const link = connector.latest();
    link.send(inboundFrame('c1', 'too early'), inboundFrame('c1', 'too early, buffered', { bufferId: 'early' }));
    link.send({ type: 'descriptor', descriptor: PLAIN_DESCRIPTOR });
    await started;
    link.send(inboundFrame('c1', 'on time', { bufferId: 'late' }));
    await connector.waitUntil(() => acksOn(connector, link.id).length === 1, 'the ack of the frame after the handshake');
    expect(texts).toEqual(['on time']);
    expect(acksOn(connector, link.id)).toEqual(['late']);
    expect(gw.metrics().framesBeforeHandshake).toBe(2);
  });
});

describe('stop() and goIdle() whatever is pending', () => {
  it('stop() while a long goIdle() waits for its ack keeps the stop limit', async () => {
    const connector = await usePlainConnector({ autoIdleAck: false });
    const gw = useRelayGateway({ url: connector.url, timeouts: { stopGoIdleMs: 200 } });
    await gw.start();
    const idle = gw.goIdle(60_000);
    await connector.waitForFrame((s) => s.frame.type === 'going_idle');
    await gw.stop();
    expect(gw.state).toBe('stopped');
    expect(await idle).toBe(false);
    expect(connector.seen.filter((s) => s.frame.type === 'going_idle')).toHaveLength(1);
  }, 10_000);

  it('reconnectNow() during stop() cannot undo the stop', async () => {
    const connector = await usePlainConnector({ autoIdleAck: false });
    const gw = useRelayGateway({ url: connector.url, timeouts: { stopGoIdleMs: 300 } });
    const states: string[] = [];
    gw.onStateChange((state) => states.push(state));
    await gw.start();
    const stopping = gw.stop();
    await connector.waitForFrame((s) => s.frame.type === 'going_idle');
    gw.reconnectNow();
    await stopping;
    expect(states.slice(-2)).toEqual(['goingIdle', 'stopped']);
    expect(gw.context.stopping).toBe(true);
    expect(connector.links).toHaveLength(1);
  }, 10_000);

  it('two goIdle() calls at once share one outcome', async () => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url });
    await gw.start();
    expect(await Promise.all([gw.goIdle(), gw.goIdle()])).toEqual([true, true]);
    expect(gw.state).toBe('idle');
    expect(connector.seen.filter((s) => s.frame.type === 'going_idle')).toHaveLength(1);
  });

  it('stop() aborts the signal of running message and passthrough handlers', async () => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url, timeouts: { stopGoIdleMs: 200 } });
    const aborted: string[] = [];
    const started: string[] = [];
    const never = new Promise<void>(() => undefined);
    gw.onMessage(async (_event, ctx) => {
      started.push('message');
      ctx.signal.addEventListener('abort', () => aborted.push('message'));
      await never;
    });
    gw.onPassthrough(async (_forward, ctx) => {
      started.push('passthrough');
      ctx.signal.addEventListener('abort', () => aborted.push('passthrough'));
      await never;
    });
    await gw.start();
    connector.latest().send(inboundFrame('c1', 'long turn'), {
      type: 'passthrough_forward',
      forward: { platform: 'slack', botId: 'b', method: 'POST', path: '/hook', headers: [], bodyB64: '' },
    });
    await expect.poll(() => started.sort()).toEqual(['message', 'passthrough']);
    await gw.stop();
    expect(aborted.sort()).toEqual(['message', 'passthrough']);
  });
});
