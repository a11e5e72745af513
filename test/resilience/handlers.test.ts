/**
 * Handlers that throw, hang or are slow never stall the reader.
 */
import { describe, expect, it } from 'vitest';
import { sendAction } from '../../src/protocol/outbound.js';
import { useConnector, useGateway } from '../support/fixtures.js';

const msg = (chat: string, text: string) => ({ text, source: { platform: 'telegram', chat_id: chat } });

describe('misbehaving handlers', () => {
  it('throwing, hanging and slow handlers: results still arrive, order per session kept, failures not acked', async () => {
    const connector = await useConnector();
    const order: string[] = [];
    const gw = useGateway(connector, {
      concurrency: 8,
      handler: async (h) => {
        const text = h.event?.text ?? '';
        if (text.startsWith('throw')) throw new Error('handler exploded');
        if (text === 'hang') return new Promise<void>(() => undefined); // never settles
        if (text.startsWith('slow')) await new Promise((resolve) => setTimeout(resolve, 50));
        order.push(text);
      },
    });
    await gw.connection.start();
    const failing = connector.pushInbound(msg('t', 'throw 1')); // live: no bufferId
    expect(failing).toBeUndefined();
    connector.pushInbound(msg('h', 'hang'));
    for (let i = 0; i < 5; i++) connector.pushInbound(msg('s', `slow ${i}`));
    // Outbound results keep flowing while one handler hangs and others are slow.
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => gw.connection.request(sendAction('x', `r${i}`))));
    expect(results.every((r) => r.ok)).toBe(true);
    await expect.poll(() => order.length, { timeout: 3000 }).toBe(5);
    expect(order).toEqual(['slow 0', 'slow 1', 'slow 2', 'slow 3', 'slow 4']);
    expect(gw.connection.metrics().handlerErrors).toBe(1);
    expect(gw.connection.state).toBe('serving');
  });

  it('a buffered delivery whose handler throws is not acked and is redelivered on the next handshake', async () => {
    const connector = await useConnector();
    const id = connector.pushInbound({ ...msg('b', 'throw once'), message_id: 'x-1' });
    let attempts = 0;
    const gw = useGateway(connector, {
      handler: () => {
        attempts++;
        if (attempts === 1) throw new Error('first attempt fails');
      },
    });
    await gw.connection.start();
    await expect.poll(() => gw.connection.metrics().handlerErrors).toBe(1);
    expect(connector.received.some((r) => r.frame.type === 'inbound_ack')).toBe(false);
    gw.connection.reconnectNow();
    await connector.waitForFrame((r) => r.frame.type === 'inbound_ack' && r.frame.bufferId === id);
    expect(attempts).toBe(2);
  });
});
