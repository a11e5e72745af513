/**
 * Auto-threads (protocol-later §3.8): a connector may put a `send` reply into a thread it creates on
 * the fly, reporting `thread_id` and `auto_thread_name` in the result. The application may want to
 * know where its reply went (to rename the thread, or keep posting there).
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/** Default number of chats whose last auto-thread is remembered. */
export const DEFAULT_AUTO_THREAD_MEMORY_SIZE = 256;

/** A thread the connector created for a reply. */
export interface AutoThread {
  readonly threadId: string;
  readonly name: string;
}

/**
 * The parts of a `send` result this module reads. `success` is listed so that any send result type
 * is accepted even before it grows the thread fields.
 */
export interface AutoThreadResult {
  readonly success?: boolean;
  readonly threadId?: unknown;
  readonly autoThreadName?: unknown;
}

// setTimeout cannot wait longer than this: Node fires larger delays after 1 ms instead.
const MAX_TIMER_MS = 2_147_483_647;

interface Waiter {
  readonly settle: (value: AutoThread | null) => void;
}

/** Options of {@link AutoThreads}. */
export interface AutoThreadsOptions {
  /**
   * Chats remembered (least recently recorded forgotten first).
   * @default 256
   */
  readonly capacity?: number;
}

const pairOf = (result: AutoThreadResult): AutoThread | null => {
  const { threadId, autoThreadName } = result;
  return typeof threadId === 'string' && threadId !== '' && typeof autoThreadName === 'string' && autoThreadName !== ''
    ? { threadId, name: autoThreadName }
    : null;
};

/** Records auto-thread pairs per chat and lets callers wait for the outcome of the next send. */
export class AutoThreads {
  private readonly threads = new Map<string, AutoThread>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly capacity: number;
  private closed = false;

  /** @throws {InvalidArgumentError} when `capacity` is not a positive integer. */
  constructor(options: AutoThreadsOptions = {}) {
    const capacity = options.capacity ?? DEFAULT_AUTO_THREAD_MEMORY_SIZE;
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidArgumentError('capacity', `must be a positive integer, got ${String(capacity)}`);
    this.capacity = capacity;
  }

  /** Chats with a recorded auto-thread. */
  get size(): number {
    return this.threads.size;
  }

  /** Callers currently waiting, over all chats. */
  get waiting(): number {
    let count = 0;
    for (const set of this.waiters.values()) count += set.size;
    return count;
  }

  /**
   * Record the result of a `send` into `chatId` (call it for every one, failures included). A pair is
   * recorded when both `threadId` and `autoThreadName` are non-empty strings; a result without one
   * leaves an earlier record alone. Every waiter on the chat is then settled: with this result's pair,
   * or `null` when it has none.
   */
  record(chatId: string, result: AutoThreadResult): void {
    const pair = pairOf(result);
    if (pair) {
      this.threads.delete(chatId);
      this.threads.set(chatId, pair);
      if (this.threads.size > this.capacity) {
        const oldest = this.threads.keys().next().value as string;
        this.threads.delete(oldest);
      }
    }
    const waiting = this.waiters.get(chatId);
    if (!waiting) return;
    this.waiters.delete(chatId);
    for (const waiter of waiting) waiter.settle(pair);
  }

  /** The last auto-thread recorded for `chatId`, if any. */
  lastAutoThread(chatId: string): AutoThread | undefined {
    return this.threads.get(chatId);
  }

  /**
   * Wait for the next `send` result recorded into `chatId`: its pair when it carried one, else `null` as
   * soon as it arrives (a miss is not reported by timeout). `null` after `timeoutMs` without a result,
   * or when {@link close} is called. `Infinity` waits without a timer; delays above the timer limit
   * (~24.8 days) are clipped to it. After `close()` it resolves `null` at once.
   * @returns rejects with {@link InvalidArgumentError} when `timeoutMs` is negative or `NaN`.
   */
  waitForAutoThread(chatId: string, timeoutMs: number): Promise<AutoThread | null> {
    if (Number.isNaN(timeoutMs) || timeoutMs < 0) {
      return Promise.reject(new InvalidArgumentError('timeoutMs', `must be a number >= 0, got ${String(timeoutMs)}`));
    }
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = {
        settle: (value) => {
          // Clear on every path so a settled waiter never leaves a timer behind.
          if (timer !== undefined) clearTimeout(timer);
          resolve(value);
        },
      };
      let set = this.waiters.get(chatId);
      if (!set) {
        set = new Set();
        this.waiters.set(chatId, set);
      }
      set.add(waiter);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          timer = undefined;
          const current = this.waiters.get(chatId);
          current?.delete(waiter);
          if (current?.size === 0) this.waiters.delete(chatId);
          resolve(null);
        }, Math.min(timeoutMs, MAX_TIMER_MS));
      }
    });
  }

  /** Settle every waiter with `null` and refuse new waits (they resolve `null` at once). Idempotent. */
  close(): void {
    this.closed = true;
    const all = [...this.waiters.values()];
    this.waiters.clear();
    for (const set of all) for (const waiter of set) waiter.settle(null);
  }
}
