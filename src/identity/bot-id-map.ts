/**
 * The per-platform bot ids that go with the platform list (`GATEWAY_RELAY_BOT_IDS`, `--bot-ids`;
 * protocol-later §1.1): `{"<platform>": {"botId": "<id>", "username": "<name>"}}`. Nothing here
 * stops the boot: a bad map or entry only costs bot ids, so it is a warning and the id is `""`.
 * @module
 */
import { z } from 'zod';
import { makeIdentity, normalizeUsername, type Identity } from './identity.js';

// The value is an operator's JSON, so it is checked at this boundary; `looseObject` because the
// map is keyed by arbitrary platform names and an entry may carry keys of a later version.
const mapSchema = z.record(z.string(), z.unknown());
const entrySchema = z.looseObject({ botId: z.unknown().optional(), username: z.unknown().optional() });

/** Outcome of {@link identitiesWithBotIds}. */
export interface BotIdsOutcome {
  /** One identity per listed platform, in the list's order. */
  readonly identities: Identity[];
  /** Warnings naming `setting`: malformed JSON, a top level or entry of the wrong type. */
  readonly warnings: string[];
}

/** `a list`, `a string`, … of a JSON value, never the value (keep warnings short). */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Parse the map; malformed JSON or a non-object top level counts as `{}` with one warning. */
function parseMap(raw: string | undefined, setting: string, warnings: string[]): Readonly<Record<string, unknown>> {
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    warnings.push(`${setting} is not valid JSON (expected {"<platform>":{"botId":"…","username":"…"}}), so it counts as {} and every bot id is ""`);
    return {};
  }
  if (!mapSchema.safeParse(parsed).success || Array.isArray(parsed)) {
    warnings.push(`${setting}: expected a JSON object keyed by platform, received ${jsonType(parsed)}; it counts as {} and every bot id is ""`);
    return {};
  }
  // The parsed object itself, not zod's copy: the copy is built by assignment, which turns a
  // `__proto__` key (a valid platform name) into a prototype instead of an entry.
  return parsed as Readonly<Record<string, unknown>>;
}

/**
 * Pair each listed platform with its bot id and user name from the map. Keys for platforms that are
 * not listed are ignored. `botId` is trimmed and `""` when the entry is missing, not an object, or
 * its `botId` is not a string; a present but unusable entry is also warned about, since it is
 * almost always a typo (`{"discord":"123"}`).
 * @param raw - The map as given, or `undefined` when unset.
 * @param setting - The variable or flag that supplied it, named in warnings.
 * @param platforms - The platform list, already split and deduplicated.
 */
export function identitiesWithBotIds(raw: string | undefined, setting: string, platforms: readonly string[]): BotIdsOutcome {
  const warnings: string[] = [];
  const map = parseMap(raw, setting, warnings);
  const identities = platforms.map((platform) => {
    // Own keys only: a platform may be called `constructor`.
    if (!Object.hasOwn(map, platform)) return makeIdentity(platform, '');
    const where = `${setting}[${JSON.stringify(platform)}]`;
    const entry = entrySchema.safeParse(map[platform]);
    if (!entry.success) {
      warnings.push(`${where}: expected an object {"botId":"…"}, received ${jsonType(map[platform])}; the bot id is ""`);
      return makeIdentity(platform, '');
    }
    const { botId, username } = entry.data;
    if (botId !== undefined && botId !== null && typeof botId !== 'string') {
      warnings.push(`${where}.botId: expected a string, received ${jsonType(botId)}; the bot id is ""`);
    }
    if (username !== undefined && username !== null && typeof username !== 'string') {
      warnings.push(`${where}.username: expected a string, received ${jsonType(username)}; no user name is kept`);
    }
    return makeIdentity(
      platform,
      typeof botId === 'string' ? botId.trim() : '',
      typeof username === 'string' ? normalizeUsername(username) : undefined,
    );
  });
  return { identities, warnings };
}
