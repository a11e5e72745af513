import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { encodeFrame } from '../../src/codec/frame-encoder.js';
import { InvalidArgumentError } from '../../src/errors.js';

function expectInvalidFrame(value: unknown): InvalidArgumentError {
  let caught: unknown;
  try {
    encodeFrame(value as object);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidArgumentError);
  const error = caught as InvalidArgumentError;
  expect(error.code).toBe('ERR_INVALID_ARGUMENT');
  expect(error.argument).toBe('frame');
  return error;
}

describe('encodeFrame', () => {
  it('writes the JSON text followed by exactly one newline', () => {
    expect(encodeFrame({ type: 'hello', platform: 'relay', botId: '' })).toBe(
      '{"type":"hello","platform":"relay","botId":""}\n',
    );
  });

  it('keeps a frame on one line even when strings contain newlines', () => {
    const wire = encodeFrame({ type: 'outbound', content: 'line 1\nline 2\r\n' });
    expect(wire.indexOf('\n')).toBe(wire.length - 1);
    expect(JSON.parse(wire)).toEqual({ type: 'outbound', content: 'line 1\nline 2\r\n' });
  });

  it('accepts a null-prototype object', () => {
    const frame = Object.create(null) as Record<string, unknown>;
    frame.type = 'going_idle';
    expect(encodeFrame(frame)).toBe('{"type":"going_idle"}\n');
  });

  it.each([
    ['null', null, 'null'],
    ['an array', [1, 2], 'an array'],
    ['a number', 42, 'number'],
    ['a string', '{"type":"x"}', 'string'],
    ['undefined', undefined, 'undefined'],
  ])('refuses %s', (_label, value, kind) => {
    expect(expectInvalidFrame(value).message).toContain(kind);
  });

  it('refuses non-plain objects (Map, Date, class instance)', () => {
    class Frame {
      type = 'x';
    }
    expect(expectInvalidFrame(new Map([['type', 'x']])).message).toContain('Map');
    expect(expectInvalidFrame(new Date(0)).message).toContain('Date');
    expect(expectInvalidFrame(new Frame()).message).toContain('Frame');
  });

  it('turns serialization failures into InvalidArgumentError', () => {
    const cyclic: Record<string, unknown> = { type: 'x' };
    cyclic.self = cyclic;
    expect(expectInvalidFrame(cyclic).message).toMatch(/cannot be serialized/);
    expect(expectInvalidFrame({ type: 'x', n: 10n }).message).toMatch(/cannot be serialized/);
  });

  it('refuses an object whose toJSON does not yield a JSON object', () => {
    expect(expectInvalidFrame({ toJSON: () => [1] }).message).toMatch(/JSON object/);
    expect(expectInvalidFrame({ toJSON: () => undefined }).message).toMatch(/JSON object/);
  });

  it('property: any JSON object encodes to one line that parses back to itself', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (frame) => {
        const wire = encodeFrame(frame);
        expect(wire.endsWith('\n')).toBe(true);
        expect(wire.indexOf('\n')).toBe(wire.length - 1);
        expect(JSON.parse(wire)).toEqual(JSON.parse(JSON.stringify(frame)));
      }),
    );
  });
});
