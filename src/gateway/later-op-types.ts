/**
 * Option and result types of the gateway's later ops (protocol-later §3): the `send` / `edit` API
 * style (`op(chatId, ..., options)`), each resolving to a result and never throwing for transport or
 * gating reasons.
 * @module
 */
import type { MediaKind, PromptKind, TaskCardChunk } from '../protocol/later-ops.js';
import type { SendResult } from '../protocol/outbound.js';
import type { SessionSource } from '../protocol/session-source.js';
import type { JsonObject } from '../protocol/wire-types.js';

/** Options of `react`. */
export interface ReactOptions {
  /** Take the reaction back instead of adding it. @default false */
  readonly remove?: boolean;
  /** Extra fields for the connector; scope fields are filled in when absent. @default {} */
  readonly metadata?: JsonObject;
}

/** Options of the ops that take nothing but metadata (`deleteMessage`, `taskCardStop`). */
export interface MetadataOptions {
  /** Extra fields for the connector; scope fields are filled in when absent. @default {} */
  readonly metadata?: JsonObject;
}

/** Options of `draft`. */
export interface DraftOptions {
  /** Seal the stream: the message becomes final, later frames for it are dropped. @default false */
  readonly final?: boolean;
  /** The inbound message being answered; keys the stream per turn (`<chat>:turn:<turnId>`). @default none */
  readonly turnId?: string;
  /** The thread the draft is in; part of the stream key when there is no `turnId`. @default none */
  readonly threadId?: string;
  /** Aborting it while a seal is in flight cancels the seal (`code: "cancelled"`). @default none */
  readonly signal?: AbortSignal;
  /** Extra fields for the connector. @default {} */
  readonly metadata?: JsonObject;
}

/** Options of `sendMedia`. */
export interface SendMediaOptions {
  /** `image`, `voice` (a voice note), `audio` (an audio file), `video` or `document`. */
  readonly kind: MediaKind;
  /** Text shown with the media. @default "" */
  readonly caption?: string;
  /** Name shown for the file (and sent as `X-Media-Filename` on upload). @default the file's base name when uploaded, else none */
  readonly filename?: string;
  /** Message to reply to. @default null */
  readonly replyTo?: string | null;
  /** Aborts a local file's upload (`code: "cancelled"`). @default none */
  readonly signal?: AbortSignal;
  /** Extra fields for the connector. @default {} */
  readonly metadata?: JsonObject;
}

/** One button of a prompt. */
export interface PromptOptionSpec {
  /** 1 to 32 of `A-Z a-z 0-9 _ . -`, unique within the prompt. */
  readonly id: string;
  /** Button text, non-empty. */
  readonly label: string;
  /** Passed through (`primary`, `danger`, ...). @default none */
  readonly style?: string;
}

/** Options of `prompt`. */
export interface PromptOptions {
  /** `approval`, `clarify` or `choice`. */
  readonly kind: PromptKind;
  /** The buttons, at least one. */
  readonly options: readonly PromptOptionSpec[];
  /** Seconds the prompt waits for an answer (sent as advisory `timeout_s`). @default 3600, not sent */
  readonly timeoutS?: number;
  /** Message to reply to. @default null */
  readonly replyTo?: string | null;
  /** Extra fields for the connector. @default {} */
  readonly metadata?: JsonObject;
}

/** Result of `prompt`: a {@link SendResult} plus the id answers will carry. */
export type PromptResult = SendResult & {
  /** The minted prompt id (`<nonce>.<suffix>`), when the prompt got as far as being minted. */
  readonly promptId?: string;
};

/** What `onPromptResponse` handlers receive: one answer to one of this gateway's prompts, once. */
export interface PromptAnswer {
  readonly prompt_id: string;
  readonly option_id: string;
  /** The pressed button's label, when the connector knows it. */
  readonly label?: string;
  /** The message showing the prompt, when known. */
  readonly prompt_message_id?: string;
  /** The prompt's kind as sent. */
  readonly prompt_kind: string;
  /** False when `option_id` is not one of the prompt's options (map it yourself, e.g. to deny). */
  readonly known_option: boolean;
  /** Where the press came from. */
  readonly source: SessionSource;
}

/** Options of `threadCreate`. */
export interface ThreadCreateOptions {
  /** The message to open the thread on. @default none */
  readonly messageId?: string;
  /** Extra fields for the connector. @default {} */
  readonly metadata?: JsonObject;
}

/** Result of `threadCreate`: the new thread's id, or null (failure, decline, or no id in the answer). */
export type ThreadCreateResult = SendResult & { readonly thread: string | null };

/** Options of `threadRename`: exactly one guard is written, so a name a person chose is never overwritten. */
export interface ThreadRenameOptions {
  /** The chat the thread belongs to: scope, platform tag and gate come from it. @default the thread id */
  readonly parentChatId?: string;
  /** Rename only a thread the connector created (wins when both guards are given). @default false */
  readonly onlyIfConnectorCreated?: boolean;
  /** Rename only while the thread still has this name. @default none */
  readonly onlyIfCurrentName?: string;
  /** Extra fields for the connector. @default {} */
  readonly metadata?: JsonObject;
}

/** Options of `taskCard`. */
export interface TaskCardOptions {
  /** The message the card answers: becomes `metadata.thread_ts` unless set. @default none */
  readonly replyTo?: string | null;
  /** Extra fields for the connector. @default {} */
  readonly metadata?: JsonObject;
}

export type { TaskCardChunk };

/** Told about every egress decline a lane saw, reactions excepted (for logs and the CLI's `decline` events). */
export interface DeclineNotice {
  /** The op that was declined (`send`, `draft`, `send_media`, ...). */
  readonly op: string;
  readonly chatId: string;
  /** The connector's text, verbatim. */
  readonly error: string;
  /** `egress_declined` when the connector gave the code. */
  readonly code?: string;
}
