/**
 * Turns `relay-gateway connect` flags, the environment and the config file into gateway options.
 * Precedence (README "Configuration", extended by the CLI): a flag beats the environment, which beats the config
 * file. Identities (protocol-later §1.1): `--platforms` / `--bot-ids` stand in for
 * `GATEWAY_RELAY_PLATFORMS` / `GATEWAY_RELAY_BOT_IDS`, `--platform` / `--bot-id` for the
 * single-identity variables. The secret never comes from a flag (it would show in `ps`): only from `--secret-file`,
 * `GATEWAY_RELAY_SECRET` or `gateway.relay_secret`.
 * @module
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { resolveRelayConfig } from '../config/resolve-relay-config.js';
import { RELAY_ENV_VARS, RELAY_FILE_KEYS, normalizeSettingValue, parseRelayPlatformSetting, parseRelayUrlSetting } from '../config/relay-settings.js';
import { parsePlatformList } from '../identity/platform-list.js';
import type { IdentitySettingNames } from '../identity/resolve-identities.js';
import type { IdentitySource } from '../identity/identity.js';
import { toValidationIssues } from '../protocol/validation.js';
import { readSecretFile } from './read-secret-file.js';
import type { RelayGatewayOptions, TimeoutOptions } from '../gateway/gateway-options.js';

/** Largest millisecond value a Node timer accepts. */
const MAX_TIMER_MS = 2_147_483_647;

/** Schema of a millisecond flag value as typed on the command line. */
export const millisecondsArgSchema = z
  .string()
  .trim()
  .regex(/^\d+$/u, { message: 'expected a whole number of milliseconds' })
  .transform(Number)
  .pipe(z.number().int().min(1, { message: 'expected at least 1 ms' }).max(MAX_TIMER_MS, { message: `expected at most ${MAX_TIMER_MS} ms` }));

/** Schema of a TCP port flag value (0 = any free port). */
export const portArgSchema = z
  .string()
  .trim()
  .regex(/^\d+$/u, { message: 'expected a port number' })
  .transform(Number)
  .pipe(z.number().int().max(65_535, { message: 'expected a port from 0 to 65535' }));

/** The flags of `relay-gateway connect`, as commander hands them over (after per-flag parsing). */
export const connectFlagsSchema = z.strictObject({
  url: z.string().optional(),
  platform: z.string().optional(),
  botId: z.string().optional(),
  platforms: z.string().optional(),
  botIds: z.string().optional(),
  gatewayId: z.string().optional(),
  secretFile: z.string().optional(),
  config: z.string().optional(),
  reconnect: z.boolean().default(true),
  echo: z.boolean().default(false),
  json: z.boolean().default(false),
  handshakeTimeout: z.number().int().positive().optional(),
  outboundTimeout: z.number().int().positive().optional(),
  pingInterval: z.number().int().positive().optional(),
  pongTimeout: z.number().int().positive().optional(),
  visualize: z.union([z.boolean(), z.number().int().min(0).max(65_535)]).optional(),
  visualizeControl: z.boolean().default(false),
  healthPort: z.number().int().min(0).max(65_535).optional(),
  healthHost: z.string().optional(),
});

/** Parsed `connect` flags. */
export type ConnectFlags = z.infer<typeof connectFlagsSchema>;

/** What `connect` runs with. */
export interface ConnectSettings {
  /**
   * Options for `createRelayGateway` (secret included: never print this object). The identities
   * are in `identities`; `platform`/`botId` are never set, so the two forms cannot conflict.
   */
  readonly gateway: RelayGatewayOptions & { readonly identities: NonNullable<RelayGatewayOptions['identities']> };
  /** Reply `echo: <text>` to every inbound message. */
  readonly echo: boolean;
  /** JSON lines on stdout instead of a readable log on stderr. */
  readonly json: boolean;
  /** Visualizer port (0 = any free port), or null when off. */
  readonly visualizePort: number | null;
  /** The visualizer's lifecycle buttons (`--visualize-control`). */
  readonly visualizeControl: boolean;
  /** Health server (`/healthz`, `/metrics`), or null when off. */
  readonly health: { readonly port: number; readonly host: string } | null;
  /** Things worth telling the operator that are not errors (printed on stderr). */
  readonly warnings: readonly string[];
  /**
   * Where each value came from, for the start-up line (never the secret itself). `identities`
   * names what supplied them (`--platforms + GATEWAY_RELAY_BOT_IDS`, `--platform`, `config file F`,
   * `default`); `platform` and `botId` say `flag`, `env`, `config file F` or `default` for the
   * primary identity's platform and bot id.
   */
  readonly provenance: Readonly<Record<'url' | 'platform' | 'botId' | 'identities' | 'credentials', string>>;
}

/** What `--bot-ids` must be, for its messages. */
const BOT_IDS_EXPECTED = 'a JSON object keyed by platform, {"<platform>":{"botId":"<id>","username":"<name>"}}';

/** Longest part of a flag value quoted in a message. */
const MAX_QUOTED_CHARS = 120;

/** A JSON flag value as typed, in single quotes (JSON's own quotes stay readable), clipped. */
const quote = (value: string): string => `'${value.length > MAX_QUOTED_CHARS ? `${value.slice(0, MAX_QUOTED_CHARS)}…` : value}'`;

/**
 * Schema of the parsed `--bot-ids` value. Stricter than `GATEWAY_RELAY_BOT_IDS`, which by
 * protocol-later §1.1 only warns and counts as `{}`: a flag is typed for this one run, so a mistake
 * in it stops the run with a message instead of silently announcing empty bot ids.
 */
export const botIdsFlagSchema = z.record(
  z.string(),
  z.strictObject({ botId: z.string().optional(), username: z.string().optional() }, { error: 'an object {"botId":"<id>","username":"<name>"}' }),
  { error: 'an object' },
);

/**
 * Validate a `--bot-ids` value (the environment's reading then pairs it with the platforms).
 * @throws {ConfigError} naming `--bot-ids`, the value and what was expected: not JSON, not an
 * object, an entry that is not an object, a `botId`/`username` that is not a string, or another key.
 */
export function parseBotIdsFlag(raw: string): z.infer<typeof botIdsFlagSchema> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('--bot-ids', `expected ${BOT_IDS_EXPECTED}, received ${quote(raw)} (not valid JSON)`);
  }
  const result = botIdsFlagSchema.safeParse(parsed, { reportInput: true });
  if (!result.success || Array.isArray(parsed)) {
    const issue = result.success ? undefined : toValidationIssues(result.error)[0];
    const where =
      issue === undefined || issue.path === ''
        ? ''
        : issue.expected === 'no such key'
          ? ` (${issue.path}: unknown key; an entry has botId and username)`
          : ` (${issue.path}: expected ${issue.expected}, received ${issue.received})`;
    throw new ConfigError('--bot-ids', `expected ${BOT_IDS_EXPECTED}, received ${quote(raw)}${where}`);
  }
  return result.data;
}

/** The identity part of the settings: what the flags put in the environment, and how they are named. */
interface IdentityFlags {
  /** The environment with each identity flag in its variable's place. */
  readonly layered: Record<string, string | undefined>;
  /** Message names: the flag where a flag supplied the value. */
  readonly names: IdentitySettingNames;
}

/**
 * Put the identity flags in their variables' places. A flag beats its variable. A single-identity
 * flag (`--platform`, `--bot-id`) without `--platforms` also takes the environment's list out: the
 * operator asked for that one identity, and an ambient list must not override a typed flag (the
 * credential flags take the environment's halves out the same way).
 * @throws {ConfigError} naming the flag for an empty value or a list that names no platform.
 */
function layerIdentityFlags(flags: ConnectFlags, layered: Record<string, string | undefined>): IdentityFlags {
  const flagPlatform = normalizeSettingValue(flags.platform);
  if (flags.platform !== undefined && flagPlatform === undefined) throw new ConfigError('--platform', 'expected a platform name, received an empty value');
  if (flagPlatform !== undefined) layered[RELAY_ENV_VARS.platform] = parseRelayPlatformSetting(flagPlatform, '--platform');
  if (flags.botId !== undefined) layered[RELAY_ENV_VARS.botId] = flags.botId;
  if (flags.platforms !== undefined) {
    if (normalizeSettingValue(flags.platforms) === undefined) throw new ConfigError('--platforms', 'expected a comma-separated list of platform names, received an empty value');
    // An explicit flag that names nothing is a mistake to stop on (the variable only warns).
    if (parsePlatformList(flags.platforms, '--platforms').platforms.length === 0) {
      throw new ConfigError('--platforms', `expected at least one platform name, received ${JSON.stringify(flags.platforms)}`);
    }
    layered[RELAY_ENV_VARS.platforms] = flags.platforms;
  }
  if (flags.botIds !== undefined) {
    if (normalizeSettingValue(flags.botIds) === undefined) throw new ConfigError('--bot-ids', `expected ${BOT_IDS_EXPECTED}, received an empty value`);
    parseBotIdsFlag(flags.botIds);
    layered[RELAY_ENV_VARS.botIds] = flags.botIds;
  }
  const singleFlag = flags.platforms === undefined && (flagPlatform !== undefined || flags.botId !== undefined);
  if (singleFlag) {
    delete layered[RELAY_ENV_VARS.platforms];
    if (flags.botIds === undefined) delete layered[RELAY_ENV_VARS.botIds];
  }
  const listFromEnv = flags.platforms === undefined && normalizeSettingValue(layered[RELAY_ENV_VARS.platforms]) !== undefined;
  return {
    layered,
    names: {
      // With --bot-ids and no list anywhere, the missing list is best named by its flag.
      platforms: flags.platforms !== undefined || (flags.botIds !== undefined && !listFromEnv) ? '--platforms' : RELAY_ENV_VARS.platforms,
      botIds: flags.botIds !== undefined ? '--bot-ids' : RELAY_ENV_VARS.botIds,
      platform: flagPlatform !== undefined ? '--platform' : RELAY_ENV_VARS.platform,
      botId: flags.botId !== undefined ? '--bot-id' : RELAY_ENV_VARS.botId,
    },
  };
}

/** Where the identities and the primary's platform and bot id came from, for `provenance`. */
function identityProvenance(
  source: IdentitySource,
  { layered, names }: IdentityFlags,
  fileLabel: string,
): Pick<ConnectSettings['provenance'], 'platform' | 'botId' | 'identities'> {
  const isSet = (variable: string): boolean => normalizeSettingValue(layered[variable]) !== undefined;
  const origin = (name: string, variable: string): string => (!isSet(variable) ? 'default' : name.startsWith('--') ? 'flag' : 'env');
  const joined = (entries: ReadonlyArray<readonly [string, string]>): string =>
    entries.filter(([, variable]) => isSet(variable)).map(([name]) => name).join(' + ');
  switch (source) {
    case 'list':
      return {
        identities: joined([[names.platforms, RELAY_ENV_VARS.platforms], [names.botIds, RELAY_ENV_VARS.botIds]]),
        platform: origin(names.platforms, RELAY_ENV_VARS.platforms),
        botId: origin(names.botIds, RELAY_ENV_VARS.botIds),
      };
    case 'single':
      return {
        identities: joined([[names.platform, RELAY_ENV_VARS.platform], [names.botId, RELAY_ENV_VARS.botId]]),
        platform: origin(names.platform, RELAY_ENV_VARS.platform),
        botId: origin(names.botId, RELAY_ENV_VARS.botId),
      };
    case 'file':
      return { identities: fileLabel, platform: fileLabel, botId: fileLabel };
    case 'default':
      return { identities: 'default', platform: 'default', botId: 'default' };
  }
}


/**
 * Resolve the `connect` settings.
 * @throws {ConfigError} naming the flag, environment variable or config key at fault.
 */
export function resolveConnectSettings(flags: ConnectFlags, env: Readonly<Record<string, string | undefined>>): ConnectSettings {
  // Flags are validated under their own names, then layered over the environment so the library's
  // env-over-file rules (trimming, both-or-neither credentials) apply unchanged to what is left.
  const layered: Record<string, string | undefined> = { ...env };
  if (flags.visualizeControl && (flags.visualize === undefined || flags.visualize === false)) throw new ConfigError('--visualize-control', 'needs --visualize');
  const flagUrl = normalizeSettingValue(flags.url);
  if (flags.url !== undefined && flagUrl === undefined) throw new ConfigError('--url', 'expected a URL, received an empty value');
  if (flagUrl !== undefined) layered[RELAY_ENV_VARS.url] = parseRelayUrlSetting(flagUrl, '--url');
  const identityFlags = layerIdentityFlags(flags, layered);

  const flagGatewayId = normalizeSettingValue(flags.gatewayId);
  if (flags.gatewayId !== undefined && flagGatewayId === undefined) throw new ConfigError('--gateway-id', 'expected an id, received an empty value');
  const secretFile = flags.secretFile !== undefined ? readSecretFile(flags.secretFile) : undefined;
  const fileSecret = secretFile?.secret;

  const credentialFlags = flagGatewayId !== undefined || fileSecret !== undefined;
  if (credentialFlags) {
    // With a credential flag each half is layered on its own (flag, then environment, then file);
    // the environment halves are taken out here so the library's env-pair rule does not see them.
    delete layered[RELAY_ENV_VARS.gatewayId];
    delete layered[RELAY_ENV_VARS.secret];
  }
  const base = resolveRelayConfig({
    env: layered,
    identitySettingNames: identityFlags.names,
    ...(flags.config !== undefined ? { configFile: flags.config } : {}),
  });
  if (base === null) {
    throw new ConfigError('--url', `no relay URL: pass --url, set ${RELAY_ENV_VARS.url}, or set ${RELAY_FILE_KEYS.url} in the --config file`);
  }

  const gatewayId = credentialFlags ? (flagGatewayId ?? normalizeSettingValue(env[RELAY_ENV_VARS.gatewayId]) ?? base.gatewayId) : base.gatewayId;
  const secret = credentialFlags ? (fileSecret ?? normalizeSettingValue(env[RELAY_ENV_VARS.secret]) ?? base.secret) : base.secret;
  if (gatewayId !== null && secret === null) {
    throw new ConfigError('--secret-file', `--gateway-id is set but there is no secret: pass --secret-file or set ${RELAY_ENV_VARS.secret}`);
  }
  if (gatewayId === null && secret !== null) {
    throw new ConfigError('--gateway-id', `--secret-file is set but there is no gateway id: pass --gateway-id or set ${RELAY_ENV_VARS.gatewayId}`);
  }

  // Spec §14 ignores a lone environment half (the file fills in); an operator who set only one
  // half most likely forgot the other, so say it instead of silently running without it.
  // base.warnings = the file's unknown keys, then the identity warnings.
  const warnings: string[] = [...base.warnings];
  if (flags.botIds !== undefined && base.identitySource === 'list') {
    // The variable ignores such keys silently (§1.1); a key typed in a flag is most likely a typo.
    const listed = new Set(base.identities.map((identity) => identity.platform));
    const unlisted = Object.keys(parseBotIdsFlag(flags.botIds)).filter((platform) => !listed.has(platform));
    if (unlisted.length > 0) {
      warnings.push(`--bot-ids names ${unlisted.map((name) => JSON.stringify(name)).join(', ')}, not among the platforms of ${identityFlags.names.platforms}; ignored`);
    }
  }
  if (secretFile?.warning) warnings.push(secretFile.warning);
  if (!credentialFlags) {
    const loneId = normalizeSettingValue(env[RELAY_ENV_VARS.gatewayId]) !== undefined;
    const loneSecret = normalizeSettingValue(env[RELAY_ENV_VARS.secret]) !== undefined;
    if (loneId !== loneSecret) {
      const [set, unset] = loneId ? [RELAY_ENV_VARS.gatewayId, RELAY_ENV_VARS.secret] : [RELAY_ENV_VARS.secret, RELAY_ENV_VARS.gatewayId];
      warnings.push(`${set} is set without ${unset}, so it is ignored (the environment pair is used only when both are set); credentials: ${base.source.credentials === 'none' ? 'none, connecting unauthenticated' : `from the config file ${base.source.configFile ?? ''}`.trimEnd()}`);
    }
  }

  if (flags.healthHost !== undefined && flags.healthPort === undefined) throw new ConfigError('--health-host', 'expected --health-port with it (the host alone starts no server)');

  const timeouts: TimeoutOptions = {
    ...(flags.handshakeTimeout !== undefined ? { handshakeMs: flags.handshakeTimeout } : {}),
    ...(flags.outboundTimeout !== undefined ? { outboundMs: flags.outboundTimeout } : {}),
    ...(flags.pingInterval !== undefined ? { pingIntervalMs: flags.pingInterval } : {}),
    ...(flags.pongTimeout !== undefined ? { pongTimeoutMs: flags.pongTimeout } : {}),
  };
  const fileLabel = `config file ${base.source.configFile ?? ''}`.trimEnd();

  return {
    gateway: {
      url: base.url,
      identities: base.identities.map((identity) => ({ ...identity })),
      gatewayId,
      secret,
      reconnect: flags.reconnect,
      timeouts,
    },
    echo: flags.echo,
    json: flags.json,
    warnings,
    visualizePort: flags.visualize === undefined || flags.visualize === false ? null : flags.visualize === true ? 0 : flags.visualize,
    visualizeControl: flags.visualizeControl,
    health: flags.healthPort !== undefined ? { port: flags.healthPort, host: flags.healthHost ?? '127.0.0.1' } : null,
    provenance: {
      url: flagUrl !== undefined ? 'flag' : base.source.url === 'file' ? fileLabel : base.source.url,
      ...identityProvenance(base.identitySource, identityFlags, fileLabel),
      credentials: credentialFlags
        ? flags.secretFile !== undefined
          ? `--secret-file ${flags.secretFile}`
          : 'flag'
        : base.source.credentials === 'file'
          ? fileLabel
          : base.source.credentials,
    },
  };
}
