import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  createSessionSource,
  parseSessionSource,
  sessionSourceToWire,
  type SessionSource,
  type SessionSourceInit,
} from '../../src/protocol/session-source.js';
import { KNOWN_PLATFORMS } from '../../src/protocol/platforms.js';
import { ProtocolValidationError } from '../../src/errors.js';

const DEFAULT_SOURCE: SessionSource = {
  platform: 'relay',
  chat_id: '',
  chat_type: 'dm',
  chat_name: null,
  user_id: null,
  user_name: null,
  thread_id: null,
  chat_topic: null,
  user_id_alt: null,
  chat_id_alt: null,
  scope_id: null,
  guild_id: null,
  parent_chat_id: null,
  message_id: null,
  profile: null,
  prospective_thread_id: null,
};

const MINIMAL_KEY_ORDER = ['platform', 'chat_id', 'chat_name', 'chat_type', 'user_id', 'user_name', 'thread_id', 'chat_topic'];
const FULL_KEY_ORDER = [
  ...MINIMAL_KEY_ORDER,
  'user_id_alt',
  'chat_id_alt',
  'scope_id',
  'guild_id',
  'parent_chat_id',
  'message_id',
  'profile',
  'prospective_thread_id',
];

const FULL_SOURCE: SessionSource = {
  platform: 'discord',
  chat_id: 'c1',
  chat_type: 'thread',
  chat_name: 'general',
  user_id: 'u1',
  user_name: 'Ann',
  thread_id: 't1',
  chat_topic: 'topic',
  user_id_alt: 'u1-alt',
  chat_id_alt: 'c1-alt',
  scope_id: 'g1',
  guild_id: 'g1',
  parent_chat_id: 'p1',
  message_id: 'm1',
  profile: 'work',
  prospective_thread_id: 'pt1',
};

function parseError(value: unknown): ProtocolValidationError {
  let caught: unknown;
  try {
    parseSessionSource(value);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProtocolValidationError);
  const error = caught as ProtocolValidationError;
  expect(error.code).toBe('ERR_PROTOCOL_INVALID');
  return error;
}

describe('parseSessionSource: defaults', () => {
  it('fills every default for an empty object', () => {
    expect(parseSessionSource({})).toEqual(DEFAULT_SOURCE);
  });

  it('treats null/undefined as an empty source', () => {
    expect(parseSessionSource(null)).toEqual(DEFAULT_SOURCE);
    expect(parseSessionSource(undefined)).toEqual(DEFAULT_SOURCE);
  });

  it('treats null chat_id and empty/null chat_type as absent', () => {
    const source = parseSessionSource({ chat_id: null, chat_type: null });
    expect(source.chat_id).toBe('');
    expect(source.chat_type).toBe('dm');
    expect(parseSessionSource({ chat_type: '' }).chat_type).toBe('dm');
  });

  it.each(['dm', 'group', 'channel', 'thread', 'forum'])('keeps chat_type %s', (chatType) => {
    expect(parseSessionSource({ chat_type: chatType }).chat_type).toBe(chatType);
  });

  it('keeps every given field', () => {
    expect(parseSessionSource(FULL_SOURCE)).toEqual(FULL_SOURCE);
  });
});

describe('parseSessionSource: platform', () => {
  it('turns an unknown platform into relay', () => {
    expect(parseSessionSource({ platform: 'myspace' }).platform).toBe('relay');
    expect(parseSessionSource({ platform: '' }).platform).toBe('relay');
    expect(parseSessionSource({ platform: null }).platform).toBe('relay');
  });

  it('trims and lowercases the platform name', () => {
    expect(parseSessionSource({ platform: 'Discord ' }).platform).toBe('discord');
    expect(parseSessionSource({ platform: '  TELEGRAM' }).platform).toBe('telegram');
  });

  it('keeps every known platform', () => {
    for (const platform of KNOWN_PLATFORMS) expect(parseSessionSource({ platform }).platform).toBe(platform);
  });
});

describe('parseSessionSource: ids', () => {
  it('turns numeric ids into their decimal strings', () => {
    const source = parseSessionSource({ chat_id: 12, user_id: 34, message_id: 56, thread_id: 0, scope_id: 78 });
    expect(source.chat_id).toBe('12');
    expect(source.user_id).toBe('34');
    expect(source.message_id).toBe('56');
    expect(source.thread_id).toBe('0');
    expect(source.scope_id).toBe('78');
    expect(source.guild_id).toBe('78');
  });

  it('sets guild_id from scope_id when only scope_id is given', () => {
    const source = parseSessionSource({ scope_id: 'S' });
    expect(source.scope_id).toBe('S');
    expect(source.guild_id).toBe('S');
  });

  it('sets scope_id from guild_id when only guild_id is given', () => {
    const source = parseSessionSource({ guild_id: 'G' });
    expect(source.scope_id).toBe('G');
    expect(source.guild_id).toBe('G');
  });

  it('lets scope_id win when both are given', () => {
    const source = parseSessionSource({ scope_id: 'S', guild_id: 'G' });
    expect(source.scope_id).toBe('S');
    expect(source.guild_id).toBe('S');
  });

  it('does not emit is_bot', () => {
    const source = parseSessionSource({ chat_id: 'c', is_bot: true, other_future_key: 1 });
    expect(Object.hasOwn(source, 'is_bot')).toBe(false);
    expect(Object.hasOwn(source, 'other_future_key')).toBe(false);
  });
});

describe('parseSessionSource: errors', () => {
  it('names the source field with a wrong type', () => {
    const error = parseError({ chat_name: {} });
    expect(error.path).toBe('chat_name');
    expect(error.issues[0]!.received).toBe('object');
    expect(error.message).toContain('chat_name');
  });

  it.each([
    ['chat_id', true],
    ['chat_type', 5],
    ['user_id', []],
    ['platform', 7],
    ['scope_id', false],
  ])('names %s when it has a wrong type', (key, bad) => {
    expect(parseError({ [key]: bad }).path).toBe(key);
  });

  it('says what was expected without repeating the word "expected"', () => {
    // Not a spec rule: a readability bug in the message ("expected expected string or null").
    const error = parseError({ chat_name: {} });
    expect(error.issues[0]!.expected).not.toMatch(/^expected /);
    expect(error.message).not.toContain('expected expected');
  });

  it('rejects a source that is not an object', () => {
    expect(parseError('discord').path).toBe('');
    expect(parseError([]).path).toBe('');
  });
});

describe('createSessionSource', () => {
  it('completes a partial source with defaults', () => {
    expect(createSessionSource({ platform: 'slack', chat_id: 'C1', guild_id: 'T1' })).toEqual({
      ...DEFAULT_SOURCE,
      platform: 'slack',
      chat_id: 'C1',
      scope_id: 'T1',
      guild_id: 'T1',
    });
  });
});

describe('sessionSourceToWire', () => {
  it('emits the minimal key set in the spec order', () => {
    const wire = sessionSourceToWire({ platform: 'relay' });
    expect(Object.keys(wire)).toEqual(MINIMAL_KEY_ORDER);
    expect(wire).toEqual({
      platform: 'relay',
      chat_id: '',
      chat_name: null,
      chat_type: 'dm',
      user_id: null,
      user_name: null,
      thread_id: null,
      chat_topic: null,
    });
  });

  it('emits the full key set in the spec order', () => {
    const wire = sessionSourceToWire(FULL_SOURCE);
    expect(Object.keys(wire)).toEqual(FULL_KEY_ORDER);
    expect(wire).toEqual({ ...FULL_SOURCE });
  });

  it('keeps the order whatever order the input keys come in', () => {
    const reversed = Object.fromEntries(Object.entries(FULL_SOURCE).reverse()) as unknown as SessionSource;
    expect(Object.keys(sessionSourceToWire(reversed))).toEqual(FULL_KEY_ORDER);
  });

  it('omits empty or null alt ids and trailing keys', () => {
    for (const empty of ['', null]) {
      const wire = sessionSourceToWire({
        platform: 'telegram',
        chat_id: '1',
        user_id_alt: empty,
        chat_id_alt: empty,
        parent_chat_id: empty,
        message_id: empty,
        profile: empty,
        prospective_thread_id: empty,
      });
      expect(Object.keys(wire)).toEqual(MINIMAL_KEY_ORDER);
    }
  });

  it('emits only the non-empty alt ids and trailing keys, in order', () => {
    const wire = sessionSourceToWire({ platform: 'telegram', chat_id_alt: 'ca', profile: 'p', user_id_alt: '' });
    expect(Object.keys(wire)).toEqual([...MINIMAL_KEY_ORDER, 'chat_id_alt', 'profile']);
    expect(wire.chat_id_alt).toBe('ca');
    expect(wire.profile).toBe('p');
  });

  it('emits scope_id and guild_id only when there is a scope', () => {
    expect(Object.keys(sessionSourceToWire({ platform: 'discord', scope_id: null, guild_id: '' }))).toEqual(MINIMAL_KEY_ORDER);
    const fromGuild = sessionSourceToWire({ platform: 'discord', guild_id: 'G' });
    expect(Object.keys(fromGuild)).toEqual([...MINIMAL_KEY_ORDER, 'scope_id', 'guild_id']);
    expect(fromGuild.scope_id).toBe('G');
    expect(fromGuild.guild_id).toBe('G');
    const both = sessionSourceToWire({ platform: 'discord', scope_id: 'S', guild_id: 'G' });
    expect(both.scope_id).toBe('S');
    expect(both.guild_id).toBe('S');
  });

  it('keeps always-present keys that are empty strings', () => {
    const wire = sessionSourceToWire({ platform: 'relay', chat_id: '', chat_name: '', user_id: '' });
    expect(wire.chat_name).toBe('');
    expect(wire.user_id).toBe('');
  });

  it('never emits is_bot', () => {
    const wire = sessionSourceToWire({ platform: 'relay', is_bot: true } as SessionSourceInit);
    expect(Object.hasOwn(wire, 'is_bot')).toBe(false);
  });

  it('round-trips: parse(toWire(source)) equals source', () => {
    const optional = fc.option(fc.string({ minLength: 1 }), { nil: null });
    const anyString = fc.string();
    const sourceArb = fc
      .record({
        platform: fc.constantFrom(...KNOWN_PLATFORMS),
        chat_id: anyString,
        chat_type: fc.oneof(fc.constantFrom('dm', 'group', 'channel', 'thread', 'forum'), fc.string({ minLength: 1 })),
        chat_name: fc.option(anyString, { nil: null }),
        user_id: fc.option(anyString, { nil: null }),
        user_name: fc.option(anyString, { nil: null }),
        thread_id: fc.option(anyString, { nil: null }),
        chat_topic: fc.option(anyString, { nil: null }),
        user_id_alt: optional,
        chat_id_alt: optional,
        scope: optional,
        parent_chat_id: optional,
        message_id: optional,
        profile: optional,
        prospective_thread_id: optional,
      })
      .map(({ scope, ...rest }): SessionSource => ({ ...rest, scope_id: scope, guild_id: scope }));
    fc.assert(
      fc.property(sourceArb, (source) => {
        const wire = sessionSourceToWire(source);
        expect(parseSessionSource(wire)).toEqual(source);
        expect(parseSessionSource(JSON.parse(JSON.stringify(wire)))).toEqual(source);
      }),
    );
  });
});
