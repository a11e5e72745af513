/**
 * Remembers recent deliveries so overlapping replays run a handler once (spec §9): keyed by
 * `bufferId` and by `platform:chat_id:message_id`, bounded to the most recent entries of each kind.
 * @module
 */

/** A delivery in the ledger. */
export interface LedgerEntry {
  /** `running` until the handler settles; `done` after it completed without error. */
  status: 'running' | 'done';
  /**
   * Buffer ids of duplicates that arrived while running; acked with the original. Created on first
   * use, like `ackedOn`: one entry is made per inbound frame and almost none ever need them.
   */
  lateBufferIds: string[] | undefined;
  /** Link generation on which each buffer id was last acked (a repeat on the same link is redundant). */
  ackedOn: Map<string, number> | undefined;
}

/** Default number of keys of each kind remembered. */
export const DEFAULT_LEDGER_SIZE = 1024;

/**
 * Two bounded maps (buffer ids, message keys) to entries, oldest evicted first. Two maps instead of
 * one with prefixed keys: this runs once per inbound frame, and a prefix is a string built per frame.
 */
export class DeliveryLedger {
  private readonly byBufferId = new Map<string, LedgerEntry>();
  private readonly byMessageKey = new Map<string, LedgerEntry>();

  private readonly slack: number;

  constructor(private readonly capacity: number = DEFAULT_LEDGER_SIZE) {
    this.slack = Math.floor(capacity / 8);
  }

  /** The entry remembered under either key, if any. */
  find(bufferId: string | undefined, messageKey: string | undefined): LedgerEntry | undefined {
    return (bufferId ? this.byBufferId.get(bufferId) : undefined) ?? (messageKey ? this.byMessageKey.get(messageKey) : undefined);
  }

  /**
   * Remember a new running delivery under its keys (at least one should be set). The keys are new:
   * callers {@link DeliveryLedger.find} first.
   */
  begin(bufferId: string | undefined, messageKey: string | undefined): LedgerEntry {
    const entry: LedgerEntry = { status: 'running', lateBufferIds: undefined, ackedOn: undefined };
    if (bufferId) this.remember(this.byBufferId, bufferId, entry);
    if (messageKey) this.remember(this.byMessageKey, messageKey, entry);
    return entry;
  }

  /** Forget a delivery whose handler failed, so a redelivery runs it again. */
  forget(bufferId: string | undefined, messageKey: string | undefined, entry: LedgerEntry): void {
    if (bufferId && this.byBufferId.get(bufferId) === entry) this.byBufferId.delete(bufferId);
    if (messageKey && this.byMessageKey.get(messageKey) === entry) this.byMessageKey.delete(messageKey);
  }

  /** Keys remembered now (both kinds). */
  get size(): number {
    return this.byBufferId.size + this.byMessageKey.size;
  }

  private remember(map: Map<string, LedgerEntry>, key: string, entry: LedgerEntry): void {
    map.set(key, entry);
    // Evict in batches of an eighth: one iterator per batch instead of one per inbound frame. The
    // ledger so remembers between `capacity` and 1.125 x `capacity` of the latest keys of each kind.
    if (map.size <= this.capacity + this.slack) return;
    let excess = map.size - this.capacity;
    for (const oldest of map.keys()) {
      map.delete(oldest);
      if (--excess === 0) break;
    }
  }
}
