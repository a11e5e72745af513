/**
 * Trace files: what buildTrace writes, parseTrace reads back unchanged; anything else is refused
 * with a TraceFormatError whose issues say where, what was expected and what arrived.
 */
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { connectionMachine } from '../../machines/connection.machine.js';
import { TraceFormatError } from '../../src/errors.js';
import { encodeFrame } from '../../src/codec/frame-encoder.js';
import { outboundFrame } from '../../src/protocol/frames.js';
import { sendAction } from '../../src/protocol/outbound.js';
import { createFramesLane, type FrameRecord } from '../../src/visualizer/frames-lane.js';
import { buildTrace, parseTrace, TRACE_FORMAT, TRACE_VERSION, type Trace } from '../../src/visualizer/trace.js';
import { summarizeContext, type TimelineEntry } from '../../src/visualizer/visualizer-feed.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

const context = {
  ...summarizeContext(createActor(connectionMachine, { input: undefined }).getSnapshot().context),
  attempt: 2,
  dials: 3,
  handshakes: 1,
  handshakeSeen: true,
  nextRetryAt: null,
  servingSince: T0 + 5,
  lastClose: { code: 1006, reason: '' },
  lastError: 'connect ECONNREFUSED 127.0.0.1:9',
  descriptor: { platform: 'telegram', label: 'Telegram', maxMessageLength: 4096, contractVersion: 1 },
};

const entry: TimelineEntry = {
  seq: 1,
  t: T0 + 5,
  event: 'DESCRIPTOR',
  from: 'handshaking',
  to: 'serving.live',
  state: 'serving',
  machinePath: 'running.link.open.serving.live',
  fired: [
    { source: 'running.link.open.handshaking', target: 'running.link.open.serving', label: 'DESCRIPTOR' },
    { source: 'running.link.open.serving', target: null, label: 'ignored' },
  ],
  guards: [{ state: 'running.link.open.handshaking', guard: 'descriptorCompatible', result: true }],
  context,
  changed: ['handshakes', 'handshakeSeen', 'servingSince', 'descriptor'],
  timers: [{ state: 'running.link.open.serving.live', delay: 'pingInterval', dueAt: T0 + 30_005 }],
};

function realFrames(): FrameRecord[] {
  let clock = T0;
  const lane = createFramesLane({ now: () => clock, showText: true });
  const records = [
    lane({ direction: 'in', kind: 'open' }),
    lane({ direction: 'out', kind: 'line', line: encodeFrame(outboundFrame('r1', sendAction('42', 'hello'))) }),
    ((clock += 12), lane({ direction: 'in', kind: 'frame', frame: { type: 'outbound_result', requestId: 'r1', result: { success: true, message_id: 'm1' } }, size: 60 })),
    lane({ direction: 'in', kind: 'close', code: 1000, reason: 'bye' }),
  ];
  return records.filter((record): record is FrameRecord => record !== null);
}

function sampleTrace(): Trace {
  return buildTrace({
    source: { kind: 'gateway', name: 'gateway-1' },
    machine: { id: 'connection', structureHash: 'abc123' },
    entries: [entry],
    frames: realFrames(),
    note: 'expected serving, got reconnecting',
    now: () => T0,
  });
}

/** The TraceFormatError `fn` throws (fails the test if it throws nothing else). */
function traceError(fn: () => unknown): TraceFormatError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TraceFormatError);
    return error as TraceFormatError;
  }
  throw new Error('expected a TraceFormatError, nothing was thrown');
}

describe('buildTrace', () => {
  it('stamps format, version and creation time', () => {
    const trace = sampleTrace();
    expect(TRACE_FORMAT).toBe('relay-gateway-trace');
    expect(TRACE_VERSION).toBe(1);
    expect(trace).toMatchObject({ format: 'relay-gateway-trace', version: 1, createdAt: '2025-01-02T03:04:05.678Z', note: 'expected serving, got reconnecting' });
    expect(trace.entries).toEqual([entry]);
    expect(trace.frames.map((f) => f.type)).toEqual(['open', 'outbound', 'outbound_result', 'close']);
    expect(trace.frames[2]).toMatchObject({ requestId: 'r1', latencyMs: 12, result: 'success', op: 'send' });
  });

  it('leaves out the note when there is none and defaults frames to none', () => {
    const trace = buildTrace({ source: { kind: 'test', name: 't' }, machine: { id: 'connection', structureHash: 'h' }, entries: [], now: () => T0 });
    expect(trace).not.toHaveProperty('note');
    expect(trace.frames).toEqual([]);
  });
});

describe('parseTrace round trip', () => {
  it('JSON text written from buildTrace reads back deep-equal', () => {
    const trace = sampleTrace();
    const text = JSON.stringify(trace);
    // Strict: no key dropped or added on the way (zod strips keys it does not know).
    expect(parseTrace(text)).toStrictEqual(trace);
  });

  it('an already parsed object reads back deep-equal', () => {
    const trace = sampleTrace();
    const object: unknown = JSON.parse(JSON.stringify(trace));
    expect(parseTrace(object)).toStrictEqual(trace);
  });

  it('a trace without a note or frames round-trips', () => {
    const trace = buildTrace({ source: { kind: 'test', name: 'model run 7' }, machine: { id: 'connection', structureHash: 'h' }, entries: [entry], now: () => T0 });
    expect(parseTrace(JSON.stringify(trace))).toStrictEqual(trace);
  });
});

describe('parseTrace refusals', () => {
  it('text that is not JSON: ERR_TRACE_INVALID at the root', () => {
    const error = traceError(() => parseTrace('{"format": "relay-gateway-trace",'));
    expect(error.code).toBe('ERR_TRACE_INVALID');
    expect(error.name).toBe('TraceFormatError');
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ path: '', expected: 'JSON', received: 'text that is not JSON' });
    expect(error.issues[0]!.message).toMatch(/^\(root\): not JSON/);
    expect(error.message).toMatch(/^invalid trace: \(root\): not JSON/);
  });

  it('another format: an issue at "format" saying it is not a relay-gateway trace', () => {
    const error = traceError(() => parseTrace({ ...sampleTrace(), format: 'some-other-trace' }));
    expect(error.code).toBe('ERR_TRACE_INVALID');
    expect(error.issues).toHaveLength(1);
    const issue = error.issues[0]!;
    expect(issue.path).toBe('format');
    expect(issue.expected).toBe('"relay-gateway-trace" (is this a relay-gateway trace?)');
    expect(issue.received).toBe('"some-other-trace"');
    expect(issue.message).toContain('is this a relay-gateway trace?');
  });

  it('version 2: an issue at "version" naming version 1', () => {
    const error = traceError(() => parseTrace(JSON.stringify({ ...sampleTrace(), version: 2 })));
    expect(error.issues).toHaveLength(1);
    const issue = error.issues[0]!;
    expect(issue.path).toBe('version');
    expect(issue.expected).toBe('version 1 (this relay-gateway reads version 1 traces)');
    expect(issue.received).toBe('2');
    expect(issue.message).toContain('version 1');
  });

  it('an entry with a string seq: an issue at "entries.0.seq" with expected and received', () => {
    const error = traceError(() => parseTrace({ ...sampleTrace(), entries: [{ ...entry, seq: 'x' }] }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toEqual({ path: 'entries.0.seq', expected: 'a number', received: '"x"', message: 'entries.0.seq: expected a number, received "x"' });
  });

  it('several problems are all reported, first one first', () => {
    const error = traceError(() => parseTrace({ ...sampleTrace(), format: 'x', version: 2, frames: [{ ...realFrames()[0], direction: 'sideways' }] }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['format', 'version', 'frames.0.direction']);
    expect(error.message).toMatch(/\(and 2 more\)$/);
  });

  it('not an object at all', () => {
    for (const value of [null, 42, [], 'null']) {
      const error = traceError(() => parseTrace(value));
      expect(error.issues[0]).toMatchObject({ path: '' });
    }
  });
});
