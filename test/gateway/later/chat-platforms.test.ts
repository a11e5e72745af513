/**
 * Pure rules of protocol-later §1.3: what the chat-platform memory learns, and the tagging table
 * (`outboundTags`, `sendForPlatformCheck`, `outboundFrame`), op by op.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.js';
import { CHAT_TAGGED_OPS, ChatPlatforms, outboundTags, sendForPlatformCheck } from '../../../src/gateway/chat-platforms.js';
import { IdentitySet } from '../../../src/identity/identity-set.js';
import { outboundFrame } from '../../../src/protocol/frames.js';
import type { OutboundAction } from '../../../src/protocol/outbound.js';
import { ALL_OPS } from './support.js';

const identities = new IdentitySet([
  { platform: 'telegram', botId: 'bot-9' },
  { platform: 'discord', botId: '' },
]);

function learned(): ChatPlatforms {
  const chats = new ChatPlatforms();
  chats.learn({ platform: 'telegram', chat_id: 'tg-1' });
  chats.learn({ platform: 'discord', chat_id: 'dc-1' });
  chats.learn({ platform: 'slack', chat_id: 'sl-1' });
  return chats;
}

describe('ChatPlatforms: learning', () => {
  it('records source.platform per chat_id, latest wins', () => {
    const chats = new ChatPlatforms();
    chats.learn({ platform: 'telegram', chat_id: 'c' });
    expect(chats.platformOf('c')).toBe('telegram');
    chats.learn({ platform: 'discord', chat_id: 'c' });
    expect(chats.platformOf('c')).toBe('discord');
    expect(chats.size).toBe(1);
  });

  it('relay (and an empty or missing platform) never records and never overwrites', () => {
    const chats = new ChatPlatforms();
    chats.learn({ platform: 'relay', chat_id: 'r' });
    chats.learn({ platform: '', chat_id: 'e' });
    chats.learn({ platform: null, chat_id: 'n' });
    expect(chats.size).toBe(0);
    chats.learn({ platform: 'telegram', chat_id: 'c' });
    chats.learn({ platform: 'relay', chat_id: 'c' });
    expect(chats.platformOf('c')).toBe('telegram');
  });

  it('an empty or missing chat_id records nothing', () => {
    const chats = new ChatPlatforms();
    chats.learn({ platform: 'telegram', chat_id: '' });
    chats.learn({ platform: 'telegram', chat_id: null });
    chats.learn({ platform: 'telegram' });
    expect(chats.size).toBe(0);
  });

  it('is a bounded LRU: the least recently learned chat goes first; a lookup does not refresh', () => {
    const chats = new ChatPlatforms(2);
    chats.learn({ platform: 'telegram', chat_id: 'a' });
    chats.learn({ platform: 'telegram', chat_id: 'b' });
    chats.learn({ platform: 'discord', chat_id: 'a' });
    expect(chats.platformOf('b')).toBe('telegram');
    chats.learn({ platform: 'telegram', chat_id: 'c' });
    expect(chats.platformOf('b')).toBeUndefined();
    expect(chats.platformOf('a')).toBe('discord');
    expect(chats.size).toBe(2);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new ChatPlatforms(0)).toThrow(InvalidArgumentError);
    expect(() => new ChatPlatforms(1.5)).toThrow(InvalidArgumentError);
  });
});

describe('outboundTags: the §1.3 table', () => {
  const chatOps = ['send', 'edit', 'typing', 'delete', 'draft', 'send_media', 'prompt', 'react', 'thread_create', 'task_card', 'task_card_stop'];

  it('the chat-tagged ops are exactly the table\'s', () => {
    expect([...CHAT_TAGGED_OPS].sort()).toEqual([...chatOps].sort());
    // With thread_rename, follow_up and get_chat_info that is every op.
    expect([...chatOps, 'thread_rename', 'follow_up', 'get_chat_info'].sort()).toEqual([...ALL_OPS].sort());
  });

  it.each(chatOps)('%s: the chat\'s learned platform; botId only when fronted and non-empty; unseen: nothing', (op) => {
    const chats = learned();
    expect(outboundTags(op, { op, chat_id: 'tg-1' }, identities, chats)).toStrictEqual({ platform: 'telegram', botId: 'bot-9' });
    expect(outboundTags(op, { op, chat_id: 'dc-1' }, identities, chats)).toStrictEqual({ platform: 'discord' });
    // Learned but not fronted: still tagged, never with a bot id (the connector decides).
    expect(outboundTags(op, { op, chat_id: 'sl-1' }, identities, chats)).toStrictEqual({ platform: 'slack' });
    expect(outboundTags(op, { op, chat_id: 'x' }, identities, chats)).toStrictEqual({});
    expect(outboundTags(op, { op, chat_id: '' }, identities, chats)).toStrictEqual({});
    expect(outboundTags(op, { op }, identities, chats)).toStrictEqual({});
  });

  it('thread_rename: the parent chat\'s platform, else the thread id\'s, else none', () => {
    const chats = learned();
    expect(outboundTags('thread_rename', { chat_id: 'dc-1', message_id: 'tg-1' }, identities, chats)).toStrictEqual({ platform: 'discord' });
    expect(outboundTags('thread_rename', { chat_id: 'unseen', message_id: 'tg-1' }, identities, chats)).toStrictEqual({ platform: 'telegram', botId: 'bot-9' });
    expect(outboundTags('thread_rename', { chat_id: 'unseen', message_id: 'unseen-too' }, identities, chats)).toStrictEqual({});
  });

  it('follow_up: the part of kind before the first "." when fronted, else none; never the learned chat', () => {
    const chats = learned();
    const tags = (kind: unknown): unknown => outboundTags('follow_up', { session_key: 'tg-1', kind, chat_id: 'tg-1' }, identities, chats);
    expect(tags('discord.interaction_token')).toStrictEqual({ platform: 'discord' });
    expect(tags('telegram.callback.query')).toStrictEqual({ platform: 'telegram', botId: 'bot-9' });
    expect(tags('discord')).toStrictEqual({ platform: 'discord' });
    expect(tags('slack.response_url')).toStrictEqual({});
    expect(tags('.discord')).toStrictEqual({});
    expect(tags('')).toStrictEqual({});
    expect(tags(undefined)).toStrictEqual({});
  });

  it('get_chat_info is never tagged; nor is an op the table does not know', () => {
    const chats = learned();
    expect(outboundTags('get_chat_info', { op: 'get_chat_info', chat_id: 'tg-1' }, identities, chats)).toStrictEqual({});
    expect(outboundTags('brand_new_op', { op: 'brand_new_op', chat_id: 'tg-1' }, identities, chats)).toStrictEqual({});
  });

  it('a relay identity is not fronted: no bot id even when one is configured for it', () => {
    const withRelay = new IdentitySet([
      { platform: 'relay', botId: 'r-1' },
      { platform: 'telegram', botId: '' },
    ]);
    const chats = learned();
    expect(outboundTags('send', { chat_id: 'tg-1' }, withRelay, chats)).toStrictEqual({ platform: 'telegram' });
  });
});

describe('sendForPlatformCheck', () => {
  it('null for a fronted platform; not_fronted for anything else, relay and "" included', () => {
    expect(sendForPlatformCheck('telegram', identities)).toBeNull();
    expect(sendForPlatformCheck('discord', identities)).toBeNull();
    for (const platform of ['slack', 'relay', '', 'Telegram']) {
      expect(sendForPlatformCheck(platform, identities)).toStrictEqual({ success: false, error: `relay does not front platform ${platform}`, code: 'not_fronted' });
    }
  });
});

describe('outboundFrame: the tags on the wire', () => {
  const action = { op: 'send', chat_id: 'c', content: 'x', reply_to: null, metadata: {} } as unknown as OutboundAction;

  it('no tag, or an empty platform: exactly {type, requestId, action}', () => {
    expect(outboundFrame('r-1', action)).toStrictEqual({ type: 'outbound', requestId: 'r-1', action });
    expect(outboundFrame('r-1', action, {})).toStrictEqual({ type: 'outbound', requestId: 'r-1', action });
    expect(outboundFrame('r-1', action, { platform: '', botId: 'b' })).toStrictEqual({ type: 'outbound', requestId: 'r-1', action });
  });

  it('botId only beside a platform and only when non-empty', () => {
    expect(outboundFrame('r-1', action, { platform: 'discord', botId: '' })).toStrictEqual({ type: 'outbound', requestId: 'r-1', action, platform: 'discord' });
    expect(outboundFrame('r-1', action, { platform: 'telegram', botId: 'bot-9' })).toStrictEqual({ type: 'outbound', requestId: 'r-1', action, platform: 'telegram', botId: 'bot-9' });
  });
});
