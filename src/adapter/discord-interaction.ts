/**
 * Discord interactions forwarded by the connector (relay-connector-contract.md §12) as MessageEvents. The connector already
 * verified the request; this module only reads it, and never throws, whatever the body holds.
 *
 * A press on a button of one of our prompts (`custom_id` = `hp1:<prompt_id>:<option_id>`) becomes an
 * event carrying a `prompt_response`, exactly like the one a connector builds on other platforms, so
 * the gateway consumes it instead of handing the raw payload to the chat handler as text.
 * @module
 */
import { createSessionSource } from '../protocol/session-source.js';
import type { MessageEvent } from '../protocol/inbound-event.js';
import { decodeForwardBody, type PassthroughForward } from '../protocol/passthrough.js';
import { parsePromptCallbackData, type InboundPromptResponse, type PromptResponseWire } from '../protocol/prompt-response.js';

/** Outcome of {@link discordInteractionToEvent}. */
export type DiscordConversion =
  | { readonly ok: true; readonly event: MessageEvent }
  | { readonly ok: false; readonly reason: 'not-discord' | 'body-not-json' | 'body-not-json-object' };

type Json = Record<string, unknown>;

/** Discord channel types that are threads (announcement, public and private threads). */
const THREAD_CHANNEL_TYPES: ReadonlySet<unknown> = new Set([10, 11, 12]);
const APPLICATION_COMMAND = 2;
const MESSAGE_COMPONENT = 3;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
const firstNonEmpty = (...values: unknown[]): string | undefined => {
  for (const value of values) if (typeof value === 'string' && value !== '') return value;
  return undefined;
};

/** Options render as: a sub-command (group) contributes its name then its own options; a scalar its trimmed value. */
function renderOptions(options: unknown, parts: string[], depth = 0): void {
  if (!Array.isArray(options) || depth > 8) return;
  for (const option of options) {
    if (!isObject(option)) continue;
    if (Array.isArray(option.options)) {
      const name = text(option.name);
      if (name) parts.push(name);
      renderOptions(option.options, parts, depth + 1);
    } else if ('value' in option) {
      const value = option.value;
      const rendered = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value).trim() : '';
      if (rendered !== '') parts.push(rendered);
    }
  }
}

function commandText(interaction: Json): { text: string; messageType: 'command' | 'text' } {
  const data = isObject(interaction.data) ? interaction.data : {};
  if (interaction.type === APPLICATION_COMMAND) {
    const parts = [`/${text(data.name) ?? ''}`];
    renderOptions(data.options, parts);
    return { text: parts.join(' '), messageType: 'command' };
  }
  if (interaction.type === MESSAGE_COMPONENT) return { text: text(data.custom_id) ?? '', messageType: 'text' };
  return { text: '', messageType: 'text' };
}

/**
 * Find the label of the button whose `custom_id` is `customId` in a message's component rows. The
 * interaction itself does not carry it; the message the button sits on does. Bounded: action rows
 * hold at most 5 components, and only two levels (rows, then components) are searched.
 */
function buttonLabel(message: Json | undefined, customId: string): string | undefined {
  const rows = message?.components;
  if (!Array.isArray(rows)) return undefined;
  for (const row of rows.slice(0, 10)) {
    const components = isObject(row) ? row.components : undefined;
    if (!Array.isArray(components)) continue;
    for (const component of components.slice(0, 25)) {
      if (isObject(component) && component.custom_id === customId && typeof component.label === 'string') return component.label;
    }
  }
  return undefined;
}

/** The prompt response of a component interaction on one of our prompt buttons, else undefined. */
function promptResponseOf(interaction: Json): InboundPromptResponse | undefined {
  if (interaction.type !== MESSAGE_COMPONENT) return undefined;
  const data = isObject(interaction.data) ? interaction.data : {};
  const customId = data.custom_id;
  if (typeof customId !== 'string') return undefined;
  const callback = parsePromptCallbackData(customId);
  if (callback === undefined || 'malformed' in callback) return callback;
  const message = isObject(interaction.message) ? interaction.message : undefined;
  const response: { -readonly [K in keyof PromptResponseWire]: PromptResponseWire[K] } = { prompt_id: callback.promptId, option_id: callback.optionId };
  const label = buttonLabel(message, customId);
  if (label !== undefined) response.label = label;
  // The message that shows the prompt (the one the button is on), not the interaction's own id.
  const promptMessageId = text(message?.id);
  if (promptMessageId) response.prompt_message_id = promptMessageId;
  return response;
}

/** Convert a forwarded Discord interaction into a MessageEvent. */
export function discordInteractionToEvent(forward: PassthroughForward): DiscordConversion {
  if (forward.platform !== 'discord') return { ok: false, reason: 'not-discord' };
  let body: unknown;
  try {
    body = JSON.parse(decodeForwardBody(forward).toString('utf8'));
  } catch {
    return { ok: false, reason: 'body-not-json' };
  }
  if (!isObject(body)) return { ok: false, reason: 'body-not-json-object' };

  const member = isObject(body.member) ? body.member : undefined;
  const user = isObject(member?.user) ? member.user : isObject(body.user) ? body.user : {};
  const guildId = text(body.guild_id) || undefined;
  const channelId = text(body.channel_id) ?? '';
  const channel = isObject(body.channel) ? body.channel : {};
  const inThread = guildId !== undefined && THREAD_CHANNEL_TYPES.has(channel.type);
  const interactionId = text(body.id) ?? null;
  const promptResponse = promptResponseOf(body);
  // A prompt press carries its meaning in prompt_response; the hp1 payload is not chat text.
  const { text: content, messageType } = promptResponse ? { text: '', messageType: 'text' as const } : commandText(body);

  const source = createSessionSource({
    platform: 'discord',
    chat_id: channelId,
    chat_type: inThread ? 'thread' : guildId ? 'group' : 'dm',
    user_id: text(user.id) ?? null,
    user_name: firstNonEmpty(member?.nick, user.global_name, user.username) ?? null,
    thread_id: inThread ? channelId : null,
    parent_chat_id: inThread ? (text(channel.parent_id) ?? null) : null,
    scope_id: guildId ?? null,
    message_id: interactionId,
    profile: forward.profile ?? null,
  });
  return {
    ok: true,
    event: {
      text: content,
      message_type: messageType,
      message_id: interactionId,
      reply_to_message_id: null,
      media_urls: [],
      source,
      ...(promptResponse ? { prompt_response: promptResponse } : {}),
    },
  };
}
