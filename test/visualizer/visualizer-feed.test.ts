import type { InspectionEvent } from 'xstate';
import { describe, expect, it } from 'vitest';
import { createInspectionFeed, eventLabel, statePathOf, type FeedUpdate } from '../../src/visualizer/visualizer-feed.js';

const context = { attempt: 2, dials: 3, handshakes: 1, nextRetryAt: 99, lastClose: { code: 1006, reason: '' }, lastError: null, descriptor: null, disabledReason: null };
const snapshotEvent = (root: boolean, value: unknown, type: string): InspectionEvent =>
  ({ type: '@xstate.snapshot', rootId: 'x:0', actorRef: { sessionId: root ? 'x:0' : 'x:1' }, event: { type }, snapshot: { value, context } }) as unknown as InspectionEvent;

describe('visualizer feed', () => {
  it('flattens state values into dotted paths', () => {
    expect(statePathOf('idle')).toBe('idle');
    expect(statePathOf({ serving: 'live' })).toBe('serving.live');
    expect(statePathOf({ a: { b: 'c' } })).toBe('a.b.c');
    expect(statePathOf({})).toBe('');
  });

  it('shortens delayed-transition events', () => {
    expect(eventLabel('xstate.after.backoff.connection.reconnecting')).toBe('after backoff');
    expect(eventLabel('SOCKET_CLOSED')).toBe('SOCKET_CLOSED');
  });

  it('reports root snapshots only, numbered, with the context when the state changed', () => {
    const updates: FeedUpdate[] = [];
    const feed = createInspectionFeed('serving.live', (u) => updates.push(u), () => 1000);
    feed(snapshotEvent(false, 'open', 'OPEN')); // a socket child actor: ignored
    feed({ type: '@xstate.event', rootId: 'x:0', actorRef: { sessionId: 'x:0' } } as unknown as InspectionEvent); // not a snapshot
    feed(snapshotEvent(true, { serving: 'awaitingPong' }, 'CHECK_LIVENESS'));
    feed(snapshotEvent(true, { serving: 'awaitingPong' }, 'PONG_LATE'));
    feed(snapshotEvent(true, 'reconnecting', 'xstate.after.pongTimeout.connection.serving.awaitingPong'));
    expect(updates.map((u) => [u.entry.seq, u.entry.event, u.entry.from, u.entry.to, u.context !== undefined])).toEqual([
      [1, 'CHECK_LIVENESS', 'serving.live', 'serving.awaitingPong', true],
      [2, 'PONG_LATE', 'serving.awaitingPong', 'serving.awaitingPong', false],
      [3, 'after pongTimeout', 'serving.awaitingPong', 'reconnecting', true],
    ]);
    expect(updates[2]?.context).toMatchObject({ attempt: 2, nextRetryAt: 99, lastClose: { code: 1006, reason: '' } });
    expect(updates[0]?.entry).toMatchObject({ t: 1000, attempt: 2 });
  });
});
