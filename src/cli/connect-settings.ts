/**
 * Turns `relay-gateway connect` flags, the environment and the config file into gateway options.
 * Precedence (README "Configuration", extended by the CLI): a flag beats the environment, which beats the config
 * file. The secret never comes from a flag (it would show in `ps`): only from `--secret-file`,
 * `GATEWAY_RELAY_SECRET` or `gateway.relay_secret`.
 * @module
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { resolveRelayConfig } from '../config/resolve-relay-config.js';
import { RELAY_ENV_VARS, RELAY_FILE_KEYS, normalizeSettingValue, parseRelayPlatformSetting, parseRelayUrlSetting } from '../config/relay-settings.js';
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
  /** Options for `createRelayGateway` (secret included: never print this object). */
  readonly gateway: RelayGatewayOptions;
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
  /** Where each value came from, for the start-up line (never the secret itself). */
  readonly provenance: Readonly<Record<'url' | 'platform' | 'botId' | 'credentials', string>>;
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
  const flagPlatform = normalizeSettingValue(flags.platform);
  if (flags.platform !== undefined && flagPlatform === undefined) throw new ConfigError('--platform', 'expected a platform name, received an empty value');
  if (flagPlatform !== undefined) layered[RELAY_ENV_VARS.platform] = parseRelayPlatformSetting(flagPlatform, '--platform');
  if (flags.botId !== undefined) layered[RELAY_ENV_VARS.botId] = flags.botId;

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
  const base = resolveRelayConfig({ env: layered, ...(flags.config !== undefined ? { configFile: flags.config } : {}) });
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
  const warnings: string[] = [...(base.source.warnings ?? [])];
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
  const fromFlagOrEnv = (flag: boolean, variable: string, fallback: string): string =>
    flag ? 'flag' : normalizeSettingValue(env[variable]) !== undefined ? 'env' : fallback;

  return {
    gateway: {
      url: base.url,
      platform: base.platform,
      botId: base.botId,
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
      url: flagUrl !== undefined ? 'flag' : base.source.url === 'file' ? `config file ${base.source.configFile ?? ''}`.trimEnd() : base.source.url,
      platform: fromFlagOrEnv(flagPlatform !== undefined, RELAY_ENV_VARS.platform, 'default'),
      botId: fromFlagOrEnv(flags.botId !== undefined, RELAY_ENV_VARS.botId, 'default'),
      credentials: credentialFlags
        ? flags.secretFile !== undefined
          ? `--secret-file ${flags.secretFile}`
          : 'flag'
        : base.source.credentials === 'file'
          ? `config file ${base.source.configFile ?? ''}`.trimEnd()
          : base.source.credentials,
    },
  };
}
