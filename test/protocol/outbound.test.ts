import { describe, it, expect } from 'vitest';
import {
  BASE_OPS,
  MALFORMED_RESULT_ERROR,
  OUTBOUND_OPS,
  RESULT_CODES,
  TRANSPORT_ERRORS,
  editAction,
  followUpAction,
  getChatInfoAction,
  outboundActionSchema,
  sendAction,
  sendActionSchema,
  toChatInfo,
  toAutoThread,
  toSendResult,
  toThreadCreateResult,
  typingAction,
  type SendResult,
} from '../../src/protocol/outbound.js';

function sortedKeys(value: object): string[] {
  return Object.keys(value).sort();
}

describe('action builders', () => {
  it('names the five base ops, then the nine later ones', () => {
    expect([...BASE_OPS]).toEqual(['send', 'edit', 'typing', 'follow_up', 'get_chat_info']);
    expect([...OUTBOUND_OPS]).toEqual([
      'send', 'edit', 'typing', 'follow_up', 'get_chat_info',
      'draft', 'send_media', 'prompt', 'react', 'thread_create', 'thread_rename', 'delete', 'task_card', 'task_card_stop',
    ]);
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
    expect(outboundActionSchema.safeParse({ op: 'frobnicate', chat_id: 'c', metadata: {} }).success).toBe(false);
  });

  it('rejects a later op missing a field or carrying a stray one', () => {
    expect(outboundActionSchema.safeParse({ op: 'delete', chat_id: 'c' }).success).toBe(false);
    expect(outboundActionSchema.safeParse({ op: 'delete', chat_id: 'c', message_id: 'm', metadata: {} }).success).toBe(true);
    expect(outboundActionSchema.safeParse({ op: 'delete', chat_id: 'c', message_id: 'm', metadata: {}, internal: 1 }).success).toBe(false);
    expect(outboundActionSchema.safeParse({ op: 'thread_create', chat_id: 'c', thread_name: 'n', metadata: {}, message_id: null }).success).toBe(false);
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

  it('keeps unknown keys untouched under raw, and only then has raw', () => {
    const nested = { a: [1, 2] };
    const result = toSendResult({ success: true, extra: 1, nested, chat_info: { name: 'x' } });
    expect(result).toStrictEqual({ success: true, raw: { extra: 1, nested, chat_info: { name: 'x' } } });
    expect(result.raw?.nested).toBe(nested);
    expect(Object.hasOwn(toSendResult({ success: true }), 'raw')).toBe(false);
  });

  it('reads code, thread_id and auto_thread_name', () => {
    expect(toSendResult({ success: false, error: 'discord egress declined: target is not an approved destination for this connection', code: 'egress_declined' })).toStrictEqual({
      success: false,
      error: 'discord egress declined: target is not an approved destination for this connection',
      code: 'egress_declined',
    });
    expect(toSendResult({ success: true, message_id: 'm1', thread_id: 't1', auto_thread_name: 'Handoff' })).toStrictEqual({
      success: true,
      messageId: 'm1',
      threadId: 't1',
      autoThreadName: 'Handoff',
    });
    // Any connector code is passed on verbatim.
    expect(toSendResult({ success: false, code: 'rate_limited' }).code).toBe('rate_limited');
  });

  it('reads a numeric thread_id as a string (Telegram thread ids are integers)', () => {
    expect(toSendResult({ success: true, thread_id: 17585 })).toStrictEqual({ success: true, threadId: '17585' });
  });

  it.each([
    ['an empty code', { code: '' }],
    ['a numeric code', { code: 7 }],
    ['a null thread_id', { thread_id: null }],
    ['an empty thread_id', { thread_id: '' }],
    ['a non-finite thread_id', { thread_id: Number.POSITIVE_INFINITY }],
    ['an object auto_thread_name', { auto_thread_name: {} }],
    ['an empty auto_thread_name', { auto_thread_name: '' }],
  ])('drops %s instead of failing the result', (_name, fields) => {
    expect(toSendResult({ success: true, ...fields })).toStrictEqual({ success: true });
  });

  it('drops a connector ambiguous key: only the gateway may say so', () => {
    const result = toSendResult({ success: false, error: 'x', ambiguous: true });
    expect(result).toStrictEqual({ success: false, error: 'x' });
    expect(Object.hasOwn(result, 'ambiguous')).toBe(false);
  });

  it.each([{}, { success: 'yes' }, { message_id: 'm1' }, { success: true, message_id: {} }])(
    'turns a malformed result %j into a failure with an error',
    (raw) => {
      const result = toSendResult(raw);
      expect(result.success).toBe(false);
      expect(typeof result.error).toBe('string');
      expect(result.error!.length).toBeGreaterThan(0);
      expect(result.error).toBe(MALFORMED_RESULT_ERROR);
    },
  );
});

describe('RESULT_CODES', () => {
  it('lists the transport codes, the local refusals and egress_declined (spec later §4)', () => {
    expect([...RESULT_CODES].sort()).toEqual(
      [
        'not_connected', 'closed', 'timeout', 'connection_lost', 'send_failed',
        'not_supported', 'not_fronted', 'invalid_action', 'media_unreadable', 'media_empty', 'media_too_large', 'upload_failed', 'cancelled',
        'egress_declined',
      ].sort(),
    );
  });
});

describe('toThreadCreateResult', () => {
  it.each<[string, SendResult, string | null]>([
    ['thread_id wins', { success: true, threadId: 't1', messageId: 'm1' }, 't1'],
    ['else message_id', { success: true, messageId: 'th77' }, 'th77'],
    ['neither: null', { success: true }, null],
    ['failure: null even with ids', { success: false, threadId: 't1', messageId: 'm1' }, null],
    ['decline: null', { success: false, code: 'egress_declined', error: 'x' }, null],
  ])('%s', (_name, result, expected) => {
    expect(toThreadCreateResult(result)).toBe(expected);
  });

  it('reads a connector result end to end', () => {
    expect(toThreadCreateResult(toSendResult({ success: true, message_id: 'th77' }))).toBe('th77');
    expect(toThreadCreateResult(toSendResult({ success: true, thread_id: 5, message_id: 'm' }))).toBe('5');
  });
});

describe('toAutoThread', () => {
  it('needs both thread_id and auto_thread_name on a success', () => {
    expect(toAutoThread(toSendResult({ success: true, thread_id: 't', auto_thread_name: 'n' }))).toEqual({ threadId: 't', autoThreadName: 'n' });
    expect(toAutoThread(toSendResult({ success: true, thread_id: 't' }))).toBeNull();
    expect(toAutoThread(toSendResult({ success: true, auto_thread_name: 'n' }))).toBeNull();
    expect(toAutoThread({ success: false, threadId: 't', autoThreadName: 'n' })).toBeNull();
  });
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
