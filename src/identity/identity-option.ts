/**
 * The `identities` option of `createRelayGateway`: the library form of the identity list, validated
 * at construction like every other option.
 * @module
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { toValidationIssues } from '../protocol/validation.js';
import { dedupeByPlatform, duplicateWarning } from './dedupe.js';
import { makeIdentity, normalizeUsername, type Identity } from './identity.js';

/** One entry of the `identities` option, as a caller writes it. */
export interface IdentityOption {
  /** Platform sent in `hello`; non-empty after trimming. */
  readonly platform: string;
  /** Bot id sent in `hello`. @default "" */
  readonly botId?: string;
  /** The bot's user name (a leading `@` is removed); never sent. @default none */
  readonly username?: string;
}

const identityOptionSchema = z.strictObject({
  platform: z.string().trim().min(1),
  botId: z.string().trim().optional(),
  username: z.string().optional(),
});

const identitiesOptionSchema = z.array(identityOptionSchema).min(1);

/** `identities` + `[0, "platform"]` -> `identities[0].platform`. */
function pathOf(name: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`), name);
}

/**
 * Validate the `identities` option: a non-empty list of `{ platform, botId?, username? }` with no
 * other keys; `platform` and `botId` are trimmed, `username` loses a leading `@` (empty = none).
 * A repeated platform keeps its first entry; the later ones are dropped and reported through
 * `onWarning` (one call for the whole list), so the caller decides where warnings go (the gateway
 * logs them).
 * @param value - The option as given.
 * @param name - How messages name the option.
 * @param onWarning - Receives each warning; by default warnings are dropped.
 * @returns The identities, primary first.
 * @throws {ConfigError} (`ERR_CONFIG_INVALID`) naming the first bad field, e.g.
 * `identities[1].platform: expected a non-empty string, received ""`.
 */
export function parseIdentitiesOption(value: unknown, name = 'identities', onWarning?: (warning: string) => void): Identity[] {
  const result = identitiesOptionSchema.safeParse(value, { reportInput: true });
  if (!result.success) {
    const first = result.error.issues[0];
    const issue = toValidationIssues(result.error)[0];
    if (first?.code === 'unrecognized_keys') {
      const key = first.keys[0] ?? '';
      throw new ConfigError(pathOf(name, [...first.path, key]), 'unknown option (an identity has platform, botId and username)');
    }
    throw new ConfigError(pathOf(name, first?.path ?? []), `expected ${issue?.expected ?? 'a valid value'}, received ${issue?.received ?? 'something else'}`);
  }
  const identities = result.data.map((entry) =>
    makeIdentity(entry.platform, entry.botId ?? '', entry.username === undefined ? undefined : normalizeUsername(entry.username)),
  );
  const { unique, repeated } = dedupeByPlatform(identities);
  const warning = duplicateWarning(name, repeated);
  if (warning !== undefined) onWarning?.(warning);
  return unique;
}
