import { describe, expect, it } from 'vitest';
import { SessionScheduler, type DeliveryAbort } from '../../src/transport/session-scheduler.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('SessionScheduler', () => {
  it('never runs a job synchronously inside enqueue', async () => {
    const scheduler = new SessionScheduler();
    let ran = false;
    scheduler.enqueue('s', () => {
      ran = true;
      return Promise.resolve();
    });
    expect(ran).toBe(false);
    await scheduler.whenIdle();
    expect(ran).toBe(true);
  });

  it('runs one job per session at a time, in order; other sessions concurrently', async () => {
    const scheduler = new SessionScheduler();
    const log: string[] = [];
    const gates = [deferred(), deferred()];
    scheduler.enqueue('a', async () => {
      log.push('a1 start');
      await gates[0]!.promise;
      log.push('a1 end');
    });
    scheduler.enqueue('a', () => {
      log.push('a2');
      return Promise.resolve();
    });
    scheduler.enqueue('b', async () => {
      log.push('b1 start');
      await gates[1]!.promise;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(scheduler.running).toBe(2);
    expect(log).toEqual(['a1 start', 'b1 start']);
    gates[0]!.resolve();
    gates[1]!.resolve();
    await scheduler.whenIdle();
    expect(log).toEqual(['a1 start', 'b1 start', 'a1 end', 'a2']);
  });

  it('caps concurrency and counts the waiting backlog in jobs and bytes, never asking anyone to pause', async () => {
    const scheduler = new SessionScheduler({ concurrency: 2 });
    const gate = deferred();
    for (let i = 0; i < 6; i++) scheduler.enqueue(`s${i}`, () => gate.promise, 100 + i);
    expect(scheduler.running).toBe(2);
    expect(scheduler.queued).toBe(4);
    // The first two started at once and left the backlog; the four waiting ones are charged.
    expect(scheduler.queuedBytes).toBe(102 + 103 + 104 + 105);
    gate.resolve();
    await scheduler.whenIdle();
    expect(scheduler.queued).toBe(0);
    expect(scheduler.queuedBytes).toBe(0);
  });

  it('close() aborts running jobs with cause "stop", drops waiting ones and refuses new ones', async () => {
    const scheduler = new SessionScheduler({ concurrency: 1 });
    const gate = deferred();
    let seen: DeliveryAbort | undefined;
    let laterRan = false;
    scheduler.enqueue('a', async (abort) => {
      seen = abort;
      await gate.promise;
    });
    scheduler.enqueue('b', () => void (laterRan = true), 10);
    await Promise.resolve();
    const reason = new Error('stopped');
    expect(scheduler.close(reason)).toBe(1);
    expect(seen?.cause).toBe('stop');
    expect(seen?.signal.reason).toBe(reason);
    expect(scheduler.queued).toBe(0);
    expect(scheduler.queuedBytes).toBe(0);
    expect(scheduler.enqueue('c', () => void (laterRan = true))).toBe(false);
    gate.resolve();
    await scheduler.whenIdle();
    expect(laterRan).toBe(false);
    expect(scheduler.running).toBe(0);
  });

  it('abort() aborts only the running job of that session', async () => {
    const scheduler = new SessionScheduler();
    const signals: Record<string, AbortSignal> = {};
    const gate = deferred();
    scheduler.enqueue('a', async ({ signal }) => {
      signals.a = signal;
      await gate.promise;
    });
    scheduler.enqueue('b', async ({ signal }) => {
      signals.b = signal;
      await gate.promise;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(scheduler.abort('a', new Error('stop'))).toBe(true);
    expect(scheduler.abort('nobody', new Error('stop'))).toBe(false);
    expect(signals.a?.aborted).toBe(true);
    expect(signals.b?.aborted).toBe(false);
    gate.resolve();
    await scheduler.whenIdle();
  });

  it('builds the signal lazily yet with the same meaning: aborted with the first reason, listeners fire once', async () => {
    const scheduler = new SessionScheduler();
    const gate = deferred();
    const seen: { early?: DeliveryAbort; late?: DeliveryAbort } = {};
    let fired = 0;
    scheduler.enqueue('early', async (abort) => {
      seen.early = abort;
      abort.signal.addEventListener('abort', () => fired++);
      await gate.promise;
    });
    scheduler.enqueue('late', async (abort) => {
      seen.late = abort;
      await gate.promise;
    });
    await Promise.resolve();
    await Promise.resolve();
    const first = new Error('first');
    for (const key of ['early', 'late']) {
      scheduler.abort(key, first);
      scheduler.abort(key, new Error('second'));
    }
    expect(fired).toBe(1);
    expect(seen.early?.signal.reason).toBe(first);
    // Never read before the interrupt: `cause` answers without a signal, and one read later is already aborted.
    expect(seen.late?.cause).toBe('interrupt');
    expect(seen.late?.signal.aborted).toBe(true);
    expect(seen.late?.signal.reason).toBe(first);
    gate.resolve();
    await scheduler.whenIdle();
  });

  it('a job that returns a non-promise value counts as finished and the session goes on', async () => {
    const scheduler = new SessionScheduler();
    const log: string[] = [];
    scheduler.enqueue('a', () => {
      log.push('first');
      return 42 as unknown as void;
    });
    scheduler.enqueue('a', () => void log.push('second'));
    await scheduler.whenIdle();
    expect(log).toEqual(['first', 'second']);
    expect(scheduler.running).toBe(0);
  });

  it('a job that throws does not stop the queue', async () => {
    const scheduler = new SessionScheduler();
    const log: string[] = [];
    scheduler.enqueue('a', () => Promise.reject(new Error('boom')));
    scheduler.enqueue('a', () => {
      log.push('after');
      return Promise.resolve();
    });
    await scheduler.whenIdle();
    expect(log).toEqual(['after']);
  });
});
