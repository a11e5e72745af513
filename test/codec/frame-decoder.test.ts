import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Buffer } from 'node:buffer';
import {
  createFrameDecoder,
  DEFAULT_MAX_LINE_BYTES,
  MALFORMED_LINE_PREVIEW_CHARS,
  type DecodedFrame,
  type FrameDecoderOptions,
  type MalformedLineInfo,
} from '../../src/codec/frame-decoder.js';
import { encodeFrame } from '../../src/codec/frame-encoder.js';
import { FrameTooLargeError, InvalidArgumentError, InvalidStateError } from '../../src/errors.js';

function harness(options: Partial<FrameDecoderOptions> = {}) {
  const frames: DecodedFrame[] = [];
  const malformed: MalformedLineInfo[] = [];
  const decoder = createFrameDecoder({
    onFrame: (frame) => frames.push(frame),
    onMalformed: (info) => malformed.push(info),
    ...options,
  });
  return { decoder, frames, malformed };
}

/** A standalone ArrayBuffer holding exactly these bytes (not a view into Buffer's shared pool). */
function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return copy;
}

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

const SAMPLE_FRAMES = [
  { type: 'inbound', event: { text: 'café 😀', source: { chat_id: 'é' } } },
  { type: 'outbound_result', requestId: 'r-1', result: { success: true } },
  { type: 'descriptor', descriptor: { emoji: '🔌', label: 'naïve — “quoted”' } },
];
const SAMPLE_WIRE = SAMPLE_FRAMES.map((frame) => encodeFrame(frame)).join('');

describe('createFrameDecoder: frame sizes', () => {
  it('hands each frame the length of its own line, also when the line was split across payloads', () => {
    const sizes: number[] = [];
    const decoder = createFrameDecoder({ onFrame: (_frame, size) => sizes.push(size) });
    const lines = SAMPLE_WIRE.split('\n').filter(Boolean);
    decoder.push(SAMPLE_WIRE.slice(0, 10));
    decoder.push(SAMPLE_WIRE.slice(10));
    expect(sizes).toEqual(lines.map((line) => line.length));
  });
});

describe('createFrameDecoder: options', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10'])('refuses maxLineBytes %s', (value) => {
    const error = catchError(() => createFrameDecoder({ onFrame: () => {}, maxLineBytes: value as number }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('maxLineBytes');
  });

  it('refuses a missing onFrame and a non-function onMalformed', () => {
    const noOnFrame = catchError(() => createFrameDecoder({} as FrameDecoderOptions));
    expect((noOnFrame as InvalidArgumentError).argument).toBe('onFrame');
    const badOnMalformed = catchError(() =>
      createFrameDecoder({ onFrame: () => {}, onMalformed: 'log' as unknown as () => void }),
    );
    expect((badOnMalformed as InvalidArgumentError).argument).toBe('onMalformed');
  });

  it('defaults the cap to 1 MiB', () => {
    expect(DEFAULT_MAX_LINE_BYTES).toBe(1_048_576);
    const { decoder, frames } = harness();
    const big = 'x'.repeat(DEFAULT_MAX_LINE_BYTES - 20);
    decoder.push(`{"type":"x","v":"${big}`);
    expect(decoder.pendingBytes).toBe(DEFAULT_MAX_LINE_BYTES - 20 + 17);
    expect(() => decoder.push('x'.repeat(100))).toThrow(FrameTooLargeError);
    expect(frames).toEqual([]);
  });
});

describe('createFrameDecoder: framing', () => {
  it('round-trips encoded frames pushed one message each', () => {
    const { decoder, frames } = harness();
    for (const frame of SAMPLE_FRAMES) decoder.push(encodeFrame(frame));
    expect(frames).toEqual(SAMPLE_FRAMES);
    expect(decoder.stats).toEqual({ frames: 3, malformed: 0, blankLines: 0 });
    expect(decoder.pendingBytes).toBe(0);
  });

  it('accepts several frames in one message', () => {
    const { decoder, frames } = harness();
    decoder.push(Buffer.from(SAMPLE_WIRE, 'utf8'));
    expect(frames).toEqual(SAMPLE_FRAMES);
  });

  it('buffers a line split across two pushes', () => {
    const { decoder, frames } = harness();
    decoder.push('{"type":"going_');
    expect(frames).toEqual([]);
    expect(decoder.pendingBytes).toBe(15);
    decoder.push('idle_ack"}\n{"type":"x"}\n{"type"');
    expect(frames).toEqual([{ type: 'going_idle_ack' }, { type: 'x' }]);
    expect(decoder.pendingBytes).toBe(7);
    decoder.push(':"y"}\n');
    expect(frames).toEqual([{ type: 'going_idle_ack' }, { type: 'x' }, { type: 'y' }]);
  });

  it('buffers a line split across many pushes, one character at a time', () => {
    const { decoder, frames } = harness();
    for (const ch of SAMPLE_WIRE) decoder.push(ch);
    expect(frames).toEqual(SAMPLE_FRAMES);
  });

  it('reassembles multi-byte UTF-8 split at every pair of byte offsets, delivered as Buffers', () => {
    const bytes = Buffer.from(SAMPLE_WIRE, 'utf8');
    expect(bytes.length).toBeGreaterThan(SAMPLE_WIRE.length); // the sample really is multi-byte
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        const { decoder, frames, malformed } = harness();
        decoder.push(bytes.subarray(0, i));
        decoder.push(bytes.subarray(i, j));
        decoder.push(bytes.subarray(j));
        expect(malformed).toEqual([]);
        expect(frames).toEqual(SAMPLE_FRAMES);
      }
    }
  });

  it('reassembles a message delivered byte by byte', () => {
    const bytes = Buffer.from(SAMPLE_WIRE, 'utf8');
    const { decoder, frames } = harness();
    for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1));
    expect(frames).toEqual(SAMPLE_FRAMES);
  });

  it('decodes Buffer[] fragments, even split inside a character', () => {
    const bytes = Buffer.from(SAMPLE_WIRE, 'utf8');
    const cut = bytes.indexOf(Buffer.from('😀', 'utf8')) + 2;
    const { decoder, frames } = harness();
    decoder.push([bytes.subarray(0, cut), bytes.subarray(cut, cut + 5), bytes.subarray(cut + 5)]);
    expect(frames).toEqual(SAMPLE_FRAMES);
  });

  it('decodes ArrayBuffer payloads, continuing a character across them', () => {
    const bytes = Buffer.from(SAMPLE_WIRE, 'utf8');
    const cut = bytes.indexOf(Buffer.from('é', 'utf8')) + 1;
    const { decoder, frames } = harness();
    decoder.push(toArrayBuffer(bytes.subarray(0, cut)));
    decoder.push(toArrayBuffer(bytes.subarray(cut)));
    expect(frames).toEqual(SAMPLE_FRAMES);
  });

  it('mixes string and binary payloads in stream order', () => {
    const { decoder, frames } = harness();
    decoder.push(Buffer.from('{"type":"a",', 'utf8'));
    decoder.push('"n":1}\n{"type":');
    decoder.push(Buffer.from('"b"}\n', 'utf8'));
    expect(frames).toEqual([{ type: 'a', n: 1 }, { type: 'b' }]);
  });

  it('flushes an unfinished binary character as U+FFFD when a string payload follows', () => {
    const { decoder, frames } = harness();
    const smiley = Buffer.from('😀', 'utf8');
    decoder.push(Buffer.concat([Buffer.from('{"t":"', 'utf8'), smiley.subarray(0, 2)]));
    decoder.push('"}\n');
    expect(frames).toEqual([{ t: '\uFFFD' }]);
  });

  it('skips and counts blank and whitespace-only lines', () => {
    const { decoder, frames, malformed } = harness();
    decoder.push('\n\n   \n\t\r\n\r\n{"type":"x"}\n\n');
    expect(frames).toEqual([{ type: 'x' }]);
    expect(malformed).toEqual([]);
    expect(decoder.stats).toEqual({ frames: 1, malformed: 0, blankLines: 6 });
  });

  it('accepts CRLF line endings and leading whitespace', () => {
    const { decoder, frames } = harness();
    decoder.push('{"type":"a"}\r\n  {"type":"b"}\r\n{"type":');
    decoder.push('"c"}\r');
    decoder.push('\n');
    expect(frames).toEqual([{ type: 'a' }, { type: 'b' }, { type: 'c' }]);
    expect(decoder.stats.malformed).toBe(0);
  });

  it('does not deliver a frame before its newline arrives', () => {
    const { decoder, frames } = harness();
    decoder.push('{"type":"x"}');
    expect(frames).toEqual([]);
    decoder.push('\n');
    expect(frames).toEqual([{ type: 'x' }]);
  });
});

describe('createFrameDecoder: bad lines', () => {
  it('skips non-JSON and non-object lines, counts and reports them, and keeps going', () => {
    const { decoder, frames, malformed } = harness();
    decoder.push('not json\n{"type":"a"}\n[1,2]\n42\nnull\n"str"\ntrue\n{"type":\n');
    decoder.push('{"type":"b"}\n');
    expect(frames).toEqual([{ type: 'a' }, { type: 'b' }]);
    expect(malformed).toEqual([
      { reason: 'not-json', line: 'not json' },
      { reason: 'not-object', line: '[1,2]' },
      { reason: 'not-object', line: '42' },
      { reason: 'not-object', line: 'null' },
      { reason: 'not-object', line: '"str"' },
      { reason: 'not-object', line: 'true' },
      { reason: 'not-json', line: '{"type":' },
    ]);
    expect(decoder.stats).toEqual({ frames: 2, malformed: 7, blankLines: 0 });
  });

  it('counts bad lines even without an onMalformed callback', () => {
    const frames: DecodedFrame[] = [];
    const decoder = createFrameDecoder({ onFrame: (frame) => frames.push(frame) });
    decoder.push('}{\n{"type":"a"}\n');
    expect(decoder.stats.malformed).toBe(1);
    expect(frames).toEqual([{ type: 'a' }]);
  });

  it('truncates the reported line for logging without splitting a surrogate pair', () => {
    const { decoder, malformed } = harness();
    const long = 'z'.repeat(1000);
    const emojiAtCut = `${'a'.repeat(MALFORMED_LINE_PREVIEW_CHARS - 1)}😀tail`;
    decoder.push(`${long}\n${emojiAtCut}\n`);
    expect(malformed[0]?.line).toBe(`${'z'.repeat(MALFORMED_LINE_PREVIEW_CHARS)}…`);
    expect(malformed[1]?.line).toBe(`${'a'.repeat(MALFORMED_LINE_PREVIEW_CHARS - 1)}…`);
  });

  it('does not pollute Object.prototype through a __proto__ key', () => {
    const { decoder, frames } = harness();
    decoder.push('{"__proto__":{"polluted":1},"type":"x"}\n');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const frame = frames[0]!;
    expect(frame.type).toBe('x');
    expect(Object.prototype.hasOwnProperty.call(frame, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(frame)).toBe(Object.prototype);
  });

  it('property: arbitrary garbage never makes push throw', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const { decoder } = harness();
        for (const chunk of chunks) decoder.push(Buffer.from(chunk));
        decoder.push('\n');
        const { frames, malformed, blankLines } = decoder.stats;
        expect(frames + malformed + blankLines).toBeGreaterThan(0);
      }),
    );
  });
});

describe('createFrameDecoder: line cap', () => {
  it('throws FrameTooLargeError when the partial line exceeds the cap, then works again', () => {
    const { decoder, frames } = harness({ maxLineBytes: 32 });
    decoder.push('{"type":"x","pad":"');
    const error = catchError(() => decoder.push('0123456789abcdef'));
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect((error as FrameTooLargeError).code).toBe('ERR_FRAME_TOO_LARGE');
    expect((error as FrameTooLargeError).size).toBe(35);
    expect((error as FrameTooLargeError).limit).toBe(32);
    expect(decoder.pendingBytes).toBe(0);
    decoder.push('{"type":"after"}\n');
    expect(frames).toEqual([{ type: 'after' }]);
  });

  it('allows a partial line of exactly the cap', () => {
    const { decoder, frames } = harness({ maxLineBytes: 16 });
    decoder.push('{"t":"abcdefgh"}');
    expect(decoder.pendingBytes).toBe(16);
    decoder.push('\n');
    expect(frames).toEqual([{ t: 'abcdefgh' }]);
  });

  it('measures the cap in UTF-8 bytes, not UTF-16 units', () => {
    const { decoder } = harness({ maxLineBytes: 10 });
    decoder.push('éééé'); // 4 units, 8 bytes: under
    expect(decoder.pendingBytes).toBe(8);
    const error = catchError(() => decoder.push('é')); // 10 bytes: still fine
    expect(error).toBeUndefined();
    const breach = catchError(() => decoder.push('😀')) as FrameTooLargeError; // 14 bytes
    expect(breach).toBeInstanceOf(FrameTooLargeError);
    expect(breach.size).toBe(14);
  });

  it('counts bytes of a split multi-byte character only once it is decoded', () => {
    const { decoder } = harness({ maxLineBytes: 8 });
    const smiley = Buffer.from('😀', 'utf8');
    decoder.push(Buffer.concat([Buffer.from('{"a":', 'utf8'), smiley.subarray(0, 3)]));
    expect(decoder.pendingBytes).toBe(5);
    const breach = catchError(() => decoder.push(smiley.subarray(3))) as FrameTooLargeError;
    expect(breach.size).toBe(9);
  });

  it('tracks a line growing in many small pushes and breaches at the right one', () => {
    const { decoder } = harness({ maxLineBytes: 100 });
    let breachAt = -1;
    for (let i = 1; i <= 60 && breachAt === -1; i++) {
      const error = catchError(() => decoder.push('é'));
      if (error !== undefined) {
        expect((error as FrameTooLargeError).size).toBe(102);
        breachAt = i;
      }
    }
    expect(breachAt).toBe(51);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('delivers the complete lines of a payload before throwing for its oversized tail', () => {
    const { decoder, frames } = harness({ maxLineBytes: 8 });
    const error = catchError(() => decoder.push('{"type":"a"}\n{"type":"b"}\n{"type":"too-long'));
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect(frames).toEqual([{ type: 'a' }, { type: 'b' }]);
    // Pushing on after a breach: the rest of the oversized line is one malformed line, then frames flow.
    decoder.push('"}\n{"type":"c"}\n');
    expect(frames).toEqual([{ type: 'a' }, { type: 'b' }, { type: 'c' }]);
    expect(decoder.stats.malformed).toBe(1);
  });

  it('does not cap a complete line that arrives inside one payload (the cap is on the buffered partial)', () => {
    const { decoder, frames } = harness({ maxLineBytes: 8 });
    decoder.push('{"type":"much longer than eight bytes"}\n');
    expect(frames).toEqual([{ type: 'much longer than eight bytes' }]);
    decoder.push(['{"type":"frag', 'mented and long"}\n'].map((s) => Buffer.from(s, 'utf8')));
    expect(frames[1]).toEqual({ type: 'fragmented and long' });
  });

  it('caps a line joined across payloads only by what is buffered', () => {
    const { decoder, frames } = harness({ maxLineBytes: 8 });
    decoder.push('{"a":1,'); // 7 bytes buffered
    decoder.push('"b":"completes here, longer than the cap"}\n');
    expect(frames).toEqual([{ a: 1, b: 'completes here, longer than the cap' }]);
  });
});

describe('createFrameDecoder: callbacks and state', () => {
  it('stats is a live view', () => {
    const { decoder } = harness();
    const stats = decoder.stats;
    decoder.push('{"type":"a"}\n\nbad\n');
    expect(stats).toEqual({ frames: 1, malformed: 1, blankLines: 1 });
  });

  it('still dispatches the rest of a payload when onFrame throws, then rethrows its error', () => {
    const seen: unknown[] = [];
    const boom = new Error('handler failed');
    const decoder = createFrameDecoder({
      onFrame: (frame) => {
        seen.push(frame.type);
        if (frame.type === 'b') throw boom;
      },
    });
    const error = catchError(() => decoder.push('{"type":"a"}\n{"type":"b"}\n{"type":"c"}\n{"type":'));
    expect(error).toBe(boom);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(decoder.stats.frames).toBe(3);
    decoder.push('"d"}\n');
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
  });

  it('rethrows an AggregateError when callbacks threw more than once in one push', () => {
    const decoder = createFrameDecoder({
      onFrame: (frame) => {
        throw new Error(String(frame.type));
      },
      onMalformed: () => {
        throw new Error('malformed');
      },
    });
    const error = catchError(() => decoder.push('{"type":"a"}\nnope\n{"type":"b"}\n'));
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(['a', 'malformed', 'b']);
    // The error list does not leak into the next push.
    decoder.push('\n');
    expect(decoder.stats).toEqual({ frames: 2, malformed: 1, blankLines: 1 });
  });

  it('reset() drops the partial line and the UTF-8 state', () => {
    const { decoder, frames, malformed } = harness();
    decoder.push(Buffer.concat([Buffer.from('{"type":"stale","x":"', 'utf8'), Buffer.from('😀', 'utf8').subarray(0, 2)]));
    expect(decoder.pendingBytes).toBeGreaterThan(0);
    decoder.reset();
    expect(decoder.pendingBytes).toBe(0);
    decoder.push(Buffer.from('{"type":"fresh"}\n', 'utf8'));
    expect(frames).toEqual([{ type: 'fresh' }]);
    expect(malformed).toEqual([]);
  });

  it('reset() from inside onFrame discards the rest of the current payload', () => {
    const frames: DecodedFrame[] = [];
    const decoder = createFrameDecoder({
      onFrame: (frame) => {
        frames.push(frame);
        if (frame.type === 'reconnect') decoder.reset();
      },
    });
    decoder.push('{"type":"reconnect"}\n{"type":"stale"}\n{"type":"partial');
    expect(frames).toEqual([{ type: 'reconnect' }]);
    expect(decoder.pendingBytes).toBe(0);
    decoder.push('{"type":"fresh"}\n');
    expect(frames).toEqual([{ type: 'reconnect' }, { type: 'fresh' }]);
  });

  it('refuses a re-entrant push from inside onFrame', () => {
    let inner: unknown;
    const decoder = createFrameDecoder({
      onFrame: () => {
        inner ??= catchError(() => decoder.push('{"type":"nested"}\n'));
      },
    });
    decoder.push('{"type":"outer"}\n');
    expect(inner).toBeInstanceOf(InvalidStateError);
    expect(decoder.stats.frames).toBe(1);
  });

  it('refuses payloads of unsupported types without touching state', () => {
    const { decoder, frames } = harness();
    decoder.push('{"type":');
    expect(catchError(() => decoder.push(42 as unknown as string))).toBeInstanceOf(InvalidArgumentError);
    expect(catchError(() => decoder.push(['x'] as unknown as Buffer[]))).toBeInstanceOf(InvalidArgumentError);
    decoder.push('"ok"}\n');
    expect(frames).toEqual([{ type: 'ok' }]);
  });
});

describe('createFrameDecoder: property', () => {
  const frameArb = fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue(), { maxKeys: 6 });
  const deliveryArb = fc.constantFrom('buffer', 'arraybuffer', 'fragments', 'string');

  it('yields exactly the encoded objects, in order, for any chunking of their bytes', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        deliveryArb,
        (objects, rawCuts, delivery) => {
          const wire = Buffer.from(objects.map((o) => encodeFrame(o)).join(''), 'utf8');
          const cuts = [...new Set(rawCuts.map((c) => (wire.length === 0 ? 0 : c % (wire.length + 1))))].sort(
            (a, b) => a - b,
          );
          const bounds = [0, ...cuts, wire.length];
          const chunks: Buffer[] = [];
          for (let i = 1; i < bounds.length; i++) chunks.push(wire.subarray(bounds[i - 1], bounds[i]));

          const { decoder, frames, malformed } = harness();
          if (delivery === 'fragments') {
            // Group consecutive chunks into fragmented messages of up to three fragments.
            for (let i = 0; i < chunks.length; i += 3) decoder.push(chunks.slice(i, i + 3));
          } else if (delivery === 'string') {
            // Text messages are whole UTF-8 on the wire: cut at line ends only.
            for (const line of wire.toString('utf8').split(/(?<=\n)/)) decoder.push(line);
          } else {
            for (const chunk of chunks) decoder.push(delivery === 'buffer' ? chunk : toArrayBuffer(chunk));
          }

          expect(malformed).toEqual([]);
          expect(frames).toEqual(objects.map((o) => JSON.parse(JSON.stringify(o)) as unknown));
          expect(decoder.stats.frames).toBe(objects.length);
          expect(decoder.pendingBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
