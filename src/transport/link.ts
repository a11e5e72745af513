/**
 * The seam between the socket actor (control plane) and the data plane: the socket actor hands the
 * data plane a {@link LinkWriter} while a handshaken socket exists, and feeds it data frames directly,
 * so serving traffic never goes through the state machine.
 * @module
 */
import type {
  InboundFrame,
  InterruptInboundFrame,
  OutboundResultFrame,
  PassthroughForwardFrame,
} from '../protocol/frames.js';
import type { ProtocolValidationError } from '../errors.js';
import type { MalformedLineInfo } from '../codec/frame-decoder.js';

/** Frames that carry application data; they bypass the machine. */
export type DataFrame = InboundFrame | OutboundResultFrame | InterruptInboundFrame | PassthroughForwardFrame;

/** Writes to the live socket. Valid until {@link LinkSink.detach} is called. */
export interface LinkWriter {
  /** Write one encoded line; resolves when flushed, rejects with the socket's error. */
  write(line: string): Promise<void>;
  /** Stop reading from the socket (backpressure). */
  pause(): void;
  /** Read again. */
  resume(): void;
}

/** Why the data plane lost its writer. */
export type DetachReason = 'lost' | 'closed';

/** What the socket actor tells the data plane. */
export interface LinkSink {
  /** The handshake succeeded: application traffic may flow through `writer`. */
  attach(writer: LinkWriter): void;
  /** The socket is gone. Pending requests must fail now, not at their timeout. */
  detach(): void;
  /** A data frame arrived. Must not throw and must not await application code. */
  frame(frame: DataFrame): void;
  /** A line was skipped (not JSON / not an object), an unknown frame type arrived, or a known frame was invalid. */
  rejected(problem: RejectedInput): void;
}

/** Input the reader skipped; counted and logged, never fatal. */
export type RejectedInput =
  | { readonly kind: 'malformed-line'; readonly info: MalformedLineInfo }
  | { readonly kind: 'unknown-frame'; readonly type: string }
  | { readonly kind: 'invalid-frame'; readonly type: string; readonly error: ProtocolValidationError };
