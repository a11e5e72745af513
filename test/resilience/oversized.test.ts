/**
 * Oversized input: a message over maxPayload and a partial line over the cap both end in 1009 and
 * a reconnect, never in unbounded buffering.
 */
import { describe, expect, it } from 'vitest';
import { useConnector, useGateway } from '../support/fixtures.js';

const fast = { baseMs: 30, factor: 2, capMs: 100, stableMs: 10_000 };

describe('oversized frames', () => {
  it('a WebSocket message larger than maxPayload: closed with 1009, reconnects', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector, { maxPayload: 64 * 1024, settings: { backoff: fast } });
    await gw.connection.start();
    connector.sendRaw(`${JSON.stringify({ type: 'inbound', event: { text: 'x'.repeat(100 * 1024) } })}\n`);
    const change = await gw.reach('reconnecting');
    expect(change.context.lastClose?.code).toBe(1009);
    await connector.waitForHandshake(2);
  });

  it('a partial line that never ends, across many messages: closed with 1009 at the cap', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector, { maxLineBytes: 16 * 1024, settings: { backoff: fast } });
    await gw.connection.start();
    connector.sendRaw('{"type":"inbound","event":{"text":"');
    for (let i = 0; i < 40; i++) connector.sendRaw('y'.repeat(1024));
    const change = await gw.reach('reconnecting');
    expect(change.context.lastClose?.code).toBe(1009);
    expect(gw.handled).toHaveLength(0);
  });
});
