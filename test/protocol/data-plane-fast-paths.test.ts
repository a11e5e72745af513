import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inboundFrameSchema, outboundResultFrameSchema, parseConnectorFrame } from '../../src/protocol/frames.js';
import { parseInboundFrameFast, parseOutboundResultFrameFast } from '../../src/protocol/data-plane-fast-paths.js';
import { MESSAGE_TYPES } from '../../src/protocol/inbound-event.js';
import { MALFORMED_RESULT_ERROR, actionResultWireSchema, toSendResult } from '../../src/protocol/outbound.js';
import { promptResponseWireSchema, readPromptResponse } from '../../src/protocol/prompt-response.js';
import { sessionSourceWireSchema } from '../../src/protocol/session-source.js';
import { parseResult } from '../../src/protocol/validation.js';

/** SessionSource id fields, from the schema (`platform` and `chat_type`, plain strings, are generated on their own). */
const SOURCE_KEYS = Object.keys(sessionSourceWireSchema.in.shape).filter((key) => key !== 'platform' && key !== 'chat_type');

/** Values a well-behaved connector sends for an id field. */
const validId = fc.oneof(fc.string(), fc.constant(''), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null));
/** Anything at all, including what JSON.parse yields for 1e400 and nested junk. */
const anyValue = fc.oneof(
  validId,
  fc.boolean(),
  fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 3 }),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }),
);

/** A record where each key may be absent, with values from `value`, plus own `__proto__`-style keys. */
function wireRecord(keys: readonly string[], value: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> {
  const shape = Object.fromEntries(keys.map((key) => [key, value]));
  return fc
    .tuple(fc.record(shape, { requiredKeys: [] }), fc.subarray(['__proto__', 'constructor', 'toString', 'extra']), fc.jsonValue())
    .map(([record, hostile, junk]) => {
      const out: Record<string, unknown> = { ...record };
      // JSON.parse defines these as own data properties; so do we.
      for (const key of hostile) Object.defineProperty(out, key, { value: junk, enumerable: true, configurable: true, writable: true });
      return out;
    });
}

const platformValue = fc.oneof(fc.constantFrom('telegram', 'Discord ', 'SLACK', 'unknown-thing'), fc.string(), fc.constant(null));

/** A `prompt_response` as connectors send it, well-formed or broken in any field, or not an object at all. */
const promptResponseValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      prompt_id: fc.oneof(fc.stringMatching(/^[0-9a-f]{6}\.[0-9a-f]{8}$/), fc.string(), fc.constant(''), fc.integer(), fc.constant(null)),
      option_id: fc.oneof(fc.constantFrom('approve', 'deny'), fc.string(), fc.integer()),
      label: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      prompt_message_id: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean()),
      extra: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
  fc.constant(null),
  fc.string(),
  fc.array(fc.string(), { maxLength: 2 }),
);

/** Mostly `valid`, sometimes anything: every field can break, yet many whole frames stay valid. */
const mostly = (valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: anyValue, weight: 1 });

function frameArbitrary(loose: boolean): fc.Arbitrary<Record<string, unknown>> {
  const field = (valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => (loose ? mostly(valid) : valid);
  const idValue = field(validId);
  const source = wireRecord(SOURCE_KEYS, idValue).chain((record) =>
    fc
      .record(
        {
          platform: field(platformValue),
          chat_type: field(fc.oneof(fc.constantFrom('dm', 'group', 'thread', ''), fc.string(), fc.constant(null))),
        },
        { requiredKeys: [] },
      )
      .map((strings) => ({ ...record, ...strings })),
  );
  const event = fc.record(
    {
      text: field(fc.oneof(fc.string(), fc.constant(null))),
      message_type: fc.oneof(fc.constantFrom(...MESSAGE_TYPES), anyValue),
      message_id: idValue,
      reply_to_message_id: idValue,
      media_urls: field(fc.oneof(fc.array(fc.string(), { maxLength: 4 }), fc.constant(null))),
      source: field(fc.oneof(source, fc.constant(null))),
      prompt_response: promptResponseValue,
      // Custody traces (protocol-later §7): ignored by both readings.
      owner_id: fc.oneof(fc.string(), fc.integer()),
      stray: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  return fc.record(
    {
      type: fc.constant('inbound'),
      event: field(event),
      bufferId: field(fc.oneof(fc.string(), fc.constant(null))),
      delivery_id: fc.oneof(fc.string(), fc.integer()),
    },
    { requiredKeys: loose ? ['type'] : ['type', 'event'] },
  );
}

describe('parseInboundFrameFast', () => {
  it('is tested against every id field of the SessionSource schema', () => {
    expect(SOURCE_KEYS).toHaveLength(14);
  });

  it('returns exactly what the zod schema returns whenever it returns anything (values and key order)', () => {
    let taken = 0;
    fc.assert(
      fc.property(frameArbitrary(true), (raw) => {
        const fast = parseInboundFrameFast(raw);
        if (fast === undefined) return;
        taken++;
        const slow = parseResult(inboundFrameSchema, raw, 'inbound frame');
        expect(slow.ok).toBe(true);
        if (!slow.ok) return;
        expect(fast).toStrictEqual(slow.value);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.value));
      }),
      { numRuns: 3000 },
    );
    // The comparison above only means something if hostile runs do take the fast path.
    expect(taken, 'hostile frames that took the fast path').toBeGreaterThan(300);
  });

  it('takes every frame a well-behaved connector sends (it is a fast path, not a rare one)', () => {
    fc.assert(
      fc.property(frameArbitrary(false), (raw) => {
        expect(parseResult(inboundFrameSchema, raw, 'inbound frame').ok).toBe(true);
        expect(parseInboundFrameFast(raw)).toBeDefined();
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['a non-finite id (JSON 1e400)', { event: { message_id: Number.POSITIVE_INFINITY } }],
    ['a boolean text', { event: { text: true } }],
    ['a media url that is not a string', { event: { media_urls: ['ok', 3] } }],
    ['a source that is an array', { event: { source: [] } }],
    ['an event that is missing', {}],
    ['a numeric bufferId', { event: {}, bufferId: 7 }],
  ])('leaves %s to zod, which reports the field', (_name, fields) => {
    const raw = { type: 'inbound', ...fields };
    expect(parseInboundFrameFast(raw)).toBeUndefined();
    const parsed = parseConnectorFrame(raw);
    expect(parsed.kind).toBe('invalid');
  });

  it('fills the same defaults as the schema for a minimal frame', () => {
    const parsed = parseConnectorFrame({ type: 'inbound', event: { source: { guild_id: 'g1', chat_id: 42 } }, bufferId: '' });
    expect(parsed).toEqual({
      kind: 'frame',
      frame: {
        type: 'inbound',
        bufferId: undefined,
        event: expect.objectContaining({ text: '', message_type: 'text', media_urls: [], source: expect.objectContaining({ chat_id: '42', chat_type: 'dm', scope_id: 'g1', guild_id: 'g1', platform: 'relay' }) }),
      },
    });
  });
});

/** A result object as a connector might send it, well-formed or not, sometimes with an own `__proto__`. */
const resultObject = wireRecord(
  ['success', 'message_id', 'error', 'chat_info', 'code', 'thread_id', 'auto_thread_name', 'ambiguous', 'retry_after'],
  mostly(fc.oneof(fc.boolean(), validId, fc.constantFrom('egress_declined', 'not_supported', ''))),
);

describe('parseOutboundResultFrameFast', () => {
  it('returns what the zod schema returns whenever it returns anything', () => {
    let taken = 0;
    const frame = fc.record(
      { type: fc.constant('outbound_result'), requestId: mostly(fc.string()), result: fc.oneof(resultObject, fc.constant(null), anyValue) },
      { requiredKeys: ['type'] },
    );
    fc.assert(
      fc.property(frame, (raw) => {
        const fast = parseOutboundResultFrameFast(raw);
        if (fast === undefined) return;
        taken++;
        const slow = parseResult(outboundResultFrameSchema, raw, 'outbound_result frame');
        expect(slow.ok).toBe(true);
        if (slow.ok) expect(fast).toStrictEqual(slow.value);
      }),
      { numRuns: 2000 },
    );
    expect(taken, 'frames that took the fast path').toBeGreaterThan(200);
  });

  it('leaves a result with an own __proto__ key to zod, which drops that key', () => {
    const raw = JSON.parse('{"type":"outbound_result","requestId":"r1","result":{"__proto__":{"polluted":true},"success":true}}') as Record<string, unknown>;
    expect(parseOutboundResultFrameFast(raw)).toBeUndefined();
    const parsed = parseConnectorFrame(raw);
    expect(parsed.kind === 'frame' && parsed.frame.type === 'outbound_result' ? Object.keys(parsed.frame.result) : null).toEqual(['success']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('toSendResult', () => {
  /** The schema's reading of a result: its output, or the malformed failure when it refuses one. */
  function bySchema(result: Record<string, unknown>): unknown {
    const parsed = actionResultWireSchema.safeParse(result);
    return parsed.success ? parsed.data : { success: false, error: MALFORMED_RESULT_ERROR };
  }

  it('reads every result exactly as the zod schema does', () => {
    fc.assert(
      fc.property(resultObject, (result) => {
        expect(toSendResult(result)).toStrictEqual(bySchema(result));
      }),
      { numRuns: 3000 },
    );
  });

  it('never lets an own __proto__ key reach raw or change its prototype', () => {
    const raw = JSON.parse('{"success":true,"__proto__":{"polluted":true},"kept":1}') as Record<string, unknown>;
    const result = toSendResult(raw);
    expect(result).toStrictEqual({ success: true, raw: { kept: 1 } });
    expect(Object.getPrototypeOf(result.raw)).toBe(Object.prototype);
  });
});

describe('readPromptResponse', () => {
  it('reads what the zod schema accepts exactly as the schema does, and never throws', () => {
    fc.assert(
      fc.property(promptResponseValue, (value) => {
        const read = readPromptResponse(value);
        const parsed = promptResponseWireSchema.safeParse(value);
        if (parsed.success) expect(read).toEqual(parsed.data);
        if (value === null) expect(read).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });
});
