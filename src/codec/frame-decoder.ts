/**
 * Incoming half of the line framing (relay-connector-contract.md §3): turns a stream of WebSocket message payloads into
 * JSON-object frames. Lines may be split across messages (even inside a multi-byte UTF-8
 * character), several may share one message, and a bad line is counted and skipped, never fatal.
 * @module
 */
import { Buffer } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { FrameTooLargeError, InvalidArgumentError, InvalidStateError } from '../errors.js';

/** Default cap on a buffered partial line: 1 MiB of UTF-8. */
export const DEFAULT_MAX_LINE_BYTES = 1_048_576;

/** How many characters of a malformed line are handed to `onMalformed` (enough for a log line). */
export const MALFORMED_LINE_PREVIEW_CHARS = 200;

/** A decoded frame: a plain JSON object whose fields have not been validated yet. */
export type DecodedFrame = Record<string, unknown>;

/**
 * One WebSocket message payload as `ws` hands it over: a `string`, a `Buffer` (text and binary
 * messages alike), a `Buffer[]` (fragmented message, `binaryType: 'fragments'`) or an `ArrayBuffer`
 * (`binaryType: 'arraybuffer'`). Binary content is UTF-8.
 */
export type FramePayload = string | Buffer | ArrayBuffer | readonly Buffer[];

/** Why a line was skipped. */
export type MalformedReason = 'not-json' | 'not-object';

/** Report about one skipped line. */
export interface MalformedLineInfo {
  /** `not-json`: `JSON.parse` failed; `not-object`: valid JSON but an array, string, number, boolean or null. */
  readonly reason: MalformedReason;
  /**
   * The offending line, cut to {@link MALFORMED_LINE_PREVIEW_CHARS} characters (plus `…` when cut)
   * so it can be logged without flooding. Untrusted peer content: escape before display.
   */
  readonly line: string;
}

/** Options of {@link createFrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * Receives every decoded frame, in wire order, with the length of its line in UTF-16 code units
   * (what the line costs as a string; equal to its UTF-8 size for ASCII text). May throw: see
   * {@link FrameDecoder.push} for how the error surfaces.
   */
  readonly onFrame: (frame: DecodedFrame, size: number) => void;
  /**
   * Told about every skipped non-JSON or non-object line (already counted in `stats.malformed`).
   * @default undefined (skipped lines are only counted)
   */
  readonly onMalformed?: (info: MalformedLineInfo) => void;
  /**
   * Cap, in UTF-8 bytes, on the partial line kept between pushes (the text after the last `"\n"`).
   * Must be a positive integer. Complete lines inside one payload are not capped here: the
   * WebSocket's own `maxPayload` bounds them.
   * @default 1_048_576 (1 MiB, {@link DEFAULT_MAX_LINE_BYTES})
   */
  readonly maxLineBytes?: number;
}

/** Live counters of a {@link FrameDecoder}; cumulative, {@link FrameDecoder.reset} keeps them. */
export interface FrameDecoderStats {
  /** Frames handed to `onFrame` (counted even when `onFrame` throws). */
  frames: number;
  /** Lines skipped because they were not JSON or not a JSON object. */
  malformed: number;
  /** Empty or whitespace-only lines skipped (a line of just `"\r"` included). */
  blankLines: number;
}

/** Streaming decoder returned by {@link createFrameDecoder}. One per connection. */
export interface FrameDecoder {
  /**
   * Feed one message payload. Complete lines are decoded and dispatched synchronously, in order;
   * the text after the last `"\n"` is kept for the next push.
   *
   * Never throws because of line content. It throws only in these cases, each after every complete
   * line of the payload has been dispatched and the decoder state is consistent:
   * - {@link FrameTooLargeError} when the kept partial line exceeds `maxLineBytes`; the partial line
   *   (and any incomplete UTF-8 sequence) is then discarded as by {@link FrameDecoder.reset}. The
   *   caller should close with 1009 and reconnect; if it keeps pushing instead, the rest of the
   *   oversized line arrives as one malformed line and decoding resumes after it. Callback errors
   *   from the same push are dropped in that case: the connection is going away anyway.
   * - the error thrown by `onFrame` / `onMalformed`: it does not abort the payload; the remaining
   *   lines are still dispatched and the error is rethrown at the end (an `AggregateError` when
   *   callbacks threw more than once).
   * - {@link InvalidArgumentError} for a payload of an unsupported type;
   *   {@link InvalidStateError} for a `push` made from inside a callback (re-entrancy would reorder frames).
   */
  push(payload: FramePayload): void;
  /** Live counters (the same object, updated in place). */
  readonly stats: Readonly<FrameDecoderStats>;
  /** UTF-8 size of the buffered partial line (excluding at most 3 bytes of an incomplete character). */
  readonly pendingBytes: number;
  /**
   * Drop the partial line and any incomplete UTF-8 sequence, e.g. on reconnect. Counters are kept.
   * Safe to call from inside `onFrame`: the rest of the current payload is then discarded too.
   */
  reset(): void;
}

const OPEN_BRACE = 0x7b;
// A UTF-16 code unit never takes more than 3 UTF-8 bytes (a surrogate pair: 4 bytes for 2 units).
const MAX_UTF8_BYTES_PER_UNIT = 3;

/**
 * Create a streaming decoder for newline-delimited JSON frames.
 *
 * @throws {InvalidArgumentError} `onFrame` or `onMalformed` is not a function, or `maxLineBytes` is
 *   not a positive integer.
 */
export function createFrameDecoder(options: FrameDecoderOptions): FrameDecoder {
  const { onFrame, onMalformed, maxLineBytes = DEFAULT_MAX_LINE_BYTES } = options;
  if (typeof onFrame !== 'function') {
    throw new InvalidArgumentError('onFrame', 'must be a function');
  }
  if (onMalformed !== undefined && typeof onMalformed !== 'function') {
    throw new InvalidArgumentError('onMalformed', 'must be a function when given');
  }
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes <= 0) {
    throw new InvalidArgumentError('maxLineBytes', `must be a positive integer, received ${String(maxLineBytes)}`);
  }

  const stats: FrameDecoderStats = { frames: 0, malformed: 0, blankLines: 0 };
  let utf8 = new StringDecoder('utf8');
  let pending = '';
  // Exact UTF-8 size of `pending` once it has been measured, -1 while it is not known. Kept up to
  // date on appends so a line growing slowly near the cap is not re-measured from the start.
  let pendingSize = -1;
  // Bumped by reset() so a dispatch loop notices that a callback reset the decoder under it.
  let generation = 0;
  let dispatching = false;
  // Errors thrown by callbacks during the current push, rethrown once the payload is consumed.
  const callbackErrors: unknown[] = [];

  function reset(): void {
    pending = '';
    pendingSize = -1;
    utf8 = new StringDecoder('utf8');
    generation++;
  }

  function noteCallbackError(error: unknown): void {
    callbackErrors.push(error);
  }

  function reportMalformed(reason: MalformedReason, line: string): void {
    stats.malformed++;
    if (onMalformed === undefined) return;
    try {
      onMalformed({ reason, line: preview(line) });
    } catch (error) {
      noteCallbackError(error);
    }
  }

  function handleLine(line: string): void {
    // Fast path: a frame starts with '{'; anything else is rare enough to afford a trim().
    if (line.length === 0 || (line.charCodeAt(0) !== OPEN_BRACE && line.trim().length === 0)) {
      stats.blankLines++;
      return;
    }
    let value: unknown;
    try {
      // JSON whitespace includes '\r', so a CRLF line parses without trimming.
      value = JSON.parse(line);
    } catch {
      reportMalformed('not-json', line);
      return;
    }
    // JSON.parse only builds plain objects, arrays and primitives, so this is the full check.
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      reportMalformed('not-object', line);
      return;
    }
    stats.frames++;
    try {
      onFrame(value as DecodedFrame, line.length);
    } catch (error) {
      noteCallbackError(error);
    }
  }

  /** Returns the cap breach to throw, if the kept partial line is over the cap. */
  function checkPendingCap(): FrameTooLargeError | undefined {
    const units = pending.length;
    if (units * MAX_UTF8_BYTES_PER_UNIT <= maxLineBytes) return undefined;
    if (pendingSize < 0) pendingSize = Buffer.byteLength(pending, 'utf8');
    if (pendingSize <= maxLineBytes) return undefined;
    const breach = new FrameTooLargeError(pendingSize, maxLineBytes);
    reset();
    return breach;
  }

  function appendToPending(text: string): FrameTooLargeError | undefined {
    if (pendingSize >= 0) pendingSize += Buffer.byteLength(text, 'utf8');
    pending += text;
    return checkPendingCap();
  }

  function consume(text: string): FrameTooLargeError | undefined {
    if (text.length === 0) return undefined;
    let lineEnd = text.indexOf('\n');
    if (lineEnd === -1) return appendToPending(text);

    const lastLineEnd = text.lastIndexOf('\n');
    const head = pending;
    // Commit the new partial line before any callback runs, so a callback that throws or resets
    // leaves the decoder consistent.
    pending = text.slice(lastLineEnd + 1);
    pendingSize = -1;
    const breach = checkPendingCap();
    const startGeneration = generation;

    // The old partial line is joined with new text exactly once, for the first line only.
    handleLine(head.length === 0 ? text.slice(0, lineEnd) : head + text.slice(0, lineEnd));
    let lineStart = lineEnd + 1;
    while (lineStart <= lastLineEnd && generation === startGeneration) {
      lineEnd = text.indexOf('\n', lineStart);
      handleLine(text.slice(lineStart, lineEnd));
      lineStart = lineEnd + 1;
    }
    return breach;
  }

  function push(payload: FramePayload): void {
    if (dispatching) {
      throw new InvalidStateError('push() must not be called from inside onFrame/onMalformed');
    }
    dispatching = true;
    callbackErrors.length = 0;
    let breach: FrameTooLargeError | undefined;
    try {
      if (typeof payload === 'string') {
        // A text payload is complete UTF-8 by itself; bytes left over from an unfinished binary
        // character can never be completed by it, so flush them (as U+FFFD) in stream order.
        const leftover = utf8.end();
        breach = leftover.length > 0 ? consume(leftover + payload) : consume(payload);
      } else if (payload instanceof Uint8Array) {
        // Buffer (what ws delivers) or any other byte view; StringDecoder keeps a character split
        // across messages until its remaining bytes arrive.
        breach = consume(utf8.write(payload));
      } else if (payload instanceof ArrayBuffer) {
        breach = consume(utf8.write(Buffer.from(payload)));
      } else if (Array.isArray(payload)) {
        const fragments: readonly unknown[] = payload;
        // Validate first so a bad fragment leaves the UTF-8 state untouched.
        for (const fragment of fragments) {
          if (!(fragment instanceof Uint8Array)) {
            throw new InvalidArgumentError('payload', 'every fragment of a Buffer[] payload must be a Buffer');
          }
        }
        // The fragments form one message: decode them into one text so that a line completed
        // within the message is never capped, exactly as for a single-Buffer payload.
        let text = '';
        for (const fragment of fragments as readonly Uint8Array[]) text += utf8.write(fragment);
        breach = consume(text);
      } else {
        throw new InvalidArgumentError('payload', 'expected a string, Buffer, Buffer[] or ArrayBuffer');
      }
    } finally {
      dispatching = false;
    }
    if (breach !== undefined) throw breach;
    if (callbackErrors.length === 0) return;
    const errors = callbackErrors.splice(0);
    if (errors.length === 1) throw errors[0];
    throw new AggregateError(errors, `${errors.length} frame decoder callbacks threw during one push`);
  }

  return {
    push,
    reset,
    stats,
    get pendingBytes(): number {
      if (pendingSize < 0) pendingSize = Buffer.byteLength(pending, 'utf8');
      return pendingSize;
    },
  };
}

function preview(line: string): string {
  if (line.length <= MALFORMED_LINE_PREVIEW_CHARS) return line;
  let end = MALFORMED_LINE_PREVIEW_CHARS;
  // Do not cut a surrogate pair in half: a lone surrogate renders as garbage in logs.
  const last = line.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${line.slice(0, end)}…`;
}
