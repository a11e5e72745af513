/**
 * protocol-later §7 "forward compatibility": traces of the custody contracts are tolerated and
 * ignored (`delivery_id` on inbound and passthrough, `event.owner_id`, a descriptor `capabilities`
 * list, unknown frame types, `contract_version` 2); delivery works, acks stay exactly
 * `{type, bufferId}`, hellos carry nothing new, no `turn_completed` is sent, and the newer version is
 * logged once.
 */
import { describe, expect, it } from 'vitest';
import { captureLogger, inbound, recordMessages, TELEGRAM, DISCORD, useTestConnector, useTestGateway, waitForHandshakes, type Json, type TestConnector } from './support.js';

const CUSTODY = { contract_version: 2, capabilities: ['custody', 'owner_bound'], runtime_epoch: 7, custody: { mode: 'owner' } };

const interaction = { type: 3, id: 'int-1', channel_id: 'pt-1', guild_id: 'g-1', member: { user: { id: 'u-1', username: 'al' } }, data: { custom_id: 'pressed' } };

const acks = (connector: TestConnector): Json[] => connector.seen.filter((s) => s.frame.type === 'inbound_ack').map((s) => s.frame);

describe('forward compatibility', () => {
  it('custody traces everywhere: delivery works, acks are exactly {type, bufferId}, unknown types are ignored, v2 is logged once', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: { ...TELEGRAM, ...CUSTODY }, discord: { ...DISCORD, ...CUSTODY } } });
    const { logger, lines } = captureLogger();
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram', botId: 'bot-9' }, { platform: 'discord' }], logger });
    const handled: Array<{ chat: string; text: string; bufferId: string | undefined; keys: string[] }> = [];
    gw.onMessage(async (event, ctx) => {
      handled.push({ chat: event.source.chat_id, text: event.text, bufferId: ctx.bufferId, keys: Object.keys(event) });
      await gw.send(event.source.chat_id, `re: ${event.text}`);
    });
    await gw.start();
    expect(gw.descriptor).toMatchObject({ contract_version: 2, platform: 'telegram' });
    expect(gw.descriptor).not.toHaveProperty('capabilities');

    const link = await connector.waitForLink(1);
    link.send(
      { type: 'custody_offer', delivery_id: 'd-0', owner_id: 'owner-1' },
      inbound('telegram', 'tg-1', { bufferId: 'b-1', text: 'custody inbound', frame: { delivery_id: 'd-1' }, event: { owner_id: 'owner-1' } }),
      {
        type: 'passthrough_forward',
        delivery_id: 'd-2',
        bufferId: 'b-2',
        forward: { platform: 'discord', botId: '', method: 'POST', path: '/interactions', headers: [], bodyB64: Buffer.from(JSON.stringify(interaction)).toString('base64') },
      },
      { type: 'turn_completed', delivery_id: 'd-1' },
    );
    await connector.waitUntil(() => acks(connector).length === 2 && connector.outbounds(1).length === 2, 'two acks and two replies');

    expect(acks(connector).sort((a, b) => String(a.bufferId).localeCompare(String(b.bufferId)))).toStrictEqual([
      { type: 'inbound_ack', bufferId: 'b-1' },
      { type: 'inbound_ack', bufferId: 'b-2' },
    ]);
    expect(handled.map((h) => [h.chat, h.text, h.bufferId]).sort()).toEqual([
      ['pt-1', 'pressed', 'b-2'],
      ['tg-1', 'custody inbound', 'b-1'],
    ]);
    // owner_id is not carried into the event.
    for (const h of handled) expect(h.keys).not.toContain('owner_id');
    expect(connector.outbounds(1).map((frame) => frame.platform).sort()).toEqual(['discord', 'telegram']);
    expect(gw.metrics()).toMatchObject({ unknownFrames: 2, invalidFrames: 0, dials: 1 });
    expect(gw.state).toBe('serving');

    // The gateway writes nothing of the custody contract: hellos as in v1, no turn_completed.
    expect(link.frames.filter((frame) => frame.type === 'hello')).toStrictEqual([
      { type: 'hello', platform: 'telegram', botId: 'bot-9' },
      { type: 'hello', platform: 'discord', botId: '' },
    ]);
    expect([...new Set(connector.seen.map((s) => s.frame.type))].sort()).toEqual(['hello', 'inbound_ack', 'outbound']);

    // A second handshake, v2 again: still one log line about the contract version.
    link.close(1012, 'restart');
    await connector.waitForLink(2);
    await waitForHandshakes(gw, 2);
    const versionLines = lines.filter((entry) => /contract/i.test(entry.message));
    expect(versionLines).toHaveLength(1);
    expect(versionLines[0]?.fields).toMatchObject({ contractVersion: 2 });
  });

  it('a v2 descriptor on a later identity only is logged once too, and adopted', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: { ...DISCORD, ...CUSTODY } } });
    const { logger, lines } = captureLogger();
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram' }, { platform: 'discord' }], logger });
    const seen = recordMessages(gw);
    await gw.start();
    const link = await connector.waitForLink(1);
    link.send(inbound('discord', 'dc-1'));
    await seen.until(1);
    expect(gw.descriptorForChat('dc-1')).toMatchObject({ platform: 'discord', contract_version: 2 });
    expect(lines.filter((entry) => /contract/i.test(entry.message))).toHaveLength(1);
  });
});
