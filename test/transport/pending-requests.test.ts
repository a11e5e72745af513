import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FAILURES, PendingRequests, sendFailed } from '../../src/transport/pending-requests.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('PendingRequests', () => {
  it('settles with the result and clears the timer', async () => {
    const table = new PendingRequests();
    const outcome = table.wait('r1', 1000);
    expect(table.settle('r1', { ok: true, result: { success: true } })).toBe(true);
    await expect(outcome).resolves.toEqual({ ok: true, result: { success: true } });
    expect(vi.getTimerCount()).toBe(0);
    expect(table.size).toBe(0);
  });

  it('times out ambiguous, and a late result is ignored', async () => {
    const table = new PendingRequests();
    const outcome = table.wait('r1', 1000);
    vi.advanceTimersByTime(999);
    expect(table.size).toBe(1);
    vi.advanceTimersByTime(1);
    await expect(outcome).resolves.toEqual(FAILURES.timedOut);
    expect(table.timedOut).toBe(1);
    expect(table.settle('r1', { ok: true, result: {} })).toBe(false);
  });

  it('failAll settles everything at once and leaves no timer', async () => {
    const table = new PendingRequests();
    const outcomes = [table.wait('a', 1000), table.wait('b', 1000)];
    expect(table.failAll(FAILURES.connectionLost)).toBe(2);
    await expect(Promise.all(outcomes)).resolves.toEqual([FAILURES.connectionLost, FAILURES.connectionLost]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sendFailed names the reason', () => {
    expect(sendFailed(new Error('EPIPE'))).toEqual({ ok: false, failure: { success: false, error: 'relay send failed: EPIPE', code: 'send_failed' } });
  });
});
