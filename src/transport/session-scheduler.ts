/**
 * Runs inbound handlers off the reader (relay-connector-contract.md §9: the reader never awaits application code): one at
 * a time and in arrival order per session, different sessions concurrently up to a cap. It never
 * pauses the reader: control frames (results, pongs, acks, closes) share the socket with inbound
 * work, so the backlog is counted here (frames and bytes) and bounded by the caller's intake policy.
 * @module
 */

/** Why a running delivery's signal was aborted. */
export type AbortCause = 'interrupt' | 'stop';

/** How a running delivery learns that an interrupt for its session arrived, or that the gateway stopped. */
export interface DeliveryAbort {
  /** Aborted by an interrupt for the session or by the gateway stopping. Built on first read. */
  readonly signal: AbortSignal;
  /** Why it was aborted, or undefined while it is not (reading this never builds the signal). */
  readonly cause: AbortCause | undefined;
}

/**
 * The abort state of one delivery. Most deliveries are never interrupted and most handlers never
 * look at their signal, while an `AbortController` is one of the costlier objects of the data plane
 * (~10% of inbound CPU when built per frame), so it is only built when the signal is read.
 */
class LazyAbort implements DeliveryAbort {
  private controller: AbortController | undefined;
  private abortedWith: { readonly cause: AbortCause; readonly reason: unknown } | undefined;

  get cause(): AbortCause | undefined {
    return this.abortedWith?.cause;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  abort(cause: AbortCause, reason: unknown): void {
    if (this.abortedWith) return;
    this.abortedWith = { cause, reason };
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
}

interface QueuedJob {
  readonly job: SessionJob;
  /** Size charged to the backlog while the job waits (the frame's text length). */
  readonly size: number;
}

interface SessionQueue {
  readonly key: string;
  readonly jobs: QueuedJob[];
  running: LazyAbort | undefined;
  ready: boolean;
}

/** Per-session FIFO with a global concurrency cap; it counts the waiting backlog in jobs and bytes. */
export class SessionScheduler {
  private readonly concurrency: number;
  private readonly sessions = new Map<string, SessionQueue>();
  private readonly ready: SessionQueue[] = [];
  private readyHead = 0;
  private runningCount = 0;
  private queuedCount = 0;
  private queuedSize = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(options: SessionSchedulerOptions = {}) {
    this.concurrency = options.concurrency ?? 64;
  }

  /** Handlers running now. */
  get running(): number {
    return this.runningCount;
  }

  /** Deliveries waiting for their session or for a slot. */
  get queued(): number {
    return this.queuedCount;
  }

  /** Sum of the sizes given to {@link SessionScheduler.enqueue} of the deliveries waiting now. */
  get queuedBytes(): number {
    return this.queuedSize;
  }

  /**
   * Queue `job` for session `key`, charging `size` to the backlog until it starts. Never runs it
   * synchronously. After {@link SessionScheduler.close} the job is dropped and false returned.
   */
  enqueue(key: string, job: SessionJob, size = 0): boolean {
    if (this.closed) return false;
    let session = this.sessions.get(key);
    if (!session) {
      session = { key, jobs: [], running: undefined, ready: false };
      this.sessions.set(key, session);
    }
    session.jobs.push({ job, size });
    this.queuedCount++;
    this.queuedSize += size;
    this.markReady(session);
    this.pump();
    return true;
  }

  /** Abort the running handler of session `key` (an interrupt). Returns false when none runs. */
  abort(key: string, reason: unknown): boolean {
    const running = this.sessions.get(key)?.running;
    if (!running) return false;
    running.abort('interrupt', reason);
    return true;
  }

  /**
   * The gateway stopped: abort every running handler's signal with `reason`, drop every waiting job
   * and refuse new ones. Returns how many waiting jobs were dropped.
   */
  close(reason: unknown): number {
    this.closed = true;
    let dropped = 0;
    for (const session of this.sessions.values()) {
      session.running?.abort('stop', reason);
      dropped += session.jobs.length;
      session.jobs.length = 0;
      if (!session.running) this.sessions.delete(session.key);
    }
    this.ready.length = 0;
    this.readyHead = 0;
    this.queuedCount = 0;
    this.queuedSize = 0;
    this.notifyIdle();
    return dropped;
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
      const next = session.jobs.shift();
      if (!next) continue;
      const job = next.job;
      this.queuedCount--;
      this.queuedSize -= next.size;
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
  }

  private finish(session: SessionQueue): void {
    this.runningCount--;
    session.running = undefined;
    if (session.jobs.length > 0) this.markReady(session);
    else this.sessions.delete(session.key);
    this.pump();
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.runningCount === 0 && this.queuedCount === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
