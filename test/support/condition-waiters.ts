/**
 * Waiting for a condition over state that changes on events (frames arriving, links opening,
 * handlers finishing): the owner of the state calls `notify()` after every change, and each
 * waiter re-checks its condition then. No polling, no sleeps; every wait ends, by the condition or
 * by its timeout, and `close()` ends the ones still pending.
 * @module
 */

/** A set of pending waits over one owner's state. */
export interface ConditionWaiters {
  /** Re-check every pending wait (call after each change of the state they read). */
  notify(): void;
  /**
   * Resolves once `check()` holds (checked at once, then on every `notify()`); rejects with
   * `timeoutError()` after `timeoutMs`, or with the error given to {@link close}.
   */
  waitUntil(check: () => boolean, timeoutMs: number, timeoutError: () => Error): Promise<void>;
  /** Reject every pending wait with `error`, and every later one whose condition does not hold at once. */
  close(error: Error): void;
}

/** Create an empty set of waits. */
export function conditionWaiters(): ConditionWaiters {
  const pending = new Map<() => void, (error: Error) => void>();
  let closedWith: Error | undefined;
  return {
    notify() {
      for (const attempt of [...pending.keys()]) attempt();
    },
    waitUntil(check, timeoutMs, timeoutError) {
      return new Promise<void>((resolve, reject) => {
        if (check()) {
          resolve();
          return;
        }
        if (closedWith) {
          reject(closedWith);
          return;
        }
        const settle = (error?: Error): void => {
          clearTimeout(timer);
          pending.delete(attempt);
          if (error) reject(error);
          else resolve();
        };
        const attempt = (): void => {
          if (check()) settle();
        };
        const timer = setTimeout(() => settle(timeoutError()), timeoutMs);
        pending.set(attempt, settle);
      });
    },
    close(error) {
      closedWith = error;
      for (const fail of [...pending.values()]) fail(error);
    },
  };
}
