/**
 * Wire schemas of the later outbound ops (protocol-later §3): `draft`, `send_media`, `prompt`,
 * `react`, `thread_create`, `thread_rename`, `delete`, `task_card`, `task_card_stop`.
 *
 * They describe what the gateway writes, rules included (enums, id patterns, the `hp1` size bound,
 * the single rename guard), so that a test can hold every builder of `later-ops.ts` to them and the
 * contract document can be checked against them. They are strict objects: a key the contract does not
 * name (internal bookkeeping, a stray `null`) is a bug in the builder, and the schema says so.
 * @module
 */
import { z } from 'zod';
import { codePointLength } from './text-length.js';
import { jsonObjectSchema } from './wire-types.js';

/** `send_media.media_kind` values: `voice` is a voice note, `audio` an audio file. */
export const MEDIA_KINDS = ['image', 'voice', 'audio', 'video', 'document'] as const;
/** A media kind. */
export type MediaKind = (typeof MEDIA_KINDS)[number];

/** `prompt.prompt_kind` values. */
export const PROMPT_KINDS = ['approval', 'clarify', 'choice'] as const;
/** A prompt kind. */
export type PromptKind = (typeof PROMPT_KINDS)[number];

/**
 * Shape of a prompt id and of a prompt option id. Both end up inside a platform callback payload
 * (`hp1:<prompt_id>:<option_id>`), so they are kept to a small, delimiter-free ASCII alphabet.
 */
export const PROMPT_TOKEN_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

/** Prefix of a prompt button's callback payload; the version tag lets a later format coexist. */
export const PROMPT_CALLBACK_PREFIX = 'hp1';

/**
 * Largest callback payload, in UTF-8 bytes. Telegram caps `callback_data` at 64 bytes, the tightest
 * platform, so every option of every prompt must fit there.
 */
export const PROMPT_CALLBACK_MAX_BYTES = 64;

/** Longest thread name the gateway writes, in Unicode code points. */
export const THREAD_NAME_MAX_CODE_POINTS = 100;

/** The callback payload of one prompt option: `hp1:<prompt_id>:<option_id>`. */
export function promptCallbackData(promptId: string, optionId: string): string {
  return `${PROMPT_CALLBACK_PREFIX}:${promptId}:${optionId}`;
}

const chatIdSchema = z.string().min(1);
const idSchema = z.string().min(1);
const tokenSchema = z.string().regex(PROMPT_TOKEN_PATTERN, { error: 'expected 1 to 32 of A-Z a-z 0-9 _ . -' });

/** A URL the connector can fetch itself: only `http:` and `https:` (a local path never reaches a frame). */
const fetchableUrlSchema = z.string().refine(
  (value) => {
    // Checked by prefix first: `URL.canParse` alone would accept `file:` and `data:` URLs.
    if (!/^https?:\/\//iu.test(value)) return false;
    return URL.canParse(value);
  },
  { error: 'expected an http: or https: URL' },
);

/** A thread name as written: non-empty and at most 100 code points. */
const threadNameSchema = z
  .string()
  .min(1)
  .refine((value) => codePointLength(value) <= THREAD_NAME_MAX_CODE_POINTS, { error: `expected at most ${THREAD_NAME_MAX_CODE_POINTS} code points` });

/** `draft`: the current content of a message streamed in place; `final: true` seals it. */
export const draftActionSchema = z.strictObject({
  op: z.literal('draft'),
  chat_id: chatIdSchema,
  draft_id: z.int().min(0),
  content: z.string(),
  final: z.boolean(),
  metadata: jsonObjectSchema,
});

/** `send_media`: post an image, voice note, audio file, video or document by URL. */
export const sendMediaActionSchema = z.strictObject({
  op: z.literal('send_media'),
  chat_id: chatIdSchema,
  media_kind: z.enum(MEDIA_KINDS),
  source_url: fetchableUrlSchema,
  content: z.string(),
  reply_to: z.string().nullable(),
  metadata: jsonObjectSchema,
  filename: z.string().min(1).optional(),
});

/** One button of a `prompt`. */
export const promptOptionSchema = z.strictObject({
  id: tokenSchema,
  label: z.string().min(1),
  style: z.string().optional(),
});

/** `prompt`: a message with buttons whose presses come back as inbound `prompt_response`s. */
export const promptActionSchema = z
  .strictObject({
    op: z.literal('prompt'),
    chat_id: chatIdSchema,
    content: z.string(),
    prompt_kind: z.enum(PROMPT_KINDS),
    prompt_id: tokenSchema,
    options: z.array(promptOptionSchema).min(1),
    reply_to: z.string().nullable(),
    metadata: jsonObjectSchema,
    timeout_s: z.int().min(1).optional(),
  })
  .superRefine((action, ctx) => {
    const seen = new Set<string>();
    action.options.forEach((option, index) => {
      if (seen.has(option.id)) ctx.addIssue({ code: 'custom', path: ['options', index, 'id'], message: 'expected an id unique within the prompt' });
      seen.add(option.id);
      if (Buffer.byteLength(promptCallbackData(action.prompt_id, option.id), 'utf8') > PROMPT_CALLBACK_MAX_BYTES) {
        ctx.addIssue({ code: 'custom', path: ['options', index, 'id'], message: `expected hp1:<prompt_id>:<option_id> to fit in ${PROMPT_CALLBACK_MAX_BYTES} UTF-8 bytes` });
      }
    });
  });

/** `react`: add (or, with `remove: true`, take back) an emoji reaction. */
export const reactActionSchema = z.strictObject({
  op: z.literal('react'),
  chat_id: chatIdSchema,
  message_id: idSchema,
  emoji: z.string().min(1),
  remove: z.boolean(),
  metadata: jsonObjectSchema,
});

/** `thread_create`: open a thread under `chat_id`, optionally anchored on `message_id`. */
export const threadCreateActionSchema = z.strictObject({
  op: z.literal('thread_create'),
  chat_id: chatIdSchema,
  thread_name: threadNameSchema,
  metadata: jsonObjectSchema,
  message_id: idSchema.optional(),
});

/**
 * `thread_rename`: rename the thread `message_id` under the parent `chat_id`, guarded by exactly one
 * of `only_if_connector_created` / `only_if_current_name` so it never overwrites a name a person chose.
 */
export const threadRenameActionSchema = z
  .strictObject({
    op: z.literal('thread_rename'),
    chat_id: chatIdSchema,
    message_id: idSchema,
    thread_name: threadNameSchema,
    metadata: jsonObjectSchema,
    only_if_connector_created: z.literal(true).optional(),
    only_if_current_name: z.string().min(1).optional(),
  })
  .refine((action) => (action.only_if_connector_created === undefined) !== (action.only_if_current_name === undefined), {
    error: 'expected exactly one of only_if_connector_created, only_if_current_name',
  });

/** `delete`: remove a message. */
export const deleteActionSchema = z.strictObject({
  op: z.literal('delete'),
  chat_id: chatIdSchema,
  message_id: idSchema,
  metadata: jsonObjectSchema,
});

/**
 * One chunk of a task card. The gateway passes chunks through as the application gave them; the keys
 * connectors read are `id`, `title`, `status`, `details` and `output`.
 */
export const taskCardChunkSchema = jsonObjectSchema;

/** `task_card`: create or update a live task card (a checklist of chunks). */
export const taskCardActionSchema = z.strictObject({
  op: z.literal('task_card'),
  chat_id: chatIdSchema,
  card_id: idSchema,
  chunks: z.array(taskCardChunkSchema),
  metadata: jsonObjectSchema,
});

/** `task_card_stop`: stop updating a task card (best-effort; the connector cleans up). */
export const taskCardStopActionSchema = z.strictObject({
  op: z.literal('task_card_stop'),
  chat_id: chatIdSchema,
  card_id: idSchema,
  metadata: jsonObjectSchema,
});

/** Schemas of the later ops, by op name (used by the outbound union and the contract conformance test). */
export const laterActionSchemas = {
  draft: draftActionSchema,
  send_media: sendMediaActionSchema,
  prompt: promptActionSchema,
  react: reactActionSchema,
  thread_create: threadCreateActionSchema,
  thread_rename: threadRenameActionSchema,
  delete: deleteActionSchema,
  task_card: taskCardActionSchema,
  task_card_stop: taskCardStopActionSchema,
} as const;

/** The later op names, in the order of protocol-later §3. */
export const LATER_OPS = ['draft', 'send_media', 'prompt', 'react', 'thread_create', 'thread_rename', 'delete', 'task_card', 'task_card_stop'] as const;

/** A later op name. */
export type LaterOp = (typeof LATER_OPS)[number];

/** A `draft` action. */
export type DraftAction = z.infer<typeof draftActionSchema>;
/** A `send_media` action. */
export type SendMediaAction = z.infer<typeof sendMediaActionSchema>;
/** One option of a `prompt` action. */
export type PromptOption = z.infer<typeof promptOptionSchema>;
/** A `prompt` action. */
export type PromptAction = z.infer<typeof promptActionSchema>;
/** A `react` action. */
export type ReactAction = z.infer<typeof reactActionSchema>;
/** A `thread_create` action. */
export type ThreadCreateAction = z.infer<typeof threadCreateActionSchema>;
/** A `thread_rename` action. */
export type ThreadRenameAction = z.infer<typeof threadRenameActionSchema>;
/** A `delete` action. */
export type DeleteAction = z.infer<typeof deleteActionSchema>;
/** A `task_card` action. */
export type TaskCardAction = z.infer<typeof taskCardActionSchema>;
/** A `task_card_stop` action. */
export type TaskCardStopAction = z.infer<typeof taskCardStopActionSchema>;
/** Any later action. */
export type LaterAction =
  | DraftAction
  | SendMediaAction
  | PromptAction
  | ReactAction
  | ThreadCreateAction
  | ThreadRenameAction
  | DeleteAction
  | TaskCardAction
  | TaskCardStopAction;
