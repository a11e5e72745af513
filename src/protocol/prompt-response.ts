/**
 * The `prompt_response` an inbound event may carry (protocol-later §3.3): a press on a button of a
 * `prompt` the gateway sent. Read leniently: a response with a missing or mistyped required field is
 * still a response (the gateway consumes it with a warning), so it must never make the whole
 * `inbound` frame invalid and reach the reader as a bad frame, nor fall through to the chat handler.
 * @module
 */
import { z } from 'zod';
import { PROMPT_CALLBACK_PREFIX } from './later-op-schemas.js';
import { describeReceived } from './validation.js';

/** A well-formed prompt response. Field names are the wire's. */
export interface PromptResponseWire {
  /** The prompt's id (`<nonce>.<suffix>` when this gateway minted it). */
  readonly prompt_id: string;
  /** The id of the option pressed. */
  readonly option_id: string;
  /** The pressed button's label, when the connector knows it. */
  readonly label?: string;
  /** The id of the message that showed the prompt, when known. */
  readonly prompt_message_id?: string;
}

/** A prompt response the gateway cannot use; `malformed` says which field and why. */
export interface MalformedPromptResponse {
  readonly malformed: string;
}

/** What {@link readPromptResponse} makes of a present `prompt_response`. */
export type InboundPromptResponse = PromptResponseWire | MalformedPromptResponse;

/** Whether a read prompt response is unusable. */
export function isMalformedPromptResponse(response: InboundPromptResponse): response is MalformedPromptResponse {
  return 'malformed' in response;
}

/**
 * Zod schema of a well-formed `prompt_response` (used by the contract conformance test and as the
 * reference reading of {@link readPromptResponse}, which a property test holds equal to it on every
 * input it accepts).
 */
export const promptResponseWireSchema = z.object({
  prompt_id: z.string().min(1),
  option_id: z.string().min(1),
  label: z
    .string()
    .nullish()
    .transform((value) => value ?? undefined),
  prompt_message_id: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((value) => (value === null || value === undefined || value === '' ? undefined : String(value))),
});

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Read a `prompt_response` value. `undefined` and `null` mean the event carries none. Otherwise:
 * `prompt_id` and `option_id` must be non-empty strings (no id the gateway mints is empty, and an
 * empty one would be answered with a "no longer waiting" notice for a prompt that never existed),
 * else the result is {@link MalformedPromptResponse}; `label` is kept when a string, and
 * `prompt_message_id` when a non-empty string or a finite number (as its decimal string); other
 * values of those two optional fields are dropped rather than spoiling a usable answer.
 */
export function readPromptResponse(value: unknown): InboundPromptResponse | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) return { malformed: `prompt_response: expected an object, received ${describeReceived(value)}` };
  const promptId = value.prompt_id;
  if (typeof promptId !== 'string' || promptId === '') return { malformed: `prompt_response.prompt_id: expected a non-empty string, received ${describeReceived(promptId)}` };
  const optionId = value.option_id;
  if (typeof optionId !== 'string' || optionId === '') return { malformed: `prompt_response.option_id: expected a non-empty string, received ${describeReceived(optionId)}` };
  const response: { -readonly [K in keyof PromptResponseWire]: PromptResponseWire[K] } = { prompt_id: promptId, option_id: optionId };
  const label = value.label;
  if (typeof label === 'string') response.label = label;
  const messageId = value.prompt_message_id;
  if (typeof messageId === 'string' && messageId !== '') response.prompt_message_id = messageId;
  else if (typeof messageId === 'number' && Number.isFinite(messageId)) response.prompt_message_id = String(messageId);
  return response;
}

/** The two ids carried by a prompt button's callback payload. */
export interface PromptCallback {
  readonly promptId: string;
  readonly optionId: string;
}

const CALLBACK_PREFIX = `${PROMPT_CALLBACK_PREFIX}:`;

/**
 * Decode a button callback payload `hp1:<prompt_id>:<option_id>`, split at the first two `:` (so an
 * option id may itself hold `:`). `undefined` when the payload is not of this format at all (an
 * ordinary button); {@link MalformedPromptResponse} when it starts `hp1:` but lacks either id, since
 * it is still a press on one of our prompts and must not be delivered as chat text.
 */
export function parsePromptCallbackData(data: string): PromptCallback | MalformedPromptResponse | undefined {
  if (!data.startsWith(CALLBACK_PREFIX)) return undefined;
  const rest = data.slice(CALLBACK_PREFIX.length);
  const split = rest.indexOf(':');
  const promptId = split < 0 ? rest : rest.slice(0, split);
  const optionId = split < 0 ? '' : rest.slice(split + 1);
  if (promptId === '' || optionId === '') return { malformed: `custom_id: expected hp1:<prompt_id>:<option_id>, received ${describeReceived(data)}` };
  return { promptId, optionId };
}
