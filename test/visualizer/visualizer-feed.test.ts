import { createActor, type InspectionEvent, type StateValue } from 'xstate';
import { describe, expect, it } from 'vitest';
import { connectionMachine } from '../../machines/connection.machine.js';
import { createInspectionFeed, eventLabel, type FeedUpdate } from '../../src/visualizer/visualizer-feed.js';

const context = {
  ...createActor(connectionMachine, { input: undefined }).getSnapshot().context,
  attempt: 2,
  dials: 3,
  handshakes: 1,
  nextRetryAt: 99,
  lastClose: { code: 1006, reason: '' },
};
const SERVING = { running: { link: { open: { serving: 'awaitingPong' } } } };
// Real snapshots of the machine (the feed reads their tags), wrapped as inspection events.
const snapshotEvent = (root: boolean, value: StateValue, type: string): InspectionEvent =>
  ({
    type: '@xstate.snapshot',
    rootId: 'x:0',
    actorRef: { sessionId: root ? 'x:0' : 'x:1' },
    event: { type },
    snapshot: connectionMachine.resolveState({ value, context }),
  }) as unknown as InspectionEvent;

describe('visualizer feed', () => {
  it('shortens delayed-transition events', () => {
    expect(eventLabel('xstate.after.backoff.connection.reconnecting')).toBe('after backoff');
    expect(eventLabel('SOCKET_CLOSED')).toBe('SOCKET_CLOSED');
  });

  it('reports root snapshots only, numbered, with the context when the state changed', () => {
    const updates: FeedUpdate[] = [];
    const feed = createInspectionFeed('serving.live', (u) => updates.push(u), () => 1000);
    feed(snapshotEvent(false, 'stopped', 'OPEN')); // a socket child actor: ignored
    feed({ type: '@xstate.event', rootId: 'x:0', actorRef: { sessionId: 'x:0' } } as unknown as InspectionEvent); // not a snapshot
    feed(snapshotEvent(true, SERVING, 'CHECK_LIVENESS'));
    feed(snapshotEvent(true, SERVING, 'PONG_LATE'));
    feed(snapshotEvent(true, { running: 'reconnecting' }, 'xstate.after.pongTimeout.connection.running.link.open.serving.awaitingPong'));
    expect(updates.map((u) => [u.entry.seq, u.entry.event, u.entry.from, u.entry.to, u.context !== undefined])).toEqual([
      [1, 'CHECK_LIVENESS', 'serving.live', 'serving.awaitingPong', true],
      [2, 'PONG_LATE', 'serving.awaitingPong', 'serving.awaitingPong', false],
      [3, 'after pongTimeout', 'serving.awaitingPong', 'reconnecting', true],
    ]);
    expect(updates[2]?.context).toMatchObject({ attempt: 2, nextRetryAt: 99, lastClose: { code: 1006, reason: '' } });
    expect(updates[0]?.entry).toMatchObject({ t: 1000, attempt: 2, state: 'serving', machinePath: 'running.link.open.serving.awaitingPong' });
    expect(updates[2]?.entry).toMatchObject({ state: 'reconnecting', machinePath: 'running.reconnecting' });
  });
});
