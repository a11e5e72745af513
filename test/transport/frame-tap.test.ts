/**
 * The frame tap: off (null) unless someone listens, shielded from listeners that throw, and, over a
 * real socket, told about every open, line, frame and close in the order they happened.
 */
import { describe, expect, it } from 'vitest';
import type { SendResult } from '../../src/protocol/outbound.js';
import { FrameTap, type FrameTapEvent } from '../../src/transport/frame-tap.js';
import { useRelayGateway } from '../support/fixtures.js';
import { deferred, inboundFrame, PLAIN_DESCRIPTOR, usePlainConnector } from '../support/plain-connector.js';

const OPEN: FrameTapEvent = { direction: 'in', kind: 'open' };
const PING: FrameTapEvent = { direction: 'out', kind: 'ping' };

describe('FrameTap', () => {
  it('emit is null with no listener, a function with one, and null again after the last unsubscribe', () => {
    const tap = new FrameTap();
    expect(tap.emit).toBeNull();
    const seen: FrameTapEvent[] = [];
    const stopA = tap.listen((event) => seen.push(event));
    expect(typeof tap.emit).toBe('function');
    const stopB = tap.listen(() => undefined);
    expect(typeof tap.emit).toBe('function');
    stopA();
    expect(typeof tap.emit).toBe('function');
    stopB();
    expect(tap.emit).toBeNull();
    expect(seen).toEqual([]);
  });

  it('delivers each event to every listener, in the order they were added', () => {
    const tap = new FrameTap();
    const calls: string[] = [];
    tap.listen((event) => calls.push(`a:${event.kind}`));
    tap.listen((event) => calls.push(`b:${event.kind}`));
    tap.emit?.(OPEN);
    tap.emit?.(PING);
    expect(calls).toEqual(['a:open', 'b:open', 'a:ping', 'b:ping']);
  });

  it('a listener that throws does not stop the others, nor reach the caller', () => {
    const tap = new FrameTap();
    const before: FrameTapEvent[] = [];
    const after: FrameTapEvent[] = [];
    tap.listen((event) => before.push(event));
    tap.listen(() => {
      throw new Error('a buggy debugging tool');
    });
    tap.listen((event) => after.push(event));
    expect(() => tap.emit?.(OPEN)).not.toThrow();
    expect(() => tap.emit?.(PING)).not.toThrow();
    expect(before).toEqual([OPEN, PING]);
    expect(after).toEqual([OPEN, PING]);
  });

  it('unsubscribe is idempotent and removes only its own listener', () => {
    const tap = new FrameTap();
    const a: FrameTapEvent[] = [];
    const b: FrameTapEvent[] = [];
    const stopA = tap.listen((event) => a.push(event));
    tap.listen((event) => b.push(event));
    stopA();
    stopA();
    expect(typeof tap.emit).toBe('function');
    tap.emit?.(OPEN);
    expect(a).toEqual([]);
    expect(b).toEqual([OPEN]);
  });

  it('the same function added twice is one listener', () => {
    const tap = new FrameTap();
    const seen: FrameTapEvent[] = [];
    const listener = (event: FrameTapEvent): void => void seen.push(event);
    const stop1 = tap.listen(listener);
    tap.listen(listener);
    tap.emit?.(OPEN);
    expect(seen).toEqual([OPEN]);
    stop1();
    expect(tap.emit).toBeNull();
  });
});

type Json = Record<string, unknown>;

const lineJson = (event: FrameTapEvent): Json | null => (event.kind === 'line' ? (JSON.parse(event.line) as Json) : null);
const isOutLine = (type: string) => (event: FrameTapEvent) => event.direction === 'out' && event.kind === 'line' && lineJson(event)?.type === type;
const isInFrame = (type: string) => (event: FrameTapEvent) => event.direction === 'in' && event.kind === 'frame' && event.frame.type === type;
const isKind = (kind: FrameTapEvent['kind']) => (event: FrameTapEvent) => event.kind === kind;

function label(event: FrameTapEvent): string {
  if (event.kind === 'line') return `out line ${String(lineJson(event)?.type)}`;
  if (event.kind === 'frame') return `in frame ${event.frame.type}`;
  return `${event.direction} ${event.kind}`;
}

/** Records tap events and resolves waits on them as they arrive. */
function recorder(timeoutMs = 10_000): {
  readonly events: FrameTapEvent[];
  readonly listener: (event: FrameTapEvent) => void;
  waitFor(predicate: (event: FrameTapEvent) => boolean, what: string): Promise<FrameTapEvent>;
} {
  const events: FrameTapEvent[] = [];
  const waiters = new Set<(event: FrameTapEvent) => void>();
  return {
    events,
    listener: (event) => {
      events.push(event);
      for (const waiter of [...waiters]) waiter(event);
    },
    waitFor: (predicate, what) =>
      new Promise<FrameTapEvent>((resolve, reject) => {
        const found = events.find(predicate);
        if (found) {
          resolve(found);
          return;
        }
        const waiter = (event: FrameTapEvent): void => {
          if (!predicate(event)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(event);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`frame tap: timed out after ${timeoutMs} ms waiting for ${what} (saw: ${events.map(label).join(', ')})`));
        }, timeoutMs);
        waiters.add(waiter);
      }),
  };
}

describe('gateway.observeFrames over a real socket', () => {
  it('sees open, hello, descriptor, inbound, outbound, its result and close, in that order', async () => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url, timeouts: { outboundMs: 5_000 } });
    const tap = recorder();
    gw.observeFrames(tap.listener);
    const replied = deferred<SendResult>();
    gw.onMessage(async (event) => {
      replied.resolve(await gw.send(event.source.chat_id, 'hi'));
    });

    await gw.start();
    const inbound = inboundFrame('chat-7', 'hello gateway', { messageId: 'm-1' });
    expect(connector.push([inbound])).toEqual([]); // delivered live, not held
    const result = await replied.promise;
    expect(result).toMatchObject({ success: true });

    const outbound = await tap.waitFor(isOutLine('outbound'), 'the outbound line');
    const requestId = String(lineJson(outbound)?.requestId);
    expect(requestId).not.toBe('undefined');
    expect(lineJson(outbound)).toMatchObject({ type: 'outbound', requestId, action: { op: 'send', chat_id: 'chat-7', content: 'hi' } });
    // The connector saw the very line the tap reported.
    const onWire = await connector.waitForFrame((seen) => seen.frame.type === 'outbound');
    expect(onWire.frame).toEqual(lineJson(outbound));
    expect(result).toMatchObject({ messageId: `m-${requestId}` });

    const resultFrame = await tap.waitFor((event) => isInFrame('outbound_result')(event) && requestIdOf(event) === requestId, 'the outbound_result');
    expect(resultFrame).toMatchObject({ direction: 'in', kind: 'frame', frame: { type: 'outbound_result', requestId, result: { success: true, message_id: `m-${requestId}` } } });

    await gw.stop();
    const close = await tap.waitFor(isKind('close'), 'the close');
    // A graceful stop closes with 1000; the tap reports the close as the gateway saw it.
    expect(close).toMatchObject({ direction: 'in', kind: 'close', code: 1000 });

    const milestones: Array<[string, (event: FrameTapEvent) => boolean]> = [
      ['open', (event) => event.direction === 'in' && event.kind === 'open'],
      ['hello line', isOutLine('hello')],
      ['descriptor frame', isInFrame('descriptor')],
      ['inbound frame', isInFrame('inbound')],
      ['outbound line', (event) => isOutLine('outbound')(event) && requestIdOf(event) === requestId],
      ['outbound_result frame', (event) => isInFrame('outbound_result')(event) && requestIdOf(event) === requestId],
      ['close', isKind('close')],
    ];
    const firsts = milestones.map(([name, predicate]) => [name, tap.events.findIndex(predicate)] as const);
    for (const [name, index] of firsts) expect(index, `${name} seen (saw: ${tap.events.map(label).join(', ')})`).toBeGreaterThanOrEqual(0);
    const indexes = firsts.map(([, index]) => index);
    expect(indexes, tap.events.map(label).join(', ')).toEqual([...indexes].sort((a, b) => a - b));
    expect(new Set(indexes).size).toBe(indexes.length);

    // Exact contents of the handshake and the inbound frame, with line sizes.
    expect(lineJson(tap.events.find(isOutLine('hello'))!)).toMatchObject({ type: 'hello' });
    const descriptor = tap.events.find(isInFrame('descriptor'))!;
    expect(descriptor).toMatchObject({
      frame: { type: 'descriptor', descriptor: { platform: 'telegram', label: 'Plain test connector', contract_version: 1 } },
      size: JSON.stringify({ type: 'descriptor', descriptor: PLAIN_DESCRIPTOR }).length,
    });
    const inboundEvent = tap.events.find(isInFrame('inbound'))!;
    expect(inboundEvent).toMatchObject({
      frame: { type: 'inbound', event: { text: 'hello gateway', message_id: 'm-1', source: { platform: 'telegram', chat_id: 'chat-7' } } },
      size: JSON.stringify(inbound).length,
    });
    expect(inboundEvent.kind === 'frame' && inboundEvent.frame.type === 'inbound' ? inboundEvent.frame.bufferId : 'not inbound').toBeUndefined();
    // Nothing after the close: the socket is gone.
    expect(tap.events.at(-1)).toBe(close);
  }, 30_000);

  it('after unsubscribing, a listener hears nothing more while others still do', async () => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url, timeouts: { outboundMs: 5_000 } });
    const quitter = recorder();
    const witness = recorder();
    const unsubscribe = gw.observeFrames(quitter.listener);
    gw.observeFrames(witness.listener);
    const replies: SendResult[] = [];
    const secondReply = deferred();
    gw.onMessage(async (event) => {
      replies.push(await gw.send(event.source.chat_id, `re: ${event.text}`));
      if (replies.length === 2) secondReply.resolve();
    });

    await gw.start();
    connector.push([inboundFrame('chat-1', 'first')]);
    await quitter.waitFor(isInFrame('outbound_result'), 'the first result (quitter)');
    await witness.waitFor(isInFrame('outbound_result'), 'the first result (witness)');
    unsubscribe();
    unsubscribe(); // idempotent
    const heardBefore = quitter.events.length;
    const witnessBefore = witness.events.length;

    connector.push([inboundFrame('chat-2', 'second')]);
    await secondReply.promise;
    await witness.waitFor((event) => isInFrame('outbound_result')(event) && witness.events.indexOf(event) >= witnessBefore, 'the second result (witness)');
    await gw.stop();
    await witness.waitFor(isKind('close'), 'the close (witness)');

    expect(replies.map((reply) => reply.success)).toEqual([true, true]);
    const after = witness.events.slice(witnessBefore).map(label);
    expect(after).toEqual(expect.arrayContaining(['in frame inbound', 'out line outbound', 'in frame outbound_result', 'in close']));
    expect(quitter.events).toHaveLength(heardBefore);
    expect(quitter.events.some(isKind('close'))).toBe(false);
  }, 30_000);
});

/** The outbound `requestId` of a tap event (an `outbound` line or an `outbound_result` frame). */
function requestIdOf(event: FrameTapEvent): string | undefined {
  if (event.kind === 'line') {
    const id = lineJson(event)?.requestId;
    return typeof id === 'string' ? id : undefined;
  }
  if (event.kind === 'frame' && event.frame.type === 'outbound_result') return event.frame.requestId;
  return undefined;
}
