/**
 * Outbound actions (relay-connector-contract.md §8): what the gateway asks the connector to do, carried in
 * `outbound.action`, and the results the connector answers with.
 * @module
 */
import { z } from 'zod';
import {
  LATER_OPS,
  deleteActionSchema,
  draftActionSchema,
  promptActionSchema,
  reactActionSchema,
  sendMediaActionSchema,
  taskCardActionSchema,
  taskCardStopActionSchema,
  threadCreateActionSchema,
  threadRenameActionSchema,
  type LaterAction,
} from './later-op-schemas.js';
import { jsonObjectSchema, type JsonObject } from './wire-types.js';

/** The outbound ops of the base contract (protocol.md §7). */
export const BASE_OPS = ['send', 'edit', 'typing', 'follow_up', 'get_chat_info'] as const;

/** Every outbound op the gateway can write: the base ones, then the later ones (protocol-later §3). */
export const OUTBOUND_OPS = [...BASE_OPS, ...LATER_OPS] as const;

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
  draftActionSchema,
  sendMediaActionSchema,
  promptActionSchema,
  reactActionSchema,
  threadCreateActionSchema,
  threadRenameActionSchema,
  deleteActionSchema,
  taskCardActionSchema,
  taskCardStopActionSchema,
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
/**
 * Actions addressed to a chat: the ones that get tenant scope re-attached (relay-connector-contract.md §8).
 * Every later op is one of them (each carries `chat_id` and `metadata`).
 */
export type ChatAddressedAction = SendAction | EditAction | TypingAction | LaterAction;

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

/** An id the connector may send as a number: kept as its decimal string. Non-finite numbers are not ids. */
function idText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
}

/** A non-empty string, else nothing. */
function nonEmptyText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Result keys the gateway reads itself; every other key goes to {@link SendResult.raw}. */
const READ_RESULT_KEYS: ReadonlySet<string> = new Set(['success', 'message_id', 'error', 'code', 'thread_id', 'auto_thread_name', 'ambiguous']);

/**
 * Wire form of an op result (protocol-later §4), and its reading as a {@link SendResult}.
 * `toSendResult` reads results by hand (it runs on every reply); this schema is the reference reading,
 * kept for the contract document and held equal to `toSendResult` by a property test.
 *
 * - `message_id`: a string or a number (converted to its decimal string); a wrong type makes the whole
 *   result malformed, as does a non-boolean `success` or a non-string `error`.
 * - `code`, `auto_thread_name`: kept when non-empty strings; `thread_id` also when a finite number
 *   (Telegram thread ids are integers). Advisory fields: a wrong type is dropped, not fatal.
 * - `ambiguous`: dropped. Only the gateway knows whether a frame may have been applied without a
 *   definite answer; a connector saying so would switch off the decline classifier.
 * - every other key: kept untouched under `raw` (an own `__proto__` key is dropped, never assigned).
 */
export const actionResultWireSchema = z
  .looseObject({
    success: z.boolean(),
    message_id: z
      .union([z.string(), z.number()])
      .nullish()
      .transform((value) => (value === null || value === undefined ? undefined : String(value))),
    error: z
      .string()
      .nullish()
      .transform((value) => value ?? undefined),
    code: z.unknown().optional().transform(nonEmptyText),
    thread_id: z.unknown().optional().transform(idText),
    auto_thread_name: z.unknown().optional().transform(nonEmptyText),
    ambiguous: z
      .unknown()
      .optional()
      .transform(() => undefined),
  })
  .transform((wire): SendResult => {
    const out: MutableSendResult = { success: wire.success };
    if (wire.message_id !== undefined) out.messageId = wire.message_id;
    if (wire.error !== undefined) out.error = wire.error;
    if (wire.code !== undefined) out.code = wire.code;
    if (wire.thread_id !== undefined) out.threadId = wire.thread_id;
    if (wire.auto_thread_name !== undefined) out.autoThreadName = wire.auto_thread_name;
    for (const key of Object.keys(wire)) {
      if (READ_RESULT_KEYS.has(key)) continue;
      (out.raw ??= {})[key] = wire[key];
    }
    return out;
  });

/** Wire form of the chat info found in a `get_chat_info` result. */
export const chatInfoWireSchema = z.object({
  name: z.string().nullish(),
  type: z.string().nullish(),
});

/** Codes of the failures the transport itself reports (see {@link SendResult.code}). */
export type TransportFailureCode = 'not_connected' | 'closed' | 'timeout' | 'connection_lost' | 'send_failed' | 'not_supported';

/**
 * Every `code` this gateway knows (protocol-later §4): the transport's own, the local refusals, and
 * the connector's `egress_declined`. A result may carry others (see {@link ResultCode}).
 */
export const RESULT_CODES = [
  'not_connected',
  'closed',
  'timeout',
  'connection_lost',
  'send_failed',
  'not_supported',
  'not_fronted',
  'invalid_action',
  'media_unreadable',
  'media_empty',
  'media_too_large',
  'upload_failed',
  'cancelled',
  'egress_declined',
] as const;

/** A code this gateway knows. */
export type KnownResultCode = (typeof RESULT_CODES)[number];

/**
 * The `code` of a result: a {@link KnownResultCode}, or any other string a connector sent (passed on
 * verbatim). The `string & {}` keeps editor completion for the known ones.
 */
export type ResultCode = KnownResultCode | (string & {});

/**
 * Result of an outbound request as the application sees it. Never thrown: transport failures resolve
 * to `success: false` with one of the {@link TRANSPORT_ERRORS} messages.
 */
export interface SendResult {
  readonly success: boolean;
  /** Platform message id (created, edited or sealed), when the connector gave one. */
  readonly messageId?: string;
  /** Why it failed, verbatim; switch on {@link SendResult.code}, never parse this. */
  readonly error?: string;
  /**
   * `true` when the frame was written but its outcome is unknown (timed out, or the connection was
   * lost while waiting): the action may or may not have happened, so retry only if duplicates are fine.
   * Set by the gateway only; a connector's `ambiguous` key is dropped.
   */
  readonly ambiguous?: boolean;
  /**
   * Stable code of a failure (switch on this, not on `error`): the transport's own
   * ({@link TransportFailureCode}), a local refusal (`not_supported`, `not_fronted`, `invalid_action`,
   * `media_*`, `upload_failed`, `cancelled`), or the connector's (`egress_declined`, or any other).
   */
  readonly code?: ResultCode;
  /** `send`: the thread the connector put the reply in; `thread_create`: the new thread. */
  readonly threadId?: string;
  /** `send`: with {@link SendResult.threadId}, the name of the thread the connector opened for the reply. */
  readonly autoThreadName?: string;
  /** Result keys this gateway does not read, untouched (absent when there are none). */
  readonly raw?: JsonObject;
}

/** {@link SendResult} while it is being built. */
type MutableSendResult = { -readonly [K in keyof SendResult]: SendResult[K] } & { raw?: JsonObject };

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

/** The `error` of a result that breaks the contract (no boolean `success`, or a bad `message_id`/`error`). */
export const MALFORMED_RESULT_ERROR = 'relay result malformed: expected {success: boolean}';

/**
 * Interpret a raw `outbound_result.result` (protocol-later §4) the way {@link actionResultWireSchema}
 * does. A result that does not match the contract is a failure naming the problem, never an exception.
 */
export function toSendResult(result: JsonObject): SendResult {
  // Every reply pays for this, so it is one pass over the keys with no intermediate objects; `raw`
  // is allocated only when the connector sent a key we do not read. A property test holds this
  // equal to the schema reading.
  let success: unknown;
  let messageId: unknown;
  let error: unknown;
  let code: unknown;
  let threadId: unknown;
  let autoThreadName: unknown;
  let raw: JsonObject | undefined;
  for (const key in result) {
    const value = result[key];
    switch (key) {
      case 'success':
        success = value;
        break;
      case 'message_id':
        messageId = value;
        break;
      case 'error':
        error = value;
        break;
      case 'code':
        code = value;
        break;
      case 'thread_id':
        threadId = value;
        break;
      case 'auto_thread_name':
        autoThreadName = value;
        break;
      case 'ambiguous':
        // Dropped: only the gateway may call an outcome ambiguous (protocol-later §4).
        break;
      case '__proto__':
        // Assigning it would replace raw's prototype; the schema drops it too.
        break;
      default:
        (raw ??= {})[key] = value;
    }
  }
  const validMessageId = messageId === undefined || messageId === null || typeof messageId === 'string' || (typeof messageId === 'number' && Number.isFinite(messageId));
  const validError = error === undefined || error === null || typeof error === 'string';
  if (typeof success !== 'boolean' || !validMessageId || !validError) return { success: false, error: MALFORMED_RESULT_ERROR };
  const out: MutableSendResult = { success };
  // Checked above: a string or a finite number.
  if (typeof messageId === 'string' || typeof messageId === 'number') out.messageId = String(messageId);
  if (typeof error === 'string') out.error = error;
  const codeText = nonEmptyText(code);
  if (codeText !== undefined) out.code = codeText;
  const thread = idText(threadId);
  if (thread !== undefined) out.threadId = thread;
  const threadName = nonEmptyText(autoThreadName);
  if (threadName !== undefined) out.autoThreadName = threadName;
  if (raw !== undefined) out.raw = raw;
  return out;
}

/**
 * The thread a `thread_create` opened (protocol-later §3.5): `thread_id`, else `message_id`; `null`
 * on failure (a decline included) or when the connector named neither.
 */
export function toThreadCreateResult(result: SendResult): string | null {
  if (result.success !== true) return null;
  return result.threadId ?? result.messageId ?? null;
}

/**
 * The thread a `send` was put in by the connector (protocol-later §3.8): both `thread_id` and
 * `auto_thread_name` are needed, else `null`.
 */
export function toAutoThread(result: SendResult): { readonly threadId: string; readonly autoThreadName: string } | null {
  if (result.success !== true || result.threadId === undefined || result.autoThreadName === undefined) return null;
  return { threadId: result.threadId, autoThreadName: result.autoThreadName };
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
