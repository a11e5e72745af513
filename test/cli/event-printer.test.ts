import { describe, expect, it } from 'vitest';
import { createEventPrinter, describeEvent, stateEvent } from '../../src/cli/event-printer.js';
import { classifyCloseCause, classifyFailure } from '../../src/transport/link-cause.js';

const refused = classifyFailure('connect ECONNREFUSED 127.0.0.1:1');

describe('state lines say why and what comes next', () => {
  it('reconnecting: the failure count, the cause in words, the delay', () => {
    const event = stateEvent('reconnecting', { attempt: 3, cause: refused, retryInMs: 3712, redial: undefined });
    expect(event).toEqual({ event: 'state', state: 'reconnecting', failures: 3, retryInMs: 3712, cause: 'refused', message: refused.summary });
    expect(describeEvent(event)).toBe(
      'state reconnecting (failure 3 in a row): connection refused: nothing listens there (connect ECONNREFUSED 127.0.0.1:1); next dial in 3.7 s',
    );
  });

  it('serving: no failure count (the ladder resets only after stable serving, so it is not a count of dials)', () => {
    expect(stateEvent('serving', { attempt: 4, cause: null, retryInMs: null })).toEqual({ event: 'state', state: 'serving' });
  });

  it('the fresh-token re-dial after a 4401 says so', () => {
    const event = stateEvent('dialing', { attempt: 0, cause: classifyCloseCause({ code: 4401, reason: 'unauthorized' }, false), retryInMs: null, redial: 'fresh-token' });
    expect(event).toMatchObject({ redial: 'fresh-token', cause: 'unauthorized', closeCode: 4401 });
    expect(describeEvent(event)).toBe(
      'state dialing: re-dialling at once with a fresh token (a second 4401 would mean revoked), after the connector refused the credential (close 4401 "unauthorized")',
    );
  });

  it('a stop that was asked for shows no stale close; one with reconnect off says so', () => {
    expect(describeEvent(stateEvent('stopped', { attempt: 0, cause: { kind: 'stopped', summary: 'stopped on request' }, retryInMs: null }))).toBe('state stopped (on request)');
    const closed = classifyCloseCause({ code: 1011, reason: 'internal error' }, false);
    expect(describeEvent(stateEvent('stopped', { attempt: 0, cause: closed, retryInMs: null }))).toBe(
      'state stopped: the connector closed the link (close 1011 "internal error") (reconnect is off)',
    );
  });

  it('--json lines carry the time as ts (ISO 8601), right after the event name', () => {
    const lines: string[] = [];
    const print = createEventPrinter(true, { stdout: (l) => lines.push(l), stderr: () => undefined, now: () => Date.UTC(2026, 11, 1, 12, 0, 0) });
    print({ event: 'reply', chatId: 'c', success: true });
    expect(lines).toEqual(['{"event":"reply","ts":"2026-12-01T12:00:00.000Z","chatId":"c","success":true}']);
  });
});
