/**
 * Outbound actions (relay-connector-contract.md §8): what the gateway asks the connector to do, carried in
 * `outbound.action`, and the results the connector answers with.
 * @module
 */
import { z } from 'zod';
import { jsonObjectSchema, type JsonObject } from './wire-types.js';

/** The outbound operations of contract version 1. */
export const OUTBOUND_OPS = ['send', 'edit', 'typing', 'follow_up', 'get_chat_info'] as const;

/** An outbound operation name. */
export type OutboundOp = (typeof OUTBOUND_OPS)[number];

/** `send`: post a message. `reply_to` and `metadata` are always present on the wire. */
export const sendActionSchema = z.object({
  op: z.literal('send'),
  chat_id: z.string(),
  content: z.string(),
  reply_to: z.string().nullable(),
  metadata: jsonObjectSchema,
});

/** `edit`: replace the content of a message sent earlier. */
export const editActionSchema = z.object({
  op: z.literal('edit'),
  chat_id: z.string(),
  message_id: z.string(),
  content: z.string(),
  metadata: jsonObjectSchema,
});

/** `typing`: show a typing indicator. */
export const typingActionSchema = z.object({
  op: z.literal('typing'),
  chat_id: z.string(),
  metadata: jsonObjectSchema,
});

/**
 * `follow_up`: a late reply through a platform mechanism keyed by the session (e.g. a Discord
 * interaction token the connector holds). Exactly these keys: the gateway never sees the token.
 */
export const followUpActionSchema = z.strictObject({
  op: z.literal('follow_up'),
  session_key: z.string(),
  kind: z.string(),
  content: z.string(),
  metadata: jsonObjectSchema,
});

/** `get_chat_info`: look up a chat's name and type. */
export const getChatInfoActionSchema = z.object({
  op: z.literal('get_chat_info'),
  chat_id: z.string(),
});

/** Any outbound action. */
export const outboundActionSchema = z.discriminatedUnion('op', [
  sendActionSchema,
  editActionSchema,
  typingActionSchema,
  followUpActionSchema,
  getChatInfoActionSchema,
]);

/** A `send` action. */
export type SendAction = z.infer<typeof sendActionSchema>;
/** An `edit` action. */
export type EditAction = z.infer<typeof editActionSchema>;
/** A `typing` action. */
export type TypingAction = z.infer<typeof typingActionSchema>;
/** A `follow_up` action. */
export type FollowUpAction = z.infer<typeof followUpActionSchema>;
/** A `get_chat_info` action. */
export type GetChatInfoAction = z.infer<typeof getChatInfoActionSchema>;
/** Any outbound action. */
export type OutboundAction = z.infer<typeof outboundActionSchema>;
/** Actions addressed to a chat: the ones that get tenant scope re-attached (relay-connector-contract.md §8). */
export type ChatAddressedAction = SendAction | EditAction | TypingAction;

/** Build a `send` action; `reply_to` defaults to `null` and `metadata` to `{}` so both keys are always present. */
export function sendAction(chatId: string, content: string, options: { replyTo?: string | null; metadata?: JsonObject } = {}): SendAction {
  return { op: 'send', chat_id: chatId, content, reply_to: options.replyTo ?? null, metadata: { ...options.metadata } };
}

/** Build an `edit` action. */
export function editAction(chatId: string, messageId: string, content: string, options: { metadata?: JsonObject } = {}): EditAction {
  return { op: 'edit', chat_id: chatId, message_id: messageId, content, metadata: { ...options.metadata } };
}

/** Build a `typing` action. */
export function typingAction(chatId: string, options: { metadata?: JsonObject } = {}): TypingAction {
  return { op: 'typing', chat_id: chatId, metadata: { ...options.metadata } };
}

/** Build a `follow_up` action (exactly `op, session_key, kind, content, metadata`). */
export function followUpAction(sessionKey: string, kind: string, content: string, metadata?: JsonObject): FollowUpAction {
  return { op: 'follow_up', session_key: sessionKey, kind, content, metadata: { ...metadata } };
}

/** Build a `get_chat_info` action. */
export function getChatInfoAction(chatId: string): GetChatInfoAction {
  return { op: 'get_chat_info', chat_id: chatId };
}

/** Wire form of a `send`/`edit`/`typing`/`follow_up` result (unknown keys ignored). */
export const actionResultWireSchema = z.object({
  success: z.boolean(),
  message_id: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((value) => (value === null || value === undefined ? undefined : String(value))),
  error: z
    .string()
    .nullish()
    .transform((value) => value ?? undefined),
});

/** Wire form of the chat info found in a `get_chat_info` result. */
export const chatInfoWireSchema = z.object({
  name: z.string().nullish(),
  type: z.string().nullish(),
});

/**
 * Result of an outbound request as the application sees it. Never thrown: transport failures resolve
 * to `success: false` with one of the {@link TRANSPORT_ERRORS} messages.
 */
export interface SendResult {
  readonly success: boolean;
  /** Platform message id, when the connector gave one. */
  readonly messageId?: string;
  /** Why it failed. */
  readonly error?: string;
  /**
   * `true` when the frame was written but its outcome is unknown (timed out, or the connection was
   * lost while waiting): the action may or may not have happened, so retry only if duplicates are fine.
   */
  readonly ambiguous?: boolean;
  /**
   * Stable code of a failure the gateway itself reports (switch on this, not on `error`):
   * `not_connected`, `closed`, `timeout`, `connection_lost`, `send_failed`, `not_supported`.
   */
  readonly code?: TransportFailureCode;
}

/** Codes of the failures the transport itself reports (see {@link SendResult.code}). */
export type TransportFailureCode = 'not_connected' | 'closed' | 'timeout' | 'connection_lost' | 'send_failed' | 'not_supported';

/** Projected chat info (relay-connector-contract.md §8). */
export interface ChatInfo {
  /** Chat name; the chat id when the connector does not know one. */
  readonly name: string;
  /** Chat type; `dm` when unknown. */
  readonly type: string;
}

/** The exact `error` strings of transport-level failures (relay-connector-contract.md §8). */
export const TRANSPORT_ERRORS = Object.freeze({
  notConnected: 'relay transport not connected',
  closed: 'relay transport closed',
  timedOut: 'relay outbound timed out',
  connectionLost: 'relay transport connection lost',
  /** Prefix; the reason follows. */
  sendFailed: 'relay send failed: ',
  notSupported: 'Not supported',
} as const);

/**
 * Interpret a raw `outbound_result.result` for `send`/`edit`/`typing`/`follow_up`. A result that does
 * not match the contract is a failure naming the problem, never an exception.
 */
export function toSendResult(result: JsonObject): SendResult {
  // Every send pays for this, so the result is read by hand rather than through
  // `actionResultWireSchema`; a property test holds the two readings equal.
  const { success, message_id: messageId, error } = result;
  const validMessageId = messageId === undefined || messageId === null || typeof messageId === 'string' || (typeof messageId === 'number' && Number.isFinite(messageId));
  const validError = error === undefined || error === null || typeof error === 'string';
  if (typeof success !== 'boolean' || !validMessageId || !validError) return { success: false, error: 'relay result malformed: expected {success: boolean}' };
  return {
    success,
    ...(messageId !== undefined && messageId !== null ? { messageId: String(messageId) } : {}),
    ...(typeof error === 'string' ? { error } : {}),
  };
}

/** Project a raw `get_chat_info` result: info is `result.chat_info` when present, else `result`. */
export function toChatInfo(result: JsonObject, chatId: string): ChatInfo {
  const inner = result.chat_info;
  const info = inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? inner : result;
  const parsed = chatInfoWireSchema.safeParse(info);
  const name = parsed.success ? parsed.data.name : undefined;
  const type = parsed.success ? parsed.data.type : undefined;
  return { name: name ?? chatId, type: type ?? 'dm' };
}
