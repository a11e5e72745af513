/**
 * The control language of `relay-gateway dev-connector`: one command per stdin line, either a JSON
 * object (`{"op":"inbound","chatId":"c1","text":"hi"}`, for scripts) or a short text form
 * (`say c1 hi`, for people). Both parse to the same {@link ControlCommand}; bad lines become errors
 * that name the field, never exceptions. Besides pushing traffic and breaking links, it drives the
 * later protocol: messages from a named platform (`send telegram c1 hi`), prompt button presses,
 * egress declines per chat, and a look at the identities each link announced.
 * @module
 */
import { z } from 'zod';
import { RELAY_PLATFORM_EXPECTED, isRelayPlatformName } from '../config/relay-settings.js';
import { CHAT_TYPES } from '../protocol/session-source.js';
import { toValidationIssues } from '../protocol/validation.js';

const id = z.string().trim().min(1, { message: 'expected a non-empty string' });
/** A platform as a hello names it (the descriptor and the gateway's learning key on it exactly). */
const platform = z.string().refine(isRelayPlatformName, { message: `expected ${RELAY_PLATFORM_EXPECTED}` });

/** Schema of a JSON control line. */
export const controlCommandSchema = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('inbound'),
    /** The platform the message comes from. @default the dev connector's default platform */
    platform: platform.optional(),
    chatId: id,
    text: z.string(),
    userId: id.optional(),
    chatType: z.enum(CHAT_TYPES).optional(),
    gatewayId: id.optional(),
  }),
  z.strictObject({ op: z.literal('interrupt'), chatId: id, userId: id.optional(), gatewayId: id.optional() }),
  z.strictObject({ op: z.literal('drop') }),
  z.strictObject({
    op: z.literal('close'),
    code: z.number().int().min(1000, { message: 'expected a close code from 1000 to 4999' }).max(4999, { message: 'expected a close code from 1000 to 4999' }),
    reason: z.string().max(120).optional(),
  }),
  z.strictObject({ op: z.literal('revoke'), gatewayId: id.optional() }),
  z.strictObject({ op: z.literal('restore'), gatewayId: id.optional() }),
  z.strictObject({ op: z.literal('status') }),
  z.strictObject({ op: z.literal('help') }),
  z.strictObject({ op: z.literal('press'), promptId: id, optionId: id, userId: id.optional() }),
  z.strictObject({ op: z.literal('decline'), chatId: id }),
  z.strictObject({ op: z.literal('undecline'), chatId: id }),
  z.strictObject({ op: z.literal('identities') }),
  z.strictObject({ op: z.literal('wake'), gatewayId: id.optional() }),
]);

/** A parsed control command. */
export type ControlCommand = z.infer<typeof controlCommandSchema>;

/** Result of parsing one control line. */
export type ControlParse = { readonly ok: true; readonly command: ControlCommand } | { readonly ok: false; readonly error: string } | { readonly ok: 'empty' };

/** Help text for people typing at the prompt. */
export const CONTROL_HELP = [
  'say <chatId> <text...>        push an inbound message (buffered if the gateway is idle)',
  'send <platform> <chatId> <text...>  the same, from a named platform (e.g. send discord dc-1 hi)',
  'press <promptId> <optionId>   press a button of a prompt the gateway sent (a prompt_response)',
  'decline <chatId>              answer every outbound op into that chat with egress_declined',
  'undecline <chatId>            undo decline',
  'identities                    descriptors per platform, and the hellos of each open link',
  'wake [gatewayId]              nothing to do: a dormant gateway redials by itself; shows what waits for it',
  'interrupt <chatId>            send interrupt_inbound for that chat\'s session',
  'drop                          drop the TCP link without a close frame',
  'close <code> [reason...]      close the link with a code (e.g. close 1012 restart)',
  'revoke [gatewayId]            revoke the credential (close 4401, refuse from now on)',
  'restore [gatewayId]           undo revoke',
  'status                        links, buffered entries, received frames',
  'JSON works too: {"op":"inbound","chatId":"c1","text":"hi"}',
].join('\n');

/** Turn the text form into the JSON form (the schema then checks both alike). */
function textToObject(line: string): Record<string, unknown> {
  const [word = '', ...rest] = line.split(/\s+/u);
  switch (word) {
    case 'say':
      return { op: 'inbound', chatId: rest[0] ?? '', text: rest.slice(1).join(' ') };
    case 'send':
      return { op: 'inbound', platform: rest[0] ?? '', chatId: rest[1] ?? '', text: rest.slice(2).join(' ') };
    case 'press':
      return { op: 'press', promptId: rest[0] ?? '', optionId: rest[1] ?? '' };
    case 'decline':
    case 'undecline':
      return { op: word, chatId: rest[0] ?? '' };
    case 'wake':
      return { op: 'wake', ...(rest[0] ? { gatewayId: rest[0] } : {}) };
    case 'interrupt':
      return { op: 'interrupt', chatId: rest[0] ?? '' };
    case 'close':
      return { op: 'close', code: rest[0] === undefined ? undefined : Number(rest[0]), ...(rest.length > 1 ? { reason: rest.slice(1).join(' ') } : {}) };
    case 'revoke':
    case 'restore':
      return { op: word, ...(rest[0] ? { gatewayId: rest[0] } : {}) };
    default:
      return { op: word };
  }
}

/** Parse one stdin line. */
export function parseControlLine(line: string): ControlParse {
  const trimmed = line.trim();
  if (trimmed === '') return { ok: 'empty' };
  let value: unknown;
  if (trimmed.startsWith('{')) {
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      return { ok: false, error: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
    }
  } else {
    value = textToObject(trimmed);
  }
  const result = controlCommandSchema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, command: result.data };
  const issue = toValidationIssues(result.error)[0];
  return { ok: false, error: `${issue?.message ?? 'invalid command'} (type "help" for the commands)` };
}
