/**
 * Outbound request/response correlation by `requestId` (relay-connector-contract.md §8). Every request settles exactly
 * once: with the connector's result, at its timeout (ambiguous), or at once when the link drops
 * (ambiguous) or the gateway stops. No promise is ever left hanging.
 * @module
 */
import type { JsonObject } from '../protocol/wire-types.js';
import { TRANSPORT_ERRORS, type SendResult } from '../protocol/outbound.js';

/** How a request ended: the connector's raw result, or a transport-level failure. */
export type RequestOutcome =
  | { readonly ok: true; readonly result: JsonObject }
  | { readonly ok: false; readonly failure: SendResult };

interface Pending {
  readonly resolve: (outcome: RequestOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

/** Failure outcomes of relay-connector-contract.md §8, ready to resolve with. */
export const FAILURES = Object.freeze({
  notConnected: { ok: false, failure: { success: false, error: TRANSPORT_ERRORS.notConnected, code: 'not_connected' } },
  closed: { ok: false, failure: { success: false, error: TRANSPORT_ERRORS.closed, code: 'closed' } },
  /** A written request still waiting when the gateway closed: it may have been applied. */
  closedPending: { ok: false, failure: { success: false, error: TRANSPORT_ERRORS.closed, ambiguous: true, code: 'closed' } },
  timedOut: { ok: false, failure: { success: false, error: TRANSPORT_ERRORS.timedOut, ambiguous: true, code: 'timeout' } },
  connectionLost: { ok: false, failure: { success: false, error: TRANSPORT_ERRORS.connectionLost, ambiguous: true, code: 'connection_lost' } },
} as const satisfies Record<string, RequestOutcome>);

/** Build the outcome of a failed write. */
export function sendFailed(error: unknown): RequestOutcome {
  const reason = error instanceof Error ? error.message : String(error);
  return { ok: false, failure: { success: false, error: `${TRANSPORT_ERRORS.sendFailed}${reason}`, code: 'send_failed' } };
}

/** The table of requests waiting for `outbound_result`. */
export class PendingRequests {
  private readonly pending = new Map<string, Pending>();
  private readonly emptyWaiters: Array<() => void> = [];
  private timeouts = 0;

  /** Requests waiting now. */
  get size(): number {
    return this.pending.size;
  }

  /** Requests that ended at their timeout so far. */
  get timedOut(): number {
    return this.timeouts;
  }

  /**
   * Register `requestId` before its frame is written; the promise settles exactly once.
   * @param timeoutMs how long to wait for the result before resolving ambiguous.
   */
  wait(requestId: string, timeoutMs: number): Promise<RequestOutcome> {
    return new Promise<RequestOutcome>((resolve) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(requestId)) {
          this.timeouts++;
          resolve(FAILURES.timedOut);
          this.#notifyIfEmpty();
        }
      }, timeoutMs);
      this.pending.set(requestId, { resolve, timer });
    });
  }

  /** Resolves once no request is waiting (at once when none is). */
  whenEmpty(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.emptyWaiters.push(resolve));
  }

  #notifyIfEmpty(): void {
    if (this.pending.size > 0 || this.emptyWaiters.length === 0) return;
    for (const resolve of this.emptyWaiters.splice(0)) resolve();
  }

  /** Settle `requestId` with `outcome`. Returns false for an unknown or already settled id (late results are ignored). */
  settle(requestId: string, outcome: RequestOutcome): boolean {
    const entry = this.pending.get(requestId);
    if (!entry) return false;
    this.pending.delete(requestId);
    clearTimeout(entry.timer);
    entry.resolve(outcome);
    this.#notifyIfEmpty();
    return true;
  }

  /** Settle every waiting request with `outcome` (link lost, gateway stopped). */
  failAll(outcome: RequestOutcome): number {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.resolve(outcome);
    }
    this.#notifyIfEmpty();
    return entries.length;
  }
}
