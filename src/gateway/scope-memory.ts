/**
 * Tenant-scope re-attachment (relay-connector-contract.md §8): per chat, the scope and author last seen inbound, so replies
 * carry `metadata.scope_id` / `metadata.guild_id` / `metadata.user_id` and the connector can attribute
 * egress to a tenant. Bounded: least recently used chats are forgotten first.
 * @module
 */
import type { JsonObject } from '../protocol/wire-types.js';
import type { SessionSource } from '../protocol/session-source.js';

/** What is remembered for one chat. */
export interface ChatScope {
  readonly scopeId: string | null;
  readonly userId: string | null;
  readonly profile: string | null;
}

/** Default number of chats remembered. */
export const DEFAULT_SCOPE_MEMORY_SIZE = 10_000;

const isEmpty = (value: unknown): boolean => value === undefined || value === null || value === '';

/** A bounded LRU from chat id to {@link ChatScope}. */
export class ScopeMemory {
  private readonly chats = new Map<string, ChatScope>();

  constructor(private readonly capacity: number = DEFAULT_SCOPE_MEMORY_SIZE) {}

  /** Chats remembered now. */
  get size(): number {
    return this.chats.size;
  }

  /** Remember the scope and author of an inbound message's chat. */
  remember(source: SessionSource): void {
    if (!source.chat_id) return;
    const previous = this.chats.get(source.chat_id);
    // A message without a scope (or author) does not erase what an earlier one taught us.
    const scopeId = source.scope_id || previous?.scopeId || null;
    const userId = source.user_id || previous?.userId || null;
    const profile = source.profile || previous?.profile || null;
    // Runs once per inbound frame, and a chat's scope rarely changes: keep the old record when equal.
    const next: ChatScope =
      previous && previous.scopeId === scopeId && previous.userId === userId && previous.profile === profile ? previous : { scopeId, userId, profile };
    this.chats.delete(source.chat_id);
    this.chats.set(source.chat_id, next);
    if (this.chats.size > this.capacity) {
      const oldest = this.chats.keys().next().value as string;
      this.chats.delete(oldest);
    }
  }

  /** What is known about `chatId`, if anything. */
  lookup(chatId: string): ChatScope | undefined {
    return this.chats.get(chatId);
  }

  /**
   * `metadata` with the remembered scope and author filled in where absent or empty. Never overwrites
   * an explicit value and never invents one for a chat it has not seen. Returns a new object.
   */
  attach(chatId: string, metadata: JsonObject | undefined): JsonObject {
    const result: JsonObject = { ...metadata };
    const scope = this.chats.get(chatId);
    if (!scope) return result;
    // scope_id and guild_id name the same thing: an explicit one fills its twin, so they never disagree.
    const explicit = !isEmpty(result.scope_id) ? result.scope_id : !isEmpty(result.guild_id) ? result.guild_id : undefined;
    const fill = explicit ?? scope.scopeId;
    if (fill !== null && fill !== undefined) {
      if (isEmpty(result.scope_id)) result.scope_id = fill;
      if (isEmpty(result.guild_id)) result.guild_id = fill;
    }
    if (scope.userId && isEmpty(result.user_id)) result.user_id = scope.userId;
    return result;
  }
}
