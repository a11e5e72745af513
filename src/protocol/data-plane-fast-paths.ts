/**
 * Hand-written parsers for well-formed `inbound` and `outbound_result` frames, the two frame types
 * that arrive at data plane rates. They produce what the zod schemas produce (same values, same key
 * order; property tests hold the two together) at a fraction of the cost, and give up (`undefined`)
 * on anything unusual, so the zod schemas still decide, and word the error for, every frame that is
 * not plainly valid.
 * @module
 */
import type { InboundFrame, OutboundResultFrame } from './frames.js';
import { MESSAGE_TYPES, type MessageEvent, type MessageType } from './inbound-event.js';
import { normalizePlatform } from './platforms.js';
import { readPromptResponse, type InboundPromptResponse } from './prompt-response.js';
import type { SessionSource } from './session-source.js';

const MESSAGE_TYPE_SET: ReadonlySet<unknown> = new Set(MESSAGE_TYPES);

// Marks "not plainly valid"; a symbol, so no JSON value can be mistaken for it.
const GIVE_UP: unique symbol = Symbol('give up');
type GiveUp = typeof GIVE_UP;

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An optional id: string kept, finite number as its decimal string, null/absent as null. */
function optionalId(value: unknown): string | null | GiveUp {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return null;
  // zod's number() refuses Infinity (JSON's 1e400); let it word that error.
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return GIVE_UP;
}

function nullableString(value: unknown): string | null | undefined | GiveUp {
  return typeof value === 'string' || value === null || value === undefined ? value : GIVE_UP;
}

function sessionSource(wire: Readonly<Record<string, unknown>>): SessionSource | undefined {
  const platform = nullableString(wire.platform);
  const chatType = nullableString(wire.chat_type);
  const chatId = optionalId(wire.chat_id);
  const chatName = optionalId(wire.chat_name);
  const userId = optionalId(wire.user_id);
  const userName = optionalId(wire.user_name);
  const threadId = optionalId(wire.thread_id);
  const chatTopic = optionalId(wire.chat_topic);
  const userIdAlt = optionalId(wire.user_id_alt);
  const chatIdAlt = optionalId(wire.chat_id_alt);
  const scopeId = optionalId(wire.scope_id);
  const guildId = optionalId(wire.guild_id);
  const parentChatId = optionalId(wire.parent_chat_id);
  const messageId = optionalId(wire.message_id);
  const profile = optionalId(wire.profile);
  const prospectiveThreadId = optionalId(wire.prospective_thread_id);
  if (
    platform === GIVE_UP ||
    chatType === GIVE_UP ||
    chatId === GIVE_UP ||
    chatName === GIVE_UP ||
    userId === GIVE_UP ||
    userName === GIVE_UP ||
    threadId === GIVE_UP ||
    chatTopic === GIVE_UP ||
    userIdAlt === GIVE_UP ||
    chatIdAlt === GIVE_UP ||
    scopeId === GIVE_UP ||
    guildId === GIVE_UP ||
    parentChatId === GIVE_UP ||
    messageId === GIVE_UP ||
    profile === GIVE_UP ||
    prospectiveThreadId === GIVE_UP
  ) {
    return undefined;
  }
  // `scope_id` wins over its older alias `guild_id`; both come out equal (as in the schema).
  const scope = scopeId || guildId || null;
  return {
    platform: normalizePlatform(platform),
    chat_id: chatId ?? '',
    chat_type: chatType ? chatType : 'dm',
    chat_name: chatName,
    user_id: userId,
    user_name: userName,
    thread_id: threadId,
    chat_topic: chatTopic,
    user_id_alt: userIdAlt,
    chat_id_alt: chatIdAlt,
    parent_chat_id: parentChatId,
    message_id: messageId,
    profile,
    prospective_thread_id: prospectiveThreadId,
    scope_id: scope,
    guild_id: scope,
  };
}

function mediaUrls(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const urls: string[] = new Array<string>(value.length);
  for (let i = 0; i < value.length; i++) {
    const url: unknown = value[i];
    if (typeof url !== 'string') return undefined;
    urls[i] = url;
  }
  return urls;
}

/**
 * Parse a decoded `inbound` frame without zod when it is plainly valid.
 * @param raw - a decoded frame whose `type` is `inbound`
 * @returns the parsed frame, identical to the zod schema's output; `undefined` when the frame has
 *   any field the fast path does not vouch for (the caller then parses it with zod)
 */
export function parseInboundFrameFast(raw: Readonly<Record<string, unknown>>): InboundFrame | undefined {
  const wire = raw.event;
  if (!isRecord(wire)) return undefined;
  const bufferId = nullableString(raw.bufferId);
  const text = nullableString(wire.text);
  const messageId = optionalId(wire.message_id);
  const replyTo = optionalId(wire.reply_to_message_id);
  if (bufferId === GIVE_UP || text === GIVE_UP || messageId === GIVE_UP || replyTo === GIVE_UP) return undefined;
  const media = mediaUrls(wire.media_urls);
  if (!media) return undefined;
  const sourceWire = wire.source ?? {};
  if (!isRecord(sourceWire)) return undefined;
  const source = sessionSource(sourceWire);
  if (!source) return undefined;
  const messageType: unknown = wire.message_type;
  const event: MessageEvent & { prompt_response?: InboundPromptResponse } = {
    text: text ?? '',
    message_type: MESSAGE_TYPE_SET.has(messageType) ? (messageType as MessageType) : 'text',
    message_id: messageId,
    reply_to_message_id: replyTo,
    media_urls: media,
    source,
  };
  // As in the schema: no key without one on the wire; a present key (even `null`) stays, maybe undefined.
  // Other keys (`owner_id`, custody traces) are ignored, as the schema strips them.
  if ('prompt_response' in wire) event.prompt_response = readPromptResponse(wire.prompt_response);
  // Like the schema, an absent bufferId leaves no key behind; a present one is kept, maybe undefined.
  // A top-level `delivery_id` (protocol-later §7) is never read.
  if (bufferId === undefined) return { type: 'inbound', event } as InboundFrame;
  return { type: 'inbound', event, bufferId: bufferId ? bufferId : undefined };
}

/**
 * Parse a decoded `outbound_result` frame without zod when it is plainly valid.
 * @param raw - a decoded frame whose `type` is `outbound_result`
 * @returns the parsed frame (its `result` is the decoded object itself, not a copy: nobody else
 *   holds it); `undefined` to let zod decide
 */
export function parseOutboundResultFrameFast(raw: Readonly<Record<string, unknown>>): OutboundResultFrame | undefined {
  const requestId = raw.requestId;
  if (typeof requestId !== 'string') return undefined;
  const result = raw.result;
  if (result === undefined || result === null) return { type: 'outbound_result', requestId, result: {} };
  // zod's record copies into a plain object and drops an own `__proto__` key; leave any result that
  // is not already such a plain object (JSON.parse only makes plain ones) to it.
  if (!isRecord(result) || Object.getPrototypeOf(result) !== Object.prototype || Object.hasOwn(result, '__proto__')) return undefined;
  return { type: 'outbound_result', requestId, result };
}
