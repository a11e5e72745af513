/**
 * Which identities a gateway announces, from the environment and the config file
 * (protocol-later §1.1): the first source that yields at least one identity wins, in the order
 * platform list, single-identity variables, `gateway.relay_identities`, default.
 * @module
 */
import { RELAY_ENV_VARS, normalizeSettingValue, parseRelayPlatformSetting, DEFAULT_RELAY_PLATFORM, DEFAULT_RELAY_BOT_ID } from '../config/relay-settings.js';
import { identitiesWithBotIds } from './bot-id-map.js';
import { parseFileIdentities } from './file-identities.js';
import { DEFAULT_IDENTITIES, makeIdentity, type IdentityResolution } from './identity.js';
import { parsePlatformList } from './platform-list.js';

/** The four identity variables, by role. */
export interface IdentitySettingNames {
  /** The platform list, `GATEWAY_RELAY_PLATFORMS`. */
  readonly platforms: string;
  /** The per-platform bot ids, `GATEWAY_RELAY_BOT_IDS`. */
  readonly botIds: string;
  /** The single-identity platform, `GATEWAY_RELAY_PLATFORM`. */
  readonly platform: string;
  /** The single-identity bot id, `GATEWAY_RELAY_BOT_ID`. */
  readonly botId: string;
}

/** The environment variables read by {@link resolveIdentities}. */
export const IDENTITY_ENV_VARS: IdentitySettingNames = Object.freeze({
  platforms: RELAY_ENV_VARS.platforms,
  botIds: RELAY_ENV_VARS.botIds,
  platform: RELAY_ENV_VARS.platform,
  botId: RELAY_ENV_VARS.botId,
});

/** Input of {@link resolveIdentities}. */
export interface ResolveIdentitiesInput {
  /** Where the four variables are read (values trimmed; empty or blank = unset). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The raw parsed YAML value of `gateway.relay_identities`; `undefined` when absent. */
  readonly fileIdentities?: unknown;
  /** The config file's path (or `configText`), added to file messages. @default none */
  readonly fileLabel?: string;
  /**
   * How messages name each variable, for a front end that passes other inputs through `env` (the
   * CLI names `--platforms` when the list came from that flag). @default {@link IDENTITY_ENV_VARS}
   */
  readonly settingNames?: Partial<IdentitySettingNames>;
}

/** `A`, `A and B`. */
function joinNames(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}

/**
 * Resolve the identities.
 * 1. `GATEWAY_RELAY_PLATFORMS`: names trimmed, empty entries dropped, order kept, repeats dropped
 *    with one warning; bot ids and user names from `GATEWAY_RELAY_BOT_IDS` (see
 *    `identitiesWithBotIds`; a bad map is a warning). The single-identity variables, if set too,
 *    are ignored with one warning naming them.
 * 2. `GATEWAY_RELAY_PLATFORM` (default `relay`) / `GATEWAY_RELAY_BOT_ID` (default `""`), when either
 *    is set.
 * 3. `gateway.relay_identities` (see `parseFileIdentities`); an empty list counts as unset.
 * 4. `[{ platform: "relay", botId: "" }]`.
 *
 * The file value is validated even when an earlier source wins, so a broken file fails at start
 * rather than on the day the environment changes. Besides the spec's warnings, two likely slips
 * are reported: a list that names no platform, and bot ids given without a list.
 * @throws {ConfigError} naming the variable for an invalid platform name in the list or the
 * single variable, or naming `gateway.relay_identities[<i>]` for a bad file entry.
 */
export function resolveIdentities(input: ResolveIdentitiesInput): IdentityResolution {
  const names: IdentitySettingNames = { ...IDENTITY_ENV_VARS, ...input.settingNames };
  const read = (role: keyof IdentitySettingNames): string | undefined => normalizeSettingValue(input.env[IDENTITY_ENV_VARS[role]]);
  const file = parseFileIdentities(input.fileIdentities, input.fileLabel);

  const warnings: string[] = [];
  const list = read('platforms');
  const botIds = read('botIds');
  const platform = read('platform');
  const botId = read('botId');

  if (list !== undefined) {
    const parsed = parsePlatformList(list, names.platforms);
    warnings.push(...parsed.warnings);
    if (parsed.platforms.length > 0) {
      const paired = identitiesWithBotIds(botIds, names.botIds, parsed.platforms);
      warnings.push(...paired.warnings);
      const ignored = [platform !== undefined ? names.platform : undefined, botId !== undefined ? names.botId : undefined].filter(
        (name): name is string => name !== undefined,
      );
      if (ignored.length > 0) {
        warnings.push(`${joinNames(ignored)} ${ignored.length > 1 ? 'are' : 'is'} ignored: ${names.platforms} is set, and the list wins over the single identity`);
      }
      return { identities: paired.identities, warnings: [...warnings, ...file.warnings], source: 'list' };
    }
  }
  if (botIds !== undefined) {
    warnings.push(`${names.botIds} is set without ${names.platforms}, so it is ignored (bot ids per platform are read only with the list)`);
  }
  if (platform !== undefined || botId !== undefined) {
    const identity = makeIdentity(parseRelayPlatformSetting(platform ?? DEFAULT_RELAY_PLATFORM, names.platform), botId ?? DEFAULT_RELAY_BOT_ID);
    return { identities: [identity], warnings: [...warnings, ...file.warnings], source: 'single' };
  }
  if (file.identities.length > 0) return { identities: file.identities, warnings: [...warnings, ...file.warnings], source: 'file' };
  return { identities: DEFAULT_IDENTITIES.map((identity) => ({ ...identity })), warnings: [...warnings, ...file.warnings], source: 'default' };
}
