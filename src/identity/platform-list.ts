/**
 * The comma-separated platform list (`GATEWAY_RELAY_PLATFORMS`, `--platforms`; protocol-later §1.1).
 * @module
 */
import { parseRelayPlatformSetting } from '../config/relay-settings.js';
import { dedupeByPlatform, duplicateWarning } from './dedupe.js';

/** Outcome of {@link parsePlatformList}. */
export interface PlatformList {
  /** The names, trimmed, empty entries dropped, repeats dropped, order kept; may be empty. */
  readonly platforms: string[];
  /** At most one warning: repeated names, or a list that names no platform at all. */
  readonly warnings: string[];
}

/**
 * Split a platform list. Each name must be a valid platform name, as the single-identity
 * `GATEWAY_RELAY_PLATFORM` must: the connector matches names exactly, so `Discord` would never match.
 * @param raw - The value as given (it is trimmed here).
 * @param setting - The variable or flag that supplied it, named in errors and warnings.
 * @throws {ConfigError} naming `setting` for a name outside `[a-z0-9_-]`.
 */
export function parsePlatformList(raw: string, setting: string): PlatformList {
  const names = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => parseRelayPlatformSetting(entry, setting));
  if (names.length === 0) {
    // A list of commas is most likely a templating slip; say so rather than fall through silently.
    return { platforms: [], warnings: [`${setting} names no platform (received ${JSON.stringify(raw)}), so it is ignored`] };
  }
  const { unique, repeated } = dedupeByPlatform(names.map((platform) => ({ platform })));
  const warning = duplicateWarning(setting, repeated);
  return { platforms: unique.map((entry) => entry.platform), warnings: warning === undefined ? [] : [warning] };
}
