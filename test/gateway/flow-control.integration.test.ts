/**
 * Inbound flow control and the backlog cap: at half the cap the gateway asks the connector to buffer
 * (`going_idle` on the open link), keeps working off its backlog with replies flowing, and re-dials
 * once it has drained so the connector replays what it held. At the cap, buffered frames are left
 * unacked (the connector replays them) and live ones are refused and counted. Against the tests' own
 * plain connector.
 */
import { describe, expect, it } from 'vitest';
import { useRelayGateway } from '../support/fixtures.js';
import { acksOn, deferred, inboundFrame, usePlainConnector } from '../support/plain-connector.js';



describe('flow control at the high-water mark', () => {
  it('asks the connector to buffer, drains with replies flowing, then re-dials for the replay: nothing lost or doubled', async () => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url, concurrency: 2, maxQueuedInbound: 100 });
    const stuck = deferred();
    const handled: string[] = [];
    const replies: boolean[] = [];
    gw.onMessage(async (event) => {
      await stuck.promise;
      replies.push((await gw.send(event.source.chat_id, `re ${event.text}`)).success);
      handled.push(event.text);
    });
    await gw.start();
    const first = connector.latest();
    first.sendBatch(Array.from({ length: 60 }, (_, i) => inboundFrame(`c${i}`, `live-${i}`)));
    // 58 waiting >= 50 (half the cap): going_idle goes out on the open link, which stays up.
    await connector.waitForFrame((s) => s.link === first.id && s.frame.type === 'going_idle');
    await expect.poll(() => gw.context.intakeAcks).toBe(1);
    expect(gw.metrics()).toMatchObject({ intakeHeld: true, inboundQueued: 58, handlersRunning: 2, inboundShed: 0 });
    expect(gw.state).toBe('serving');

    // The connector now buffers what arrives for this gateway; the backlog drains with replies.
    const held = Array.from({ length: 30 }, (_, i) => inboundFrame(`c${i}`, `held-${i}`, { bufferId: `held-${i}`, messageId: `h${i}` }));
    stuck.resolve();
    const second = await connector.waitForHandshake(2);
    expect(handled).toHaveLength(60);
    expect(first.closed || first.socket.readyState >= 2).toBe(true);
    second.sendBatch(held);
    await connector.waitUntil(() => acksOn(connector, second.id).length === 30, 'the replay acked');

    expect(handled.filter((t) => t.startsWith('held-')).sort()).toEqual(held.map((f) => (f.event as { text: string }).text).sort());
    expect(new Set(handled).size).toBe(90);
    expect(replies.every(Boolean)).toBe(true);
    expect(gw.metrics()).toMatchObject({ reconnectsByCode: { replay: 1 }, replayRedials: 1, requestTimeouts: 0, intakeHeld: false });
  });
});

describe('the backlog cap', () => {
  it('a connector that ignores going_idle: buffered frames past the cap stay unacked and are replayed; live ones are refused and counted', async () => {
    const connector = await usePlainConnector({ autoIdleAck: false });
    const gw = useRelayGateway({ url: connector.url, concurrency: 2, maxQueuedInbound: 100 });
    const stuck = deferred();
    const handled: string[] = [];
    gw.onMessage(async (event) => {
      await stuck.promise;
      handled.push(event.text);
    });
    await gw.start();
    const first = connector.latest();
    const buffered = Array.from({ length: 20 }, (_, i) => inboundFrame(`b${i}`, `buffered-${i}`, { bufferId: `buf-${i}` }));
    first.sendBatch([...Array.from({ length: 150 }, (_, i) => inboundFrame(`c${i}`, `live-${i}`)), ...buffered]);
    await expect.poll(() => gw.metrics().inboundDeferred).toBe(20);
    expect(gw.metrics()).toMatchObject({ inboundQueued: 100, handlersRunning: 2, inboundShed: 48 });
    expect(acksOn(connector, first.id)).toEqual([]);

    stuck.resolve();
    // Drained: the gateway re-dials so the connector replays what is unacked.
    const second = await connector.waitForHandshake(2);
    second.sendBatch(buffered);
    await connector.waitUntil(() => acksOn(connector, second.id).length === 20, 'the deferred frames acked after the replay');
    expect(handled).toHaveLength(102 + 20);
    expect(handled.filter((t) => t.startsWith('buffered-'))).toHaveLength(20);
  });

  it('the byte cap holds too: one large frame over it is refused while small ones still fit', async () => {
    const connector = await usePlainConnector({ autoIdleAck: false });
    const gw = useRelayGateway({ url: connector.url, concurrency: 1, maxQueuedInboundBytes: 8 * 1024 });
    const stuck = deferred();
    gw.onMessage(() => stuck.promise);
    await gw.start();
    const link = connector.latest();
    link.send(inboundFrame('c0', 'running'), inboundFrame('c1', 'x'.repeat(1024)), inboundFrame('c2', 'y'.repeat(10 * 1024)), inboundFrame('c3', 'small'));
    await expect.poll(() => gw.metrics().inboundShed).toBe(1);
    expect(gw.metrics().inboundQueued).toBe(2);
    expect(gw.metrics().inboundQueuedBytes).toBeLessThanOrEqual(8 * 1024);
    stuck.resolve();
  });
});
