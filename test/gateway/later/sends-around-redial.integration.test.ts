/**
 * protocol-later §5.4 "sends around a redial": a link that drops fails every pending request at once
 * (connection lost, ambiguous), not after the outbound timeout; a send with no socket fails at once
 * (not connected, not ambiguous) and is never written later; once a new socket is up and its hellos
 * are written, sends are accepted and written after the hellos, before the handshake completes.
 */
import { describe, expect, it } from 'vitest';
import type { SendResult } from '../../../src/protocol/outbound.js';
import { actionOf, DISCORD, inbound, reachState, recordMessages, TELEGRAM, useTestConnector, useTestGateway, waitForHandshakes, type TestLink } from './support.js';

const OUTBOUND_MS = 15_000;

describe('sends around a redial', () => {
  it.each([
    ['the connector closes (1012)', (link: TestLink) => link.close(1012, 'restart')],
    ['the TCP connection drops', (link: TestLink) => link.terminate()],
  ])('%s mid-request: the pending send resolves at once, connection lost, ambiguous', async (_how, drop) => {
    const connector = await useTestConnector({ answer: () => 'never' });
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram' }], timeouts: { outboundMs: OUTBOUND_MS } });
    await gw.start();
    const link = await connector.waitForLink(1);
    const t0 = performance.now();
    const pending = [gw.send('c-1', 'one'), gw.edit('c-1', 'm-1', 'two'), gw.typing('c-1')];
    await connector.waitUntil(() => connector.outbounds(1).length === 3, 'three outbound frames');
    drop(link);
    const results = await Promise.all(pending);
    const elapsed = performance.now() - t0;
    for (const result of results) expect(result).toMatchObject({ success: false, error: 'relay transport connection lost', ambiguous: true });
    // "At once": nowhere near the outbound timeout.
    expect(elapsed).toBeLessThan(OUTBOUND_MS / 3);
    expect(gw.metrics().pendingRequests).toBe(0);
  });

  it('a send while down fails at once, not connected, not ambiguous; it is never written later', async () => {
    const connector = await useTestConnector();
    // A long backoff keeps the gateway down until the test says so.
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram' }], reconnect: { baseMs: 60_000, capMs: 60_000 } });
    await gw.start();
    const down = reachState(gw, 'reconnecting');
    (await connector.waitForLink(1)).close(1012, 'restart');
    await down;

    const result: SendResult = await gw.send('c-1', 'while down');
    expect(result).toMatchObject({ success: false, error: 'relay transport not connected' });
    expect(result.ambiguous).toBeUndefined();
    expect(await gw.typing('c-1')).toMatchObject({ success: false, error: 'relay transport not connected' });

    gw.reconnectNow();
    await waitForHandshakes(gw, 2);
    expect(await gw.send('c-1', 'after')).toMatchObject({ success: true });
    const second = connector.outbounds(2).map((frame) => actionOf(frame).content);
    expect(second).toEqual(['after']);
    expect(connector.outbounds(1)).toEqual([]);
  });

  it('a send while the redial is still dialing (upgrade not answered) fails at once, not connected; never written later', async () => {
    const connector = await useTestConnector();
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram' }], timeouts: { dialMs: 10_000 } });
    await gw.start();
    connector.holdUpgrades = true;
    (await connector.waitForLink(1)).close(1012, 'restart');
    await connector.waitUntil(() => connector.upgradesHeld === 1, 'the redial to reach the connector');
    expect(gw.state).toBe('dialing');
    const result = await gw.send('c-1', 'while dialing');
    expect(result).toMatchObject({ success: false, error: 'relay transport not connected' });
    expect(result.ambiguous).toBeUndefined();
    connector.releaseUpgrades();
    await waitForHandshakes(gw, 2);
    expect(await gw.send('c-1', 'after')).toMatchObject({ success: true });
    expect(connector.outbounds().map((frame) => actionOf(frame).content)).toEqual(['after']);
  });

  it('a send right after a new upgrade, before the descriptor, is written after the hellos and answered after the handshake', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram', botId: 'bot-9' }, { platform: 'discord' }] });
    const seen = recordMessages(gw);
    await gw.start();
    const first = await connector.waitForLink(1);
    first.send(inbound('discord', 'dc-1'));
    await seen.until(1);

    connector.hellos = 'manual';
    first.close(1012, 'restart');
    const second = await connector.waitForLink(2);
    await connector.waitUntil(() => second.frames.length === 2, 'the two hellos of link 2');
    expect(gw.state).not.toBe('serving');

    const sending = gw.send('dc-1', 'early');
    await connector.waitUntil(() => second.frames.length === 3, 'the early send on link 2');
    expect(second.frames.map((frame) => frame.type)).toEqual(['hello', 'hello', 'outbound']);
    expect(second.frames[2]).toMatchObject({ platform: 'discord', action: { op: 'send', chat_id: 'dc-1', content: 'early' } });

    // Results only count after the handshake: descriptor first, then the answer.
    second.sendDescriptor('telegram');
    second.sendDescriptor('discord');
    second.send({ type: 'outbound_result', requestId: second.frames[2]?.requestId, result: { success: true, message_id: 'early-1' } });
    expect(await sending).toMatchObject({ success: true, messageId: 'early-1' });
  });

  it('before the new handshake, gates use the descriptors adopted last', async () => {
    const connector = await useTestConnector({
      descriptors: { telegram: { ...TELEGRAM, supported_ops: [] }, discord: { ...DISCORD, supported_ops: ['delete'] } },
    });
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram' }, { platform: 'discord' }] });
    const seen = recordMessages(gw);
    await gw.start();
    const first = await connector.waitForLink(1);
    first.send(inbound('discord', 'dc-1'), inbound('telegram', 'tg-1'));
    await seen.until(2);

    connector.hellos = 'manual';
    connector.answer = () => 'never';
    first.close(1012, 'restart');
    const second = await connector.waitForLink(2);
    await connector.waitUntil(() => second.frames.length === 2, 'the two hellos of link 2');

    expect(await gw.deleteMessage('tg-1', 'm-1')).toMatchObject({ success: false, code: 'not_supported' });
    const deleting = gw.deleteMessage('dc-1', 'm-1');
    await connector.waitUntil(() => second.frames.length === 3, 'the delete on link 2');
    expect(second.frames[2]).toMatchObject({ type: 'outbound', platform: 'discord', action: { op: 'delete', chat_id: 'dc-1' } });
    second.sendDescriptor('telegram');
    second.send({ type: 'outbound_result', requestId: second.frames[2]?.requestId, result: { success: true } });
    expect(await deleting).toMatchObject({ success: true });
  });
});
