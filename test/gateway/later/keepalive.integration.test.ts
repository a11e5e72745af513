/**
 * protocol-later §6 "keepalive" (base §12): a ping after `pingIntervalMs` without inbound traffic; no
 * pong within `pongTimeoutMs` and the gateway treats the link as dead: it closes it and redials.
 * Small option values stand in for the 30 s / 15 s defaults.
 */
import { describe, expect, it } from 'vitest';
import { TELEGRAM, useTestConnector, useTestGateway, waitForHandshakes } from './support.js';

// Short, but with room for a loaded machine: a late pong must not look like a dead link.
const PING_MS = 100;
const PONG_MS = 1000;

describe('keepalive', () => {
  it('the peer stops answering pings: the gateway closes the link and redials', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM }, answerPings: true });
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram' }], timeouts: { pingIntervalMs: PING_MS, pongTimeoutMs: PONG_MS } });
    await gw.start();
    const first = await connector.waitForLink(1);
    // Answered pings keep the link: a few rounds, still one link.
    await connector.waitUntil(() => first.pings >= 3, 'three answered pings');
    expect(first.closed).toBe(false);
    expect(gw.state).toBe('serving');

    connector.answerPings = false;
    connector.answer = () => 'never';
    const pending = gw.send('c-1', 'in flight when the link dies');
    const pingsBefore = first.pings;
    await connector.waitUntil(() => first.pings > pingsBefore, 'an unanswered ping');
    const unansweredAt = performance.now();
    await connector.waitUntil(() => first.closed, 'the gateway to close the silent link');
    // Not before the pong deadline (a little slack for timer granularity).
    expect(performance.now() - unansweredAt).toBeGreaterThanOrEqual(PONG_MS - 50);
    // The gateway closed it (a clean close from its side, not the connector dropping it).
    expect(first.closeCode).toBe(1000);
    expect(first.pings).toBe(pingsBefore + 1);
    expect(await pending).toMatchObject({ success: false, error: 'relay transport connection lost', ambiguous: true });

    connector.answerPings = true;
    await connector.waitForLink(2);
    await waitForHandshakes(gw, 2);
    expect(gw.metrics().reconnectsByCause).toMatchObject({ 'no-pong': 1 });
    expect(gw.metrics().dials).toBe(2);
  });

  it('inbound traffic counts as life: no ping is sent while frames keep arriving', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM }, answerPings: false });
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram' }], timeouts: { pingIntervalMs: 300, pongTimeoutMs: 2000 } });
    let handled = 0;
    const enough = new Promise<void>((resolve) => {
      gw.onMessage(() => {
        handled++;
        if (handled === 40) resolve();
      });
    });
    await gw.start();
    const link = await connector.waitForLink(1);
    // A frame every 30 ms for 1.2 s (four ping intervals): the link is never quiet for a whole interval.
    const timer = setInterval(() => link.send({ type: 'inbound', event: { text: 'tick', source: { platform: 'telegram', chat_id: 'c-1' } } }), 30);
    try {
      await enough;
    } finally {
      clearInterval(timer);
    }
    expect(link.pings).toBe(0);
    expect(link.closed).toBe(false);
  });
});
