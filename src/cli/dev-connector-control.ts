/**
 * The control language of `relay-gateway dev-connector`: one command per stdin line, either a JSON
 * object (`{"op":"inbound","chatId":"c1","text":"hi"}`, for scripts) or a short text form
 * (`say c1 hi`, for people). Both parse to the same {@link ControlCommand}; bad lines become errors
 * that name the field, never exceptions.
 * @module
 */
import { z } from 'zod';
import { CHAT_TYPES } from '../protocol/session-source.js';
import { toValidationIssues } from '../protocol/validation.js';

const id = z.string().trim().min(1, { message: 'expected a non-empty string' });

/** Schema of a JSON control line. */
export const controlCommandSchema = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('inbound'),
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
]);

/** A parsed control command. */
export type ControlCommand = z.infer<typeof controlCommandSchema>;

/** Result of parsing one control line. */
export type ControlParse = { readonly ok: true; readonly command: ControlCommand } | { readonly ok: false; readonly error: string } | { readonly ok: 'empty' };

/** Help text for people typing at the prompt. */
export const CONTROL_HELP = [
  'say <chatId> <text...>        push an inbound message (buffered if the gateway is idle)',
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
