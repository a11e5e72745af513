/**
 * Remembers deliveries so overlapping replays run a handler once (relay-connector-contract.md §11): keyed by `bufferId` and
 * by `platform:chat_id:message_id`. A delivery that is still outstanding (queued or running) is never
 * forgotten, however long the backlog; completed ones stay in a bounded window of the most recent.
 * @module
 */

/** A delivery in the ledger. */
export interface LedgerEntry {
  /** `pending` while queued or running; `done` after the handler completed (or was interrupted). */
  status: 'pending' | 'done';
  /**
   * Buffer ids of duplicates that arrived while pending; acked with the original. Created on first
   * use: one entry is made per inbound frame and almost none ever need it.
   */
  lateBufferIds: string[] | undefined;
  /** The keys the entry is remembered under. */
  readonly bufferId: string | undefined;
  readonly messageKey: string | undefined;
}

/**
 * Default number of completed deliveries remembered. Sized so that a replay of every delivery that
 * was outstanding at a drop (20,000 and more) is still recognised after all of them have completed.
 */
export const DEFAULT_DEDUPE_WINDOW = 50_000;

/**
 * Two maps (buffer ids, message keys) to entries, plus a first-in first-out list of completed
 * entries that bounds them. Pending entries are not in that list, so nothing outstanding is ever
 * evicted; only completed ones are, oldest first, once more than `window` have completed since.
 * Two maps instead of one with prefixed keys: this runs once per inbound frame, and a prefix is a
 * string built per frame.
 */
export class DeliveryLedger {
  private readonly byBufferId = new Map<string, LedgerEntry>();
  private readonly byMessageKey = new Map<string, LedgerEntry>();
  // Completed entries, oldest first, from `completedHead` on (compacted in batches).
  private completed: LedgerEntry[] = [];
  private completedHead = 0;
  private pendingCount = 0;

  /** @param window - completed deliveries remembered (see {@link DEFAULT_DEDUPE_WINDOW}). */
  constructor(private readonly window: number = DEFAULT_DEDUPE_WINDOW) {}

  /** The entry remembered under either key, if any. */
  find(bufferId: string | undefined, messageKey: string | undefined): LedgerEntry | undefined {
    return (bufferId ? this.byBufferId.get(bufferId) : undefined) ?? (messageKey ? this.byMessageKey.get(messageKey) : undefined);
  }

  /**
   * Remember a new pending delivery under its keys (at least one should be set). The keys are new:
   * callers {@link DeliveryLedger.find} first.
   */
  begin(bufferId: string | undefined, messageKey: string | undefined): LedgerEntry {
    const entry: LedgerEntry = { status: 'pending', lateBufferIds: undefined, bufferId, messageKey };
    if (bufferId) this.byBufferId.set(bufferId, entry);
    if (messageKey) this.byMessageKey.set(messageKey, entry);
    this.pendingCount++;
    return entry;
  }

  /** The handler completed: the entry joins the window of completed deliveries. */
  complete(entry: LedgerEntry): void {
    if (entry.status !== 'pending') return;
    entry.status = 'done';
    this.pendingCount--;
    this.completed.push(entry);
    this.evict();
  }

  /** Forget a pending delivery whose handler failed (or never ran), so a redelivery runs it again. */
  forget(entry: LedgerEntry): void {
    if (entry.status !== 'pending') return;
    this.pendingCount--;
    this.drop(entry);
  }

  /** Deliveries queued or running. */
  get pending(): number {
    return this.pendingCount;
  }

  /** Keys remembered now (both kinds). */
  get size(): number {
    return this.byBufferId.size + this.byMessageKey.size;
  }

  private drop(entry: LedgerEntry): void {
    if (entry.bufferId && this.byBufferId.get(entry.bufferId) === entry) this.byBufferId.delete(entry.bufferId);
    if (entry.messageKey && this.byMessageKey.get(entry.messageKey) === entry) this.byMessageKey.delete(entry.messageKey);
  }

  private evict(): void {
    const kept = this.completed.length - this.completedHead;
    // Evict in batches of an eighth of the window: fewer, larger splices than one per frame. The
    // window so holds between `window` and 1.125 x `window` completed deliveries.
    if (kept <= this.window + Math.floor(this.window / 8)) return;
    const end = this.completed.length - this.window;
    for (let i = this.completedHead; i < end; i++) this.drop(this.completed[i] as LedgerEntry);
    this.completedHead = end;
    if (this.completedHead > this.window) {
      this.completed = this.completed.slice(this.completedHead);
      this.completedHead = 0;
    }
  }
}
