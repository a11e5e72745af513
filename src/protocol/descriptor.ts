/**
 * The capability descriptor (relay-connector-contract.md §5): what the connector says the platform behind it can do.
 * Parsed once per handshake, frozen, and exposed to the application as {@link Capabilities}.
 * @module
 */
import { z } from 'zod';
import { parseOrThrow } from './validation.js';

/** The contract version this gateway speaks. Changes within a version are additive only. */
export const CONTRACT_VERSION = 1;

/**
 * Whether a descriptor announces a contract newer than {@link CONTRACT_VERSION}. Such a descriptor is
 * adopted all the same (protocol-later §7: the later "custody" versions only add behaviour this
 * gateway does not use); the caller logs it once so an operator knows features are being ignored.
 */
export function isNewerContract(descriptor: Pick<CapabilityDescriptor, 'contract_version'>): boolean {
  return descriptor.contract_version > CONTRACT_VERSION;
}

/** Chunking bound used when a descriptor or platform entry gives no usable limit. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 4096;

/** Operations assumed when a descriptor's `supported_ops` is empty (older connectors). */
export const LEGACY_SUPPORTED_OPS: readonly string[] = Object.freeze(['send', 'edit', 'typing', 'follow_up']);

/** How the platform counts message length. */
export const lenUnitSchema = z.enum(['chars', 'utf16']);

/** `chars` counts Unicode code points; `utf16` counts UTF-16 code units. */
export type LenUnit = z.infer<typeof lenUnitSchema>;

/**
 * `max_message_length` is required, but tolerant of sloppy connectors: a numeric string becomes a
 * number, and anything that is not a positive number means {@link DEFAULT_MAX_MESSAGE_LENGTH}.
 */
const maxMessageLengthSchema = z
  .unknown()
  .refine((value) => value !== undefined, { error: 'expected number (required)' })
  .transform((value): number => {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : DEFAULT_MAX_MESSAGE_LENGTH;
  });

/**
 * Zod schema of the descriptor's wire form. Unknown keys are stripped (forward compatibility: a
 * custody `capabilities` list, say); optional keys take their defaults. `contract_version` is any
 * integer >= 1: a newer version is accepted (see {@link isNewerContract}), an older or malformed one
 * is not a contract at all.
 */
export const descriptorSchema = z.object({
  contract_version: z.int({ error: 'expected an integer >= 1' }).min(CONTRACT_VERSION, { error: 'expected an integer >= 1' }),
  platform: z.string(),
  label: z.string(),
  max_message_length: maxMessageLengthSchema,
  supports_draft_streaming: z.boolean(),
  supports_edit: z.boolean(),
  supports_threads: z.boolean(),
  markdown_dialect: z.string(),
  len_unit: lenUnitSchema,
  emoji: z.string().default('🔌'),
  platform_hint: z.string().default(''),
  pii_safe: z.boolean().default(false),
  supported_ops: z.array(z.string()).default([]),
});

/** An adopted capability descriptor. Frozen: a descriptor never changes once adopted. */
export type CapabilityDescriptor = Readonly<Omit<z.output<typeof descriptorSchema>, 'supported_ops'>> & {
  readonly supported_ops: readonly string[];
};

/** Wire form accepted by {@link parseDescriptor} (before defaults and normalisation). */
export type CapabilityDescriptorInput = z.input<typeof descriptorSchema>;

/**
 * Parse and freeze a descriptor received from the connector.
 * @throws {ProtocolValidationError} `ERR_PROTOCOL_INVALID`, naming the first bad field, when a
 * required field is missing or has the wrong type.
 */
export function parseDescriptor(value: unknown): CapabilityDescriptor {
  const parsed = parseOrThrow(descriptorSchema, value, 'descriptor');
  Object.freeze(parsed.supported_ops);
  return Object.freeze(parsed);
}

/** A platform registry entry, as the connector's platform table describes it. */
export interface PlatformEntry {
  /** Platform name, becomes the descriptor's `platform`. */
  readonly name: string;
  /** Human label. */
  readonly label: string;
  /** Platform limit; `0` means "no limit" and maps to {@link DEFAULT_MAX_MESSAGE_LENGTH}. */
  readonly max_message_length: number;
  /** @default "🔌" */
  readonly emoji?: string;
  /** @default "" */
  readonly platform_hint?: string;
  /** @default false */
  readonly pii_safe?: boolean;
}

/** Runtime capabilities a platform entry does not encode (they come from the live adapter). */
export interface RuntimeCapabilityFlags {
  /** @default "chars" */
  readonly len_unit?: LenUnit;
  /** @default false */
  readonly supports_draft_streaming?: boolean;
  /** @default true */
  readonly supports_edit?: boolean;
  /** @default false */
  readonly supports_threads?: boolean;
  /** @default "plain" */
  readonly markdown_dialect?: string;
  /** @default [] (the legacy op set) */
  readonly supported_ops?: readonly string[];
}

/**
 * Project a platform entry plus runtime flags into a descriptor (what a connector sends in its
 * handshake reply). The result goes through {@link parseDescriptor}, so it is valid and frozen.
 */
export function descriptorFromPlatformEntry(entry: PlatformEntry, flags: RuntimeCapabilityFlags = {}): CapabilityDescriptor {
  return parseDescriptor({
    contract_version: CONTRACT_VERSION,
    platform: entry.name,
    label: entry.label,
    max_message_length: entry.max_message_length > 0 ? entry.max_message_length : DEFAULT_MAX_MESSAGE_LENGTH,
    supports_draft_streaming: flags.supports_draft_streaming ?? false,
    supports_edit: flags.supports_edit ?? true,
    supports_threads: flags.supports_threads ?? false,
    markdown_dialect: flags.markdown_dialect ?? 'plain',
    len_unit: flags.len_unit ?? 'chars',
    emoji: entry.emoji ?? '🔌',
    platform_hint: entry.platform_hint ?? '',
    pii_safe: entry.pii_safe ?? false,
    supported_ops: [...(flags.supported_ops ?? [])],
  });
}
