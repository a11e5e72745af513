/**
 * The value types of the identity configuration (protocol-later §1.1): which (platform, bot id)
 * pairs a gateway announces, one `hello` each, the first being the primary.
 * @module
 */
import { DEFAULT_RELAY_BOT_ID, DEFAULT_RELAY_PLATFORM } from '../config/relay-settings.js';

/** One identity a gateway announces in a `hello`. */
export interface Identity {
  /** Platform name sent as `hello.platform`. */
  readonly platform: string;
  /** Bot id sent as `hello.botId`; `""` when unknown. */
  readonly botId: string;
  /** The bot's user name without a leading `@`, for the application only: never sent. */
  readonly username?: string;
}

/**
 * Which source supplied the identities: `list` = `GATEWAY_RELAY_PLATFORMS`, `single` =
 * `GATEWAY_RELAY_PLATFORM` / `GATEWAY_RELAY_BOT_ID`, `file` = `gateway.relay_identities`,
 * `default` = none of them.
 */
export type IdentitySource = 'list' | 'single' | 'file' | 'default';

/** Outcome of `resolveIdentities`. */
export interface IdentityResolution {
  /** At least one identity, primary first, no platform twice. */
  readonly identities: readonly Identity[];
  /** Problems that did not stop the configuration (each names its variable or key). */
  readonly warnings: readonly string[];
  /** The source that won. */
  readonly source: IdentitySource;
}

/** The identity announced when nothing is configured: `[("relay", "")]`. */
export const DEFAULT_IDENTITIES: readonly Identity[] = Object.freeze([
  Object.freeze({ platform: DEFAULT_RELAY_PLATFORM, botId: DEFAULT_RELAY_BOT_ID }),
]);

/**
 * Build an identity without a `username` key when there is none, so two equal identities compare
 * equal however they were made.
 */
export function makeIdentity(platform: string, botId: string, username?: string): Identity {
  return username === undefined ? { platform, botId } : { platform, botId, username };
}

/**
 * A configured user name as stored: trimmed, one leading `@` removed (people paste `@my_bot`);
 * empty means none.
 */
export function normalizeUsername(raw: string): string | undefined {
  const trimmed = raw.trim();
  const bare = (trimmed.startsWith('@') ? trimmed.slice(1) : trimmed).trim();
  return bare === '' ? undefined : bare;
}
