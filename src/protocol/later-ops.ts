/**
 * Builders of the later outbound actions (protocol-later §3), with the field rules applied.
 *
 * Each builder takes the caller's input (camelCase), checks it, normalizes what the contract says to
 * normalize (thread names, defaults), and returns either the wire action or an error naming the wire
 * field and the rule it broke, e.g. `draft.draft_id: expected an integer >= 0, received -1`. The
 * gateway turns such an error into `{success: false, code: "invalid_action", error}` (see
 * {@link invalidActionResult}) and writes nothing.
 *
 * Inputs are checked at run time as well as typed: they come from application code that may be plain
 * JavaScript, and one bad field must never reach the connector. Optional wire fields are left out
 * when they have no value (never written as `null`) unless the contract marks them "always present".
 * Every output validates against `outboundActionSchema` (a property test holds the builders to it).
 * @module
 */
import {
  MEDIA_KINDS,
  PROMPT_CALLBACK_MAX_BYTES,
  PROMPT_KINDS,
  PROMPT_TOKEN_PATTERN,
  THREAD_NAME_MAX_CODE_POINTS,
  promptCallbackData,
  type DeleteAction,
  type DraftAction,
  type MediaKind,
  type PromptAction,
  type PromptKind,
  type PromptOption,
  type ReactAction,
  type SendMediaAction,
  type TaskCardAction,
  type TaskCardStopAction,
  type ThreadCreateAction,
  type ThreadRenameAction,
} from './later-op-schemas.js';
import type { SendResult } from './outbound.js';
import { describeReceived } from './validation.js';
import type { JsonObject } from './wire-types.js';

export type {
  DeleteAction,
  DraftAction,
  LaterAction,
  LaterOp,
  MediaKind,
  PromptAction,
  PromptKind,
  PromptOption,
  ReactAction,
  SendMediaAction,
  TaskCardAction,
  TaskCardStopAction,
  ThreadCreateAction,
  ThreadRenameAction,
} from './later-op-schemas.js';
export {
  MEDIA_KINDS,
  PROMPT_CALLBACK_MAX_BYTES,
  PROMPT_CALLBACK_PREFIX,
  PROMPT_KINDS,
  PROMPT_TOKEN_PATTERN,
  THREAD_NAME_MAX_CODE_POINTS,
  promptCallbackData,
} from './later-op-schemas.js';

/** Outcome of a builder: the action to write, or why the input breaks a §3 rule. */
export type ActionBuild<A> = { readonly ok: true; readonly action: A } | { readonly ok: false; readonly error: string };

/** The local result for an input a builder refused: `code: "invalid_action"`, nothing written. */
export function invalidActionResult(error: string): SendResult {
  return { success: false, code: 'invalid_action', error };
}

/** The thread name used when a `thread_create` asks for none (or only whitespace). */
export const DEFAULT_THREAD_NAME = 'handoff';

// ---------------------------------------------------------------- checks

/** Thrown inside a builder only, caught by {@link build}: keeps each builder a flat list of reads. */
class InvalidField extends Error {}

function invalid(op: string, field: string, expected: string, value: unknown): InvalidField {
  return new InvalidField(`${op}.${field}: expected ${expected}, received ${describeReceived(value)}`);
}

function build<A>(read: () => A): ActionBuild<A> {
  try {
    return { ok: true, action: read() };
  } catch (error) {
    if (error instanceof InvalidField) return { ok: false, error: error.message };
    throw error;
  }
}

function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The input itself must be an object; anything else names the whole action. */
function fieldsOf(op: string, input: unknown): Readonly<Record<string, unknown>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InvalidField(`${op}: expected an object of fields, received ${describeReceived(input)}`);
  return input as Readonly<Record<string, unknown>>;
}

function requiredId(op: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalid(op, field, 'a non-empty string', value);
  return value;
}

function text(op: string, field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(op, field, 'a string', value);
  return value;
}

/** A string that may be omitted: absent, `null` and `""` all mean "not given". */
function optionalId(op: string, field: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(op, field, 'a string', value);
  return value;
}

function flag(op: string, field: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalid(op, field, 'a boolean', value);
  return value;
}

/** `metadata` is always written; a copy, so the caller's object never changes under a pending frame. */
function metadataOf(op: string, value: unknown): JsonObject {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw invalid(op, 'metadata', 'an object', value);
  return { ...value };
}

function oneOf<T extends string>(op: string, field: string, values: readonly T[], value: unknown): T {
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) throw invalid(op, field, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, value);
  return value as T;
}

function token(op: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || !PROMPT_TOKEN_PATTERN.test(value)) throw invalid(op, field, 'a string of 1 to 32 of A-Z a-z 0-9 _ . -', value);
  return value;
}

/** The first `max` code points of `value` (never splits a surrogate pair). */
export function cutToCodePoints(value: string, max: number): string {
  let points = 0;
  for (let i = 0; i < value.length; i++) {
    if (points === max) return value.slice(0, i);
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    points++;
  }
  return value;
}

function isHttpUrl(value: string): boolean {
  // The prefix test comes first: URL.canParse alone also accepts file:, data: and custom schemes.
  return /^https?:\/\//iu.test(value) && URL.canParse(value);
}

// ---------------------------------------------------------------- draft

/** Input of {@link buildDraftAction}. */
export interface DraftInput {
  readonly chatId: string;
  /** The stream's id within its key; an integer >= 0. */
  readonly draftId: number;
  /** What should be on screen now (the gateway never merges frames). */
  readonly content: string;
  /** `true` seals the draft. @default false */
  readonly final?: boolean;
  readonly metadata?: JsonObject;
}

/** Build a `draft` action: `chat_id, draft_id, content, final` (always present), `metadata`. */
export function buildDraftAction(input: DraftInput): ActionBuild<DraftAction> {
  return build(() => {
    const op = 'draft';
    const f = fieldsOf(op, input);
    const chatId = requiredId(op, 'chat_id', f.chatId);
    const draftId = f.draftId;
    if (typeof draftId !== 'number' || !Number.isSafeInteger(draftId) || draftId < 0) throw invalid(op, 'draft_id', 'an integer >= 0', draftId);
    // `+ 0` turns -0 into 0: the wire carries 0 either way, and the built action must equal what is sent.
    return { op, chat_id: chatId, draft_id: draftId + 0, content: text(op, 'content', f.content), final: flag(op, 'final', f.final), metadata: metadataOf(op, f.metadata) };
  });
}

// ---------------------------------------------------------------- send_media

/** Input of {@link buildSendMediaAction}. */
export interface SendMediaInput {
  readonly chatId: string;
  readonly mediaKind: MediaKind;
  /**
   * An `http:` or `https:` URL the connector fetches. A local file must be uploaded first (its
   * `/relay/media/<id>` URL goes here): no local path is ever written into a frame.
   */
  readonly sourceUrl: string;
  /** Written as `content`. @default "" */
  readonly caption?: string;
  /** Message to reply to. @default null (the key is always written) */
  readonly replyTo?: string | null;
  readonly metadata?: JsonObject;
  /** Written only when given (non-empty). */
  readonly filename?: string;
}

/** Build a `send_media` action. */
export function buildSendMediaAction(input: SendMediaInput): ActionBuild<SendMediaAction> {
  return build(() => {
    const op = 'send_media';
    const f = fieldsOf(op, input);
    const chatId = requiredId(op, 'chat_id', f.chatId);
    const mediaKind = oneOf(op, 'media_kind', MEDIA_KINDS, f.mediaKind);
    const sourceUrl = f.sourceUrl;
    if (typeof sourceUrl !== 'string' || !isHttpUrl(sourceUrl)) throw invalid(op, 'source_url', 'an http: or https: URL', sourceUrl);
    const caption = f.caption === undefined || f.caption === null ? '' : text(op, 'content', f.caption);
    const action: SendMediaAction = {
      op,
      chat_id: chatId,
      media_kind: mediaKind,
      source_url: sourceUrl,
      content: caption,
      reply_to: optionalId(op, 'reply_to', f.replyTo) ?? null,
      metadata: metadataOf(op, f.metadata),
    };
    const filename = optionalId(op, 'filename', f.filename);
    if (filename !== undefined) action.filename = filename;
    return action;
  });
}

// ---------------------------------------------------------------- prompt

/** One option of {@link PromptInput}. */
export interface PromptOptionInput {
  /** Matches `[A-Za-z0-9_.-]{1,32}`; unique within the prompt. */
  readonly id: string;
  /** Button text; non-empty. */
  readonly label: string;
  /** Passed through when given (seen: `primary`, `danger`). */
  readonly style?: string;
}

/** Input of {@link buildPromptAction}. */
export interface PromptInput {
  readonly chatId: string;
  readonly content: string;
  readonly promptKind: PromptKind;
  /** Matches `[A-Za-z0-9_.-]{1,32}` (the gateway mints `<nonce>.<suffix>`). */
  readonly promptId: string;
  /** Non-empty. */
  readonly options: readonly PromptOptionInput[];
  /** @default null (the key is always written) */
  readonly replyTo?: string | null;
  readonly metadata?: JsonObject;
  /** Advisory expiry for the connector, in whole seconds >= 1; written only when given. */
  readonly timeoutS?: number;
}

/**
 * Build a `prompt` action. Besides the per-field rules, `hp1:<prompt_id>:<option_id>` must fit in
 * 64 UTF-8 bytes for every option: it is the button's callback payload on the platform.
 */
export function buildPromptAction(input: PromptInput): ActionBuild<PromptAction> {
  return build(() => {
    const op = 'prompt';
    const f = fieldsOf(op, input);
    const chatId = requiredId(op, 'chat_id', f.chatId);
    const content = text(op, 'content', f.content);
    const promptKind = oneOf(op, 'prompt_kind', PROMPT_KINDS, f.promptKind);
    const promptId = token(op, 'prompt_id', f.promptId);
    const rawOptions = f.options;
    if (!Array.isArray(rawOptions) || rawOptions.length === 0) throw invalid(op, 'options', 'a non-empty list', rawOptions);
    const seen = new Set<string>();
    const options: PromptOption[] = rawOptions.map((entry: unknown, index): PromptOption => {
      const at = `options[${index}]`;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(op, at, 'an object {id, label, style?}', entry);
      const o = entry as Readonly<Record<string, unknown>>;
      const id = token(op, `${at}.id`, o.id);
      if (seen.has(id)) throw invalid(op, `${at}.id`, 'an id unique within the prompt', id);
      seen.add(id);
      const bytes = Buffer.byteLength(promptCallbackData(promptId, id), 'utf8');
      if (bytes > PROMPT_CALLBACK_MAX_BYTES) {
        throw new InvalidField(`${op}.${at}.id: expected "hp1:<prompt_id>:<option_id>" to fit in ${PROMPT_CALLBACK_MAX_BYTES} UTF-8 bytes, received ${bytes} bytes`);
      }
      if (typeof o.label !== 'string' || o.label === '') throw invalid(op, `${at}.label`, 'a non-empty string', o.label);
      // Only the three contract keys are copied: anything else the caller hung on an option stays local.
      const option: PromptOption = { id, label: o.label };
      if (o.style !== undefined) option.style = text(op, `${at}.style`, o.style);
      return option;
    });
    const action: PromptAction = {
      op,
      chat_id: chatId,
      content,
      prompt_kind: promptKind,
      prompt_id: promptId,
      options,
      reply_to: optionalId(op, 'reply_to', f.replyTo) ?? null,
      metadata: metadataOf(op, f.metadata),
    };
    const timeoutS = f.timeoutS;
    if (timeoutS !== undefined) {
      if (typeof timeoutS !== 'number' || !Number.isSafeInteger(timeoutS) || timeoutS < 1) throw invalid(op, 'timeout_s', 'an integer >= 1', timeoutS);
      action.timeout_s = timeoutS;
    }
    return action;
  });
}

// ---------------------------------------------------------------- react

/** Input of {@link buildReactAction}. */
export interface ReactInput {
  readonly chatId: string;
  readonly messageId: string;
  /** Non-empty. */
  readonly emoji: string;
  /** `true` takes the reaction back. @default false (the key is always written) */
  readonly remove?: boolean;
  readonly metadata?: JsonObject;
}

/** Build a `react` action. */
export function buildReactAction(input: ReactInput): ActionBuild<ReactAction> {
  return build(() => {
    const op = 'react';
    const f = fieldsOf(op, input);
    return {
      op,
      chat_id: requiredId(op, 'chat_id', f.chatId),
      message_id: requiredId(op, 'message_id', f.messageId),
      emoji: requiredId(op, 'emoji', f.emoji),
      remove: flag(op, 'remove', f.remove),
      metadata: metadataOf(op, f.metadata),
    };
  });
}

// ---------------------------------------------------------------- thread_create

/** Input of {@link buildThreadCreateAction}. */
export interface ThreadCreateInput {
  /** The chat the thread opens under (written as `chat_id`). */
  readonly parentChatId: string;
  /** Trimmed; empty -> `"handoff"`; cut to 100 code points. @default "handoff" */
  readonly name?: string;
  readonly metadata?: JsonObject;
  /** The message to anchor the thread on; written as `message_id` only when given. */
  readonly messageId?: string;
}

/** The name a `thread_create` writes: trimmed, `"handoff"` when empty, at most 100 code points. */
export function threadCreateName(name: string): string {
  return cutToCodePoints(name.trim() || DEFAULT_THREAD_NAME, THREAD_NAME_MAX_CODE_POINTS);
}

/** Build a `thread_create` action. */
export function buildThreadCreateAction(input: ThreadCreateInput): ActionBuild<ThreadCreateAction> {
  return build(() => {
    const op = 'thread_create';
    const f = fieldsOf(op, input);
    const chatId = requiredId(op, 'chat_id', f.parentChatId);
    const name = f.name === undefined || f.name === null ? '' : text(op, 'thread_name', f.name);
    const action: ThreadCreateAction = { op, chat_id: chatId, thread_name: threadCreateName(name), metadata: metadataOf(op, f.metadata) };
    const anchor = optionalId(op, 'message_id', f.messageId);
    if (anchor !== undefined) action.message_id = anchor;
    return action;
  });
}

// ---------------------------------------------------------------- thread_rename

/**
 * Input of {@link buildThreadRenameAction}. At least one guard is required, so a rename never
 * overwrites a name a person chose; with both, only `onlyIfConnectorCreated` is written.
 */
export interface ThreadRenameInput {
  /** The thread to rename (written as `message_id`). */
  readonly threadId: string;
  /**
   * The chat the thread belongs to (written as `chat_id`; scope, platform tag and gate come from it).
   * @default threadId
   */
  readonly parentChatId?: string;
  /** Whitespace runs collapsed, trimmed, cut to 100 code points; must not end up empty. */
  readonly name: string;
  readonly metadata?: JsonObject;
  /** Rename only a thread the connector created. */
  readonly onlyIfConnectorCreated?: boolean;
  /** Rename only while the thread still has this name (non-empty). */
  readonly onlyIfCurrentName?: string;
}

/** The name a `thread_rename` writes: whitespace runs collapsed to one space, trimmed, at most 100 code points (maybe `""`). */
export function threadRenameName(name: string): string {
  return cutToCodePoints(name.replace(/\s+/gu, ' ').trim(), THREAD_NAME_MAX_CODE_POINTS);
}

/** Build a `thread_rename` action. */
export function buildThreadRenameAction(input: ThreadRenameInput): ActionBuild<ThreadRenameAction> {
  return build(() => {
    const op = 'thread_rename';
    const f = fieldsOf(op, input);
    const threadId = requiredId(op, 'message_id', f.threadId);
    const chatId = optionalId(op, 'chat_id', f.parentChatId) ?? threadId;
    const rawName = text(op, 'thread_name', f.name);
    const name = threadRenameName(rawName);
    if (name === '') throw invalid(op, 'thread_name', 'a name that is not empty after whitespace is collapsed', rawName);
    const connectorCreated = flag(op, 'only_if_connector_created', f.onlyIfConnectorCreated);
    const currentName = optionalId(op, 'only_if_current_name', f.onlyIfCurrentName);
    const action: ThreadRenameAction = { op, chat_id: chatId, message_id: threadId, thread_name: name, metadata: metadataOf(op, f.metadata) };
    if (connectorCreated) action.only_if_connector_created = true;
    else if (currentName !== undefined) action.only_if_current_name = currentName;
    else throw new InvalidField(`${op}: expected a guard, only_if_connector_created: true or a non-empty only_if_current_name, received neither`);
    return action;
  });
}

// ---------------------------------------------------------------- delete

/** Input of {@link buildDeleteAction}. */
export interface DeleteMessageInput {
  readonly chatId: string;
  readonly messageId: string;
  readonly metadata?: JsonObject;
}

/** Build a `delete` action. */
export function buildDeleteAction(input: DeleteMessageInput): ActionBuild<DeleteAction> {
  return build(() => {
    const op = 'delete';
    const f = fieldsOf(op, input);
    return { op, chat_id: requiredId(op, 'chat_id', f.chatId), message_id: requiredId(op, 'message_id', f.messageId), metadata: metadataOf(op, f.metadata) };
  });
}

// ---------------------------------------------------------------- task_card, task_card_stop

/** One chunk of a task card. Passed through as given; connectors read these keys. */
export interface TaskCardChunk {
  readonly id: string;
  readonly title: string;
  readonly status: string;
  readonly details?: string;
  readonly output?: string;
  readonly [key: string]: unknown;
}

/** Input of {@link buildTaskCardAction}. */
export interface TaskCardInput {
  readonly chatId: string;
  /** The application's card id (the reference uses `turn:<anchor>`). */
  readonly cardId: string;
  readonly chunks: readonly TaskCardChunk[];
  readonly metadata?: JsonObject;
  /** The message the card answers: becomes `metadata.thread_ts` unless that is already set. */
  readonly replyTo?: string | null;
}

/** Build a `task_card` action. */
export function buildTaskCardAction(input: TaskCardInput): ActionBuild<TaskCardAction> {
  return build(() => {
    const op = 'task_card';
    const f = fieldsOf(op, input);
    const chatId = requiredId(op, 'chat_id', f.chatId);
    const cardId = requiredId(op, 'card_id', f.cardId);
    const rawChunks = f.chunks;
    if (!Array.isArray(rawChunks)) throw invalid(op, 'chunks', 'a list', rawChunks);
    // Passed through, but copied: a chunk the application keeps mutating must not change a written frame.
    const chunks = rawChunks.map((chunk: unknown, index): JsonObject => {
      if (!isPlainObject(chunk)) throw invalid(op, `chunks[${index}]`, 'an object', chunk);
      return { ...chunk };
    });
    const metadata = metadataOf(op, f.metadata);
    const anchor = optionalId(op, 'reply_to', f.replyTo);
    // An explicit thread_ts wins; an empty one counts as absent, as scope keys do (base §7).
    const threadTs = metadata.thread_ts;
    if (anchor !== undefined && (threadTs === undefined || threadTs === null || threadTs === '')) metadata.thread_ts = anchor;
    return { op, chat_id: chatId, card_id: cardId, chunks, metadata };
  });
}

/** Input of {@link buildTaskCardStopAction}. */
export interface TaskCardStopInput {
  readonly chatId: string;
  readonly cardId: string;
  readonly metadata?: JsonObject;
}

/** Build a `task_card_stop` action. */
export function buildTaskCardStopAction(input: TaskCardStopInput): ActionBuild<TaskCardStopAction> {
  return build(() => {
    const op = 'task_card_stop';
    const f = fieldsOf(op, input);
    return { op, chat_id: requiredId(op, 'chat_id', f.chatId), card_id: requiredId(op, 'card_id', f.cardId), metadata: metadataOf(op, f.metadata) };
  });
}
