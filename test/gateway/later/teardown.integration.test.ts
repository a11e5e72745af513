/**
 * Every helper of these tests cleans up: after a gateway that dialled twice, had a request in flight
 * across a drop and keepalive timers running is stopped and its connector closed, no socket, server
 * or timer of theirs is left behind.
 */
import { describe, expect, it } from 'vitest';
import { createRelayGateway } from '../../../src/gateway/create-relay-gateway.js';
import { inbound, TELEGRAM, useTestConnector, waitForHandshakes } from './support.js';

const count = (): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
};

describe('teardown', () => {
  it('stop() and close leave no TCP handle or timer behind', async () => {
    const before = count();
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM }, answer: () => 'never' });
    const gw = createRelayGateway({
      url: connector.url,
      identities: [{ platform: 'telegram' }],
      random: () => 0,
      reconnect: { baseMs: 20, capMs: 100 },
      timeouts: { pingIntervalMs: 50, pongTimeoutMs: 1000, outboundMs: 10_000 },
    });
    const handled: string[] = [];
    gw.onMessage((event) => void handled.push(event.text));
    await gw.start();
    const first = await connector.waitForLink(1);
    const pending = gw.send('c-1', 'never answered');
    await connector.waitUntil(() => connector.outbounds(1).length === 1, 'the send');
    first.terminate();
    expect(await pending).toMatchObject({ error: 'relay transport connection lost', ambiguous: true });
    await waitForHandshakes(gw, 2);
    (await connector.waitForLink(2)).send(inbound('telegram', 'c-1'));
    await connector.waitUntil(() => (connector.links[1]?.pings ?? 0) >= 1, 'a keepalive ping on link 2');
    const stillPending = gw.send('c-1', 'pending at stop');
    await gw.stop({ budgetS: 2 });
    expect(await stillPending).toMatchObject({ success: false, error: 'relay transport closed', ambiguous: true });
    await connector.close();
    // libuv releases a closed handle a few loop turns later (no event marks it): poll briefly.
    for (const kind of ['TCPWrap', 'TCPServerWrap', 'Timeout']) {
      await expect.poll(() => count()[kind] ?? 0, { timeout: 2000, interval: 10, message: kind }).toBeLessThanOrEqual(before[kind] ?? 0);
    }
  });
});
