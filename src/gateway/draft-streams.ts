/**
 * Draft streams (protocol-later §3.1): a message streamed in place by repeated `draft` frames, then
 * sealed by one `final: true` frame. The bookkeeping here makes a seal happen at most once per stream
 * even when its result is lost, and keeps late frames of a sealed stream off the wire.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { log, silentLogger, type Logger } from '../logger.js';
import { TRANSPORT_ERRORS, type SendResult } from '../protocol/outbound.js';

/** Default cap of open streams, and separately of tombstones (oldest evicted first). */
export const DEFAULT_DRAFT_STREAM_CAP = 512;

/** `error` of a seal whose result was lost twice. */
export const DRAFT_SEAL_AMBIGUOUS_ERROR = 'draft seal ambiguous after retry (transport ack lost)';

/** `error` of a seal the caller aborted. */
export const DRAFT_SEAL_CANCELLED_ERROR = 'draft seal cancelled';

/** A refusal this module makes itself, without writing a frame. */
export interface DraftLocalFailure {
  readonly success: false;
  readonly error: string;
  /** `cancelled`: the caller aborted a seal; `invalid_action`: a parameter broke a §3.1 rule. */
  readonly code: 'cancelled' | 'invalid_action';
}

/** What {@link DraftStreams.draft} resolves to: a result from `request` as is, or a local one. */
export type DraftResult = SendResult | DraftLocalFailure;

/**
 * Writes one action and resolves to its result, never rejecting (transport failures are results, with
 * `ambiguous: true` when the frame may have landed). Each call is a new request with a new
 * `requestId`. The signal, when the caller gave one, is passed along for the transport's own use.
 */
export type DraftRequest = (action: object, signal?: AbortSignal) => Promise<SendResult>;

/** One `draft` call. */
export interface DraftParams {
  /** The chat the draft is in. */
  readonly chatId: string;
  /** The stream's `draft_id`, an integer >= 0. */
  readonly draftId: number;
  /** What should be on screen now (the caller puts it in the action; frames are never merged). */
  readonly content: string;
  /** `true` seals the stream. */
  readonly final: boolean;
  /** The inbound message being answered; keys the stream per turn when given. */
  readonly turnId?: string;
  /** The thread the draft is in, part of the key when there is no turn id. */
  readonly threadId?: string;
  /** Builds the `draft` action to write; called at most once per `draft` call. */
  readonly buildAction: (final: boolean) => object;
  /** Aborting it while a seal is in flight cancels the seal (see {@link DraftStreams.draft}). */
  readonly signal?: AbortSignal;
}

/** Options of {@link DraftStreams}. */
export interface DraftStreamsOptions {
  /** Writes an action; see {@link DraftRequest}. */
  readonly request: DraftRequest;
  /**
   * Where the first swallowed frame of a sealed stream is reported.
   * @default silentLogger
   */
  readonly logger?: Logger;
  /**
   * Cap of open streams and, separately, of tombstones.
   * @default 512
   */
  readonly capacity?: number;
}

/**
 * The stream key of §3.1: `<chatId>:turn:<turnId>` when a turn id is given, else
 * `<chatId>:<threadId or "">`. Empty strings count as absent.
 */
export function draftStreamKey(chatId: string, turnId?: string, threadId?: string): string {
  return turnId ? `${chatId}:turn:${turnId}` : `${chatId}:${threadId ?? ''}`;
}

interface Tombstone {
  warned: boolean;
}

const CANCELLED = Symbol('cancelled');

const cancelled = (): DraftLocalFailure => ({ success: false, code: 'cancelled', error: DRAFT_SEAL_CANCELLED_ERROR });

/** Open streams and tombstones of one gateway. */
export class DraftStreams {
  private readonly request: DraftRequest;
  private readonly logger: Logger;
  private readonly capacity: number;
  // Both keyed by the (stream key, draft_id) pair; insertion order is the FIFO eviction order.
  private readonly open = new Set<string>();
  private readonly tombstones = new Map<string, Tombstone>();

  /** @throws {InvalidArgumentError} when `capacity` is not a positive integer. */
  constructor(options: DraftStreamsOptions) {
    this.request = options.request;
    this.logger = options.logger ?? silentLogger;
    const capacity = options.capacity ?? DEFAULT_DRAFT_STREAM_CAP;
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidArgumentError('capacity', `must be a positive integer, got ${String(capacity)}`);
    this.capacity = capacity;
  }

  /** Streams open now. */
  get openCount(): number {
    return this.open.size;
  }

  /** Tombstones held now. */
  get tombstoneCount(): number {
    return this.tombstones.size;
  }

  /** Whether the stream (`key`, `draftId`) is open; `key` as built by {@link draftStreamKey}. */
  isOpen(key: string, draftId: number): boolean {
    return this.open.has(pairKey(key, draftId));
  }

  /** Whether the stream (`key`, `draftId`) has been sealed (or a seal is in flight). */
  isSealed(key: string, draftId: number): boolean {
    return this.tombstones.has(pairKey(key, draftId));
  }

  /**
   * Write one `draft` frame, applying §3.1:
   * - a `draftId` that is not an integer >= 0: `invalid_action`, nothing written;
   * - a sealed stream: nothing written, `{success: true}`, a warning on the first such call per stream;
   * - interim: opens the stream, writes; success or an ambiguous result keeps it open, any other
   *   failure closes it; the result is returned as is;
   * - seal: closes the stream and tombstones it before writing; an ambiguous result is written once
   *   more (same action, new request); twice ambiguous gives {@link DRAFT_SEAL_AMBIGUOUS_ERROR}; a
   *   definite failure or decline is returned as is. An abort of `signal` before the seal's outcome
   *   removes the tombstone, reopens the stream and gives `cancelled`; the write may still land, and
   *   its late result is ignored.
   * Never rejects.
   */
  async draft(params: DraftParams): Promise<DraftResult> {
    const { chatId, draftId, final, signal } = params;
    if (!Number.isInteger(draftId) || draftId < 0) {
      return { success: false, code: 'invalid_action', error: `draft_id must be an integer >= 0, got ${String(draftId)}` };
    }
    const key = draftStreamKey(chatId, params.turnId, params.threadId);
    const pair = pairKey(key, draftId);
    const tombstone = this.tombstones.get(pair);
    if (tombstone) {
      if (!tombstone.warned) {
        tombstone.warned = true;
        log(this.logger, 'warn', 'relay: draft for a sealed stream dropped (later drops for it are silent)', { stream: key, draft_id: draftId, final });
      }
      return { success: true };
    }
    return final ? this.seal(pair, params.buildAction(true), signal) : this.interim(pair, params.buildAction(false), signal);
  }

  private async interim(pair: string, action: object, signal: AbortSignal | undefined): Promise<DraftResult> {
    this.openStream(pair);
    const result = await this.write(action, signal);
    // A seal may have run meanwhile: only a definite failure changes the state, and only by closing.
    if (!result.success && result.ambiguous !== true) this.open.delete(pair);
    return result;
  }

  private async seal(pair: string, action: object, signal: AbortSignal | undefined): Promise<DraftResult> {
    // Tombstone before writing, so a racing frame for the stream is swallowed rather than written
    // after the seal (a late interim would overwrite the final text on screen).
    this.open.delete(pair);
    this.addTombstone(pair);
    let result = await this.writeCancellable(action, signal);
    if (result !== CANCELLED && isAmbiguous(result)) {
      // The seal may or may not have landed: writing the identical frame again is safe for the
      // connector (same draft_id, same content), and the only way to learn the message id.
      result = await this.writeCancellable(action, signal);
      if (result !== CANCELLED && isAmbiguous(result)) return { success: false, ambiguous: true, error: DRAFT_SEAL_AMBIGUOUS_ERROR };
    }
    if (result === CANCELLED) {
      this.tombstones.delete(pair);
      this.openStream(pair);
      return cancelled();
    }
    return result;
  }

  private openStream(pair: string): void {
    if (this.open.has(pair)) return;
    this.open.add(pair);
    if (this.open.size > this.capacity) this.open.delete(this.open.values().next().value as string);
  }

  private addTombstone(pair: string): void {
    this.tombstones.set(pair, { warned: false });
    if (this.tombstones.size > this.capacity) this.tombstones.delete(this.tombstones.keys().next().value as string);
  }

  private async write(action: object, signal: AbortSignal | undefined): Promise<SendResult> {
    try {
      return await this.request(action, signal);
    } catch (error) {
      // `request` must not reject; if it does, report it as a failed write rather than throw into the
      // caller's turn. Not ambiguous: a seal is not retried on a broken request function.
      return { success: false, error: `${TRANSPORT_ERRORS.sendFailed}${error instanceof Error ? error.message : String(error)}` };
    }
  }

  private writeCancellable(action: object, signal: AbortSignal | undefined): Promise<SendResult | typeof CANCELLED> {
    if (!signal) return this.write(action, undefined);
    if (signal.aborted) return Promise.resolve(CANCELLED);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(CANCELLED);
      signal.addEventListener('abort', onAbort, { once: true });
      void this.write(action, signal).then((result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      });
    });
  }
}

function pairKey(key: string, draftId: number): string {
  // JSON keeps (key, id) pairs distinct whatever characters the chat id contains.
  return JSON.stringify([key, draftId]);
}

function isAmbiguous(result: SendResult): boolean {
  return result.success !== true && result.ambiguous === true;
}
