/**
 * The application's outbound calls as lanes (protocol-later §1.3-§4): each builds its action with the
 * §3 rules, resolves the chat's descriptor (§1.4) and gate (§2), tags the frame with the chat's
 * platform (§1.3), re-attaches the tenant scope (base §7), writes it and reads the result, surfacing
 * or degrading an egress decline as §4 says. A local refusal writes nothing and resolves at once.
 * Every lane resolves; none throws for transport, gating or input reasons.
 * @module
 */
import { log, type Logger } from '../logger.js';
import type { CapabilityDescriptor } from '../protocol/descriptor.js';
import { isEgressDecline } from '../protocol/egress-decline.js';
import {
  MEDIA_KINDS,
  buildDeleteAction,
  buildDraftAction,
  buildPromptAction,
  buildReactAction,
  buildSendMediaAction,
  buildTaskCardAction,
  buildTaskCardStopAction,
  buildThreadCreateAction,
  buildThreadRenameAction,
  invalidActionResult,
  type ActionBuild,
} from '../protocol/later-ops.js';
import { refusalFor } from '../protocol/op-gating.js';
import {
  editAction,
  followUpAction,
  getChatInfoAction,
  sendAction,
  toChatInfo,
  toSendResult,
  toThreadCreateResult,
  typingAction,
  TRANSPORT_ERRORS,
  type ChatInfo,
  type OutboundAction,
  type SendResult,
} from '../protocol/outbound.js';
import type { JsonObject } from '../protocol/wire-types.js';
import { classifyMediaSource, uploadMedia, type MediaUploadTlsOptions } from '../transport/media-upload.js';
import type { OutboundTags, RelayConnection } from '../transport/relay-connection.js';
import type { IdentitySet } from '../identity/identity-set.js';
import type { AutoThread, AutoThreads } from './auto-threads.js';
import { outboundTags, sendForPlatformCheck, type ChatPlatforms } from './chat-platforms.js';
import { DeclineMemory } from './decline-memory.js';
import { DraftStreams } from './draft-streams.js';
import type {
  DeclineNotice,
  DraftOptions,
  MetadataOptions,
  PromptOptions,
  PromptResult,
  ReactOptions,
  SendMediaOptions,
  TaskCardChunk,
  TaskCardOptions,
  ThreadCreateOptions,
  ThreadCreateResult,
  ThreadRenameOptions,
} from './later-op-types.js';
import type { PromptRegistry } from './prompt-registry.js';
import type { ScopeMemory } from './scope-memory.js';

/** Options of `send` and `sendForPlatform`. */
export interface SendOptions {
  /** Message to reply to. @default null */
  readonly replyTo?: string | null;
  /** Extra fields for the connector; scope fields are filled in when absent. @default {} */
  readonly metadata?: JsonObject;
}

/** Result of `getChatInfo`: always has a name and type to use. */
export type ChatInfoResult = (ChatInfo & { readonly success: true }) | (ChatInfo & SendResult & { readonly success: false });

/** What the lanes need from the gateway. */
export interface OutboundLaneDeps {
  readonly connection: Pick<RelayConnection, 'request' | 'descriptor' | 'descriptors' | 'state'>;
  readonly identities: IdentitySet;
  readonly chats: ChatPlatforms;
  readonly scopes: ScopeMemory;
  readonly prompts: PromptRegistry;
  readonly autoThreads: AutoThreads;
  readonly logger: Logger;
  /** Where and how local media files are uploaded. */
  readonly media: {
    /** The relay's HTTP base (`mediaBaseUrl` of the dial URL). */
    readonly baseUrl: string;
    /** Fresh authorization headers per upload (`{}` without credentials). */
    readonly authorization: () => Record<string, string>;
    readonly tls?: MediaUploadTlsOptions;
  };
  /** Told about every egress decline any lane saw. */
  readonly onDecline: (notice: DeclineNotice) => void;
}

/** The outbound half of the gateway's interface. */
export interface OutboundLanes {
  descriptorForChat(chatId: string): CapabilityDescriptor | null;
  send(chatId: string, content: string, options?: SendOptions): Promise<SendResult>;
  sendForPlatform(platform: string, chatId: string, content: string, options?: SendOptions): Promise<SendResult>;
  edit(chatId: string, messageId: string, content: string, options?: MetadataOptions): Promise<SendResult>;
  typing(chatId: string, options?: MetadataOptions): Promise<SendResult>;
  followUp(sessionKey: string, kind: string, content: string, metadata?: JsonObject): Promise<SendResult>;
  getChatInfo(chatId: string): Promise<ChatInfoResult>;
  react(chatId: string, messageId: string, emoji: string, options?: ReactOptions): Promise<SendResult>;
  deleteMessage(chatId: string, messageId: string, options?: MetadataOptions): Promise<SendResult>;
  draft(chatId: string, draftId: number, content: string, options?: DraftOptions): Promise<SendResult>;
  sendMedia(chatId: string, source: string, options: SendMediaOptions): Promise<SendResult>;
  prompt(chatId: string, content: string, options: PromptOptions): Promise<PromptResult>;
  threadCreate(chatId: string, name: string, options?: ThreadCreateOptions): Promise<ThreadCreateResult>;
  threadRename(threadId: string, name: string, options: ThreadRenameOptions): Promise<SendResult>;
  taskCard(chatId: string, cardId: string, chunks: readonly TaskCardChunk[], options?: TaskCardOptions): Promise<SendResult>;
  taskCardStop(chatId: string, cardId: string, options?: MetadataOptions): Promise<SendResult>;
  waitForAutoThread(chatId: string, timeoutMs: number): Promise<AutoThread | null>;
  /** Open draft streams and tombstones, for metrics. */
  readonly draftCounts: { readonly open: number; readonly tombstones: number };
}

/** A chat id as the lanes take it: any non-empty string; anything else is refused as `invalid_action`. */
function chatIdProblem(op: string, field: string, value: unknown): SendResult | undefined {
  if (typeof value === 'string' && value !== '') return undefined;
  return invalidActionResult(`${op}.${field}: expected a non-empty string, received ${value === undefined ? 'undefined' : JSON.stringify(value) ?? typeof value}`);
}

function textProblem(op: string, field: string, value: unknown): SendResult | undefined {
  if (typeof value === 'string') return undefined;
  return invalidActionResult(`${op}.${field}: expected a string, received ${value === undefined ? 'undefined' : JSON.stringify(value) ?? typeof value}`);
}

/** Create the lanes over one connection. */
export function createOutboundLanes(deps: OutboundLaneDeps): OutboundLanes {
  const { connection, identities, chats, scopes, prompts, autoThreads, logger } = deps;
  const declines = new DeclineMemory();

  const descriptorForChat = (chatId: string): CapabilityDescriptor | null => {
    const platform = chats.platformOf(chatId);
    return (platform !== undefined ? connection.descriptors().get(platform) : undefined) ?? connection.descriptor;
  };

  /**
   * The local refusal for `op` under `descriptor`, if any (protocol-later §2). Before the first
   * handshake nothing is known about the connector; with no socket either, the honest answer is the
   * transport's (not connected, or closed once stopped), not "not supported", so an application does
   * not fall back to another lane for a connector that may well offer this one.
   */
  const gate = (op: string, descriptor: CapabilityDescriptor | null): SendResult | undefined => {
    if (descriptor === null && connection.state !== 'handshaking') {
      const ended = connection.state === 'stopped' || connection.state === 'disabled';
      return ended ? { success: false, error: TRANSPORT_ERRORS.closed, code: 'closed' } : { success: false, error: TRANSPORT_ERRORS.notConnected, code: 'not_connected' };
    }
    return refusalFor(descriptor, op);
  };

  /** Write one action and read its result; every decline is reported to `onDecline`. */
  const request = async (action: OutboundAction, tags: OutboundTags, chatId: string): Promise<SendResult> => {
    const outcome = await connection.request(action, tags);
    const result = outcome.ok ? toSendResult(outcome.result) : outcome.failure;
    // A declined reaction stays silent (protocol-later §4): it is no news to anyone.
    if (action.op !== 'react' && isEgressDecline(result)) {
      try {
        deps.onDecline({ op: action.op, chatId, error: result.error ?? '', ...(result.code !== undefined ? { code: result.code } : {}) });
      } catch (error) {
        log(logger, 'error', 'relay: onDecline listener failed', { error: String(error) });
      }
    }
    return result;
  };

  /** The common path of a chat-addressed op: gate on `gateChat`'s descriptor, tag, write. */
  const chatOp = async (op: string, gateChat: string, build: () => ActionBuild<OutboundAction>): Promise<SendResult> => {
    const refusal = gate(op, descriptorForChat(gateChat));
    if (refusal) return refusal;
    const built = build();
    if (!built.ok) return invalidActionResult(built.error);
    return request(built.action, outboundTags(op, built.action, identities, chats), gateChat);
  };

  /** A lane that may degrade on a decline (§4): the result stands, the decline is logged once per chat. */
  const degrading = (op: string, chatId: string, result: SendResult): SendResult => {
    declines.noteDegraded(logger, op, chatId, result);
    return result;
  };

  const drafts = new DraftStreams({
    logger,
    // The stream bookkeeping writes frames through the same tagged path as everything else.
    request: (action) => {
      const draft = action as OutboundAction & { chat_id: string };
      return request(draft, outboundTags('draft', draft, identities, chats), draft.chat_id);
    },
  });

  const ok = <A extends OutboundAction>(action: A): ActionBuild<OutboundAction> => ({ ok: true, action });

  return {
    descriptorForChat,
    get draftCounts() {
      return { open: drafts.openCount, tombstones: drafts.tombstoneCount };
    },

    async send(chatId, content, options = {}) {
      const bad = chatIdProblem('send', 'chat_id', chatId) ?? textProblem('send', 'content', content);
      if (bad) return bad;
      const result = await chatOp('send', chatId, () => ok(sendAction(chatId, content, { replyTo: options.replyTo ?? null, metadata: scopes.attach(chatId, options.metadata) })));
      autoThreads.record(chatId, result);
      return result;
    },

    async sendForPlatform(platform, chatId, content, options = {}) {
      const bad = chatIdProblem('send', 'chat_id', chatId) ?? textProblem('send', 'content', content);
      if (bad) return bad;
      const notFronted = sendForPlatformCheck(typeof platform === 'string' ? platform : '', identities);
      if (notFronted) return notFronted;
      // No inbound to learn from (a scheduled or restored delivery): the named platform decides.
      const refusal = gate('send', connection.descriptors().get(platform) ?? connection.descriptor);
      if (refusal) return refusal;
      const action = sendAction(chatId, content, { replyTo: options.replyTo ?? null, metadata: scopes.attach(chatId, options.metadata) });
      const botId = identities.botIdFor(platform);
      const result = await request(action, botId ? { platform, botId } : { platform }, chatId);
      autoThreads.record(chatId, result);
      return result;
    },

    async edit(chatId, messageId, content, options = {}) {
      const bad = chatIdProblem('edit', 'chat_id', chatId) ?? chatIdProblem('edit', 'message_id', messageId) ?? textProblem('edit', 'content', content);
      if (bad) return bad;
      const result = await chatOp('edit', chatId, () => ok(editAction(chatId, messageId, content, { metadata: scopes.attach(chatId, options.metadata) })));
      // No message id in the answer means the edited one (protocol-later §3.8).
      return result.success && result.messageId === undefined ? { ...result, messageId } : result;
    },

    async typing(chatId, options = {}) {
      const bad = chatIdProblem('typing', 'chat_id', chatId);
      if (bad) return bad;
      return degrading('typing', chatId, await chatOp('typing', chatId, () => ok(typingAction(chatId, { metadata: scopes.attach(chatId, options.metadata) }))));
    },

    async followUp(sessionKey, kind, content, metadata) {
      const bad = chatIdProblem('follow_up', 'session_key', sessionKey) ?? chatIdProblem('follow_up', 'kind', kind) ?? textProblem('follow_up', 'content', content);
      if (bad) return bad;
      const action = followUpAction(sessionKey, kind, content, metadata);
      return request(action, outboundTags('follow_up', action, identities, chats), sessionKey);
    },

    async getChatInfo(chatId) {
      const bad = chatIdProblem('get_chat_info', 'chat_id', chatId);
      if (bad) return { ...bad, success: false, name: String(chatId), type: 'dm' };
      const refusal = gate('get_chat_info', descriptorForChat(chatId));
      // Not advertised: the local answer, no round trip (protocol-later §2).
      if (refusal) return { ...refusal, success: false, name: chatId, type: 'dm' };
      const outcome = await connection.request(getChatInfoAction(chatId), {});
      if (!outcome.ok) return { ...outcome.failure, success: false, name: chatId, type: 'dm' };
      const result = toSendResult(outcome.result);
      if (!result.success) return { ...result, success: false, ...toChatInfo(outcome.result, chatId) };
      return { success: true, ...toChatInfo(outcome.result, chatId) };
    },

    async react(chatId, messageId, emoji, options = {}) {
      const result = await chatOp('react', typeof chatId === 'string' ? chatId : '', () =>
        buildReactAction({ chatId, messageId, emoji, remove: options.remove ?? false, metadata: scopes.attach(String(chatId), options.metadata) }),
      );
      // A reaction never fails a turn: its failure (a decline included) is worth a debug line only.
      if (!result.success) log(logger, 'debug', 'relay: react failed', { chat_id: chatId, code: result.code, error: result.error });
      return result;
    },

    async deleteMessage(chatId, messageId, options = {}) {
      const chat = typeof chatId === 'string' ? chatId : '';
      return degrading('delete', chat, await chatOp('delete', chat, () => buildDeleteAction({ chatId, messageId, metadata: scopes.attach(chat, options.metadata) })));
    },

    async draft(chatId, draftId, content, options = {}) {
      const chat = typeof chatId === 'string' ? chatId : '';
      const refusal = gate('draft', descriptorForChat(chat));
      if (refusal) return refusal;
      const final = options.final ?? false;
      const built = buildDraftAction({ chatId, draftId, content, final, metadata: scopes.attach(chat, options.metadata) });
      if (!built.ok) return invalidActionResult(built.error);
      return drafts.draft({
        chatId: chat,
        draftId,
        content,
        final,
        ...(options.turnId ? { turnId: options.turnId } : {}),
        ...(options.threadId ? { threadId: options.threadId } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        buildAction: () => built.action,
      });
    },

    async sendMedia(chatId, source, options) {
      const chat = typeof chatId === 'string' ? chatId : '';
      const refusal = gate('send_media', descriptorForChat(chat));
      if (refusal) return refusal;
      const bad = chatIdProblem('send_media', 'chat_id', chatId);
      if (bad) return bad;
      const kind = (options as SendMediaOptions | undefined)?.kind;
      // Checked before any upload: a bad kind must not cost a 25 MiB request.
      if (!(MEDIA_KINDS as readonly unknown[]).includes(kind)) {
        return invalidActionResult(`send_media.media_kind: expected one of ${MEDIA_KINDS.map((k) => JSON.stringify(k)).join(', ')}, received ${kind === undefined ? 'undefined' : JSON.stringify(kind)}`);
      }
      const classified = classifyMediaSource(source);
      if (classified.kind === 'invalid') return invalidActionResult(`send_media.source_url: ${classified.error}`);
      let sourceUrl: string;
      if (classified.kind === 'url') sourceUrl = classified.url;
      else {
        const uploaded = await uploadMedia({
          baseUrl: deps.media.baseUrl,
          path: classified.path,
          ...(options.filename ? { filename: options.filename } : {}),
          authorization: deps.media.authorization,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(deps.media.tls ? { tls: deps.media.tls } : {}),
        });
        if (!uploaded.ok) return { success: false, code: uploaded.code, error: uploaded.error };
        sourceUrl = uploaded.sourceUrl;
      }
      const built = buildSendMediaAction({
        chatId,
        mediaKind: options.kind,
        sourceUrl,
        ...(options.caption !== undefined ? { caption: options.caption } : {}),
        replyTo: options.replyTo ?? null,
        metadata: scopes.attach(chat, options.metadata),
        ...(options.filename ? { filename: options.filename } : {}),
      });
      if (!built.ok) return invalidActionResult(built.error);
      return request(built.action, outboundTags('send_media', built.action, identities, chats), chat);
    },

    async prompt(chatId, content, options) {
      const chat = typeof chatId === 'string' ? chatId : '';
      const refusal = gate('prompt', descriptorForChat(chat));
      if (refusal) return refusal;
      const promptId = prompts.mintPromptId();
      const given = (options ?? {}) as Partial<PromptOptions>;
      const built = buildPromptAction({
        chatId,
        content,
        promptKind: given.kind as PromptOptions['kind'],
        promptId,
        options: given.options as PromptOptions['options'],
        replyTo: given.replyTo ?? null,
        metadata: scopes.attach(chat, given.metadata),
        ...(given.timeoutS !== undefined ? { timeoutS: given.timeoutS } : {}),
      });
      if (!built.ok) return invalidActionResult(built.error);
      // Registered before the write, so an answer racing the result is not taken as stale.
      prompts.register(promptId, {
        kind: built.action.prompt_kind,
        optionIds: built.action.options.map((option) => option.id),
        chatId: chat,
        expiresAt: prompts.expiresAtFor(given.timeoutS),
      });
      const result = await request(built.action, outboundTags('prompt', built.action, identities, chats), chat);
      // A definite failure or a decline: the card was never shown, so no later press can answer it.
      prompts.settle(promptId, result);
      return { ...result, promptId };
    },

    async threadCreate(chatId, name, options = {}) {
      const chat = typeof chatId === 'string' ? chatId : '';
      const result = degrading(
        'thread_create',
        chat,
        await chatOp('thread_create', chat, () =>
          buildThreadCreateAction({ parentChatId: chatId, name, metadata: scopes.attach(chat, options.metadata), ...(options.messageId ? { messageId: options.messageId } : {}) }),
        ),
      );
      return { ...result, thread: toThreadCreateResult(result) };
    },

    async threadRename(threadId, name, options = {}) {
      // The parent carries the tenant scope, the platform tag and the gate (protocol-later §3.6).
      const parent = options.parentChatId || (typeof threadId === 'string' ? threadId : '');
      return degrading(
        'thread_rename',
        parent,
        await chatOp('thread_rename', parent, () =>
          buildThreadRenameAction({
            threadId,
            parentChatId: parent,
            name,
            metadata: scopes.attach(parent, options.metadata),
            ...(options.onlyIfConnectorCreated !== undefined ? { onlyIfConnectorCreated: options.onlyIfConnectorCreated } : {}),
            ...(options.onlyIfCurrentName !== undefined ? { onlyIfCurrentName: options.onlyIfCurrentName } : {}),
          }),
        ),
      );
    },

    async taskCard(chatId, cardId, chunks, options = {}) {
      const chat = typeof chatId === 'string' ? chatId : '';
      return chatOp('task_card', chat, () =>
        buildTaskCardAction({ chatId, cardId, chunks, metadata: scopes.attach(chat, options.metadata), ...(options.replyTo ? { replyTo: options.replyTo } : {}) }),
      );
    },

    async taskCardStop(chatId, cardId, options = {}) {
      const chat = typeof chatId === 'string' ? chatId : '';
      return chatOp('task_card_stop', chat, () => buildTaskCardStopAction({ chatId, cardId, metadata: scopes.attach(chat, options.metadata) }));
    },

    waitForAutoThread: (chatId, timeoutMs) => autoThreads.waitForAutoThread(chatId, timeoutMs),
  };
}
