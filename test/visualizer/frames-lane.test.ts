/**
 * The frames lane turns raw tap events into short, safe records: ids, sizes, codes and latencies,
 * never webhook headers, bodies or query strings, and message text only when asked for.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/codec/frame-encoder.js';
import { descriptorFromPlatformEntry } from '../../src/protocol/descriptor.js';
import { helloFrame, inboundAckFrame, interruptFrame, outboundFrame, type ConnectorFrame } from '../../src/protocol/frames.js';
import { inboundEventToWire, parseInboundEvent } from '../../src/protocol/inbound-event.js';
import { sendAction } from '../../src/protocol/outbound.js';
import { passthroughForwardSchema } from '../../src/protocol/passthrough.js';
import type { FrameTapEvent } from '../../src/transport/frame-tap.js';
import { createFramesLane, type FrameRecord, type FramesLaneOptions } from '../../src/visualizer/frames-lane.js';

/** A lane with a clock the test moves by hand. */
function laneWithClock(options: Omit<FramesLaneOptions, 'now'> = {}): { lane: (event: FrameTapEvent) => FrameRecord | null; clock: { now: number } } {
  const clock = { now: 1_000 };
  const lane = createFramesLane({ ...options, now: () => clock.now });
  return { lane, clock };
}

const outLine = (line: string): FrameTapEvent => ({ direction: 'out', kind: 'line', line });
const inFrame = (frame: ConnectorFrame, size = 77): FrameTapEvent => ({ direction: 'in', kind: 'frame', frame, size });
const sendLine = (requestId: string, chatId: string, content: string): string => encodeFrame(outboundFrame(requestId, sendAction(chatId, content)));
const result = (requestId: string, body: Record<string, unknown>): FrameTapEvent => inFrame({ type: 'outbound_result', requestId, result: body }, 64);

const MESSAGE_TEXT = 'my private words';
const inboundEvent = parseInboundEvent(
  inboundEventToWire({ text: MESSAGE_TEXT, message_id: 'm-9', source: { platform: 'telegram', chat_id: '42', chat_type: 'dm', user_id: 'u-1' } }),
);
const SESSION_KEY = 'agent:main:telegram:dm:42';

describe('frames lane: lines the gateway wrote', () => {
  it('a hello line names the platform, with the line length in bytes', () => {
    const { lane } = laneWithClock();
    const line = encodeFrame(helloFrame('telegram', 'bot-1'));
    expect(lane(outLine(line))).toEqual({
      seq: 1,
      t: 1_000,
      direction: 'out',
      type: 'hello',
      summary: 'hello (platform telegram)',
      bytes: Buffer.byteLength(line),
    });
  });

  it('an outbound line gives request id, op, chat and content length (not the content)', () => {
    const { lane } = laneWithClock();
    const line = sendLine('r12', '42', 'hello world, ünïcode');
    const record = lane(outLine(line));
    expect(record).toEqual({
      seq: 1,
      t: 1_000,
      direction: 'out',
      type: 'outbound',
      summary: 'send #r12 (chat 42, 20 chars)',
      bytes: Buffer.byteLength(line),
      requestId: 'r12',
      op: 'send',
    });
    expect(record).not.toHaveProperty('text');
    expect(JSON.stringify(record)).not.toContain('hello world');
  });

  it('inbound_ack and interrupt lines carry their buffer id and session key', () => {
    const { lane } = laneWithClock();
    expect(lane(outLine(encodeFrame(inboundAckFrame('buf-3'))))).toMatchObject({ seq: 1, type: 'inbound_ack', summary: 'ack buf-3', bufferId: 'buf-3' });
    expect(lane(outLine(encodeFrame(interruptFrame(SESSION_KEY, 'user stop'))))).toMatchObject({
      seq: 2,
      type: 'interrupt',
      summary: `interrupt ${SESSION_KEY}`,
      sessionKey: SESSION_KEY,
    });
  });

  it('a line that is not a JSON object is recorded as unknown, with its size', () => {
    const { lane } = laneWithClock();
    for (const [i, line] of ['{not json', '[1,2,3]', '"just a string"'].entries()) {
      expect(lane(outLine(line))).toEqual({ seq: i + 1, t: 1_000, direction: 'out', type: 'unknown', summary: 'unreadable line', bytes: Buffer.byteLength(line) });
    }
  });
});

describe('frames lane: results and their latency', () => {
  it('an outbound_result for a sent request gives success and the time since the send', () => {
    const { lane, clock } = laneWithClock();
    lane(outLine(sendLine('r1', '42', 'hi')));
    clock.now = 1_250;
    expect(lane(result('r1', { success: true, message_id: 'm-1' }))).toEqual({
      seq: 2,
      t: 1_250,
      direction: 'in',
      type: 'outbound_result',
      summary: 'result #r1: success in 250 ms',
      bytes: 64,
      requestId: 'r1',
      result: 'success',
      op: 'send',
      latencyMs: 250,
    });
  });

  it("a failure result gives the connector's code, or 'failed' without one", () => {
    const { lane, clock } = laneWithClock();
    lane(outLine(sendLine('r1', '42', 'hi')));
    lane(outLine(sendLine('r2', '42', 'hi again')));
    clock.now = 1_040;
    expect(lane(result('r1', { success: false, code: 'rate_limited', error: 'slow down' }))).toMatchObject({
      requestId: 'r1',
      result: 'rate_limited',
      latencyMs: 40,
      summary: 'result #r1: rate_limited in 40 ms',
    });
    clock.now = 1_100;
    expect(lane(result('r2', { success: false }))).toMatchObject({ requestId: 'r2', result: 'failed', latencyMs: 100, summary: 'result #r2: failed in 100 ms' });
  });

  it('a result is matched once: a second result for the same id has no latency', () => {
    const { lane, clock } = laneWithClock();
    lane(outLine(sendLine('r1', '42', 'hi')));
    clock.now = 1_010;
    expect(lane(result('r1', { success: true }))).toMatchObject({ latencyMs: 10 });
    const again = lane(result('r1', { success: true }));
    expect(again).not.toHaveProperty('latencyMs');
    expect(again).not.toHaveProperty('op');
    expect(again?.summary).toBe('result #r1: success');
  });

  it('remembers at most maxOutstanding requests: the oldest is forgotten first', () => {
    const maxOutstanding = 3;
    const { lane, clock } = laneWithClock({ maxOutstanding });
    for (let i = 1; i <= maxOutstanding + 1; i++) {
      clock.now = 1_000 + i;
      lane(outLine(sendLine(`r${i}`, '42', 'x')));
    }
    clock.now = 2_000;
    const first = lane(result('r1', { success: true }));
    expect(first).toMatchObject({ requestId: 'r1', result: 'success', summary: 'result #r1: success' });
    expect(first).not.toHaveProperty('latencyMs');
    expect(first).not.toHaveProperty('op');
    // The others are still remembered, each with its own send time.
    expect(lane(result('r2', { success: true }))?.latencyMs).toBe(2_000 - 1_002);
    expect(lane(result('r4', { success: true }))?.latencyMs).toBe(2_000 - 1_004);
  });
});

describe('frames lane: frames the connector sent', () => {
  it('a descriptor names platform, label and contract version, with its size', () => {
    const { lane } = laneWithClock();
    const descriptor = descriptorFromPlatformEntry({ name: 'telegram', label: 'Telegram', max_message_length: 4096 });
    expect(lane(inFrame({ type: 'descriptor', descriptor }, 321))).toEqual({
      seq: 1,
      t: 1_000,
      direction: 'in',
      type: 'descriptor',
      summary: 'descriptor telegram (Telegram), contract v1',
      bytes: 321,
    });
  });

  it('an inbound frame gives its session key and text length, not the text', () => {
    const { lane } = laneWithClock();
    const record = lane(inFrame({ type: 'inbound', event: inboundEvent, bufferId: undefined }, 200));
    expect(record).toEqual({
      seq: 1,
      t: 1_000,
      direction: 'in',
      type: 'inbound',
      summary: `inbound ${SESSION_KEY} (${MESSAGE_TEXT.length} chars)`,
      bytes: 200,
      sessionKey: SESSION_KEY,
    });
    expect(JSON.stringify(record)).not.toContain(MESSAGE_TEXT);
  });

  it('a replayed inbound frame names its buffer id', () => {
    const { lane } = laneWithClock();
    expect(lane(inFrame({ type: 'inbound', event: inboundEvent, bufferId: 'buf-7' }))).toMatchObject({
      summary: `inbound ${SESSION_KEY} (${MESSAGE_TEXT.length} chars, replay buf-7)`,
      bufferId: 'buf-7',
      sessionKey: SESSION_KEY,
    });
  });

  it('interrupt_inbound and going_idle_ack', () => {
    const { lane } = laneWithClock();
    expect(lane(inFrame({ type: 'interrupt_inbound', session_key: SESSION_KEY, chat_id: '42' }, 50))).toEqual({
      seq: 1,
      t: 1_000,
      direction: 'in',
      type: 'interrupt_inbound',
      summary: `/stop for ${SESSION_KEY}`,
      bytes: 50,
      sessionKey: SESSION_KEY,
    });
    expect(lane(inFrame({ type: 'going_idle_ack' }, 25))).toEqual({
      seq: 2,
      t: 1_000,
      direction: 'in',
      type: 'going_idle_ack',
      summary: 'going idle acknowledged',
      bytes: 25,
    });
  });

  it('a passthrough_forward shows method, path without query and body size; never headers, query or body', () => {
    const { lane } = laneWithClock();
    const body = '{"event":"BODY-SECRET-123"}'; // 27 bytes: base64 without padding
    const forward = passthroughForwardSchema.parse({
      platform: 'discord',
      botId: 'bot-1',
      method: 'POST',
      path: '/hook?token=QUERY-SECRET',
      headers: [
        ['authorization', 'Bearer SECRET-HEADER'],
        ['content-type', 'application/json'],
      ],
      bodyB64: Buffer.from(body).toString('base64'),
    });
    const record = lane(inFrame({ type: 'passthrough_forward', forward, bufferId: 'buf-2' }, 400));
    expect(record).toEqual({
      seq: 1,
      t: 1_000,
      direction: 'in',
      type: 'passthrough_forward',
      summary: `webhook POST /hook (${Buffer.byteLength(body)} bytes)`,
      bytes: 400,
      bufferId: 'buf-2',
    });
    const json = JSON.stringify(record);
    for (const secret of ['SECRET-HEADER', 'Bearer', 'authorization', 'QUERY-SECRET', 'token=', 'BODY-SECRET', 'application/json']) expect(json).not.toContain(secret);
  });

  it('a passthrough body size is the decoded size (base64 padding is not counted)', () => {
    const { lane } = laneWithClock();
    for (const body of ['a', 'ab', 'abcd', 'abcde']) {
      const forward = passthroughForwardSchema.parse({ platform: 'discord', method: 'POST', path: '/hook', bodyB64: Buffer.from(body).toString('base64') });
      expect(lane(inFrame({ type: 'passthrough_forward', forward, bufferId: undefined }))?.summary).toBe(`webhook POST /hook (${Buffer.byteLength(body)} bytes)`);
    }
  });
});

describe('frames lane: socket events', () => {
  it('open, ping, pong and close, numbered in order', () => {
    const { lane, clock } = laneWithClock();
    expect(lane({ direction: 'in', kind: 'open' })).toEqual({ seq: 1, t: 1_000, direction: 'in', type: 'open', summary: 'upgrade accepted', bytes: null });
    clock.now = 1_100;
    expect(lane({ direction: 'out', kind: 'ping' })).toEqual({ seq: 2, t: 1_100, direction: 'out', type: 'ping', summary: 'ping (keepalive)', bytes: null });
    clock.now = 1_105;
    expect(lane({ direction: 'in', kind: 'pong' })).toEqual({ seq: 3, t: 1_105, direction: 'in', type: 'pong', summary: 'pong', bytes: null });
    clock.now = 1_200;
    expect(lane({ direction: 'in', kind: 'close', code: 4000, reason: 'going away' })).toEqual({
      seq: 4,
      t: 1_200,
      direction: 'in',
      type: 'close',
      summary: 'close 4000 "going away"',
      bytes: null,
      code: 4000,
      reason: 'going away',
    });
  });

  it('a close without a reason shows only the code', () => {
    const { lane } = laneWithClock();
    expect(lane({ direction: 'in', kind: 'close', code: 1006, reason: '' })).toMatchObject({ type: 'close', summary: 'close 1006', code: 1006, reason: '' });
  });
});

describe('frames lane: showText', () => {
  it('includes the inbound text and the outbound content when asked', () => {
    const { lane } = laneWithClock({ showText: true });
    expect(lane(inFrame({ type: 'inbound', event: inboundEvent, bufferId: undefined }))).toMatchObject({ type: 'inbound', sessionKey: SESSION_KEY, text: MESSAGE_TEXT });
    expect(lane(outLine(sendLine('r5', '42', 'the reply')))).toMatchObject({ type: 'outbound', requestId: 'r5', op: 'send', text: 'the reply' });
  });

  it('still never shows webhook headers, query or body', () => {
    const { lane } = laneWithClock({ showText: true });
    const forward = passthroughForwardSchema.parse({
      platform: 'discord',
      method: 'POST',
      path: '/hook?token=QUERY-SECRET',
      headers: [['authorization', 'Bearer SECRET-HEADER']],
      bodyB64: Buffer.from('BODY-SECRET').toString('base64'),
    });
    const json = JSON.stringify(lane(inFrame({ type: 'passthrough_forward', forward, bufferId: undefined })));
    for (const secret of ['SECRET-HEADER', 'QUERY-SECRET', 'BODY-SECRET']) expect(json).not.toContain(secret);
  });

  it('a typing request has no content, so no text and no length', () => {
    const { lane } = laneWithClock({ showText: true });
    const record = lane(outLine(encodeFrame(outboundFrame('r6', { op: 'typing', chat_id: '42', metadata: {} }))));
    expect(record).toMatchObject({ type: 'outbound', requestId: 'r6', op: 'typing', summary: 'typing #r6 (chat 42)' });
    expect(record).not.toHaveProperty('text');
  });
});
