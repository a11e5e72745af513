/**
 * Discord interactions forwarded by the connector (relay-connector-contract.md §12) as MessageEvents. The connector already
 * verified the request; this module only reads it, and never throws, whatever the body holds.
 * @module
 */
import { createSessionSource } from '../protocol/session-source.js';
import type { MessageEvent } from '../protocol/inbound-event.js';
import { decodeForwardBody, type PassthroughForward } from '../protocol/passthrough.js';

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
  const { text: content, messageType } = commandText(body);

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
    event: { text: content, message_type: messageType, message_id: interactionId, reply_to_message_id: null, media_urls: [], source },
  };
}
