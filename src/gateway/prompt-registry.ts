/**
 * Prompt bookkeeping (protocol-later §3.3): minting prompt ids, remembering which prompts wait for an
 * answer, and classifying an inbound `prompt_response`. One button press reaches every gateway of the
 * tenant, so ownership is decided by the id's per-instance nonce.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/** Expiry of a prompt sent without `timeout_s`, in seconds. */
export const DEFAULT_PROMPT_EXPIRY_S = 3600;

/** How many resolved prompt ids are remembered, so a repeated press is silent instead of stale. */
export const RESOLVED_PROMPT_MEMORY = 256;

/**
 * Default cap of pending prompts. A gateway whose prompts are never answered would otherwise grow
 * without bound; past the cap the oldest registration is dropped (a late press on it gets the stale
 * notice, which is the truthful answer).
 */
export const DEFAULT_MAX_PENDING_PROMPTS = 10_000;

/** Sent to the chat when a press reaches a prompt of ours that no longer waits (exact text). */
export const STALE_PROMPT_NOTICE = '\u231B That prompt is no longer waiting for an answer. Send your reply as a normal message.';

/** Shape every prompt id (and option id) must have on the wire. */
export const PROMPT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

/** What is remembered about a prompt between its send and its answer. */
export interface PromptRegistration {
  /** `prompt_kind` as sent (`approval`, `clarify`, `choice`). */
  readonly kind: string;
  /** The ids of the prompt's options, to tell a known answer from an unknown one. */
  readonly optionIds: readonly string[];
  /** The chat the prompt was sent to. */
  readonly chatId: string;
  /** Epoch milliseconds after which an answer is stale (same clock as `now`). */
  readonly expiresAt: number;
}

/** A registered prompt, with its id. */
export interface PendingPrompt extends PromptRegistration {
  readonly promptId: string;
}

/** A validated `prompt_response` object. */
export interface PromptResponse {
  readonly prompt_id: string;
  readonly option_id: string;
  readonly label?: string;
  readonly prompt_message_id?: string;
}

/** What to do with a `prompt_response` (every kind is consumed; only `resolve` reaches the application). */
export type PromptClassification =
  /** Another gateway's prompt: consume silently. */
  | { readonly kind: 'foreign' }
  /** Answered already (a repeated press): consume silently. */
  | { readonly kind: 'already-resolved' }
  /** Ours (or the older dotless format) but not waiting, or expired: consume and send {@link STALE_PROMPT_NOTICE}. */
  | { readonly kind: 'stale' }
  /** Ours and waiting: it is now resolved; hand it to `onPromptResponse` once. */
  | { readonly kind: 'resolve'; readonly prompt: PendingPrompt; readonly knownOption: boolean };

/** The result fields {@link PromptRegistry.settle} reads. */
export interface PromptSendOutcome {
  readonly success: boolean;
  readonly ambiguous?: boolean;
}

/** Options of {@link PromptRegistry}. */
export interface PromptRegistryOptions {
  /**
   * Uniform random numbers in [0, 1), for the nonce and the id suffixes.
   * @default Math.random
   */
  readonly random?: () => number;
  /**
   * Clock in epoch milliseconds, used by {@link PromptRegistry.expiresAtFor} and as the default of
   * {@link PromptRegistry.classify}'s `nowMs`.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Most prompts pending at once; the oldest registration is dropped past it.
   * @default 10000
   */
  readonly maxPending?: number;
}

/** The outcome of {@link parsePromptResponse}. */
export type PromptResponseParse = { readonly ok: true; readonly response: PromptResponse } | { readonly ok: false; readonly reason: string };

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Validate a raw `prompt_response` object. `prompt_id` and `option_id` must be non-empty strings (an
 * empty id can name no prompt or option; our choice); otherwise the reason to log in a warning is
 * returned. Optional `label` is kept when a string; `prompt_message_id` when a string, or a finite
 * number (converted, as message ids are elsewhere); other values of optional fields are dropped.
 */
export function parsePromptResponse(raw: unknown): PromptResponseParse {
  if (!isRecord(raw)) return { ok: false, reason: 'prompt_response must be an object' };
  const { prompt_id: promptId, option_id: optionId, label, prompt_message_id: messageId } = raw;
  if (typeof promptId !== 'string' || promptId === '') return { ok: false, reason: 'prompt_response.prompt_id must be a non-empty string' };
  if (typeof optionId !== 'string' || optionId === '') return { ok: false, reason: 'prompt_response.option_id must be a non-empty string' };
  const promptMessageId = typeof messageId === 'string' ? messageId : typeof messageId === 'number' && Number.isFinite(messageId) ? String(messageId) : undefined;
  return {
    ok: true,
    response: {
      prompt_id: promptId,
      option_id: optionId,
      ...(typeof label === 'string' ? { label } : {}),
      ...(promptMessageId !== undefined ? { prompt_message_id: promptMessageId } : {}),
    },
  };
}

function hexDigits(random: () => number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i += 1) {
    const r = random();
    // Clamp so a generator returning 1, a negative or NaN still yields a hex digit.
    const digit = Number.isFinite(r) ? Math.min(15, Math.max(0, Math.floor(r * 16))) : 0;
    out += digit.toString(16);
  }
  return out;
}

/** Pending and resolved prompts of one gateway instance. */
export class PromptRegistry {
  /** This instance's 6-hex nonce, the prefix of every id it mints; fixed for its lifetime (reconnects included). */
  readonly nonce: string;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly maxPending: number;
  private readonly pending = new Map<string, PendingPrompt>();
  private readonly resolved = new Set<string>();

  /** @throws {InvalidArgumentError} when `maxPending` is not a positive integer. */
  constructor(options: PromptRegistryOptions = {}) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING_PROMPTS;
    if (!Number.isInteger(maxPending) || maxPending < 1) throw new InvalidArgumentError('maxPending', `must be a positive integer, got ${String(maxPending)}`);
    this.maxPending = maxPending;
    // Per instance rather than per process: one process may host several gateways of one tenant.
    this.nonce = hexDigits(this.random, 6);
  }

  /** Prompts waiting for an answer now. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** A fresh prompt id, `<nonce>.<8 lowercase hex>` (15 characters). */
  mintPromptId(): string {
    return `${this.nonce}.${hexDigits(this.random, 8)}`;
  }

  /**
   * The `expiresAt` of a prompt sent now: `timeout_s` seconds from now when given, else
   * {@link DEFAULT_PROMPT_EXPIRY_S}. Not clamped (our choice): the caller's timeout is taken as is.
   */
  expiresAtFor(timeoutS?: number): number {
    return this.now() + (timeoutS ?? DEFAULT_PROMPT_EXPIRY_S) * 1000;
  }

  /**
   * Register `promptId` as waiting, before its frame is written, so an answer racing the send result is
   * not taken as stale. Registering an id again replaces the entry.
   * @throws {InvalidArgumentError} when `promptId` does not match {@link PROMPT_ID_PATTERN} or
   * `expiresAt` is not a number (`NaN`); `Infinity` means "never expires".
   */
  register(promptId: string, registration: PromptRegistration): void {
    if (!PROMPT_ID_PATTERN.test(promptId)) throw new InvalidArgumentError('promptId', 'must match [A-Za-z0-9_.-]{1,32}');
    if (typeof registration.expiresAt !== 'number' || Number.isNaN(registration.expiresAt)) {
      throw new InvalidArgumentError('expiresAt', `must be a number, got ${String(registration.expiresAt)}`);
    }
    this.pending.delete(promptId);
    this.pending.set(promptId, {
      promptId,
      kind: registration.kind,
      optionIds: [...registration.optionIds],
      chatId: registration.chatId,
      expiresAt: registration.expiresAt,
    });
    if (this.pending.size > this.maxPending) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
    }
  }

  /**
   * Apply the send result of `promptId`: a definite failure (a decline or a local refusal included)
   * unregisters it, since the card was never shown; a success or an ambiguous result keeps it (an
   * ambiguous card may be on screen, and is not re-sent).
   */
  settle(promptId: string, result: PromptSendOutcome): void {
    if (result.success === true || result.ambiguous === true) return;
    this.pending.delete(promptId);
  }

  /** Drop `promptId` from the pending prompts; true if it was pending. */
  unregister(promptId: string): boolean {
    return this.pending.delete(promptId);
  }

  /** The pending entry of `promptId`, expired or not. */
  lookup(promptId: string): PendingPrompt | undefined {
    return this.pending.get(promptId);
  }

  /**
   * Classify an answer, in this order: `foreign` (the id has a `.` and the part before the first one
   * is not our nonce); `already-resolved` (among the last {@link RESOLVED_PROMPT_MEMORY} resolved ids);
   * `stale` (ours or dotless, and not pending, or past `expiresAt`; an expired entry is dropped);
   * else `resolve`: dropped from pending and remembered as resolved, so this happens once per prompt.
   */
  classify(response: PromptResponse, nowMs: number = this.now()): PromptClassification {
    const promptId = response.prompt_id;
    const dot = promptId.indexOf('.');
    if (dot >= 0 && promptId.slice(0, dot) !== this.nonce) return { kind: 'foreign' };
    if (this.resolved.has(promptId)) return { kind: 'already-resolved' };
    const prompt = this.pending.get(promptId);
    if (!prompt) return { kind: 'stale' };
    this.pending.delete(promptId);
    if (nowMs > prompt.expiresAt) return { kind: 'stale' };
    this.resolved.add(promptId);
    if (this.resolved.size > RESOLVED_PROMPT_MEMORY) {
      const oldest = this.resolved.values().next().value as string;
      this.resolved.delete(oldest);
    }
    return { kind: 'resolve', prompt, knownOption: prompt.optionIds.includes(response.option_id) };
  }
}
