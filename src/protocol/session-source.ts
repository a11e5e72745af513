/**
 * SessionSource: where an inbound message came from (relay-connector-contract.md §7). Parsed from the wire with its defaults
 * and the `scope_id`/`guild_id` alias resolved; serialised back with {@link sessionSourceToWire} in the
 * reference's exact key order.
 * @module
 */
import { z } from 'zod';
import { normalizePlatform } from './platforms.js';
import { idWithEmptyDefaultSchema, optionalIdSchema } from './wire-types.js';
import { parseOrThrow } from './validation.js';

/** Chat kinds named by the contract. Other strings are passed through as they are. */
export const CHAT_TYPES = ['dm', 'group', 'channel', 'thread', 'forum'] as const;

/** Zod schema of a SessionSource's wire form (unknown keys ignored; `is_bot` is never on the wire). */
export const sessionSourceWireSchema = z
  .object({
    platform: z.string().nullish(),
    chat_id: idWithEmptyDefaultSchema,
    chat_type: z
      .string()
      .nullish()
      .transform((value) => (value ? value : 'dm')),
    chat_name: optionalIdSchema,
    user_id: optionalIdSchema,
    user_name: optionalIdSchema,
    thread_id: optionalIdSchema,
    chat_topic: optionalIdSchema,
    user_id_alt: optionalIdSchema,
    chat_id_alt: optionalIdSchema,
    scope_id: optionalIdSchema,
    guild_id: optionalIdSchema,
    parent_chat_id: optionalIdSchema,
    message_id: optionalIdSchema,
    profile: optionalIdSchema,
    prospective_thread_id: optionalIdSchema,
  })
  .transform(({ platform, scope_id, guild_id, ...rest }) => {
    // `guild_id` is the older name of the tenant scope; `scope_id` wins, and both end up equal.
    const scope = scope_id || guild_id || null;
    return { platform: normalizePlatform(platform), ...rest, scope_id: scope, guild_id: scope };
  });

/** A parsed SessionSource. Field names are the wire's; absent optional fields are `null`. */
export interface SessionSource {
  /** A known platform name (unknown names become `relay`). */
  readonly platform: string;
  readonly chat_id: string;
  /** `dm` unless given; see {@link CHAT_TYPES}. */
  readonly chat_type: string;
  readonly chat_name: string | null;
  readonly user_id: string | null;
  readonly user_name: string | null;
  readonly thread_id: string | null;
  readonly chat_topic: string | null;
  readonly user_id_alt: string | null;
  readonly chat_id_alt: string | null;
  /** The tenant scope (Discord guild, Slack workspace). Always equal to `guild_id`. */
  readonly scope_id: string | null;
  /** Older alias of `scope_id`, kept equal to it. */
  readonly guild_id: string | null;
  readonly parent_chat_id: string | null;
  readonly message_id: string | null;
  readonly profile: string | null;
  readonly prospective_thread_id: string | null;
}

/** Input accepted by {@link sessionSourceToWire}: a SessionSource, where only `platform` is required. */
export type SessionSourceInit = { readonly platform: string } & Partial<Omit<SessionSource, 'platform'>>;

/**
 * Parse a SessionSource from its wire form, applying defaults.
 * @throws {ProtocolValidationError} when a field has the wrong type.
 */
export function parseSessionSource(value: unknown): SessionSource {
  return parseOrThrow(sessionSourceWireSchema, value ?? {}, 'session source');
}

/** Build a complete SessionSource from a partial one (tests, the dev connector, conversions). */
export function createSessionSource(init: SessionSourceInit): SessionSource {
  return parseSessionSource(init);
}

const ALWAYS_KEYS = ['chat_id', 'chat_name', 'chat_type', 'user_id', 'user_name', 'thread_id', 'chat_topic'] as const;
const ALT_KEYS = ['user_id_alt', 'chat_id_alt'] as const;
const TRAILING_KEYS = ['parent_chat_id', 'message_id', 'profile', 'prospective_thread_id'] as const;

/**
 * Serialise a SessionSource to its wire form. Key order matters to byte-level comparisons with the
 * reference: `platform`; then always (maybe null) chat_id, chat_name, chat_type, user_id, user_name,
 * thread_id, chat_topic; then the non-empty alt ids; then scope_id and guild_id when there is a scope;
 * then the non-empty parent_chat_id, message_id, profile, prospective_thread_id.
 */
export function sessionSourceToWire(source: SessionSourceInit): Record<string, string | null> {
  const wire: Record<string, string | null> = { platform: source.platform };
  for (const key of ALWAYS_KEYS) wire[key] = source[key] ?? (key === 'chat_type' ? 'dm' : key === 'chat_id' ? '' : null);
  for (const key of ALT_KEYS) {
    const value = source[key];
    if (value) wire[key] = value;
  }
  const scope = source.scope_id || source.guild_id;
  if (scope) {
    wire.scope_id = scope;
    wire.guild_id = scope;
  }
  for (const key of TRAILING_KEYS) {
    const value = source[key];
    if (value) wire[key] = value;
  }
  return wire;
}
