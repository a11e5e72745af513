import { afterEach, describe, expect, it } from 'vitest';
import { descriptorFromPlatformEntry } from '../../src/protocol/descriptor.js';
import { REVOKED_REASON } from '../../machines/connection.machine.js';
import { startMachine, type MachineHarness } from '../support/machine-harness.js';

const descriptor = descriptorFromPlatformEntry({ name: 'discord', label: 'Discord', max_message_length: 2000 });

let h: MachineHarness | undefined;
afterEach(() => h?.actor.stop());

function serve(harness: MachineHarness): void {
  harness.actor.send({ type: 'SOCKET_OPEN' });
  harness.actor.send({ type: 'DESCRIPTOR', descriptor });
}

describe('connection machine: happy path', () => {
  it('idle -> dialing -> handshaking -> serving.live, one socket, descriptor adopted', () => {
    h = startMachine();
    expect(h.state()).toBe('idle');
    expect(h.sockets.alive).toBe(0);
    h.actor.send({ type: 'START' });
    expect(h.state()).toBe('dialing');
    expect(h.sockets.spawned).toEqual([{ dial: 1, provisional: false }]);
    h.actor.send({ type: 'SOCKET_OPEN' });
    expect(h.state()).toBe('handshaking');
    h.actor.send({ type: 'DESCRIPTOR', descriptor });
    expect(h.state()).toBe('serving.live');
    const ctx = h.actor.getSnapshot().context;
    expect(ctx.descriptor).toBe(descriptor);
    expect(ctx.handshakeSeen).toBe(true);
    expect(ctx.handshakes).toBe(1);
    expect(h.sockets.alive).toBe(1);
  });
});

describe('connection machine: timeouts', () => {
  it('dial timeout backs off', () => {
    h = startMachine({ dialTimeoutMs: 5000 });
    h.actor.send({ type: 'START' });
    h.advance(4999);
    expect(h.state()).toBe('dialing');
    h.advance(1);
    expect(h.state()).toBe('reconnecting');
    expect(h.actor.getSnapshot().context.lastError).toMatch(/dial timed out after 5000 ms/);
    expect(h.sockets.alive).toBe(0);
  });

  it('handshake timeout backs off', () => {
    h = startMachine({ handshakeTimeoutMs: 3000 });
    h.actor.send({ type: 'START' });
    h.actor.send({ type: 'SOCKET_OPEN' });
    h.advance(3000);
    expect(h.state()).toBe('reconnecting');
    expect(h.actor.getSnapshot().context.lastError).toMatch(/no descriptor within 3000 ms/);
  });

  it('keepalive: a liveness check after the ping interval, dead after the pong timeout', () => {
    h = startMachine({ pingIntervalMs: 30_000, pongTimeoutMs: 15_000 });
    h.actor.send({ type: 'START' });
    serve(h);
    h.advance(29_999);
    expect(h.state()).toBe('serving.live');
    h.advance(1);
    expect(h.state()).toBe('serving.awaitingPong');
    expect(h.sockets.commands).toContainEqual({ dial: 1, command: 'CHECK_LIVENESS' });
    h.advance(15_000);
    expect(h.state()).toBe('reconnecting');
    expect(h.actor.getSnapshot().context.lastClose).toEqual({ code: 1006, reason: 'keepalive: no pong' });
  });

  it('keepalive: recent traffic shortens the next check to the remaining silence', () => {
    h = startMachine({ pingIntervalMs: 30_000, pongTimeoutMs: 15_000 });
    h.actor.send({ type: 'START' });
    serve(h);
    h.advance(30_000);
    h.actor.send({ type: 'LINK_ALIVE', quietMs: 10_000 });
    expect(h.state()).toBe('serving.live');
    h.advance(19_999);
    expect(h.state()).toBe('serving.live');
    h.advance(1);
    expect(h.state()).toBe('serving.awaitingPong');
  });
});

describe('connection machine: backoff', () => {
  it('ladder 1, 2, 4, 8 s with jitter pinned to 1.0, reset after 10 s of serving', () => {
    h = startMachine({}, () => 1);
    h.actor.send({ type: 'START' });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      serve(h);
      h.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
      expect(h.state()).toBe('reconnecting');
      waits.push(h.actor.getSnapshot().context.backoffMs);
      h.advance(h.actor.getSnapshot().context.backoffMs);
      expect(h.state()).toBe('dialing');
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000]);
    serve(h);
    h.advance(10_000);
    expect(h.actor.getSnapshot().context.attempt).toBe(0);
    h.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
    expect(h.actor.getSnapshot().context.backoffMs).toBe(1000);
  });

  it('jitter scales the step between 0.5x and 1x', () => {
    h = startMachine({}, () => 0);
    h.actor.send({ type: 'START' });
    h.actor.send({ type: 'DIAL_FAILED', error: 'ECONNREFUSED' });
    expect(h.actor.getSnapshot().context.backoffMs).toBe(500);
    expect(h.actor.getSnapshot().context.nextRetryAt).toBe(h.clock.now() + 500);
  });

  it('RECONNECT_NOW skips the delay; STOP during backoff cancels it', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    h.actor.send({ type: 'DIAL_FAILED', error: 'x' });
    h.actor.send({ type: 'RECONNECT_NOW' });
    expect(h.state()).toBe('dialing');
    expect(h.sockets.spawned).toHaveLength(2);
    h.actor.send({ type: 'DIAL_FAILED', error: 'x' });
    h.actor.send({ type: 'STOP' });
    expect(h.state()).toBe('stopped');
    h.advance(60_000);
    expect(h.sockets.spawned).toHaveLength(2);
    expect(h.sockets.alive).toBe(0);
  });

  it('reconnect off: a drop ends stopped', () => {
    h = startMachine({ reconnect: false });
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'SOCKET_CLOSED', code: 1011, reason: 'bye' });
    expect(h.state()).toBe('stopped');
    expect(h.actor.getSnapshot().context.lastClose).toEqual({ code: 1011, reason: 'bye' });
  });
});

describe('connection machine: revocation (spec §11)', () => {
  it('4401 before any handshake retries with backoff', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    h.actor.send({ type: 'SOCKET_OPEN' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'unauthorized' });
    expect(h.state()).toBe('reconnecting');
    expect(h.actor.getSnapshot().context.provisional).toBe(false);
  });

  it('4401 after a handshake re-dials at once with the provisional mark; a second 4401 disables', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'revoked' });
    expect(h.state()).toBe('dialing');
    expect(h.sockets.spawned.at(-1)).toEqual({ dial: 2, provisional: true });
    h.actor.send({ type: 'SOCKET_OPEN' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'unauthorized' });
    expect(h.state()).toBe('disabled');
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.actor.getSnapshot().context.disabledReason).toBe(REVOKED_REASON);
    expect(h.sockets.alive).toBe(0);
  });

  it('a provisional re-dial that recovers keeps serving; the mark clears after stable serving', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'revoked' });
    serve(h);
    expect(h.state()).toBe('serving.live');
    expect(h.actor.getSnapshot().context.provisional).toBe(true);
    h.advance(10_000);
    expect(h.actor.getSnapshot().context.provisional).toBe(false);
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'revoked' });
    expect(h.state()).toBe('dialing');
  });

  it('a network failure on the re-dial backs off and keeps the mark', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'revoked' });
    h.actor.send({ type: 'DIAL_FAILED', error: 'ECONNREFUSED' });
    expect(h.state()).toBe('reconnecting');
    expect(h.actor.getSnapshot().context.provisional).toBe(true);
    h.advance(h.actor.getSnapshot().context.backoffMs);
    h.actor.send({ type: 'SOCKET_OPEN' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'unauthorized' });
    expect(h.state()).toBe('disabled');
  });

  it('reason "expired" never disables, however often', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    for (let i = 0; i < 5; i++) {
      serve(h);
      h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'expired' });
      expect(h.state()).toBe('reconnecting');
      h.actor.send({ type: 'RECONNECT_NOW' });
    }
  });
});

describe('connection machine: going idle and stopping', () => {
  it('GO_IDLE: going_idle sent, ack -> idle with the socket closed', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'GO_IDLE' });
    expect(h.state()).toBe('goingIdle.requested');
    expect(h.sockets.commands).toContainEqual({ dial: 1, command: 'SEND_GOING_IDLE' });
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    expect(h.state()).toBe('idle');
    expect(h.sockets.alive).toBe(0);
    h.actor.send({ type: 'START' });
    expect(h.state()).toBe('dialing');
  });

  it('GO_IDLE timeout resumes serving; the timeout comes from the event', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'GO_IDLE', timeoutMs: 500 });
    h.advance(500);
    expect(h.state()).toBe('serving.live');
    expect(h.actor.getSnapshot().context.lastError).toMatch(/no going_idle_ack within 500 ms/);
  });

  it('STOP while serving goes idle with the 2 s stop timeout, then stops', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'STOP' });
    expect(h.state()).toBe('goingIdle.stopping');
    h.advance(1999);
    expect(h.state()).toBe('goingIdle.stopping');
    h.advance(1);
    expect(h.state()).toBe('stopped');
    expect(h.sockets.alive).toBe(0);
  });

  it('STOP while serving ends at once on the ack', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'STOP' });
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    expect(h.state()).toBe('stopped');
  });

  it('STOP during a long goIdle() keeps the stop limit: the goIdle timeout is replaced, going_idle is not resent', () => {
    h = startMachine({ stopGoIdleTimeoutMs: 2000 });
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'GO_IDLE', timeoutMs: 60_000 });
    h.advance(5000);
    h.actor.send({ type: 'STOP' });
    expect(h.state()).toBe('goingIdle.stopping');
    h.advance(1999);
    expect(h.state()).toBe('goingIdle.stopping');
    h.advance(1);
    expect(h.state()).toBe('stopped');
    expect(h.sockets.commands.filter((c) => c.command === 'SEND_GOING_IDLE')).toHaveLength(1);
    expect(h.actor.getSnapshot().context.lastError).toBe('no going_idle_ack within 2000 ms');
  });

  it('a stop can never be undone: RECONNECT_NOW and a second STOP while stopping are ignored (counted)', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'STOP' });
    h.actor.send({ type: 'RECONNECT_NOW' });
    h.actor.send({ type: 'STOP' });
    expect(h.state()).toBe('goingIdle.stopping');
    expect(h.actor.getSnapshot().context.ignoredEvents).toBe(2);
    expect(h.sockets.spawned).toHaveLength(1);
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    expect(h.state()).toBe('stopped');
  });

  it('a close while stopping ends in stopped, whatever the code', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'STOP' });
    h.actor.send({ type: 'SOCKET_CLOSED', code: 4401, reason: 'unauthorized' });
    expect(h.state()).toBe('stopped');
  });
});

describe('connection machine: inbound flow control', () => {
  it('INTAKE_HIGH asks the connector to buffer; its ack is counted; INTAKE_DRAINED re-dials at once for the replay', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'INTAKE_HIGH' });
    expect(h.state()).toBe('serving.live');
    expect(h.actor.getSnapshot().context.intake).toBe('held');
    expect(h.sockets.commands).toContainEqual({ dial: 1, command: 'SEND_GOING_IDLE' });
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    expect(h.state()).toBe('serving.live');
    expect(h.actor.getSnapshot().context).toMatchObject({ intakeAcks: 1, idleAcks: 0, ignoredEvents: 0 });
    h.actor.send({ type: 'INTAKE_DRAINED' });
    expect(h.state()).toBe('dialing');
    expect(h.sockets.spawned).toHaveLength(2);
    expect(h.sockets.alive).toBe(1);
    expect(h.actor.getSnapshot().context).toMatchObject({ intake: 'open', replayRedials: 1, attempt: 0 });
    serve(h);
    expect(h.actor.getSnapshot().context.intake).toBe('open');
  });

  it('without a hold, INTAKE_DRAINED and an unsolicited ack change nothing (counted)', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'INTAKE_DRAINED' });
    h.actor.send({ type: 'GOING_IDLE_ACK' });
    expect(h.state()).toBe('serving.live');
    expect(h.actor.getSnapshot().context.ignoredEvents).toBe(2);
    expect(h.sockets.spawned).toHaveLength(1);
  });

  it('keepalive keeps running while the intake is held', () => {
    h = startMachine({ pingIntervalMs: 1000, pongTimeoutMs: 500 });
    h.actor.send({ type: 'START' });
    serve(h);
    h.actor.send({ type: 'INTAKE_HIGH' });
    h.advance(1000);
    expect(h.state()).toBe('serving.awaitingPong');
    h.actor.send({ type: 'LINK_ALIVE', quietMs: 0 });
    expect(h.state()).toBe('serving.live');
    expect(h.actor.getSnapshot().context.intake).toBe('held');
  });
});

describe('connection machine: ignored events are counted', () => {
  it('a stale socket event in reconnecting is counted, not silently dropped', () => {
    h = startMachine();
    h.actor.send({ type: 'START' });
    h.actor.send({ type: 'DIAL_FAILED', error: 'x' });
    h.actor.send({ type: 'DESCRIPTOR', descriptor });
    h.actor.send({ type: 'GO_IDLE' });
    expect(h.state()).toBe('reconnecting');
    expect(h.actor.getSnapshot().context.ignoredEvents).toBe(2);
  });
});

describe('connection machine: at most one socket', () => {
  it('never has two sockets alive across a long random walk of events', () => {
    h = startMachine();
    const events = ['START', 'SOCKET_OPEN', 'DESCRIPTOR', 'CLOSE', 'RECONNECT_NOW', 'DIAL_FAILED', 'GO_IDLE', 'ACK', 'TICK'] as const;
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000 && h.actor.getSnapshot().status === 'active'; i++) {
      const pick = events[Math.floor(next() * events.length)]!;
      if (pick === 'DESCRIPTOR') h.actor.send({ type: 'DESCRIPTOR', descriptor });
      else if (pick === 'CLOSE') h.actor.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
      else if (pick === 'DIAL_FAILED') h.actor.send({ type: 'DIAL_FAILED', error: 'x' });
      else if (pick === 'ACK') h.actor.send({ type: 'GOING_IDLE_ACK' });
      else if (pick === 'TICK') h.advance(Math.floor(next() * 40_000));
      else h.actor.send({ type: pick });
      expect(h.sockets.alive).toBeLessThanOrEqual(1);
      const holdsSocket = ['dialing', 'handshaking', 'serving', 'goingIdle'].includes(h.state().split('.')[0]!);
      expect(h.sockets.alive).toBe(holdsSocket ? 1 : 0);
    }
  });
});
