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
import type { CapabilityDescriptor } from '../protocol/descriptor.js';

/** Frames that carry application data; they bypass the machine. */
export type DataFrame = InboundFrame | OutboundResultFrame | InterruptInboundFrame | PassthroughForwardFrame;

/**
 * Writes to the live socket. Valid until {@link LinkSink.detach} is called. There is deliberately no
 * way to pause reading: results, pongs, acks and closes share the socket with inbound work, so the
 * reader always reads and the data plane bounds its backlog itself.
 */
export interface LinkWriter {
  /** Write one encoded line; resolves when flushed, rejects with the socket's error. */
  write(line: string): Promise<void>;
}

/** Why the data plane lost its writer. */
export type DetachReason = 'lost' | 'closed';

/** What the socket actor tells the data plane. */
export interface LinkSink {
  /**
   * The upgrade succeeded and every `hello` is written: requests may be written through `writer`
   * now, before the handshake completes (capability checks use the descriptors adopted last).
   */
  attach(writer: LinkWriter): void;
  /** The first valid descriptor of this link arrived: the handshake is complete (the primary). */
  handshake(descriptor: CapabilityDescriptor): void;
  /** Another identity's valid descriptor arrived on this link (after the primary). */
  descriptor(descriptor: CapabilityDescriptor): void;
  /** The socket is gone. Pending requests must fail now, not at their timeout. */
  detach(): void;
  /**
   * A data frame arrived on a handshaken link, with the length of its line (see the decoder's
   * `onFrame`). Must not throw and must not await application code.
   */
  frame(frame: DataFrame, size: number): void;
  /** A line was skipped (not JSON / not an object), an unknown frame type arrived, or a known frame was invalid. */
  rejected(problem: RejectedInput): void;
}

/** Input the reader skipped; counted and logged, never fatal. */
export type RejectedInput =
  | { readonly kind: 'malformed-line'; readonly info: MalformedLineInfo }
  | { readonly kind: 'unknown-frame'; readonly type: string }
  | { readonly kind: 'invalid-frame'; readonly type: string; readonly error: ProtocolValidationError }
  /** A data frame the connector sent before its descriptor: never handed to the application. */
  | { readonly kind: 'before-handshake'; readonly type: string };
