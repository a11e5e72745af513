/**
 * protocol-later §1.3 "outbound tagging": `platform` from the chat's learned platform, `botId` only
 * when that platform is fronted with a non-empty id; `follow_up` by its kind's prefix; never on
 * `get_chat_info`; `sendForPlatform` refuses a platform this gateway does not front, writing nothing.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RelayGateway } from '../../../src/gateway/create-relay-gateway.js';
import {
  actionOf,
  ALL_OPS,
  DISCORD,
  inbound,
  outboundsBeforeMarker,
  recordMessages,
  SLACK,
  TELEGRAM,
  useTestConnector,
  useTestGateway,
  type Json,
  type TestConnector,
  type TestLink,
} from './support.js';

const identities = [{ platform: 'telegram', botId: 'bot-9' }, { platform: 'discord', botId: '' }];
const everyOp = { supported_ops: [...ALL_OPS], supports_draft_streaming: true };

describe('outbound tagging: the §1.3 example', () => {
  let connector: TestConnector;
  let gw: RelayGateway;
  let link: TestLink;
  let seen: ReturnType<typeof recordMessages>;

  beforeEach(async () => {
    connector = await useTestConnector({
      descriptors: { telegram: { ...TELEGRAM, ...everyOp }, discord: { ...DISCORD, ...everyOp } },
    });
    gw = useTestGateway(connector, { identities });
    seen = recordMessages(gw);
    await gw.start();
    link = await connector.waitForLink(1);
    link.send(inbound('telegram', 'tg-1'), inbound('discord', 'dc-1', { chatType: 'group', scopeId: 'guild-1' }));
    await seen.until(2);
  });

  const lastOutbound = (): Json => {
    const frame = connector.outbounds(link.id).at(-1);
    if (!frame) throw new Error('no outbound frame');
    return frame;
  };

  it('a reply to tg-1 carries platform telegram and botId bot-9; to dc-1 platform discord only; to unseen x neither', async () => {
    expect(await gw.send('tg-1', 'to telegram')).toMatchObject({ success: true });
    expect(lastOutbound()).toStrictEqual({
      type: 'outbound',
      requestId: expect.any(String),
      action: { op: 'send', chat_id: 'tg-1', content: 'to telegram', reply_to: null, metadata: { user_id: 'u-tg-1' } },
      platform: 'telegram',
      botId: 'bot-9',
    });

    expect(await gw.send('dc-1', 'to discord')).toMatchObject({ success: true });
    expect(lastOutbound()).toStrictEqual({
      type: 'outbound',
      requestId: expect.any(String),
      action: { op: 'send', chat_id: 'dc-1', content: 'to discord', reply_to: null, metadata: { scope_id: 'guild-1', guild_id: 'guild-1', user_id: 'u-dc-1' } },
      platform: 'discord',
    });

    expect(await gw.send('x', 'to nowhere known')).toMatchObject({ success: true });
    expect(lastOutbound()).toStrictEqual({
      type: 'outbound',
      requestId: expect.any(String),
      action: { op: 'send', chat_id: 'x', content: 'to nowhere known', reply_to: null, metadata: {} },
    });
    // Key order on the wire: type, requestId, action, then the tags.
    expect(Object.keys(connector.outbounds(link.id)[0] as Json)).toEqual(['type', 'requestId', 'action', 'platform', 'botId']);
  });

  const chatOps: Array<[op: string, call: (gw: RelayGateway, chat: string) => Promise<unknown>]> = [
    ['send', (g, chat) => g.send(chat, 'c')],
    ['edit', (g, chat) => g.edit(chat, 'm-1', 'c')],
    ['typing', (g, chat) => g.typing(chat)],
    ['delete', (g, chat) => g.deleteMessage(chat, 'm-1')],
    ['draft', (g, chat) => g.draft(chat, 1, 'c')],
    ['send_media', (g, chat) => g.sendMedia(chat, 'https://cdn.example/a.png', { kind: 'image' })],
    ['prompt', (g, chat) => g.prompt(chat, 'ok?', { kind: 'approval', options: [{ id: 'yes', label: 'Yes' }] })],
    ['react', (g, chat) => g.react(chat, 'm-1', '👍')],
    ['thread_create', (g, chat) => g.threadCreate(chat, 'topic')],
    ['task_card', (g, chat) => g.taskCard(chat, 'card-1', [{ id: 'a', title: 'A', status: 'running', details: '', output: '' }])],
    ['task_card_stop', (g, chat) => g.taskCardStop(chat, 'card-1')],
    ['thread_rename', (g, chat) => g.threadRename('thread-1', 'new name', { parentChatId: chat, onlyIfConnectorCreated: true })],
  ];

  it.each(chatOps)('%s is tagged with its chat\'s learned platform (botId only for a fronted non-empty id)', async (op, call) => {
    const tagsOf = (frame: Json): Json => ({ platform: frame.platform, botId: frame.botId });
    await call(gw, 'tg-1');
    expect(actionOf(lastOutbound()).op).toBe(op);
    expect(tagsOf(lastOutbound())).toEqual({ platform: 'telegram', botId: 'bot-9' });
    await call(gw, 'dc-1');
    expect(actionOf(lastOutbound()).op).toBe(op);
    expect(lastOutbound()).toHaveProperty('platform', 'discord');
    expect(lastOutbound()).not.toHaveProperty('botId');
    await call(gw, 'unseen-x');
    expect(actionOf(lastOutbound()).op).toBe(op);
    expect(Object.keys(lastOutbound()).sort()).toEqual(['action', 'requestId', 'type']);
  });

  it('thread_rename: the parent chat\'s platform, else the thread id\'s, else none', async () => {
    await gw.threadRename('tg-1', 'n', { parentChatId: 'unseen-parent', onlyIfConnectorCreated: true });
    expect(lastOutbound()).toMatchObject({ platform: 'telegram', botId: 'bot-9', action: { op: 'thread_rename', chat_id: 'unseen-parent', message_id: 'tg-1' } });
    await gw.threadRename('tg-1', 'n', { parentChatId: 'dc-1', onlyIfConnectorCreated: true });
    expect(lastOutbound()).toMatchObject({ platform: 'discord', action: { chat_id: 'dc-1', message_id: 'tg-1' } });
    await gw.threadRename('dc-1', 'n', { onlyIfConnectorCreated: true });
    expect(lastOutbound()).toMatchObject({ platform: 'discord', action: { chat_id: 'dc-1', message_id: 'dc-1' } });
    await gw.threadRename('unseen-thread', 'n', { parentChatId: 'unseen-parent', onlyIfConnectorCreated: true });
    expect(Object.keys(lastOutbound()).sort()).toEqual(['action', 'requestId', 'type']);
  });

  it('follow_up is tagged by the part of kind before the first "." when fronted, else not at all', async () => {
    const cases: Array<[kind: string, tags: Json]> = [
      ['discord.interaction_token', { platform: 'discord' }],
      ['telegram.callback.query', { platform: 'telegram', botId: 'bot-9' }],
      ['discord', { platform: 'discord' }],
      ['slack.response_url', {}],
      ['relay.thing', {}],
      ['.discord', {}],
    ];
    for (const [kind, tags] of cases) {
      expect(await gw.followUp('agent:main:discord:group:dc-1', kind, 'late reply')).toMatchObject({ success: true });
      expect(lastOutbound(), kind).toStrictEqual({
        type: 'outbound',
        requestId: expect.any(String),
        action: { op: 'follow_up', session_key: 'agent:main:discord:group:dc-1', kind, content: 'late reply', metadata: {} },
        ...tags,
      });
    }
  });

  it('get_chat_info is never tagged, even for a learned chat', async () => {
    link.send(inbound('telegram', 'tg-1', { text: 'again' }));
    await seen.until(3);
    for (const chat of ['tg-1', 'dc-1']) {
      await gw.getChatInfo(chat);
      expect(lastOutbound()).toStrictEqual({ type: 'outbound', requestId: expect.any(String), action: { op: 'get_chat_info', chat_id: chat } });
    }
  });

  it('sendForPlatform("slack", …): not_fronted at once and no frame arrives; relay is not fronted either', async () => {
    expect(await gw.sendForPlatform('slack', 'C1', 'scheduled')).toStrictEqual({ success: false, error: 'relay does not front platform slack', code: 'not_fronted' });
    expect(await gw.sendForPlatform('relay', 'C1', 'scheduled')).toStrictEqual({ success: false, error: 'relay does not front platform relay', code: 'not_fronted' });
    expect(await outboundsBeforeMarker(gw, connector, link.id)).toEqual([]);
  });

  it('sendForPlatform for a fronted platform is tagged with that platform, whatever was learned for the chat', async () => {
    expect(await gw.sendForPlatform('telegram', 'restored-1', 'hi')).toMatchObject({ success: true });
    expect(lastOutbound()).toStrictEqual({
      type: 'outbound',
      requestId: expect.any(String),
      action: { op: 'send', chat_id: 'restored-1', content: 'hi', reply_to: null, metadata: {} },
      platform: 'telegram',
      botId: 'bot-9',
    });
    expect(await gw.sendForPlatform('discord', 'tg-1', 'hi')).toMatchObject({ success: true });
    expect(lastOutbound()).toMatchObject({ platform: 'discord', action: { chat_id: 'tg-1', metadata: { user_id: 'u-tg-1' } } });
    expect(lastOutbound()).not.toHaveProperty('botId');
  });
});

describe('outbound tagging: learning', () => {
  it('relay and unknown platforms never record or overwrite; latest wins; a learned platform that is not fronted is tagged without botId', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD, slack: SLACK } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    await gw.start();
    const link = await connector.waitForLink(1);
    link.send(
      inbound('telegram', 'tg-1'),
      inbound('relay', 'tg-1'),
      inbound('myspace', 'tg-1'),
      inbound('relay', 'relay-only'),
      inbound('discord', 'moved'),
      inbound('telegram', 'moved'),
      inbound('slack', 'sl-1'),
    );
    await seen.until(7);
    // Learning happens as frames are read, in order; handlers of different sessions may run in any order.
    expect(seen.events.map((event) => event.platform).sort()).toEqual(['discord', 'relay', 'relay', 'relay', 'slack', 'telegram', 'telegram']);
    const tagsFor = async (chat: string): Promise<Json> => {
      await gw.send(chat, 'x');
      const frame = connector.outbounds(link.id).at(-1) as Json;
      return { platform: frame.platform, botId: frame.botId };
    };
    expect(await tagsFor('tg-1')).toEqual({ platform: 'telegram', botId: 'bot-9' });
    expect(await tagsFor('relay-only')).toEqual({ platform: undefined, botId: undefined });
    expect(await tagsFor('moved')).toEqual({ platform: 'telegram', botId: 'bot-9' });
    expect(await tagsFor('sl-1')).toEqual({ platform: 'slack', botId: undefined });
    expect(gw.metrics().chatPlatforms).toBe(3);
  });

  it('the memory is bounded by scopeMemorySize: the least recently seen chat loses its tag', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities, scopeMemorySize: 2 });
    const seen = recordMessages(gw);
    await gw.start();
    const link = await connector.waitForLink(1);
    link.send(inbound('telegram', 'a'), inbound('discord', 'b'), inbound('telegram', 'c'));
    await seen.until(3);
    expect(gw.metrics().chatPlatforms).toBe(2);
    await gw.send('a', 'x');
    expect(Object.keys(connector.outbounds(link.id).at(-1) as Json).sort()).toEqual(['action', 'requestId', 'type']);
    await gw.send('b', 'x');
    expect(connector.outbounds(link.id).at(-1)).toMatchObject({ platform: 'discord' });
  });

  it('a prompt response and a decoded Discord passthrough teach the chat platform too', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    await gw.start();
    const link = await connector.waitForLink(1);
    const interaction = { type: 2, id: 'int-1', channel_id: 'pt-1', guild_id: 'g-1', member: { user: { id: 'u-1', username: 'al' } }, data: { name: 'ask' } };
    link.send(
      // A foreign prompt's press: consumed silently, never handled as a message.
      inbound('discord', 'pr-1', { event: { text: '/yes', message_type: 'command', prompt_response: { prompt_id: 'ffffff.00000000', option_id: 'yes' } } }),
      {
        type: 'passthrough_forward',
        forward: { platform: 'discord', botId: '', method: 'POST', path: '/interactions', headers: [], bodyB64: Buffer.from(JSON.stringify(interaction)).toString('base64') },
      },
      inbound('telegram', 'after'),
    );
    await seen.until(2);
    expect(seen.events.map((event) => event.chatId)).toEqual(['pt-1', 'after']);
    await gw.send('pr-1', 'x');
    expect(connector.outbounds(link.id).at(-1)).toMatchObject({ platform: 'discord', action: { chat_id: 'pr-1' } });
    await gw.send('pt-1', 'x');
    expect(connector.outbounds(link.id).at(-1)).toMatchObject({ platform: 'discord', action: { chat_id: 'pt-1', metadata: { scope_id: 'g-1' } } });
  });
});
