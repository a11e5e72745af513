import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  gatewayFrameSchema,
  goingIdleFrame,
  helloFrame,
  inboundAckFrame,
  interruptFrame,
  outboundFrame,
  parseConnectorFrame,
  type ConnectorFrame,
  type ConnectorFrameParse,
  type ConnectorFrameType,
} from '../../src/protocol/frames.js';
import { followUpAction, getChatInfoAction, sendAction } from '../../src/protocol/outbound.js';
import { parseSessionSource } from '../../src/protocol/session-source.js';
import { ProtocolValidationError } from '../../src/errors.js';

const DESCRIPTOR = {
  contract_version: 1,
  platform: 'telegram',
  label: 'Telegram',
  max_message_length: 4096,
  supports_draft_streaming: false,
  supports_edit: true,
  supports_threads: false,
  markdown_dialect: 'markdown_v2',
  len_unit: 'utf16',
};

const CONNECTOR_TYPES: readonly ConnectorFrameType[] = [
  'descriptor',
  'inbound',
  'outbound_result',
  'interrupt_inbound',
  'going_idle_ack',
  'passthrough_forward',
];

/** Parse a frame expected to be valid and return it. */
function frameOf(raw: Record<string, unknown>): ConnectorFrame {
  const parsed = parseConnectorFrame(raw);
  if (parsed.kind !== 'frame') {
    const detail = parsed.kind === 'invalid' ? parsed.error.message : parsed.type;
    throw new Error(`expected kind "frame", got "${parsed.kind}": ${detail}`);
  }
  expect(parsed.frame.type).toBe(raw.type);
  return parsed.frame;
}

/** Parse a frame expected to be invalid and return its error. */
function invalidOf(raw: Record<string, unknown>): ProtocolValidationError {
  const parsed = parseConnectorFrame(raw);
  expect(parsed.kind).toBe('invalid');
  if (parsed.kind !== 'invalid') throw new Error('unreachable');
  expect(parsed.type).toBe(raw.type);
  expect(parsed.error).toBeInstanceOf(ProtocolValidationError);
  expect(parsed.error.code).toBe('ERR_PROTOCOL_INVALID');
  return parsed.error;
}

describe('gateway frame builders', () => {
  it('hello defaults to ("relay", "")', () => {
    expect(helloFrame()).toEqual({ type: 'hello', platform: 'relay', botId: '' });
    expect(helloFrame('discord', 'bot-1')).toEqual({ type: 'hello', platform: 'discord', botId: 'bot-1' });
  });

  it('outbound carries requestId and action', () => {
    const action = sendAction('c', 'x');
    expect(outboundFrame('r-1', action)).toEqual({ type: 'outbound', requestId: 'r-1', action });
  });

  it('interrupt always carries the reason key, null by default', () => {
    const frame = interruptFrame('agent:main:telegram:dm:1');
    expect(Object.hasOwn(frame, 'reason')).toBe(true);
    expect(frame).toEqual({ type: 'interrupt', session_key: 'agent:main:telegram:dm:1', reason: null });
    expect(JSON.stringify(frame)).toContain('"reason":null');
    expect(interruptFrame('k', 'user stop')).toEqual({ type: 'interrupt', session_key: 'k', reason: 'user stop' });
  });

  it('going_idle has only its type', () => {
    expect(goingIdleFrame()).toEqual({ type: 'going_idle' });
  });

  it('inbound_ack carries the bufferId', () => {
    expect(inboundAckFrame('b-1')).toEqual({ type: 'inbound_ack', bufferId: 'b-1' });
  });

  it('every builder output validates against gatewayFrameSchema', () => {
    const frames = [
      helloFrame(),
      helloFrame('discord', 'bot'),
      outboundFrame('r-1', sendAction('c', 'x')),
      outboundFrame('r-2', followUpAction('s', 'discord.interaction_token', 'x')),
      outboundFrame('r-3', getChatInfoAction('c')),
      interruptFrame('k'),
      interruptFrame('k', 'why'),
      goingIdleFrame(),
      inboundAckFrame('b-1'),
    ];
    for (const frame of frames) expect(gatewayFrameSchema.parse(frame)).toEqual(frame);
  });

  it('gatewayFrameSchema requires the interrupt reason key', () => {
    expect(gatewayFrameSchema.safeParse({ type: 'interrupt', session_key: 'k' }).success).toBe(false);
  });
});

describe('parseConnectorFrame: valid frames', () => {
  it('descriptor: parses, applies defaults and freezes', () => {
    const frame = frameOf({ type: 'descriptor', descriptor: { ...DESCRIPTOR, extra: 1 } });
    if (frame.type !== 'descriptor') throw new Error('unreachable');
    expect(frame.descriptor).toEqual({ ...DESCRIPTOR, emoji: '🔌', platform_hint: '', pii_safe: false, supported_ops: [] });
    expect(Object.isFrozen(frame.descriptor)).toBe(true);
    expect(Object.isFrozen(frame.descriptor.supported_ops)).toBe(true);
  });

  it('descriptor: max_message_length rules apply inside the frame', () => {
    const frame = frameOf({ type: 'descriptor', descriptor: { ...DESCRIPTOR, max_message_length: '2000' } });
    if (frame.type !== 'descriptor') throw new Error('unreachable');
    expect(frame.descriptor.max_message_length).toBe(2000);
  });

  it('inbound: parses the event and has no bufferId by default', () => {
    const frame = frameOf({ type: 'inbound', event: { text: 'hi', message_type: 'text', source: { chat_id: 5 } } });
    if (frame.type !== 'inbound') throw new Error('unreachable');
    expect(frame.event.text).toBe('hi');
    expect(frame.event.source.chat_id).toBe('5');
    expect(frame.bufferId).toBeUndefined();
  });

  it('inbound: accepts a minimal event {} with all its defaults', () => {
    const frame = frameOf({ type: 'inbound', event: {} });
    if (frame.type !== 'inbound') throw new Error('unreachable');
    expect(frame.event).toEqual({
      text: '',
      message_type: 'text',
      message_id: null,
      reply_to_message_id: null,
      media_urls: [],
      source: parseSessionSource({}),
    });
  });

  it('inbound: keeps a bufferId', () => {
    const frame = frameOf({ type: 'inbound', event: { message_type: 'text' }, bufferId: 'b-7' });
    if (frame.type !== 'inbound') throw new Error('unreachable');
    expect(frame.bufferId).toBe('b-7');
  });

  it.each([
    ['""', ''],
    ['null', null],
  ])('inbound: bufferId %s means not buffered', (_label, bufferId) => {
    const frame = frameOf({ type: 'inbound', event: { message_type: 'text' }, bufferId });
    if (frame.type !== 'inbound') throw new Error('unreachable');
    expect(frame.bufferId).toBeUndefined();
  });

  it('outbound_result: result defaults to {}', () => {
    expect(frameOf({ type: 'outbound_result', requestId: 'r-1' })).toEqual({ type: 'outbound_result', requestId: 'r-1', result: {} });
    expect(frameOf({ type: 'outbound_result', requestId: 'r-1', result: null })).toEqual({
      type: 'outbound_result',
      requestId: 'r-1',
      result: {},
    });
  });

  it('outbound_result: keeps the raw result', () => {
    const result = { success: true, message_id: 5, chat_info: { name: 'n' } };
    expect(frameOf({ type: 'outbound_result', requestId: 'r-1', result })).toEqual({ type: 'outbound_result', requestId: 'r-1', result });
  });

  it('interrupt_inbound: session_key and chat_id default to ""', () => {
    expect(frameOf({ type: 'interrupt_inbound' })).toEqual({ type: 'interrupt_inbound', session_key: '', chat_id: '' });
    expect(frameOf({ type: 'interrupt_inbound', session_key: 'k', chat_id: 12 })).toEqual({
      type: 'interrupt_inbound',
      session_key: 'k',
      chat_id: '12',
    });
  });

  it('going_idle_ack: parses', () => {
    expect(frameOf({ type: 'going_idle_ack' })).toEqual({ type: 'going_idle_ack' });
  });

  it('passthrough_forward: parses the forward and its bufferId', () => {
    const forward = { platform: 'discord', botId: 'b', method: 'POST', path: '/i', headers: [['a', 'b'], ['x']], bodyB64: 'e30=' };
    const frame = frameOf({ type: 'passthrough_forward', forward, bufferId: 'b-1' });
    if (frame.type !== 'passthrough_forward') throw new Error('unreachable');
    expect(frame.forward).toEqual({ ...forward, headers: [['a', 'b']] });
    expect(frame.bufferId).toBe('b-1');
  });

  it.each([
    ['absent', undefined],
    ['""', ''],
    ['null', null],
  ])('passthrough_forward: bufferId %s means not buffered', (_label, bufferId) => {
    const forward = { platform: 'discord', method: 'POST', path: '/i' };
    const frame = frameOf({ type: 'passthrough_forward', forward, ...(bufferId === undefined ? {} : { bufferId }) });
    if (frame.type !== 'passthrough_forward') throw new Error('unreachable');
    expect(frame.bufferId).toBeUndefined();
  });
});

describe('parseConnectorFrame: unknown and invalid frames', () => {
  it.each(['future_frame', 'hello', 'outbound', 'toString', '__proto__', 'constructor', ''])(
    'reports type %j as unknown',
    (type) => {
      expect(parseConnectorFrame({ type, anything: 1 })).toEqual({ kind: 'unknown', type });
    },
  );

  it('reports a missing or non-string type as unknown', () => {
    expect(parseConnectorFrame({}).kind).toBe('unknown');
    expect(parseConnectorFrame({ event: {} }).kind).toBe('unknown');
    expect(parseConnectorFrame({ type: 5 }).kind).toBe('unknown');
    expect(parseConnectorFrame({ type: null }).kind).toBe('unknown');
  });

  it('descriptor with a bad descriptor: invalid at descriptor.len_unit', () => {
    const error = invalidOf({ type: 'descriptor', descriptor: { ...DESCRIPTOR, len_unit: 'bytes' } });
    expect(error.path).toBe('descriptor.len_unit');
    expect(error.message).toContain('descriptor.len_unit');
  });

  it('descriptor missing a required field: invalid naming it', () => {
    const { supports_edit: _s, ...rest } = DESCRIPTOR;
    const error = invalidOf({ type: 'descriptor', descriptor: rest });
    expect(error.path).toBe('descriptor.supports_edit');
    expect(error.issues[0]!.received).toBe('undefined');
  });

  it('descriptor frame without a descriptor: invalid at descriptor', () => {
    expect(invalidOf({ type: 'descriptor' }).path).toBe('descriptor');
  });

  it('inbound with a bad event: the error path starts with event.', () => {
    expect(invalidOf({ type: 'inbound', event: { text: 5, message_type: 'text' } }).path).toBe('event.text');
    expect(invalidOf({ type: 'inbound', event: { message_type: 'text', source: { chat_name: {} } } }).path).toBe(
      'event.source.chat_name',
    );
  });

  it('inbound without an event is invalid', () => {
    expect(invalidOf({ type: 'inbound' }).path).toBe('event');
  });

  it('outbound_result with a non-object result or no requestId is invalid', () => {
    expect(invalidOf({ type: 'outbound_result', requestId: 'r', result: 'ok' }).path).toBe('result');
    expect(invalidOf({ type: 'outbound_result', result: {} }).path).toBe('requestId');
  });

  it('passthrough_forward with a bad forward is invalid under forward.', () => {
    expect(invalidOf({ type: 'passthrough_forward', forward: { platform: 1, method: 'POST', path: '/' } }).path).toBe('forward.platform');
  });
});

describe('parseConnectorFrame: robustness', () => {
  const knownOrNot = fc.oneof(fc.constantFrom<string>(...CONNECTOR_TYPES), fc.string());
  const fieldsArb = fc.record(
    {
      descriptor: fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom(...Object.keys(DESCRIPTOR), 'supported_ops'), fc.anything())),
      event: fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom('text', 'message_type', 'media_urls', 'source'), fc.anything())),
      bufferId: fc.anything(),
      requestId: fc.anything(),
      result: fc.anything(),
      session_key: fc.anything(),
      chat_id: fc.anything(),
      forward: fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom('platform', 'botId', 'headers', 'bodyB64', 'profile'), fc.anything())),
    },
    { requiredKeys: [] },
  );

  function checkOutcome(raw: Record<string, unknown>, parsed: ConnectorFrameParse): void {
    expect(['frame', 'unknown', 'invalid']).toContain(parsed.kind);
    if (parsed.kind === 'frame') expect(parsed.frame.type).toBe(raw.type);
    if (parsed.kind === 'invalid') {
      expect(parsed.error).toBeInstanceOf(ProtocolValidationError);
      expect(parsed.error.issues.length).toBeGreaterThan(0);
    }
    if (parsed.kind === 'unknown') expect(CONNECTOR_TYPES).not.toContain(raw.type);
  }

  it('never throws on objects with a known or random type and random fields', () => {
    fc.assert(
      fc.property(knownOrNot, fieldsArb, fc.dictionary(fc.string(), fc.anything()), (type, fields, extra) => {
        const raw: Record<string, unknown> = { ...extra, ...fields, type };
        checkOutcome(raw, parseConnectorFrame(raw));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on decoded JSON objects', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.option(fc.constantFrom<string>(...CONNECTOR_TYPES)), (obj, type) => {
        const raw: Record<string, unknown> = JSON.parse(JSON.stringify(type === null ? obj : { ...obj, type }));
        checkOutcome(raw, parseConnectorFrame(raw));
      }),
      { numRuns: 500 },
    );
  });
});
