/**
 * The application-facing view of a descriptor (relay-connector-contract.md §5 "derived surface"), camelCased.
 * @module
 */
import type { CapabilityDescriptor, LenUnit } from './descriptor.js';
import { refusalFor } from './op-gating.js';
import { codePointLength, utf16Length } from './text-length.js';

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
  /**
   * Whether the gateway will write op `op` (protocol-later §2): the legacy four always (`edit` only
   * when the platform can edit); any other op only when listed in `supported_ops` (`draft` also needs
   * draft streaming; `task_card` covers `task_card_stop`). The same rule the gateway applies before
   * refusing with `not_supported`.
   */
  supportsOp(op: string): boolean;
  /** The platform the descriptor is for. */
  readonly platform: string;
  /** The unit of {@link Capabilities.maxMessageLength}: `chars` (code points) or `utf16` (code units). */
  readonly lenUnit: LenUnit;
}

export { codePointLength, utf16Length } from './text-length.js';

const LENGTH_FUNCTIONS: Readonly<Record<LenUnit, (text: string) => number>> = {
  chars: codePointLength,
  utf16: utf16Length,
};

/** Derive the frozen {@link Capabilities} of a descriptor. */
export function capabilitiesOf(descriptor: CapabilityDescriptor): Capabilities {
  const dialect = descriptor.markdown_dialect;
  return Object.freeze({
    maxMessageLength: descriptor.max_message_length,
    messageLength: LENGTH_FUNCTIONS[descriptor.len_unit],
    supportsDraftStreaming: descriptor.supports_draft_streaming,
    supportsCodeBlocks: dialect !== '' && dialect !== 'plain',
    supportsEdit: descriptor.supports_edit,
    supportsThreads: descriptor.supports_threads,
    supportsOp: (op: string) => refusalFor(descriptor, op) === undefined,
    platform: descriptor.platform,
    lenUnit: descriptor.len_unit,
  });
}
