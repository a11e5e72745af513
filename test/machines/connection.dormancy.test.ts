/**
 * Scale-to-zero in the pure connection machine (protocol-later §5), on a simulated clock (XState's
 * SimulatedClock: nothing waits in real time, every timer fires at the exact millisecond): the
 * dormant cadence, the redial hold, and the drain of a stop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONNECTION_SETTINGS, dormantDelay } from '../../machines/connection.machine.js';
import type { ConnectionSettings } from '../../machines/connection.types.js';
import { descriptorFromPlatformEntry } from '../../src/protocol/descriptor.js';
import { startMachine, type MachineHarness } from '../support/machine-harness.js';

const descriptor = descriptorFromPlatformEntry({ name: 'relay', label: 'Relay', max_message_length: 4096 });

/** Keepalive out of the way: tests that wait minutes while serving are not about it. */
const QUIET: Partial<ConnectionSettings> = { pingIntervalMs: 3_600_000 };

let h: MachineHarness | undefined;
afterEach(() => {
  h?.actor.stop();
  h = undefined;
});

const context = (harness: MachineHarness) => harness.actor.getSnapshot().context;

/** Open the socket of the dial in progress and complete its handshake. */
function serve(harness: MachineHarness): void {
  harness.actor.send({ type: 'SOCKET_OPEN' });
  harness.actor.send({ type: 'DESCRIPTOR', descriptor });
}

/** Started and serving on dial 1. */
function serving(settings: Partial<ConnectionSettings> = {}, random?: () => number): MachineHarness {
  const harness = startMachine({ ...QUIET, ...settings }, random);
  harness.actor.send({ type: 'START' });
  serve(harness);
  expect(harness.state()).toBe('serving.live');
  return harness;
}

/** goDormant() acknowledged: dormant, no socket. */
function dormant(settings: Partial<ConnectionSettings> = {}, random?: () => number): MachineHarness {
  const harness = serving(settings, random);
  harness.actor.send({ type: 'GO_DORMANT' });
  expect(harness.state()).toBe('goingIdle.requested');
  harness.actor.send({ type: 'GOING_IDLE_ACK' });
  expect(harness.state()).toBe('dormant');
  return harness;
}

/** Advance to one millisecond before `ms`, check the state is still `before`, then the last millisecond. */
function waitExactly(harness: MachineHarness, ms: number, before: string): void {
  harness.advance(ms - 1);
  expect(harness.state(), `${ms - 1} ms into ${ms} ms`).toBe(before);
  harness.advance(1);
}

describe('dormant cadence', () => {
  it('goDormant() acked: dormant, the socket closed, not a stop', () => {
    h = dormant();
    expect(h.sockets.alive).toBe(0);
    expect(context(h)).toMatchObject({ dormant: true, dormantAttempt: 0, dormantDelayMs: 1000, idleAcks: 1, idleIntent: 'idle', stopping: false });
    expect(h.actor.getSnapshot().status).toBe('active');
  });

  it('redials 1 s after going dormant, then 2, 4, 8, 16 and 30 s after each failure, capped at 30 s', () => {
    h = dormant();
    const waits: number[] = [];
    const expected = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000];
    for (const wait of expected) {
      const dials = h.sockets.spawned.length;
      waitExactly(h, wait, 'dormant');
      expect(h.state()).toBe('dialing');
      expect(h.sockets.spawned.length).toBe(dials + 1);
      waits.push(context(h).dormantDelayMs);
      h.actor.send({ type: 'DIAL_FAILED', error: 'refused' });
      expect(h.state()).toBe('dormant');
    }
    expect(waits).toEqual(expected);
    expect(context(h).dormantAttempt).toBe(expected.length);
  });

  it('dormantDelay: base doubled per failure, capped, from the settings', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 60].map((n) => dormantDelay(n, DEFAULT_CONNECTION_SETTINGS))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect([0, 1, 2].map((n) => dormantDelay(n, { dormantBaseMs: 300, dormantCapMs: 1000 }))).toEqual([300, 600, 1000]);
  });

  it('has no jitter: the same waits whatever the random source says', () => {
    const cadence = (random: () => number): number[] => {
      const harness = dormant({}, random);
      const waits: number[] = [];
      for (let i = 0; i < 4; i++) {
        waits.push(harness.actor.getSnapshot().context.dormantDelayMs);
        harness.advance(harness.actor.getSnapshot().context.dormantDelayMs);
        expect(harness.state()).toBe('dialing');
        harness.actor.send({ type: 'DIAL_FAILED', error: 'refused' });
      }
      harness.actor.stop();
      return waits;
    };
    expect(cadence(() => 0)).toEqual([1000, 2000, 4000, 8000]);
    expect(cadence(() => 0.5)).toEqual([1000, 2000, 4000, 8000]);
    expect(cadence(() => 0.999999)).toEqual([1000, 2000, 4000, 8000]);
  });

  it('every kind of failed dormant dial sleeps again: refused, dial timeout, handshake timeout, invalid descriptor, a close', () => {
    h = dormant({ dialTimeoutMs: 500, handshakeTimeoutMs: 700 });
    const failures: Array<(harness: MachineHarness) => void> = [
      (x) => x.actor.send({ type: 'DIAL_FAILED', error: 'refused' }),
      (x) => x.advance(500),
      (x) => {
        x.actor.send({ type: 'SOCKET_OPEN' });
        x.advance(700);
      },
      (x) => {
        x.actor.send({ type: 'SOCKET_OPEN' });
        x.actor.send({ type: 'HANDSHAKE_INVALID', error: 'bad descriptor' });
      },
      (x) => {
        x.actor.send({ type: 'SOCKET_OPEN' });
        x.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
      },
    ];
    failures.forEach((fail, i) => {
      h!.advance(context(h!).dormantDelayMs);
      expect(h!.state()).toBe('dialing');
      fail(h!);
      expect(h!.state(), `failure ${i + 1}`).toBe('dormant');
      expect(context(h!).dormantDelayMs).toBe(dormantDelay(i + 1, DEFAULT_CONNECTION_SETTINGS));
    });
  });

  it('leaves the normal ladder alone: its counter and its wait are as they were before going dormant', () => {
    h = startMachine(QUIET);
    h.actor.send({ type: 'START' });
    h.actor.send({ type: 'DIAL_FAILED', error: 'refused' });
    expect(h.state()).toBe('reconnecting');
    expect(context(h)).toMatchObject({ attempt: 1, backoffMs: 1000 });
    h.advance(1000);
    serve(h);
    h.actor.send({ type: 'GO_DORMANT' });
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    for (let i = 0; i < 5; i++) {
      h.advance(context(h).dormantDelayMs);
      h.actor.send({ type: 'DIAL_FAILED', error: 'refused' });
    }
    expect(h.state()).toBe('dormant');
    expect(context(h)).toMatchObject({ attempt: 1, backoffMs: 1000, nextRetryAt: null, dormantAttempt: 5 });
  });

  it('the first completed handshake clears dormant; a later drop uses the normal ladder', () => {
    h = dormant();
    h.advance(1000);
    h.actor.send({ type: 'DIAL_FAILED', error: 'refused' });
    h.advance(2000);
    h.actor.send({ type: 'SOCKET_OPEN' });
    // An open socket is not enough: only the handshake wakes it.
    expect(context(h).dormant).toBe(true);
    h.actor.send({ type: 'DESCRIPTOR', descriptor });
    expect(h.state()).toBe('serving.live');
    expect(context(h)).toMatchObject({ dormant: false, dormantAttempt: 0, handshakes: 2 });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
    expect(h.state()).toBe('reconnecting');
    expect(context(h)).toMatchObject({ attempt: 1, backoffMs: 1000 });
    waitExactly(h, 1000, 'reconnecting');
    expect(h.state()).toBe('dialing');
    // Jittered ladder from here on, not the dormant cadence.
    h.actor.send({ type: 'DIAL_FAILED', error: 'refused' });
    expect(context(h)).toMatchObject({ attempt: 2, backoffMs: 2000 });
  });

  it('stop() while dormant cancels the redial: stopped, no dial ever after', () => {
    h = dormant();
    h.advance(999);
    const dials = h.sockets.spawned.length;
    h.actor.send({ type: 'STOP' });
    expect(h.state()).toBe('stopped');
    h.advance(120_000);
    expect(h.sockets.spawned.length).toBe(dials);
    expect(h.sockets.alive).toBe(0);
  });

  it('reconnectNow() while dormant dials at once; dormancy holds until that handshake', () => {
    h = dormant();
    h.advance(300);
    h.actor.send({ type: 'RECONNECT_NOW' });
    expect(h.state()).toBe('dialing');
    expect(context(h).dormant).toBe(true);
    h.actor.send({ type: 'DIAL_FAILED', error: 'refused' });
    expect(h.state()).toBe('dormant');
  });

  it('with reconnect off, a failed dormant dial stops; a second 4401 on the fresh-token dial still disables', () => {
    h = dormant({ reconnect: false });
    h.advance(1000);
    h.actor.send({ type: 'DIAL_FAILED', error: 'refused' });
    expect(h.state()).toBe('stopped');

    h.actor.stop();
    h = dormant();
    h.advance(1000);
    h.actor.send({ type: 'SOCKET_OPEN' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'unauthorized' });
    expect(h.state()).toBe('dialing');
    expect(h.sockets.spawned.at(-1)).toMatchObject({ provisional: true });
    h.actor.send({ type: 'SOCKET_OPEN' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'unauthorized' });
    expect(h.state()).toBe('disabled');
  });
});

describe('goDormant() without an ack', () => {
  it('stays serving on the same socket when the ack does not come in time; nothing else changes', () => {
    h = serving();
    const before = context(h);
    h.actor.send({ type: 'GO_DORMANT', timeoutMs: 3000 });
    expect(h.state()).toBe('goingIdle.requested');
    expect(context(h).idleIntent).toBe('dormant');
    waitExactly(h, 3000, 'goingIdle.requested');
    expect(h.state()).toBe('serving.live');
    expect(context(h)).toMatchObject({ dormant: false, idleIntent: 'idle', dials: before.dials, attempt: before.attempt, idleAcks: 0 });
    expect(context(h).lastError).toMatch(/no going_idle_ack within 3000 ms/);
    expect(h.sockets).toMatchObject({ alive: 1, spawned: [{ dial: 1, provisional: false }] });
    expect(context(h).idleAskUnanswered).toBe(true);
    // The next goIdle() goes idle, not dormant (its ack answers both asks).
    h.actor.send({ type: 'GO_IDLE' });
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    expect(h.state()).toBe('idle');
    expect(context(h).dormant).toBe(false);
  });

  it('a late ack means the connector buffers after all: re-dial at once so it replays, not dormant', () => {
    h = serving();
    h.actor.send({ type: 'GO_DORMANT', timeoutMs: 3000 });
    waitExactly(h, 3000, 'goingIdle.requested');
    const before = context(h);
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    expect(h.state()).toBe('dialing');
    expect(context(h)).toMatchObject({ dormant: false, idleAcks: before.idleAcks + 1, replayRedials: before.replayRedials + 1, ignoredEvents: before.ignoredEvents });
    expect(h.sockets).toMatchObject({ alive: 1, spawned: [{ dial: 1 }, { dial: 2, provisional: false }] });
    serve(h);
    expect(h.state()).toBe('serving.live');
    expect(context(h).idleAskUnanswered).toBe(false);
    // A second ack now answers nothing: unsolicited, ignored and counted.
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    expect(h.state()).toBe('serving.live');
    expect(context(h).ignoredEvents).toBe(before.ignoredEvents + 1);
  });

  it('waits the goIdle timeout by default', () => {
    h = serving({ goIdleTimeoutMs: 10_000 });
    h.actor.send({ type: 'GO_DORMANT' });
    waitExactly(h, 10_000, 'goingIdle.requested');
    expect(h.state()).toBe('serving.live');
  });

  it('a link lost while waiting for the ack backs off as usual, not dormant', () => {
    h = serving();
    h.actor.send({ type: 'GO_DORMANT' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
    expect(h.state()).toBe('reconnecting');
    expect(context(h).dormant).toBe(false);
  });

  it('is ignored (counted) when not serving', () => {
    h = startMachine();
    h.actor.send({ type: 'GO_DORMANT' });
    expect(h.state()).toBe('idle');
    h.actor.send({ type: 'START' });
    h.actor.send({ type: 'GO_DORMANT' });
    expect(h.state()).toBe('dialing');
    expect(context(h).ignoredEvents).toBe(2);
  });
});

describe('redial hold', () => {
  it('never touches a live connection; the next redial (after the backoff) waits for the release', () => {
    h = serving();
    h.actor.send({ type: 'HOLD_REDIAL' });
    expect(h.state()).toBe('serving.live');
    expect(h.sockets.alive).toBe(1);
    expect(context(h).redialHeld).toBe(true);
    h.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
    expect(h.state()).toBe('reconnecting');
    waitExactly(h, 1000, 'reconnecting');
    expect(h.state()).toBe('held');
    expect(h.sockets.spawned).toHaveLength(1);
    h.actor.send({ type: 'RELEASE_REDIAL' });
    expect(h.state()).toBe('dialing');
    expect(h.sockets.spawned).toHaveLength(2);
    expect(context(h).redialHeld).toBe(false);
  });

  it('covers the fresh-token retry after a 4401: held first, then the provisional dial', () => {
    h = serving();
    h.actor.send({ type: 'HOLD_REDIAL' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'unauthorized' });
    expect(h.state()).toBe('held');
    expect(context(h).provisional).toBe(true);
    expect(h.sockets.spawned).toHaveLength(1);
    h.actor.send({ type: 'RELEASE_REDIAL' });
    expect(h.state()).toBe('dialing');
    expect(h.sockets.spawned.at(-1)).toEqual({ dial: 2, provisional: true });
    // The retry is still the fresh-token one: a second 4401 revokes.
    h.actor.send({ type: 'SOCKET_OPEN' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'unauthorized' });
    expect(h.state()).toBe('disabled');
  });

  it('covers the dormant redial', () => {
    h = serving();
    // Hold before goDormant(), to outlast its 1 s redial (protocol-later §5.2).
    h.actor.send({ type: 'HOLD_REDIAL' });
    h.actor.send({ type: 'GO_DORMANT' });
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    waitExactly(h, 1000, 'dormant');
    expect(h.state()).toBe('held');
    expect(h.sockets.spawned).toHaveLength(1);
    h.actor.send({ type: 'RELEASE_REDIAL' });
    expect(h.state()).toBe('dialing');
    // Still dormant until a handshake: a failure sleeps on the dormant cadence.
    h.actor.send({ type: 'DIAL_FAILED', error: 'refused' });
    expect(h.state()).toBe('dormant');
    expect(context(h).dormantDelayMs).toBe(2000);
  });

  it('a hold taken while dialing applies to the redial after that dial fails, dormant or not', () => {
    h = dormant();
    h.advance(1000);
    h.actor.send({ type: 'HOLD_REDIAL' });
    expect(h.state()).toBe('dialing');
    h.actor.send({ type: 'DIAL_FAILED', error: 'refused' });
    waitExactly(h, 2000, 'dormant');
    expect(h.state()).toBe('held');
  });

  it('the ceiling is 60 s from the start of the wait, not from holdRedial()', () => {
    h = serving();
    h.actor.send({ type: 'HOLD_REDIAL' });
    h.advance(45_000);
    h.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
    h.advance(1000);
    expect(h.state()).toBe('held');
    const dials = h.sockets.spawned.length;
    waitExactly(h, 60_000, 'held');
    expect(h.state()).toBe('dialing');
    expect(h.sockets.spawned.length).toBe(dials + 1);
    // The hold cleared when it gave up: the next redial goes ahead.
    expect(context(h).redialHeld).toBe(false);
    h.actor.send({ type: 'DIAL_FAILED', error: 'refused' });
    h.advance(context(h).backoffMs);
    expect(h.state()).toBe('dialing');
  });

  it('the ceiling follows the setting', () => {
    h = serving({ redialHoldMaxMs: 5000 });
    h.actor.send({ type: 'HOLD_REDIAL' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'unauthorized' });
    waitExactly(h, 5000, 'held');
    expect(h.state()).toBe('dialing');
  });

  it('releaseRedial() wakes a waiting redial at once; before the wait, the redial does not wait at all', () => {
    h = serving();
    h.actor.send({ type: 'HOLD_REDIAL' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
    h.advance(1000);
    h.advance(20_000);
    expect(h.state()).toBe('held');
    h.actor.send({ type: 'RELEASE_REDIAL' });
    expect(h.state()).toBe('dialing');

    h.actor.send({ type: 'HOLD_REDIAL' });
    h.actor.send({ type: 'DIAL_FAILED', error: 'refused' });
    expect(h.state()).toBe('reconnecting');
    h.actor.send({ type: 'RELEASE_REDIAL' });
    h.advance(context(h).backoffMs);
    expect(h.state()).toBe('dialing');
  });

  it('repeated holds are one hold: one release clears it', () => {
    h = serving();
    h.actor.send({ type: 'HOLD_REDIAL' });
    h.actor.send({ type: 'HOLD_REDIAL' });
    h.actor.send({ type: 'HOLD_REDIAL' });
    h.actor.send({ type: 'RELEASE_REDIAL' });
    expect(context(h).redialHeld).toBe(false);
    h.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
    h.advance(1000);
    expect(h.state()).toBe('dialing');
  });

  it('stop() ends a held wait without dialing', () => {
    h = serving();
    h.actor.send({ type: 'HOLD_REDIAL' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
    h.advance(1000);
    expect(h.state()).toBe('held');
    const dials = h.sockets.spawned.length;
    h.actor.send({ type: 'STOP' });
    expect(h.state()).toBe('stopped');
    h.advance(120_000);
    expect(h.sockets.spawned.length).toBe(dials);
    expect(h.sockets.alive).toBe(0);
  });

  it('reconnectNow() skips the hold and clears it', () => {
    h = serving();
    h.actor.send({ type: 'HOLD_REDIAL' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
    h.advance(1000);
    h.actor.send({ type: 'RECONNECT_NOW' });
    expect(h.state()).toBe('dialing');
    expect(context(h).redialHeld).toBe(false);
  });

  it('is ignored (counted) once stopping', () => {
    h = serving();
    h.actor.send({ type: 'STOP', drainMs: 1000 });
    const ignored = context(h).ignoredEvents;
    h.actor.send({ type: 'HOLD_REDIAL' });
    expect(context(h)).toMatchObject({ redialHeld: false, ignoredEvents: ignored + 1 });
  });
});

describe('stop with a drain', () => {
  it('without a drain, the ack alone closes (as before)', () => {
    h = serving();
    h.actor.send({ type: 'STOP' });
    expect(h.state()).toBe('goingIdle.stopping');
    expect(context(h)).toMatchObject({ drained: true, drainGraceMs: 0, goIdleTimeoutMs: 2000 });
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    expect(h.state()).toBe('stopped');
  });

  it('waits for both the ack and DRAIN_DONE, in either order', () => {
    h = serving();
    h.actor.send({ type: 'STOP', drainMs: 1500 });
    expect(h.sockets.commands).toContainEqual({ dial: 1, command: 'SEND_GOING_IDLE' });
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    expect(h.state()).toBe('goingIdle.stopping');
    expect(h.sockets.alive).toBe(1);
    h.actor.send({ type: 'DRAIN_DONE' });
    expect(h.state()).toBe('stopped');
    expect(h.sockets.alive).toBe(0);

    h.actor.stop();
    h = serving();
    h.actor.send({ type: 'STOP', drainMs: 1500 });
    h.actor.send({ type: 'DRAIN_DONE' });
    expect(h.state()).toBe('goingIdle.stopping');
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    expect(h.state()).toBe('stopped');
  });

  it('drained, no ack: closes when the ack wait (2 s) is over', () => {
    h = serving();
    h.actor.send({ type: 'STOP', drainMs: 1500 });
    h.advance(100);
    h.actor.send({ type: 'DRAIN_DONE' });
    waitExactly(h, 1900, 'goingIdle.stopping');
    expect(h.state()).toBe('stopped');
    expect(context(h).lastError).toMatch(/no going_idle_ack within 2000 ms/);
  });

  it('acked, not drained: closes when the grace is over', () => {
    h = serving();
    h.actor.send({ type: 'STOP', drainMs: 1500 });
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    waitExactly(h, 1500, 'goingIdle.stopping');
    expect(h.state()).toBe('stopped');
  });

  it('neither: closes when the later of the two waits is over', () => {
    h = serving();
    h.actor.send({ type: 'STOP', drainMs: 1500 });
    waitExactly(h, 2000, 'goingIdle.stopping');
    expect(h.state()).toBe('stopped');

    h.actor.stop();
    h = serving();
    h.actor.send({ type: 'STOP', goIdleMs: 800, drainMs: 5000 });
    expect(context(h).goIdleTimeoutMs).toBe(800);
    waitExactly(h, 5000, 'goingIdle.stopping');
    expect(h.state()).toBe('stopped');
  });

  it('a stop while going idle drains too, with the stop timeout replacing the goIdle one', () => {
    h = serving({ goIdleTimeoutMs: 10_000 });
    h.actor.send({ type: 'GO_DORMANT' });
    h.advance(5000);
    h.actor.send({ type: 'STOP', drainMs: 1500 });
    expect(h.state()).toBe('goingIdle.stopping');
    expect(context(h)).toMatchObject({ idleIntent: 'idle', drained: false, goIdleTimeoutMs: 2000 });
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    // The ack a stop gets is not a dormancy ack.
    expect(h.state()).toBe('goingIdle.stopping');
    h.actor.send({ type: 'DRAIN_DONE' });
    expect(h.state()).toBe('stopped');
    expect(context(h).dormant).toBe(false);
  });

  it('a close while draining ends the stop at once; nothing undoes it', () => {
    h = serving();
    h.actor.send({ type: 'STOP', drainMs: 1500 });
    h.actor.send({ type: 'RECONNECT_NOW' });
    h.actor.send({ type: 'STOP' });
    expect(h.state()).toBe('goingIdle.stopping');
    expect(context(h).drainGraceMs).toBe(1500);
    h.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
    expect(h.state()).toBe('stopped');
  });

  it('DRAIN_DONE outside a stop is ignored (counted)', () => {
    h = serving();
    h.actor.send({ type: 'DRAIN_DONE' });
    expect(h.state()).toBe('serving.live');
    expect(context(h).ignoredEvents).toBe(1);
  });
});
