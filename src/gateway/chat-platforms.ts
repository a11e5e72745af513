/**
 * Outbound platform tagging (protocol-later §1.3). One socket may front several platforms, so an
 * `outbound` frame names the platform it is for: learned per chat from inbound traffic, since the
 * gateway has no other way to know which platform a chat id belongs to.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { DEFAULT_PLATFORM } from '../protocol/platforms.js';
import { DEFAULT_SCOPE_MEMORY_SIZE } from './scope-memory.js';

/**
 * A bounded LRU from chat id to the platform last seen inbound for it. The bound matches the scope
 * memory's (our choice): both remember the same chats, so neither forgets a chat the other still knows
 * because of size alone. Only learning refreshes recency; lookups do not, as with the scope memory.
 */
export class ChatPlatforms {
  private readonly chats = new Map<string, string>();
  private readonly capacity: number;

  /**
   * @param capacity - chats remembered.
   * @default 10000 (`DEFAULT_SCOPE_MEMORY_SIZE`)
   * @throws {InvalidArgumentError} when `capacity` is not a positive integer.
   */
  constructor(capacity: number = DEFAULT_SCOPE_MEMORY_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidArgumentError('capacity', `must be a positive integer, got ${String(capacity)}`);
    this.capacity = capacity;
  }

  /** Chats remembered now. */
  get size(): number {
    return this.chats.size;
  }

  /**
   * Learn from an inbound event's (decoded) source: its `platform` for its `chat_id`, latest wins. The
   * placeholder platform `relay` (which is also what an unknown name decodes to) and an empty platform
   * are never recorded and never overwrite what was learned; an empty `chat_id` records nothing.
   */
  learn(source: { readonly platform?: string | null; readonly chat_id?: string | null }): void {
    const { platform, chat_id: chatId } = source;
    if (!chatId || !platform || platform === DEFAULT_PLATFORM) return;
    // Delete first so the chat moves to the most-recent end of the insertion order.
    this.chats.delete(chatId);
    this.chats.set(chatId, platform);
    if (this.chats.size > this.capacity) {
      const oldest = this.chats.keys().next().value as string;
      this.chats.delete(oldest);
    }
  }

  /** The platform learned for `chatId`, if any. */
  platformOf(chatId: string): string | undefined {
    return this.chats.get(chatId);
  }
}

/** What the tagging rules need to know about this gateway's identities. */
export interface OutboundIdentities {
  /** Whether `platform` is in the fronted set (the identity platforms minus `relay`). */
  frontsPlatform(platform: string): boolean;
  /** The configured bot id of `platform` (`""` or undefined when none). */
  botIdFor(platform: string): string | undefined;
}

/** The optional top-level keys of an `outbound` frame (the transport's own type); absent keys are omitted. */
export type { OutboundTags } from '../transport/relay-connection.js';
import type { OutboundTags } from '../transport/relay-connection.js';

/** Ops tagged with the learned platform of their own `chat_id`. */
export const CHAT_TAGGED_OPS: ReadonlySet<string> = new Set([
  'send',
  'edit',
  'typing',
  'delete',
  'draft',
  'send_media',
  'prompt',
  'react',
  'thread_create',
  'task_card',
  'task_card_stop',
]);

const nonEmptyString = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function learnedPlatform(chats: ChatPlatforms, chatId: unknown): string | undefined {
  const id = nonEmptyString(chatId);
  return id === undefined ? undefined : chats.platformOf(id);
}

function resolvePlatform(op: string, action: Readonly<Record<string, unknown>>, identities: OutboundIdentities, chats: ChatPlatforms): string | undefined {
  if (CHAT_TAGGED_OPS.has(op)) return learnedPlatform(chats, action.chat_id);
  switch (op) {
    case 'thread_rename':
      // `chat_id` is the parent and `message_id` the thread: the parent is where inbound was seen.
      return learnedPlatform(chats, action.chat_id) ?? learnedPlatform(chats, action.message_id);
    case 'follow_up': {
      // The kind names the mechanism's platform (`discord.interaction_token`); only a fronted one counts,
      // since a follow-up has no chat to learn from and the connector could not route anything else.
      const kind = nonEmptyString(action.kind);
      const prefix = kind?.split('.', 1)[0];
      return prefix && identities.frontsPlatform(prefix) ? prefix : undefined;
    }
    default:
      // get_chat_info is never tagged; an op this table does not know is not guessed at.
      return undefined;
  }
}

/**
 * The `platform` / `botId` keys to write beside `requestId` and `action` for `op`, per the §1.3 table.
 * `botId` is added only when the platform is fronted and its bot id is non-empty; a learned platform
 * that is not fronted is still tagged (the connector decides). An empty object means "write exactly
 * `{type, requestId, action}`".
 */
export function outboundTags(op: string, action: Readonly<Record<string, unknown>>, identities: OutboundIdentities, chats: ChatPlatforms): OutboundTags {
  const platform = resolvePlatform(op, action, identities, chats);
  if (platform === undefined) return {};
  const botId = identities.frontsPlatform(platform) ? nonEmptyString(identities.botIdFor(platform)) : undefined;
  return botId === undefined ? { platform } : { platform, botId };
}

/** The local refusal of `sendForPlatform` for a platform this gateway does not front. */
export interface NotFrontedFailure {
  readonly success: false;
  readonly error: string;
  readonly code: 'not_fronted';
}

/**
 * Check before a `sendForPlatform` (a delivery with no inbound to learn from): null when `platform` is
 * fronted, else the `not_fronted` failure to resolve with at once, writing no frame.
 */
export function sendForPlatformCheck(platform: string, identities: OutboundIdentities): NotFrontedFailure | null {
  if (platform !== '' && identities.frontsPlatform(platform)) return null;
  return { success: false, error: `relay does not front platform ${platform}`, code: 'not_fronted' };
}
