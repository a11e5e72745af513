/**
 * Resolves the relay settings from the environment and an optional YAML config file (README "Configuration"):
 * the environment wins, the file fills the gaps, and no URL anywhere means the relay is off.
 * @module
 */
import { ConfigError, InvalidArgumentError } from '../errors.js';
import {
  CONFIG_TEXT_LABEL,
  EMPTY_RELAY_CONFIG_FILE,
  parseRelayConfigText,
  readRelayConfigFile,
  type RelayConfigFileValues,
} from './relay-config-file.js';
import {
  RELAY_ENV_VARS,
  RELAY_FILE_KEYS,
  normalizeSettingValue,
  parseRelayUrlSetting,
  redactUrlUserinfo,
} from './relay-settings.js';
import { resolveIdentities, type IdentitySettingNames } from '../identity/resolve-identities.js';
import type { Identity, IdentitySource } from '../identity/identity.js';

/** Where a resolved value came from. */
export interface RelayConfigSource {
  /** `env` = `GATEWAY_RELAY_URL`, `file` = `gateway.relay_url`. */
  readonly url: 'env' | 'file';
  /** `env` = both environment variables, `file` = both file keys, `none` = no credentials. */
  readonly credentials: 'env' | 'file' | 'none';
  /** The config file read, when one was given (`configFile`), for messages like "credentials from file F". */
  readonly configFile?: string;
  /** Things worth telling the operator that are not errors: `gateway.relay_*` keys that are not relay settings. */
  readonly warnings?: readonly string[];
}

/** The relay settings of one gateway, validated. Produced by {@link resolveRelayConfig}. */
export interface RelayConfig {
  /** The connector's base URL as configured, trailing `/` removed (not yet the dial URL of relay-connector-contract.md §1). */
  readonly url: string;
  /**
   * Platform of the primary identity (`identities[0].platform`), kept for single-identity readers.
   * Spreading the config into `createRelayGateway` is fine: it equals the primary, so it does not
   * conflict with `identities`.
   */
  readonly platform: string;
  /** Bot id of the primary identity (`identities[0].botId`); `""` when unset. */
  readonly botId: string;
  /**
   * Every identity to announce, one `hello` each, primary first (protocol-later §1.1): from
   * `GATEWAY_RELAY_PLATFORMS` + `GATEWAY_RELAY_BOT_IDS`, else `GATEWAY_RELAY_PLATFORM` /
   * `GATEWAY_RELAY_BOT_ID`, else `gateway.relay_identities`, else `[{ platform: "relay", botId: "" }]`.
   */
  readonly identities: readonly Identity[];
  /** Which of those sources won. */
  readonly identitySource: IdentitySource;
  /**
   * Every warning: `source.warnings` (unknown file keys) followed by the identity warnings (a bad
   * `GATEWAY_RELAY_BOT_IDS`, repeated platforms, ignored variables). Show them to the operator.
   */
  readonly warnings: readonly string[];
  /** Gateway id for upgrade authentication; `null` with `secret` when no credentials are configured. */
  readonly gatewayId: string | null;
  /** Shared secret for upgrade authentication. Never log it: use {@link describeRelayConfig}. */
  readonly secret: string | null;
  /** Provenance, for diagnostics. */
  readonly source: RelayConfigSource;
}

/** Options of {@link resolveRelayConfig}. */
export interface ResolveRelayConfigOptions {
  /**
   * Environment to read the `GATEWAY_RELAY_*` variables from.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Path of a YAML config file; it must exist when given.
   * @default undefined (no file)
   */
  readonly configFile?: string;
  /**
   * YAML text used instead of a file, for embedders that hold their configuration in memory.
   * Mutually exclusive with `configFile`.
   * @default undefined (no file)
   */
  readonly configText?: string;
  /**
   * How identity messages name each identity variable, for a front end that passes its own inputs
   * through `env` (the CLI names `--platforms` when the list came from that flag).
   * @default the variable names
   */
  readonly identitySettingNames?: Partial<IdentitySettingNames>;
}

/** A {@link RelayConfig} that is safe to log: the secret is reduced to whether it is set. */
export interface RelayConfigSummary {
  /** URL with any userinfo masked. */
  readonly url: string;
  /** As in {@link RelayConfig}. */
  readonly platform: string;
  /** As in {@link RelayConfig}. */
  readonly botId: string;
  /** As in {@link RelayConfig}; bot ids and user names are identifiers, not credentials. */
  readonly identities: readonly Identity[];
  /** As in {@link RelayConfig}. */
  readonly identitySource: IdentitySource;
  /** As in {@link RelayConfig}. */
  readonly warnings: readonly string[];
  /** As in {@link RelayConfig}; an id is an identifier, not a credential. */
  readonly gatewayId: string | null;
  /** `"<set>"` or `"<unset>"`, never the value. */
  readonly secret: '<set>' | '<unset>';
  /** As in {@link RelayConfig}. */
  readonly source: RelayConfigSource;
}

function loadConfigFile(options: ResolveRelayConfigOptions): RelayConfigFileValues {
  if (options.configFile !== undefined && options.configText !== undefined) {
    throw new InvalidArgumentError('options', 'pass configFile or configText, not both');
  }
  if (options.configFile !== undefined) return readRelayConfigFile(options.configFile);
  if (options.configText !== undefined) return parseRelayConfigText(options.configText, CONFIG_TEXT_LABEL);
  return EMPTY_RELAY_CONFIG_FILE;
}

interface ResolvedCredentials {
  readonly gatewayId: string | null;
  readonly secret: string | null;
  readonly source: RelayConfigSource['credentials'];
}

/**
 * The environment pair is all-or-nothing so a deployment cannot end up signing with an id from one
 * place and a secret from another; without the full pair each half falls back to the file.
 */
function resolveCredentials(
  env: Readonly<Record<string, string | undefined>>,
  file: RelayConfigFileValues,
): ResolvedCredentials {
  const envId = normalizeSettingValue(env[RELAY_ENV_VARS.gatewayId]);
  const envSecret = normalizeSettingValue(env[RELAY_ENV_VARS.secret]);
  if (envId !== undefined && envSecret !== undefined) return { gatewayId: envId, secret: envSecret, source: 'env' };

  const { gatewayId, secret } = file;
  if (gatewayId !== undefined && secret !== undefined) return { gatewayId, secret, source: 'file' };
  if (gatewayId === undefined && secret === undefined) return { gatewayId: null, secret: null, source: 'none' };

  const [missing, present] =
    gatewayId === undefined ? [RELAY_FILE_KEYS.gatewayId, 'relay secret'] : [RELAY_FILE_KEYS.secret, 'relay id'];
  const loneEnv = envId !== undefined ? RELAY_ENV_VARS.gatewayId : envSecret !== undefined ? RELAY_ENV_VARS.secret : undefined;
  const ignored = loneEnv ? ` (${loneEnv} alone is ignored: the environment pair is used only when both are set)` : '';
  throw new ConfigError(
    missing,
    `not set but the ${present} is; set both ${RELAY_ENV_VARS.gatewayId} and ${RELAY_ENV_VARS.secret} ` +
      `or both ${RELAY_FILE_KEYS.gatewayId} and ${RELAY_FILE_KEYS.secret}${ignored}`,
  );
}

/**
 * Resolve the relay settings (README "Configuration"). Environment first, then the config file; every value is
 * trimmed and a blank value counts as unset. The file, when given, is always read and validated,
 * so a broken file fails at start even if the environment supplies everything.
 * @returns The settings, or `null` when neither `GATEWAY_RELAY_URL` nor `gateway.relay_url` is set
 * (the relay is not activated; nothing else is validated then).
 * Identities follow protocol-later §1.1 (see {@link RelayConfig.identities}); their non-fatal
 * problems are in `warnings`.
 * @throws {ConfigError} Naming the variable or file key at fault: an invalid URL or platform name
 * (`GATEWAY_RELAY_PLATFORM`, `GATEWAY_RELAY_PLATFORMS`, `gateway.relay_identities[<i>]`), an
 * unreadable or malformed file, or credentials with only one of id and secret. Messages never
 * contain a secret.
 * @throws {InvalidArgumentError} When both `configFile` and `configText` are given.
 */
export function resolveRelayConfig(options: ResolveRelayConfigOptions = {}): RelayConfig | null {
  const env = options.env ?? process.env;
  const file = loadConfigFile(options);

  const envUrl = normalizeSettingValue(env[RELAY_ENV_VARS.url]);
  let url: string;
  let urlSource: RelayConfigSource['url'];
  if (envUrl !== undefined) {
    url = parseRelayUrlSetting(envUrl, RELAY_ENV_VARS.url);
    urlSource = 'env';
  } else if (file.url !== undefined) {
    url = parseRelayUrlSetting(file.url, RELAY_FILE_KEYS.url);
    urlSource = 'file';
  } else {
    return null;
  }

  const fileLabel = options.configFile ?? CONFIG_TEXT_LABEL;
  const identities = resolveIdentities({
    env,
    fileIdentities: file.identities,
    fileLabel,
    ...(options.identitySettingNames !== undefined ? { settingNames: options.identitySettingNames } : {}),
  });
  // resolveIdentities always yields one identity at least.
  const primary = identities.identities[0] ?? { platform: '', botId: '' };
  const credentials = resolveCredentials(env, file);
  // The quoted key list stays the scalar keys: operators and tests match this sentence as written.
  const fileWarnings = file.unknownKeys.map(
    (key) => `${key} in ${fileLabel} is not a relay setting (the relay reads ${Object.values(RELAY_FILE_KEYS).join(', ')}); it is ignored`,
  );

  return {
    url,
    platform: primary.platform,
    botId: primary.botId,
    identities: identities.identities,
    identitySource: identities.source,
    warnings: [...fileWarnings, ...identities.warnings],
    gatewayId: credentials.gatewayId,
    secret: credentials.secret,
    source: {
      url: urlSource,
      credentials: credentials.source,
      ...(options.configFile !== undefined ? { configFile: options.configFile } : {}),
      ...(fileWarnings.length > 0 ? { warnings: fileWarnings } : {}),
    },
  };
}

/**
 * A log-safe summary of `config`: the secret becomes `"<set>"` / `"<unset>"` and URL userinfo is
 * masked. Meant for start-up log lines and CLI output.
 */
export function describeRelayConfig(config: RelayConfig): RelayConfigSummary {
  return {
    url: redactUrlUserinfo(config.url),
    platform: config.platform,
    botId: config.botId,
    identities: config.identities.map((identity) => ({ ...identity })),
    identitySource: config.identitySource,
    warnings: [...config.warnings],
    gatewayId: config.gatewayId,
    secret: config.secret === null ? '<unset>' : '<set>',
    source: { ...config.source },
  };
}
