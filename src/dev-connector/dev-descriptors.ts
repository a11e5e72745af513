/**
 * Descriptors the dev connector hands out: the ops it implements, a builder for one platform's
 * descriptor, and the `--descriptors FILE` format of `relay-gateway dev-connector` (one descriptor
 * per platform, YAML or JSON, validated with zod so a typo is named instead of silently ignored).
 * @module
 */
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { readBoundedFile } from '../config/read-bounded-file.js';
import { RELAY_PLATFORM_EXPECTED, isRelayPlatformName } from '../config/relay-settings.js';
import { DEFAULT_MAX_MESSAGE_LENGTH, descriptorFromPlatformEntry, lenUnitSchema, type CapabilityDescriptor } from '../protocol/descriptor.js';
import { OUTBOUND_OPS } from '../protocol/outbound.js';
import { toValidationIssues } from '../protocol/validation.js';

/**
 * Every op the dev connector answers (base and later), advertised by its default descriptors so a
 * gateway's op gate lets all of them through: `get_chat_info` and every later op need explicit
 * listing (protocol-later §2). `task_card_stop` is listed too although `task_card` already covers it,
 * so the list reads as "everything the dev connector implements".
 */
export const DEV_SUPPORTED_OPS: readonly string[] = Object.freeze([...OUTBOUND_OPS]);

/** What {@link devDescriptor} lets a caller change; everything else takes the dev defaults. */
export interface DevDescriptorSettings {
  /** @default "<platform> (dev connector)" */
  readonly label?: string;
  /** @default 4096 */
  readonly max_message_length?: number;
  /** @default "chars" */
  readonly len_unit?: 'chars' | 'utf16';
  /** @default {@link DEV_SUPPORTED_OPS} */
  readonly supported_ops?: readonly string[];
  /** @default true */
  readonly supports_edit?: boolean;
  /** @default whether `supported_ops` lists `draft` (the gate needs both the flag and the op) */
  readonly supports_draft_streaming?: boolean;
  /** @default false */
  readonly supports_threads?: boolean;
  /** @default "plain" */
  readonly markdown_dialect?: string;
  /** @default "🔌" */
  readonly emoji?: string;
  /** @default "" */
  readonly platform_hint?: string;
  /** @default false */
  readonly pii_safe?: boolean;
}

/**
 * A valid, frozen descriptor for `platform` with the dev connector's defaults: every op it
 * implements is advertised, drafts are streamed when `draft` is listed.
 */
export function devDescriptor(platform: string, settings: DevDescriptorSettings = {}): CapabilityDescriptor {
  const ops = settings.supported_ops ?? DEV_SUPPORTED_OPS;
  return descriptorFromPlatformEntry(
    {
      name: platform,
      label: settings.label ?? `${platform} (dev connector)`,
      max_message_length: settings.max_message_length ?? DEFAULT_MAX_MESSAGE_LENGTH,
      ...(settings.emoji !== undefined ? { emoji: settings.emoji } : {}),
      ...(settings.platform_hint !== undefined ? { platform_hint: settings.platform_hint } : {}),
      ...(settings.pii_safe !== undefined ? { pii_safe: settings.pii_safe } : {}),
    },
    {
      len_unit: settings.len_unit ?? 'chars',
      supports_edit: settings.supports_edit ?? true,
      supports_draft_streaming: settings.supports_draft_streaming ?? ops.includes('draft'),
      supports_threads: settings.supports_threads ?? false,
      markdown_dialect: settings.markdown_dialect ?? 'plain',
      supported_ops: ops,
    },
  );
}

/** One platform's entry in a descriptors file: every key optional, no unknown key (a typo is an error). */
const descriptorEntrySchema = z.strictObject({
  label: z.string().min(1).optional(),
  max_message_length: z.int().positive().optional(),
  len_unit: lenUnitSchema.optional(),
  // Only op names this library knows: a misspelt op would otherwise just be refused by the gate later.
  supported_ops: z.array(z.enum(OUTBOUND_OPS)).optional(),
  supports_edit: z.boolean().optional(),
  supports_draft_streaming: z.boolean().optional(),
  supports_threads: z.boolean().optional(),
  markdown_dialect: z.string().min(1).optional(),
  emoji: z.string().min(1).optional(),
  platform_hint: z.string().optional(),
  pii_safe: z.boolean().optional(),
});

/**
 * Schema of a descriptors file: a mapping from platform name to {@link descriptorEntrySchema}, at
 * least one platform. Platform names follow the hello's rules (a descriptor is chosen by the
 * platform a hello names, matched exactly).
 */
export const descriptorsFileSchema = z
  .record(z.string(), descriptorEntrySchema)
  .superRefine((entries, ctx) => {
    const platforms = Object.keys(entries);
    if (platforms.length === 0) ctx.addIssue({ code: 'custom', path: [], input: entries, message: 'expected a mapping with at least one platform' });
    for (const platform of platforms) {
      if (!isRelayPlatformName(platform)) ctx.addIssue({ code: 'custom', path: [platform], input: platform, message: `expected a platform name of ${RELAY_PLATFORM_EXPECTED}` });
    }
  });

/** Largest descriptors file read: a few platforms take a few hundred bytes. */
export const MAX_DESCRIPTORS_FILE_BYTES = 256 * 1024;

/**
 * Turn descriptors-file text (YAML, or JSON, which YAML reads too) into one descriptor per platform,
 * in file order.
 * @param text - The file's content.
 * @param setting - Named in errors (the flag). @param where - The file, named in errors.
 * @throws {ConfigError} naming the setting, the file, the line of a syntax error or the path of the
 * first bad value (`discord.len_unit: expected one of "chars", "utf16", received "bytes"`).
 */
export function parseDescriptorsText(text: string, setting = '--descriptors', where = 'descriptors file'): Map<string, CapabilityDescriptor> {
  const document = parseDocument(text);
  const syntax = document.errors[0];
  if (syntax) {
    const at = syntax.linePos?.[0];
    // The parser's first line says what is wrong; its later lines are a code excerpt.
    const problem = syntax.message.split('\n')[0] ?? 'invalid syntax';
    throw new ConfigError(setting, `${where}: invalid YAML/JSON${at ? ` at line ${at.line}, column ${at.col}` : ''}: ${problem}`);
  }
  const parsed = descriptorsFileSchema.safeParse(document.toJS(), { reportInput: true });
  if (!parsed.success) {
    const issue = toValidationIssues(parsed.error)[0];
    throw new ConfigError(setting, `${where}: ${issue?.message ?? 'invalid descriptors'}`);
  }
  const descriptors = new Map<string, CapabilityDescriptor>();
  for (const [platform, entry] of Object.entries(parsed.data)) descriptors.set(platform, devDescriptor(platform, entry));
  return descriptors;
}

/**
 * Read a descriptors file (see {@link parseDescriptorsText}); bounded and non-blocking like every
 * settings file the CLI reads.
 * @throws {ConfigError} (`--descriptors`) when the file cannot be read or is invalid.
 */
export function readDescriptorsFile(path: string, setting = '--descriptors'): Map<string, CapabilityDescriptor> {
  const { text } = readBoundedFile(path, { setting, what: 'descriptors file', maxBytes: MAX_DESCRIPTORS_FILE_BYTES });
  return parseDescriptorsText(text, setting, `descriptors file ${JSON.stringify(path)}`);
}
