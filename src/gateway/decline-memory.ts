/**
 * "Warn once" memory for the lanes that may degrade on an egress decline (protocol-later §4:
 * `typing`, `delete`, `thread_create`, `thread_rename`). Those lanes return false / none, and a chat
 * that declines typing would otherwise log on every turn.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { log, type Logger } from '../logger.js';
import { isEgressDecline, type EgressDeclineCandidate } from '../protocol/egress-decline.js';

/** Default number of (op, chat) pairs remembered. */
export const DEFAULT_DECLINE_MEMORY_SIZE = 1024;

/**
 * Remembers which (op, chat) pairs have already been warned about. Bounded and FIFO: past the
 * capacity the oldest pair is forgotten, so it may warn once more later (the scope of "once" is this
 * window, our choice).
 */
export class DeclineMemory {
  private readonly warned = new Set<string>();
  private readonly capacity: number;

  /**
   * @param capacity - pairs remembered.
   * @default 1024 ({@link DEFAULT_DECLINE_MEMORY_SIZE})
   * @throws {InvalidArgumentError} when `capacity` is not a positive integer.
   */
  constructor(capacity: number = DEFAULT_DECLINE_MEMORY_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidArgumentError('capacity', `must be a positive integer, got ${String(capacity)}`);
    this.capacity = capacity;
  }

  /** Pairs remembered now. */
  get size(): number {
    return this.warned.size;
  }

  /**
   * True the first time it is asked about (`op`, `chatId`) within the memory window, false after. The
   * first call records the pair.
   */
  shouldWarn(op: string, chatId: string): boolean {
    // A separator that cannot occur in an op name keeps ("a:b", "c") apart from ("a", "b:c").
    const key = `${op}\u0000${chatId}`;
    if (this.warned.has(key)) return false;
    this.warned.add(key);
    if (this.warned.size > this.capacity) {
      const oldest = this.warned.values().next().value as string;
      this.warned.delete(oldest);
    }
    return true;
  }

  /**
   * Convenience for a degrading lane: when `result` is an egress decline, log it at warning level the
   * first time for (`op`, `chatId`). Returns whether `result` was a decline (logged or not), so the lane
   * can return its degraded value.
   */
  noteDegraded(logger: Logger, op: string, chatId: string, result: EgressDeclineCandidate): boolean {
    if (!isEgressDecline(result)) return false;
    if (this.shouldWarn(op, chatId)) {
      const error = typeof result.error === 'string' ? result.error : undefined;
      const code = typeof result.code === 'string' ? result.code : undefined;
      log(logger, 'warn', `relay: connector declined egress for '${op}'; degrading (logged once per chat)`, { op, chat_id: chatId, error, code });
    }
    return true;
  }
}
