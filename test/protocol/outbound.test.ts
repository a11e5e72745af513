import { describe, it, expect } from 'vitest';
import {
  OUTBOUND_OPS,
  TRANSPORT_ERRORS,
  editAction,
  followUpAction,
  getChatInfoAction,
  outboundActionSchema,
  sendAction,
  sendActionSchema,
  toChatInfo,
  toSendResult,
  typingAction,
} from '../../src/protocol/outbound.js';

function sortedKeys(value: object): string[] {
  return Object.keys(value).sort();
}

describe('action builders', () => {
  it('names the five ops of contract version 1', () => {
    expect([...OUTBOUND_OPS]).toEqual(['send', 'edit', 'typing', 'follow_up', 'get_chat_info']);
  });

  it('send always carries reply_to (null) and metadata ({})', () => {
    const action = sendAction('c1', 'hello');
    expect(sortedKeys(action)).toEqual(['chat_id', 'content', 'metadata', 'op', 'reply_to']);
    expect(action).toEqual({ op: 'send', chat_id: 'c1', content: 'hello', reply_to: null, metadata: {} });
    expect(JSON.parse(JSON.stringify(action))).toHaveProperty('reply_to', null);
  });

  it('send keeps reply_to and metadata when given', () => {
    const metadata = { scope_id: 'g' };
    const action = sendAction('c1', 'hello', { replyTo: 'm9', metadata });
    expect(action.reply_to).toBe('m9');
    expect(action.metadata).toEqual({ scope_id: 'g' });
    expect(action.metadata).not.toBe(metadata);
  });

  it('edit has exactly op, chat_id, message_id, content, metadata', () => {
    const action = editAction('c1', 'm1', 'new');
    expect(sortedKeys(action)).toEqual(['chat_id', 'content', 'message_id', 'metadata', 'op']);
    expect(action).toEqual({ op: 'edit', chat_id: 'c1', message_id: 'm1', content: 'new', metadata: {} });
  });

  it('typing has exactly op, chat_id, metadata', () => {
    const action = typingAction('c1');
    expect(sortedKeys(action)).toEqual(['chat_id', 'metadata', 'op']);
    expect(action).toEqual({ op: 'typing', chat_id: 'c1', metadata: {} });
  });

  it('follow_up has exactly op, session_key, kind, content, metadata', () => {
    const action = followUpAction('agent:main:discord:dm:1', 'discord.interaction_token', 'late reply');
    expect(sortedKeys(action)).toEqual(['content', 'kind', 'metadata', 'op', 'session_key']);
    expect(action).toEqual({
      op: 'follow_up',
      session_key: 'agent:main:discord:dm:1',
      kind: 'discord.interaction_token',
      content: 'late reply',
      metadata: {},
    });
    expect(followUpAction('k', 'kind', 'x', { a: 1 }).metadata).toEqual({ a: 1 });
  });

  it('get_chat_info has exactly op, chat_id', () => {
    const action = getChatInfoAction('c1');
    expect(sortedKeys(action)).toEqual(['chat_id', 'op']);
    expect(action).toEqual({ op: 'get_chat_info', chat_id: 'c1' });
  });

  it('every builder output validates against outboundActionSchema', () => {
    const actions = [
      sendAction('c', 'x', { replyTo: 'r', metadata: { k: 'v' } }),
      sendAction('c', 'x'),
      editAction('c', 'm', 'x'),
      typingAction('c'),
      followUpAction('s', 'k', 'x'),
      getChatInfoAction('c'),
    ];
    for (const action of actions) expect(outboundActionSchema.parse(action)).toEqual(action);
  });
});

describe('outboundActionSchema', () => {
  it('rejects a follow_up carrying a token', () => {
    const result = outboundActionSchema.safeParse({ ...followUpAction('s', 'discord.interaction_token', 'x'), token: 'secret' });
    expect(result.success).toBe(false);
  });

  it('rejects a send without reply_to or without metadata (both keys always present)', () => {
    const { reply_to: _r, ...noReply } = sendAction('c', 'x');
    const { metadata: _m, ...noMetadata } = sendAction('c', 'x');
    expect(sendActionSchema.safeParse(noReply).success).toBe(false);
    expect(sendActionSchema.safeParse(noMetadata).success).toBe(false);
    expect(outboundActionSchema.safeParse(noReply).success).toBe(false);
  });

  it('rejects a follow_up without metadata', () => {
    const { metadata: _m, ...rest } = followUpAction('s', 'k', 'x');
    expect(outboundActionSchema.safeParse(rest).success).toBe(false);
  });

  it('rejects an unknown op', () => {
    expect(outboundActionSchema.safeParse({ op: 'delete', chat_id: 'c' }).success).toBe(false);
  });
});

describe('toSendResult', () => {
  it('reads success with a message id', () => {
    expect(toSendResult({ success: true, message_id: 'm1' })).toEqual({ success: true, messageId: 'm1' });
  });

  it('turns a numeric message_id into a string', () => {
    expect(toSendResult({ success: true, message_id: 42 })).toEqual({ success: true, messageId: '42' });
  });

  it('reads a failure with its error', () => {
    expect(toSendResult({ success: false, error: 'chat not found' })).toEqual({ success: false, error: 'chat not found' });
  });

  it('leaves out absent or null message_id and error', () => {
    const result = toSendResult({ success: true, message_id: null, error: null });
    expect(result).toEqual({ success: true });
    expect(Object.hasOwn(result, 'messageId')).toBe(false);
    expect(Object.hasOwn(result, 'error')).toBe(false);
  });

  it('ignores unknown keys', () => {
    expect(toSendResult({ success: true, extra: 1 })).toEqual({ success: true });
  });

  it.each([{}, { success: 'yes' }, { message_id: 'm1' }, { success: true, message_id: {} }])(
    'turns a malformed result %j into a failure with an error',
    (raw) => {
      const result = toSendResult(raw);
      expect(result.success).toBe(false);
      expect(typeof result.error).toBe('string');
      expect(result.error!.length).toBeGreaterThan(0);
    },
  );
});

describe('toChatInfo', () => {
  it('reads the info nested under chat_info', () => {
    expect(toChatInfo({ success: true, chat_info: { name: 'General', type: 'group' } }, 'c1')).toEqual({
      name: 'General',
      type: 'group',
    });
  });

  it('prefers chat_info over flat keys', () => {
    expect(toChatInfo({ name: 'flat', type: 'channel', chat_info: { name: 'nested', type: 'group' } }, 'c1')).toEqual({
      name: 'nested',
      type: 'group',
    });
  });

  it('reads a flat result when there is no chat_info', () => {
    expect(toChatInfo({ name: 'Ann', type: 'dm' }, 'c1')).toEqual({ name: 'Ann', type: 'dm' });
    expect(toChatInfo({ name: 'Team', type: 'channel' }, 'c1')).toEqual({ name: 'Team', type: 'channel' });
  });

  it('uses the chat id when the name is missing', () => {
    expect(toChatInfo({ type: 'group' }, 'c1')).toEqual({ name: 'c1', type: 'group' });
    expect(toChatInfo({ chat_info: { type: 'group' } }, 'c1')).toEqual({ name: 'c1', type: 'group' });
    expect(toChatInfo({ name: null }, 'c1').name).toBe('c1');
  });

  it('uses dm when the type is missing', () => {
    expect(toChatInfo({ name: 'n' }, 'c1')).toEqual({ name: 'n', type: 'dm' });
    expect(toChatInfo({}, 'c1')).toEqual({ name: 'c1', type: 'dm' });
  });
});

describe('TRANSPORT_ERRORS', () => {
  it('match the spec §7 strings exactly', () => {
    expect(TRANSPORT_ERRORS).toEqual({
      notConnected: 'relay transport not connected',
      closed: 'relay transport closed',
      timedOut: 'relay outbound timed out',
      connectionLost: 'relay transport connection lost',
      sendFailed: 'relay send failed: ',
      notSupported: 'Not supported',
    });
    expect(Object.isFrozen(TRANSPORT_ERRORS)).toBe(true);
  });
});
