/**
 * The MessageEvent wire object carried by `inbound` frames (relay-connector-contract.md §7).
 * @module
 */
import { z } from 'zod';
import { sessionSourceToWire, sessionSourceWireSchema, type SessionSource, type SessionSourceInit } from './session-source.js';
import { readPromptResponse, type InboundPromptResponse, type PromptResponseWire } from './prompt-response.js';
import { optionalIdSchema } from './wire-types.js';
import { parseOrThrow } from './validation.js';

/** Message types named by the contract. Any other value on the wire becomes `text`. */
export const MESSAGE_TYPES = ['text', 'command', 'photo', 'voice', 'audio', 'video', 'document', 'sticker', 'location'] as const;

/** A known message type. */
export type MessageType = (typeof MESSAGE_TYPES)[number];

const MESSAGE_TYPE_SET: ReadonlySet<string> = new Set(MESSAGE_TYPES);

/**
 * Zod schema of the inbound event's wire form. Unknown keys are stripped: custody traces such as
 * `owner_id` (protocol-later §7) are accepted and ignored.
 */
export const inboundEventWireSchema = z.object({
  text: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  message_type: z
    .unknown()
    .optional()
    .transform((value): MessageType => (typeof value === 'string' && MESSAGE_TYPE_SET.has(value) ? (value as MessageType) : 'text')),
  message_id: optionalIdSchema,
  reply_to_message_id: optionalIdSchema,
  media_urls: z
    .array(z.string())
    .nullish()
    .transform((value) => value ?? []),
  source: sessionSourceWireSchema.nullish().transform((value) => value ?? sessionSourceWireSchema.parse({})),
  // Lenient on purpose: a broken answer to a prompt is consumed with a warning, not a bad frame.
  prompt_response: z.unknown().optional().transform(readPromptResponse),
});

/** A normalized inbound chat event, as handed to the application. Field names are the wire's. */
export interface MessageEvent {
  readonly text: string;
  readonly message_type: MessageType;
  readonly message_id: string | null;
  readonly reply_to_message_id: string | null;
  readonly media_urls: readonly string[];
  readonly source: SessionSource;
  /**
   * Present when the event is a press on a prompt button (protocol-later §3.3): the gateway consumes
   * such an event itself, and its `text`/`message_type` mean nothing. A response the gateway cannot
   * use is `{malformed}`, never a parse error. Absent when the wire has no `prompt_response` key; a
   * `null` on the wire leaves the key present but `undefined`.
   */
  readonly prompt_response?: InboundPromptResponse;
}

/** Input accepted by {@link inboundEventToWire}. */
export interface MessageEventInit {
  readonly text?: string;
  readonly message_type?: MessageType;
  readonly message_id?: string | null;
  readonly reply_to_message_id?: string | null;
  readonly media_urls?: readonly string[];
  readonly source: SessionSourceInit;
  /** Written only when given. */
  readonly prompt_response?: PromptResponseWire;
}

/**
 * Parse an inbound event from its wire form, applying defaults.
 * @throws {ProtocolValidationError} when a field has the wrong type.
 */
export function parseInboundEvent(value: unknown): MessageEvent {
  return parseOrThrow(inboundEventWireSchema, value, 'inbound event');
}

/** Serialise an event to its wire form (used by connectors, including the dev connector). */
export function inboundEventToWire(event: MessageEventInit): Record<string, unknown> {
  return {
    text: event.text ?? '',
    message_type: event.message_type ?? 'text',
    message_id: event.message_id ?? null,
    reply_to_message_id: event.reply_to_message_id ?? null,
    media_urls: [...(event.media_urls ?? [])],
    source: sessionSourceToWire(event.source),
    ...(event.prompt_response ? { prompt_response: { ...event.prompt_response } } : {}),
  };
}
