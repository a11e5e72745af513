import { afterEach, describe, expect, it, vi } from 'vitest';
import { AutoThreads } from '../../src/gateway/auto-threads.js';

afterEach(() => vi.useRealTimers());

describe('auto-threads (protocol-later §3.8)', () => {
  it('a waiter gets the pair of the next send result into its chat, or null at once when it has none', async () => {
    const threads = new AutoThreads();
    const hit = threads.waitForAutoThread('c1', 60_000);
    const miss = threads.waitForAutoThread('c2', 60_000);
    threads.record('c1', { success: true, threadId: 't7', autoThreadName: 'Re: hello' });
    threads.record('c2', { success: true });
    expect(await hit).toEqual({ threadId: 't7', name: 'Re: hello' });
    expect(await miss).toBeNull();
    expect(threads.lastAutoThread('c1')).toEqual({ threadId: 't7', name: 'Re: hello' });
    expect(threads.waiting).toBe(0);
  });

  it('needs both fields; a result without them leaves the earlier record alone', () => {
    const threads = new AutoThreads();
    threads.record('c1', { success: true, threadId: 't1', autoThreadName: 'x' });
    threads.record('c1', { success: true, threadId: 't2' });
    threads.record('c1', { success: true, autoThreadName: 'y' });
    expect(threads.lastAutoThread('c1')).toEqual({ threadId: 't1', name: 'x' });
  });

  it('times out with null and leaves no timer; close() settles waiters and later waits with null', async () => {
    vi.useFakeTimers();
    const threads = new AutoThreads();
    const waiting = threads.waitForAutoThread('c1', 500);
    vi.advanceTimersByTime(500);
    expect(await waiting).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
    const pending = threads.waitForAutoThread('c1', 10_000);
    threads.close();
    expect(await pending).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
    expect(await threads.waitForAutoThread('c1', 10_000)).toBeNull();
  });

  it('remembers 256 chats by default (least recently recorded forgotten) and refuses a negative timeout', async () => {
    const threads = new AutoThreads();
    for (let i = 0; i < 257; i++) threads.record(`c${i}`, { success: true, threadId: `t${i}`, autoThreadName: 'n' });
    expect(threads.size).toBe(256);
    expect(threads.lastAutoThread('c0')).toBeUndefined();
    await expect(threads.waitForAutoThread('c1', -1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
