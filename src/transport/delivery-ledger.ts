/**
 * Remembers recent deliveries so overlapping replays run a handler once (spec §9): keyed by
 * `bufferId` and by `platform:chat_id:message_id`, bounded to the most recent entries.
 * @module
 */

/** A delivery in the ledger. */
export interface LedgerEntry {
  /** `running` until the handler settles; `done` after it completed without error. */
  status: 'running' | 'done';
  /** Buffer ids of duplicates that arrived while running; acked with the original. */
  readonly lateBufferIds: string[];
  /** Link generation on which each buffer id was last acked (a repeat on the same link is redundant). */
  readonly ackedOn: Map<string, number>;
}

/** Default number of keys remembered. */
export const DEFAULT_LEDGER_SIZE = 1024;

/** Bounded map from delivery keys to entries, oldest evicted first. */
export class DeliveryLedger {
  private readonly entries = new Map<string, LedgerEntry>();

  constructor(private readonly capacity: number = DEFAULT_LEDGER_SIZE) {}

  /** The entry for any of `keys`, if one is remembered. */
  find(keys: readonly string[]): LedgerEntry | undefined {
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry) return entry;
    }
    return undefined;
  }

  /** Remember a new running delivery under `keys`. */
  begin(keys: readonly string[]): LedgerEntry {
    const entry: LedgerEntry = { status: 'running', lateBufferIds: [], ackedOn: new Map() };
    for (const key of keys) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return entry;
  }

  /** Forget a delivery whose handler failed, so a redelivery runs it again. */
  forget(keys: readonly string[], entry: LedgerEntry): void {
    for (const key of keys) if (this.entries.get(key) === entry) this.entries.delete(key);
  }

  /** Keys remembered now. */
  get size(): number {
    return this.entries.size;
  }
}
