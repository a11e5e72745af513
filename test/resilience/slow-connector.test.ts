/**
 * A slow connector: the descriptor comes late, results come after the outbound timeout.
 * Timings are scaled down (the spec's 20 s / 30 s become 600 ms / 300 ms) so the test stays fast.
 */
import { describe, expect, it } from 'vitest';
import { delay } from '../../src/dev-connector/outbound-policy.js';
import { sendAction } from '../../src/protocol/outbound.js';
import { useConnector, useGateway } from '../support/fixtures.js';

const fast = { baseMs: 50, factor: 2, capMs: 200, stableMs: 10_000 };

describe('slow connector', () => {
  it('a descriptor later than the handshake timeout: timeout, reconnect, then serve when it is fast enough', async () => {
    const connector = await useConnector();
    connector.faults.descriptorDelayMs = 600;
    const gw = useGateway(connector, { settings: { handshakeTimeoutMs: 300, backoff: fast } });
    const started = gw.connection.start();
    const failed = await gw.reach('reconnecting');
    expect(failed.context.lastError).toMatch(/no descriptor within 300 ms/);
    connector.faults.descriptorDelayMs = 50;
    await started;
    expect(gw.connection.state).toBe('serving');
  });

  it('results after the outbound timeout: ambiguous failures, late results ignored, still serving', async () => {
    const connector = await useConnector({ outboundPolicy: delay(400) });
    const gw = useGateway(connector, { outboundTimeoutMs: 150 });
    await gw.connection.start();
    const outcomes = await Promise.all([1, 2, 3].map((i) => gw.connection.request(sendAction('c', `slow ${i}`))));
    for (const outcome of outcomes) {
      expect(outcome).toEqual({ ok: false, failure: { success: false, error: 'relay outbound timed out', ambiguous: true, code: 'timeout' } });
    }
    await expect.poll(() => gw.connection.metrics().lateResults, { timeout: 2000 }).toBe(3);
    expect(gw.connection.state).toBe('serving');
    expect(gw.connection.metrics().pendingRequests).toBe(0);
    // A faster answer works again on the same connection.
    connector.setOutboundPolicy(delay(10));
    expect(await gw.connection.request(sendAction('c', 'quick'))).toMatchObject({ ok: true });
  });
});
