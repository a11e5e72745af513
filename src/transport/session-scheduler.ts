/**
 * Runs inbound handlers off the reader (spec §8, issue: "the reader never awaits application
 * code"): one at a time and in arrival order per session, different sessions concurrently up to a
 * cap. When too many deliveries wait, it asks the reader to pause instead of buffering without bound.
 * @module
 */

/** How a running delivery learns that an interrupt for its session arrived. */
export interface DeliveryAbort {
  /** Aborted by an interrupt for the session. Built on first read. */
  readonly signal: AbortSignal;
  /** Whether an interrupt arrived (reading this never builds the signal). */
  readonly aborted: boolean;
}

/**
 * The abort state of one delivery. Most deliveries are never interrupted and most handlers never
 * look at their signal, while an `AbortController` is one of the costlier objects of the data plane
 * (~10% of inbound CPU when built per frame), so it is only built when the signal is read.
 */
class LazyAbort implements DeliveryAbort {
  private controller: AbortController | undefined;
  private abortedWith: { readonly reason: unknown } | undefined;

  get aborted(): boolean {
    return this.abortedWith !== undefined;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.abortedWith) return;
    this.abortedWith = { reason };
    this.controller?.abort(reason);
  }
}

/**
 * Work for one delivery. Receives its abort state, which an interrupt for its session sets. The
 * session's next job starts after a returned promise (any thenable) settles, or at once otherwise.
 */
export type SessionJob = (abort: DeliveryAbort) => PromiseLike<void> | void;

/** Options of {@link SessionScheduler}. */
export interface SessionSchedulerOptions {
  /** Most handlers running at once, across sessions. @default 64 */
  readonly concurrency?: number;
  /** Waiting deliveries at which the reader is paused; it resumes at half. @default 4 x concurrency */
  readonly maxQueued?: number;
  /** Stop reading from the socket. */
  readonly pause: () => void;
  /** Read again. */
  readonly resume: () => void;
}

interface SessionQueue {
  readonly key: string;
  readonly jobs: SessionJob[];
  running: LazyAbort | undefined;
  ready: boolean;
}

/** Per-session FIFO with a global concurrency cap and reader backpressure. */
export class SessionScheduler {
  private readonly concurrency: number;
  private readonly maxQueued: number;
  private readonly sessions = new Map<string, SessionQueue>();
  private readonly ready: SessionQueue[] = [];
  private readyHead = 0;
  private runningCount = 0;
  private queuedCount = 0;
  private paused = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: SessionSchedulerOptions) {
    this.concurrency = options.concurrency ?? 64;
    this.maxQueued = options.maxQueued ?? this.concurrency * 4;
  }

  /** Handlers running now. */
  get running(): number {
    return this.runningCount;
  }

  /** Deliveries waiting for their session or for a slot. */
  get queued(): number {
    return this.queuedCount;
  }

  /** Whether the reader is paused by backpressure. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Queue `job` for session `key`. Never runs it synchronously. */
  enqueue(key: string, job: SessionJob): void {
    let session = this.sessions.get(key);
    if (!session) {
      session = { key, jobs: [], running: undefined, ready: false };
      this.sessions.set(key, session);
    }
    session.jobs.push(job);
    this.queuedCount++;
    this.markReady(session);
    if (!this.paused && this.queuedCount >= this.maxQueued) {
      this.paused = true;
      this.options.pause();
    }
    this.pump();
  }

  /** Abort the running handler of session `key`. Returns false when none runs. */
  abort(key: string, reason: unknown): boolean {
    const running = this.sessions.get(key)?.running;
    if (!running) return false;
    running.abort(reason);
    return true;
  }

  /** Resolves when nothing runs or waits. */
  whenIdle(): Promise<void> {
    if (this.runningCount === 0 && this.queuedCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private markReady(session: SessionQueue): void {
    if (!session.ready && !session.running && session.jobs.length > 0) {
      session.ready = true;
      this.ready.push(session);
    }
  }

  private pump(): void {
    while (this.runningCount < this.concurrency && this.readyHead < this.ready.length) {
      const session = this.ready[this.readyHead++] as SessionQueue;
      session.ready = false;
      const job = session.jobs.shift();
      if (!job) continue;
      this.queuedCount--;
      this.runningCount++;
      const abort = new LazyAbort();
      session.running = abort;
      // A microtask hop: the handler starts after the reader has finished the current message.
      // queueMicrotask and one then() instead of a promise chain: this runs once per inbound frame.
      queueMicrotask(() => {
        let settled: unknown;
        try {
          settled = job(abort);
        } catch {
          settled = undefined;
        }
        if (typeof (settled as { then?: unknown } | null | undefined)?.then === 'function') {
          const done = (): void => this.finish(session);
          (settled as PromiseLike<void>).then(done, done);
        } else {
          this.finish(session);
        }
      });
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready.splice(0, this.readyHead);
      this.readyHead = 0;
    }
    if (this.paused && this.queuedCount <= this.maxQueued / 2) {
      this.paused = false;
      this.options.resume();
    }
  }

  private finish(session: SessionQueue): void {
    this.runningCount--;
    session.running = undefined;
    if (session.jobs.length > 0) this.markReady(session);
    else this.sessions.delete(session.key);
    this.pump();
    if (this.runningCount === 0 && this.queuedCount === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
