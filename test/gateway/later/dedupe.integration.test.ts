/**
 * protocol-later §1.5 "dedupe": the duplicate key is `<platform>:<chat_id>:<message_id>` with the
 * decoded platform, so one chat id and message id on two platforms are two messages; an exact replay
 * is handled once (and a buffered replay acked again, base §9).
 */
import { describe, expect, it } from 'vitest';
import { DISCORD, inbound, recordMessages, TELEGRAM, useTestConnector, useTestGateway, waitForHandshakes, type Json, type TestConnector } from './support.js';

const identities = [{ platform: 'telegram' }, { platform: 'discord' }];

const acks = (connector: TestConnector, link?: number): Json[] =>
  connector.seen.filter((s) => s.frame.type === 'inbound_ack' && (link === undefined || s.link === link)).map((s) => s.frame);

describe('dedupe', () => {
  it('live: the same chat_id + message_id from telegram and discord are both delivered; an exact replay once', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    await gw.start();
    const link = await connector.waitForLink(1);
    link.send(
      inbound('telegram', 'c-1', { messageId: '7', text: 'telegram 7' }),
      inbound('discord', 'c-1', { messageId: '7', text: 'discord 7' }),
      inbound('telegram', 'c-1', { messageId: '7', text: 'telegram 7 replayed' }),
      inbound('discord', 'c-1', { messageId: '7', text: 'discord 7 replayed' }),
      // Same sessions, later: handled after anything queued before them.
      inbound('telegram', 'c-1', { messageId: '8', text: 'telegram 8' }),
      inbound('discord', 'c-1', { messageId: '8', text: 'discord 8' }),
    );
    await seen.until(4);
    expect(seen.events.map((event) => event.text).sort()).toEqual(['discord 7', 'discord 8', 'telegram 7', 'telegram 8']);
    expect(gw.metrics().duplicatesDropped).toBe(2);
  });

  it('buffered: both platforms handled and acked; a replay (new or same bufferId) is acked again, never re-run', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    await gw.start();
    const link = await connector.waitForLink(1);
    link.send(inbound('telegram', 'c-1', { messageId: '7', bufferId: 'b-1' }), inbound('discord', 'c-1', { messageId: '7', bufferId: 'b-2' }));
    await connector.waitUntil(() => acks(connector).length === 2, 'two acks');
    link.send(inbound('telegram', 'c-1', { messageId: '7', bufferId: 'b-3' }), inbound('discord', 'c-1', { messageId: '7', bufferId: 'b-2' }));
    await connector.waitUntil(() => acks(connector).length === 4, 'two more acks');
    expect(acks(connector).slice(2)).toStrictEqual([
      { type: 'inbound_ack', bufferId: 'b-3' },
      { type: 'inbound_ack', bufferId: 'b-2' },
    ]);
    expect(seen.events.map((event) => [event.platform, event.bufferId]).sort()).toEqual([
      ['discord', 'b-2'],
      ['telegram', 'b-1'],
    ]);
  });

  it('a replay on the next link after a redial is acked and not handled again', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    await gw.start();
    const first = await connector.waitForLink(1);
    first.send(inbound('discord', 'c-1', { messageId: '9', bufferId: 'b-1' }));
    await connector.waitUntil(() => acks(connector, 1).length === 1, 'the ack on link 1');
    first.close(1012, 'restart');
    const second = await connector.waitForLink(2);
    await waitForHandshakes(gw, 2);
    second.send(inbound('discord', 'c-1', { messageId: '9', bufferId: 'b-1' }), inbound('telegram', 'c-1', { messageId: '9', bufferId: 'b-2' }));
    await connector.waitUntil(() => acks(connector, 2).length === 2, 'two acks on link 2');
    expect(acks(connector, 2).map((ack) => ack.bufferId).sort()).toEqual(['b-1', 'b-2']);
    expect(seen.events.map((event) => `${event.platform}:${event.bufferId}`).sort()).toEqual(['discord:b-1', 'telegram:b-2']);
  });

  it('the key uses the decoded platform: an unknown platform name decodes to relay and collides with relay', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    await gw.start();
    const link = await connector.waitForLink(1);
    link.send(
      inbound('relay', 'c-1', { messageId: '5', text: 'relay 5' }),
      inbound('myspace', 'c-1', { messageId: '5', text: 'myspace 5' }),
      inbound('relay', 'c-1', { messageId: '6', text: 'relay 6' }),
    );
    await seen.until(2);
    expect(seen.events.map((event) => event.text)).toEqual(['relay 5', 'relay 6']);
  });

  it('events without a message id are never collapsed', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    await gw.start();
    const link = await connector.waitForLink(1);
    link.send(inbound('telegram', 'c-1', { text: 'same' }), inbound('telegram', 'c-1', { text: 'same' }));
    await seen.until(2);
    expect(seen.events).toHaveLength(2);
  });

  it('a replayed Discord passthrough (same interaction) is acked again and handled once', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    await gw.start();
    const link = await connector.waitForLink(1);
    const body = Buffer.from(JSON.stringify({ type: 3, id: 'int-7', channel_id: 'c-1', data: { custom_id: 'go' }, user: { id: 'u-1', username: 'al' } })).toString('base64');
    const forward = (bufferId: string): Json => ({
      type: 'passthrough_forward',
      bufferId,
      forward: { platform: 'discord', botId: '', method: 'POST', path: '/interactions', headers: [], bodyB64: body },
    });
    link.send(forward('p-1'), forward('p-2'), inbound('telegram', 'c-1', { messageId: 'int-7', bufferId: 'p-3' }));
    await connector.waitUntil(() => acks(connector).length === 3, 'three acks');
    expect(acks(connector).map((ack) => ack.bufferId).sort()).toEqual(['p-1', 'p-2', 'p-3']);
    // The telegram message with the same chat and id is another message.
    expect(seen.events.map((event) => `${event.platform}:${event.chatId}:${event.messageId}`).sort()).toEqual(['discord:c-1:int-7', 'telegram:c-1:int-7']);
  });
});
