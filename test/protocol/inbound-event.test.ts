import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  MESSAGE_TYPES,
  inboundEventToWire,
  parseInboundEvent,
  type MessageEvent,
  type MessageEventInit,
} from '../../src/protocol/inbound-event.js';
import { parseSessionSource, type SessionSource } from '../../src/protocol/session-source.js';
import { KNOWN_PLATFORMS } from '../../src/protocol/platforms.js';
import { ProtocolValidationError } from '../../src/errors.js';

const DEFAULT_SOURCE = parseSessionSource({});

function parseError(value: unknown): ProtocolValidationError {
  let caught: unknown;
  try {
    parseInboundEvent(value);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProtocolValidationError);
  const error = caught as ProtocolValidationError;
  expect(error.code).toBe('ERR_PROTOCOL_INVALID');
  return error;
}

describe('parseInboundEvent: defaults', () => {
  it('fills every default for an empty event', () => {
    const expected: MessageEvent = {
      text: '',
      message_type: 'text',
      message_id: null,
      reply_to_message_id: null,
      media_urls: [],
      source: DEFAULT_SOURCE,
    };
    expect(parseInboundEvent({})).toEqual(expected);
  });

  it('defaults text to "" (absent or null)', () => {
    expect(parseInboundEvent({ message_type: 'text' }).text).toBe('');
    expect(parseInboundEvent({ message_type: 'text', text: null }).text).toBe('');
  });

  it('uses the default source when source is missing or null', () => {
    expect(parseInboundEvent({ message_type: 'text', text: 'hi' }).source).toEqual(DEFAULT_SOURCE);
    expect(parseInboundEvent({ message_type: 'text', source: null }).source).toEqual(DEFAULT_SOURCE);
    expect(DEFAULT_SOURCE.platform).toBe('relay');
    expect(DEFAULT_SOURCE.chat_id).toBe('');
    expect(DEFAULT_SOURCE.chat_type).toBe('dm');
  });

  it('turns media_urls null into []', () => {
    expect(parseInboundEvent({ message_type: 'photo', media_urls: null }).media_urls).toEqual([]);
  });

  it('keeps media_urls', () => {
    expect(parseInboundEvent({ message_type: 'photo', media_urls: ['https://a/1.png', 'b'] }).media_urls).toEqual([
      'https://a/1.png',
      'b',
    ]);
  });

  it('turns numeric message ids into strings', () => {
    const event = parseInboundEvent({ message_type: 'text', message_id: 42, reply_to_message_id: 7 });
    expect(event.message_id).toBe('42');
    expect(event.reply_to_message_id).toBe('7');
  });
});

describe('parseInboundEvent: message_type', () => {
  it.each(MESSAGE_TYPES)('keeps the known type %s', (type) => {
    expect(parseInboundEvent({ message_type: type }).message_type).toBe(type);
  });

  it('names exactly the contract types', () => {
    expect([...MESSAGE_TYPES]).toEqual(['text', 'command', 'photo', 'voice', 'audio', 'video', 'document', 'sticker', 'location']);
  });

  it.each(['reaction', 'TEXT', '', 5, null, {}])('turns unknown type %j into text', (type) => {
    expect(parseInboundEvent({ message_type: type }).message_type).toBe('text');
  });

  it('treats a missing message_type as text', () => {
    expect(parseInboundEvent({ text: 'hello' }).message_type).toBe('text');
  });
});

describe('parseInboundEvent: source and errors', () => {
  it('parses the source with its own rules', () => {
    const event = parseInboundEvent({
      message_type: 'text',
      source: { platform: 'Discord', chat_id: 9, guild_id: 'G', is_bot: false },
    });
    expect(event.source.platform).toBe('discord');
    expect(event.source.chat_id).toBe('9');
    expect(event.source.scope_id).toBe('G');
    expect(event.source.guild_id).toBe('G');
    expect(Object.hasOwn(event.source, 'is_bot')).toBe(false);
  });

  it('ignores unknown event keys', () => {
    const event = parseInboundEvent({ message_type: 'text', future: 1 });
    expect(Object.hasOwn(event, 'future')).toBe(false);
  });

  it('names the field with a wrong type', () => {
    expect(parseError({ message_type: 'text', text: 5 }).path).toBe('text');
    expect(parseError({ message_type: 'text', media_urls: 'a' }).path).toBe('media_urls');
    expect(parseError({ message_type: 'text', media_urls: ['a', 3] }).path).toBe('media_urls.1');
    expect(parseError({ message_type: 'text', message_id: {} }).path).toBe('message_id');
  });

  it('names a bad source field under source.', () => {
    expect(parseError({ message_type: 'text', source: { chat_name: {} } }).path).toBe('source.chat_name');
  });

  it('rejects a non-object event', () => {
    expect(parseError(null).path).toBe('');
    expect(parseError('text').path).toBe('');
  });
});

describe('inboundEventToWire', () => {
  it('fills the defaults and serialises the source in wire order', () => {
    const wire = inboundEventToWire({ source: { platform: 'telegram', chat_id: '1' } });
    expect(wire).toEqual({
      text: '',
      message_type: 'text',
      message_id: null,
      reply_to_message_id: null,
      media_urls: [],
      source: {
        platform: 'telegram',
        chat_id: '1',
        chat_name: null,
        chat_type: 'dm',
        user_id: null,
        user_name: null,
        thread_id: null,
        chat_topic: null,
      },
    });
  });

  it('copies media_urls instead of sharing the array', () => {
    const urls = ['u'];
    const wire = inboundEventToWire({ media_urls: urls, source: { platform: 'relay' } });
    expect(wire.media_urls).toEqual(['u']);
    expect(wire.media_urls).not.toBe(urls);
  });

  it('round-trips through parseInboundEvent', () => {
    const nonEmpty = fc.option(fc.string({ minLength: 1 }), { nil: null });
    const sourceArb = fc
      .record({
        platform: fc.constantFrom(...KNOWN_PLATFORMS),
        chat_id: fc.string(),
        chat_type: fc.constantFrom('dm', 'group', 'channel', 'thread', 'forum'),
        chat_name: fc.option(fc.string(), { nil: null }),
        user_id: fc.option(fc.string(), { nil: null }),
        user_name: fc.option(fc.string(), { nil: null }),
        thread_id: fc.option(fc.string(), { nil: null }),
        chat_topic: fc.option(fc.string(), { nil: null }),
        user_id_alt: nonEmpty,
        chat_id_alt: nonEmpty,
        scope: nonEmpty,
        parent_chat_id: nonEmpty,
        message_id: nonEmpty,
        profile: nonEmpty,
        prospective_thread_id: nonEmpty,
      })
      .map(({ scope, ...rest }): SessionSource => ({ ...rest, scope_id: scope, guild_id: scope }));
    const eventArb = fc.record({
      text: fc.string({ unit: 'binary' }),
      message_type: fc.constantFrom(...MESSAGE_TYPES),
      message_id: fc.option(fc.string(), { nil: null }),
      reply_to_message_id: fc.option(fc.string(), { nil: null }),
      media_urls: fc.array(fc.string()),
      source: sourceArb,
    });
    fc.assert(
      fc.property(eventArb, (event: MessageEventInit & MessageEvent) => {
        const wire = inboundEventToWire(event);
        expect(parseInboundEvent(wire)).toEqual(event);
        expect(parseInboundEvent(JSON.parse(JSON.stringify(wire)))).toEqual(event);
      }),
    );
  });
});
