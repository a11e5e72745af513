/**
 * Names, defaults and validators of the individual relay settings (README "Configuration"). Precedence between
 * the environment and the config file lives in `resolve-relay-config.ts`; this module only knows
 * what one value must look like.
 * @module
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';

/** Environment variables read by `resolveRelayConfig`. */
export const RELAY_ENV_VARS = Object.freeze({
  url: 'GATEWAY_RELAY_URL',
  platform: 'GATEWAY_RELAY_PLATFORM',
  botId: 'GATEWAY_RELAY_BOT_ID',
  platforms: 'GATEWAY_RELAY_PLATFORMS',
  botIds: 'GATEWAY_RELAY_BOT_IDS',
  gatewayId: 'GATEWAY_RELAY_ID',
  secret: 'GATEWAY_RELAY_SECRET',
} as const);

/** Dotted config-file keys read by `resolveRelayConfig` (children of the `gateway` mapping). */
export const RELAY_FILE_KEYS = Object.freeze({
  url: 'gateway.relay_url',
  gatewayId: 'gateway.relay_id',
  secret: 'gateway.relay_secret',
} as const);

/**
 * Config-file key of the identity list (protocol-later §1.1). Kept out of {@link RELAY_FILE_KEYS}:
 * that object lists the scalar settings, and its values are quoted verbatim in an existing warning.
 */
export const RELAY_IDENTITIES_FILE_KEY = 'gateway.relay_identities';

/** Platform announced in the hello frame when `GATEWAY_RELAY_PLATFORM` is unset. */
export const DEFAULT_RELAY_PLATFORM = 'relay';

/** Bot id announced when `GATEWAY_RELAY_BOT_ID` is unset. */
export const DEFAULT_RELAY_BOT_ID = '';

/**
 * Trim a raw setting; an empty or whitespace-only value counts as unset (`undefined`), so an
 * exported-but-blank variable never shadows the config file.
 */
export function normalizeSettingValue(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

const RELAY_URL_PROTOCOLS: ReadonlySet<string> = new Set(['ws:', 'wss:', 'http:', 'https:']);

/** What a relay URL must look like, for every message that rejects one. */
export const RELAY_URL_EXPECTED = 'an absolute ws, wss, http or https URL';

const relayUrlSchema = z.string().refine(
  (value) => {
    try {
      return RELAY_URL_PROTOCOLS.has(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { message: `expected ${RELAY_URL_EXPECTED}` },
);

const MAX_RENDERED_CHARS = 200;

/** Cut a value echoed in an error so a pasted blob keeps the message readable. */
function clipForMessage(value: string): string {
  return value.length > MAX_RENDERED_CHARS ? `${value.slice(0, MAX_RENDERED_CHARS)}…` : value;
}

/**
 * Mask the userinfo (`user:password@`) of a URL before it is shown in an error or a log line: a
 * URL may carry a credential of its own.
 */
export function redactUrlUserinfo(url: string): string {
  return url.replace(/^([^:/?#]*:\/\/)[^/?#]*@/u, '$1<redacted>@');
}

/**
 * Validate a relay URL and strip every trailing `/`. The rest of the text is kept as written:
 * turning it into the dial URL (scheme mapping, `/relay` suffix) is the job of relay-connector-contract.md §1's normalizer.
 * @param value - A trimmed, non-empty value.
 * @param setting - The variable or file key that supplied it, named in the error.
 * @throws {ConfigError} When the value is not an absolute ws/wss/http/https URL.
 */
export function parseRelayUrlSetting(value: string, setting: string): string {
  const stripped = value.replace(/\/+$/u, '');
  const result = relayUrlSchema.safeParse(stripped);
  if (!result.success) {
    const problem = result.error.issues[0]?.message ?? 'expected an absolute URL';
    throw new ConfigError(setting, `${problem}, received ${JSON.stringify(clipForMessage(redactUrlUserinfo(value)))}`);
  }
  return result.data;
}

const PLATFORM_PATTERN = /^[a-z0-9_-]+$/u;

/** What a platform name must look like, for every message that rejects one. */
export const RELAY_PLATFORM_EXPECTED = 'lowercase letters, digits, "_" or "-" only (e.g. "relay")';

const relayPlatformSchema = z.string().regex(PLATFORM_PATTERN, { message: `expected ${RELAY_PLATFORM_EXPECTED}` });

/** Whether `value` is a valid platform name (see {@link parseRelayPlatformSetting}). */
export function isRelayPlatformName(value: string): boolean {
  return PLATFORM_PATTERN.test(value);
}

/**
 * Validate the platform name sent in the hello frame. It is matched case-sensitively by the
 * connector, so an uppercase value is rejected rather than silently lowercased.
 * @param value - A trimmed, non-empty value.
 * @param setting - The variable that supplied it, named in the error.
 * @throws {ConfigError} When the value has characters outside `[a-z0-9_-]`.
 */
export function parseRelayPlatformSetting(value: string, setting: string): string {
  const result = relayPlatformSchema.safeParse(value);
  if (!result.success) {
    const problem = result.error.issues[0]?.message ?? 'invalid platform';
    throw new ConfigError(setting, `${problem}, received ${JSON.stringify(clipForMessage(value))}`);
  }
  return result.data;
}
