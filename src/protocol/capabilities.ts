/**
 * The application-facing view of a descriptor (relay-connector-contract.md §5 "derived surface"), camelCased.
 * @module
 */
import { LEGACY_SUPPORTED_OPS, type CapabilityDescriptor, type LenUnit } from './descriptor.js';

/** What the application may rely on when composing replies for the connected platform. */
export interface Capabilities {
  /** Longest message the platform accepts, in units of {@link Capabilities.messageLength}. */
  readonly maxMessageLength: number;
  /** Length of `text` as the platform counts it (`chars`: code points; `utf16`: code units). */
  messageLength(text: string): number;
  /** Whether the platform can show a draft that is streamed and edited in place. */
  readonly supportsDraftStreaming: boolean;
  /** Whether fenced code blocks render (any markdown dialect but `plain`). */
  readonly supportsCodeBlocks: boolean;
  /** Whether sent messages can be edited. */
  readonly supportsEdit: boolean;
  /** Whether the platform has threads. */
  readonly supportsThreads: boolean;
  /** Whether the connector accepts outbound op `op` (empty `supported_ops` = the legacy set). */
  supportsOp(op: string): boolean;
}

/** Count Unicode code points, as Python's `len` does (`"😀"` is 1). */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low surrogate is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** Count UTF-16 code units (JavaScript's `.length`; Telegram's unit). */
export function utf16Length(text: string): number {
  return text.length;
}

const LENGTH_FUNCTIONS: Readonly<Record<LenUnit, (text: string) => number>> = {
  chars: codePointLength,
  utf16: utf16Length,
};

/** Derive the frozen {@link Capabilities} of a descriptor. */
export function capabilitiesOf(descriptor: CapabilityDescriptor): Capabilities {
  const ops = new Set(descriptor.supported_ops.length > 0 ? descriptor.supported_ops : LEGACY_SUPPORTED_OPS);
  const dialect = descriptor.markdown_dialect;
  return Object.freeze({
    maxMessageLength: descriptor.max_message_length,
    messageLength: LENGTH_FUNCTIONS[descriptor.len_unit],
    supportsDraftStreaming: descriptor.supports_draft_streaming,
    supportsCodeBlocks: dialect !== '' && dialect !== 'plain',
    supportsEdit: descriptor.supports_edit,
    supportsThreads: descriptor.supports_threads,
    supportsOp: (op: string) => ops.has(op),
  });
}
