/**
 * The YAML identity list `gateway.relay_identities` (protocol-later §1.1):
 * a list of `{platform, bot_id?, username?}` mappings. Unlike the environment map, a bad file entry
 * fails config load: the file is edited by hand and checked at start, so a mistake is fixed once.
 * @module
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { RELAY_IDENTITIES_FILE_KEY, RELAY_PLATFORM_EXPECTED, isRelayPlatformName } from '../config/relay-settings.js';
import { describeYamlType } from '../config/yaml-type.js';
import { dedupeByPlatform, duplicateWarning } from './dedupe.js';
import { makeIdentity, normalizeUsername, type Identity } from './identity.js';

/** Outcome of {@link parseFileIdentities}. */
export interface FileIdentities {
  /** The identities, in file order, repeats dropped; empty when the key is unset or an empty list. */
  readonly identities: Identity[];
  /** Keys of an entry that are not identity keys, and repeated platforms. */
  readonly warnings: string[];
}

const ENTRY_KEYS = ['platform', 'bot_id', 'username'] as const;
const ENTRY_SHAPE = '{platform, bot_id?, username?}';

// `null` is a key written with no value (`bot_id:`), as for the other file settings: unset.
const entrySchema = z.looseObject({
  platform: z.string({ error: 'a non-empty string' }).trim().min(1, { error: 'a non-empty string' }),
  bot_id: z.string({ error: 'a string (quote a numeric id: bot_id: "123")' }).trim().nullish(),
  username: z.string({ error: 'a string' }).nullish(),
});

/**
 * What is wrong with a platform name, in classes of characters: the file module never quotes file
 * text (a mis-indented secret could land anywhere), and the class is enough to fix the name.
 */
function describeBadName(name: string): string {
  const problems = [
    /\p{Lu}/u.test(name) ? 'uppercase letters' : undefined,
    /\s/u.test(name) ? 'spaces' : undefined,
    /[^\p{Lu}\s a-z0-9_-]/u.test(name) ? 'other characters' : undefined,
  ].filter((problem): problem is string => problem !== undefined);
  return `a string with ${problems.join(', ')}`;
}

/**
 * Validate the raw YAML value of `gateway.relay_identities`.
 * @param raw - The parsed YAML value (`undefined` when the key is absent; numbers may be `bigint`).
 * @param label - The file path (or `configText`) added to messages as `(in <label>)`.
 * @throws {ConfigError} naming `gateway.relay_identities` when the value is not a list, or
 * `gateway.relay_identities[<i>]` when entry `i` is not a mapping, has no non-empty string
 * `platform`, a platform outside `[a-z0-9_-]`, or a `bot_id` / `username` that is not a string.
 * Messages name types and character classes, never values.
 */
export function parseFileIdentities(raw: unknown, label?: string): FileIdentities {
  const where = label === undefined ? '' : ` (in ${label})`;
  // A blank key (`relay_identities:`) parses to null and, like every other file key, sets nothing.
  if (raw === undefined || raw === null) return { identities: [], warnings: [] };
  if (!Array.isArray(raw)) {
    throw new ConfigError(RELAY_IDENTITIES_FILE_KEY, `expected a list of ${ENTRY_SHAPE} mappings, received ${describeYamlType(raw)}${where}`);
  }
  const warnings: string[] = [];
  const parsed = (raw as readonly unknown[]).map((entry, index): Identity => {
    const setting = `${RELAY_IDENTITIES_FILE_KEY}[${index}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new ConfigError(setting, `expected a mapping ${ENTRY_SHAPE}, received ${describeYamlType(entry)}${where}`);
    }
    const result = entrySchema.safeParse(entry);
    if (!result.success) {
      const issue = result.error.issues[0];
      const field = String(issue?.path[0] ?? 'platform');
      const value = (entry as Record<string, unknown>)[field];
      throw new ConfigError(setting, `expected ${field} to be ${issue?.message ?? 'valid'}, received ${describeYamlType(value)}${where}`);
    }
    const { platform, bot_id: botId, username } = result.data;
    if (!isRelayPlatformName(platform)) {
      throw new ConfigError(setting, `expected platform of ${RELAY_PLATFORM_EXPECTED}, received ${describeBadName(platform)}${where}`);
    }
    for (const key of Object.keys(entry)) {
      if (!(ENTRY_KEYS as readonly string[]).includes(key)) {
        warnings.push(`${setting}.${key}${where} is not an identity key (the relay reads ${ENTRY_KEYS.join(', ')}); it is ignored`);
      }
    }
    return makeIdentity(platform, botId ?? '', typeof username === 'string' ? normalizeUsername(username) : undefined);
  });
  const { unique, repeated } = dedupeByPlatform(parsed);
  const duplicate = duplicateWarning(`${RELAY_IDENTITIES_FILE_KEY}${where}`, repeated);
  if (duplicate !== undefined) warnings.push(duplicate);
  return { identities: unique, warnings };
}
