/**
 * The timeline feed against the real connection machine (simulated clock, stand-in socket): which
 * transitions fired (microsteps included), which guards were tried and what they said, the context
 * and what changed, and the timers running with their deadlines.
 */
import { createActor, fromCallback, SimulatedClock, type InspectionEvent } from 'xstate';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF } from '../../machines/backoff.js';
import { createConnectionMachine } from '../../machines/connection.machine.js';
import type { ConnectionSettings, SocketCommand, SocketEvent, SocketInput } from '../../machines/connection.types.js';
import { changedFields, createInspectionFeed, eventLabel, summarizeContext, type TimelineEntry } from '../../src/visualizer/visualizer-feed.js';

/** A machine whose socket does what the test says, a clock, and the feed's entries. */
function run(settings: Partial<ConnectionSettings> = {}) {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  let socketEvents: ((event: SocketEvent) => void) | undefined;
  const socket = fromCallback<SocketCommand, SocketInput>(({ sendBack }) => {
    socketEvents = sendBack;
  });
  const machine = createConnectionMachine({ random: () => 0.999999, now: () => clock.now() }).provide({ actors: { socket } });
  const entries: TimelineEntry[] = [];
  const initialContext = createActor(machine, { input: { settings } }).getSnapshot().context;
  const feed = createInspectionFeed({ machine, initial: { path: 'idle', machinePath: 'running.idle', context: initialContext }, now: () => clock.now() }, (e) => entries.push(e));
  const actor = createActor(machine, { clock, input: { settings }, inspect: (event: InspectionEvent) => feed(event) });
  actor.start();
  return {
    actor,
    clock,
    entries,
    socket: (event: SocketEvent) => socketEvents?.(event),
    last: () => entries[entries.length - 1]!,
  };
}

const DESCRIPTOR = { platform: 'relay', label: 'Relay', max_message_length: 4096, contract_version: 1 } as never;

describe('the timeline feed', () => {
  it('shortens delayed-transition events', () => {
    expect(eventLabel('xstate.after.backoff.connection.running.reconnecting')).toBe('after backoff');
    expect(eventLabel('SOCKET_CLOSED')).toBe('SOCKET_CLOSED');
  });

  it('a close while serving: both arrows (the close and the choice), the guards tried in order, the backoff timer', () => {
    const m = run({ pingIntervalMs: 30_000 });
    m.actor.send({ type: 'START' });
    expect(m.last()).toMatchObject({ event: 'START', from: 'idle', to: 'dialing', machinePath: 'running.link.dialing' });
    expect(m.last().fired).toEqual([{ source: 'running.idle', target: 'running.link', label: 'START' }]);
    expect(m.last().timers).toEqual([{ state: 'running.link.dialing', delay: 'dialTimeout', dueAt: 1_000_000 + 10_000 }]);

    m.socket({ type: 'SOCKET_OPEN' });
    m.clock.increment(50);
    m.socket({ type: 'DESCRIPTOR', descriptor: DESCRIPTOR });
    const serving = m.last();
    expect(serving).toMatchObject({ event: 'DESCRIPTOR', to: 'serving.live', state: 'serving' });
    expect(serving.changed).toEqual(expect.arrayContaining(['handshakes', 'handshakeSeen', 'servingSince', 'descriptor']));
    expect(serving.context.descriptor).toEqual({ platform: 'relay', label: 'Relay', maxMessageLength: 4096, contractVersion: 1 });
    expect(serving.timers).toEqual(
      expect.arrayContaining([
        { state: 'running.link.open.serving', delay: 'stableServing', dueAt: 1_000_050 + DEFAULT_BACKOFF.stableMs },
        { state: 'running.link.open.serving.live', delay: 'pingDelay', dueAt: 1_000_050 + 30_000 },
      ]),
    );

    m.clock.increment(1000);
    m.socket({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
    const closed = m.last();
    expect(closed).toMatchObject({ event: 'SOCKET_CLOSED', from: 'serving.live', to: 'reconnecting' });
    expect(closed.fired).toEqual([
      { source: 'running.link.open', target: 'running.linkDown', label: 'SOCKET_CLOSED' },
      { source: 'running.linkDown', target: 'running.reconnecting', label: '[reconnectEnabled]' },
    ]);
    expect(closed.guards).toEqual([
      { state: 'running.linkDown', guard: 'closeMeansDisable', result: false },
      { state: 'running.linkDown', guard: 'freshTokenRedialHeld', result: false },
      { state: 'running.linkDown', guard: 'freshTokenRedial', result: false },
      { state: 'running.linkDown', guard: 'stillDormant', result: false },
      { state: 'running.linkDown', guard: 'reconnectEnabled', result: true },
    ]);
    expect(closed.changed).toEqual(expect.arrayContaining(['attempt', 'lastClose', 'nextRetryAt']));
    expect(closed.timers).toEqual([{ state: 'running.reconnecting', delay: 'backoff', dueAt: closed.context.nextRetryAt! }]);
    m.actor.stop();
  });

  it('reconnect off: every guard says no and the else branch stops for good (no timers)', () => {
    const m = run({ reconnect: false });
    m.actor.send({ type: 'START' });
    m.socket({ type: 'DIAL_FAILED', error: 'ECONNREFUSED' });
    const stopped = m.last();
    expect(stopped).toMatchObject({ to: 'stopped', state: 'stopped' });
    expect(stopped.guards.map((g) => [g.guard, g.result])).toEqual([
      ['closeMeansDisable', false],
      ['freshTokenRedialHeld', false],
      ['freshTokenRedial', false],
      ['stillDormant', false],
      ['reconnectEnabled', false],
    ]);
    expect(stopped.fired.map((f) => f.label)).toEqual(['DIAL_FAILED', 'else']);
    expect(stopped.timers).toEqual([]);
  });

  it('an event the state ignores is an entry too, marked ignored, counted in the context', () => {
    const m = run();
    m.actor.send({ type: 'GOING_IDLE_ACK' });
    expect(m.last()).toMatchObject({ event: 'GOING_IDLE_ACK', from: 'idle', to: 'idle', changed: ['ignoredEvents'] });
    expect(m.last().fired).toEqual([{ source: 'running', target: null, label: 'ignored' }]);
    // The actor's start is the first entry; the ignored event the second.
    expect(m.entries.map((e) => [e.seq, e.event])).toEqual([
      [1, 'xstate.init'],
      [2, 'GOING_IDLE_ACK'],
    ]);
    m.actor.stop();
  });

  it('a re-entered state restarts its timer (the replay re-dial re-enters link and dialing)', () => {
    const m = run();
    m.actor.send({ type: 'START' });
    m.clock.increment(4000);
    m.actor.send({ type: 'RECONNECT_NOW' });
    expect(m.last().fired).toEqual([{ source: 'running', target: 'running.link', label: 'RECONNECT_NOW' }]);
    expect(m.last().timers).toEqual([{ state: 'running.link.dialing', delay: 'dialTimeout', dueAt: 1_004_000 + 10_000 }]);
    m.actor.stop();
  });

  it('changedFields compares field by field', () => {
    const m = run();
    const before = summarizeContext(m.actor.getSnapshot().context);
    expect(changedFields(before, { ...before, attempt: 3, lastClose: { code: 1000, reason: 'bye' } })).toEqual(['attempt', 'lastClose']);
    expect(changedFields(null, before)).toEqual([]);
    m.actor.stop();
  });
});
