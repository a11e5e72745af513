/**
 * Options of {@link createRelayGateway}, validated with zod at the boundary so a mistake names the
 * option, what was expected and what arrived (e.g. `timeouts.outboundMs: expected a positive number,
 * received -5`).
 * @module
 */
import { z } from 'zod';
import type { ClientOptions } from 'ws';
import type { InspectionEvent, Observer } from 'xstate';
import { ConfigError } from '../errors.js';
import { parseRelayUrlSetting, RELAY_URL_EXPECTED } from '../config/relay-settings.js';
import type { Logger } from '../logger.js';
import type { WebSocketFactory } from '../transport/socket-actor.js';
import { toValidationIssues } from '../protocol/validation.js';
import { DEFAULT_RELAY_BOT_ID, DEFAULT_RELAY_PLATFORM } from '../config/relay-settings.js';
import { parseIdentitiesOption, type IdentityOption } from '../identity/identity-option.js';
import type { Identity } from '../identity/identity.js';

const positiveMs = z.number().int().positive();
const nonEmpty = z.string().trim().min(1);

/** Backoff overrides; see relay-connector-contract.md §13. */
export interface ReconnectOptions {
  /** First wait. @default 1000 */
  readonly baseMs?: number;
  /** Growth per attempt. @default 2 */
  readonly factor?: number;
  /** Longest wait. @default 30000 */
  readonly capMs?: number;
  /** Serving time after which the ladder starts over. @default 10000 */
  readonly stableMs?: number;
}

/** Timeouts in milliseconds. */
export interface TimeoutOptions {
  /** TCP + TLS + upgrade. @default 10000 */
  readonly dialMs?: number;
  /** `hello` to `descriptor`. @default 30000 */
  readonly handshakeMs?: number;
  /** `outbound` to `outbound_result`. @default 30000 */
  readonly outboundMs?: number;
  /** `going_idle` to its ack for `goIdle()`. @default 10000 */
  readonly goIdleMs?: number;
  /** `going_idle` to its ack during `stop()`. @default 2000 */
  readonly stopGoIdleMs?: number;
  /** Silence before a keepalive ping. @default 30000 */
  readonly pingIntervalMs?: number;
  /** Pong wait before the link counts as dead. @default 15000 */
  readonly pongTimeoutMs?: number;
}

/** How session keys are built (see `buildSessionKey`). */
export interface SessionKeyConfig {
  /** One session per user in groups. @default true */
  readonly groupSessionsPerUser?: boolean;
  /** One session per user in threads. @default false */
  readonly threadSessionsPerUser?: boolean;
  /** Agent profile namespace. @default undefined (`agent:main`) */
  readonly profile?: string;
}

/** An `inspect` observer for the connection machine (Stately's inspector, the visualizer, or your own). */
export type InspectObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/** Options of {@link createRelayGateway}. `...resolveRelayConfig()` can be spread in. */
export interface RelayGatewayOptions {
  /** Connector base URL (`https://connector.example`); `/relay` is appended (relay-connector-contract.md §1). */
  readonly url: string;
  /**
   * Platform this gateway serves, sent in `hello`: the single-identity form. Use `identities`
   * instead to front several platforms. @default "relay"
   */
  readonly platform?: string;
  /** Bot identity sent in `hello` with `platform`. @default "" */
  readonly botId?: string;
  /**
   * Every identity to announce on the one socket, a `hello` each in this order; the first is the
   * primary (protocol-later §1.1). Platforms other than `relay` form the fronted set (§1.3).
   * `platform` and `botId` are trimmed, `username` loses a leading `@` and is never sent; a
   * repeated platform keeps its first entry (logged as a warning). Not together with
   * `platform`/`botId`, unless those merely restate the first identity, as a spread of
   * `resolveRelayConfig()` does.
   * @default [{ platform: platform ?? "relay", botId: botId ?? "" }]
   */
  readonly identities?: ReadonlyArray<IdentityOption>;
  /** Gateway id for upgrade auth; needs `secret` too. @default null */
  readonly gatewayId?: string | null;
  /** Shared secret for upgrade auth; never logged. @default null */
  readonly secret?: string | null;
  /** Reconnect after unexpected closes, or backoff overrides. @default true */
  readonly reconnect?: boolean | ReconnectOptions;
  /** Timeouts. @default the spec's (see {@link TimeoutOptions}) */
  readonly timeouts?: TimeoutOptions;
  /** Inbound handlers running at once across sessions. @default 64 */
  readonly concurrency?: number;
  /**
   * Cap on inbound deliveries waiting for a handler. At half of it the gateway asks the connector to
   * buffer (flow control); at the cap it holds nothing more (see docs/operations.md, "Backlog").
   * @default 50000
   */
  readonly maxQueuedInbound?: number;
  /** The same cap in bytes of frame text. @default 67108864 (64 MiB) */
  readonly maxQueuedInboundBytes?: number;
  /**
   * Completed deliveries remembered to drop replayed duplicates, besides every outstanding one
   * (queued or running), which is never forgotten. @default 50000
   */
  readonly dedupeWindow?: number;
  /** Session key options. @default {} */
  readonly sessionKeys?: SessionKeyConfig;
  /** Chats whose scope is remembered for re-attachment. @default 10000 */
  readonly scopeMemorySize?: number;
  /** Upgrade token lifetime, seconds; 0 = never expires. @default 300 */
  readonly tokenTtlSeconds?: number;
  /** Largest WebSocket message. @default 4194304 (4 MiB) */
  readonly maxPayload?: number;
  /** Largest partial line kept between messages. @default 1048576 (1 MiB) */
  readonly maxLineBytes?: number;
  /** Observer of machine inspection events. @default none (inspection costs time per event) */
  readonly inspect?: InspectObserver;
  /** Logger (pino/console compatible). @default silent */
  readonly logger?: Logger;
  /** Random source in [0, 1) for backoff jitter. @default Math.random */
  readonly random?: () => number;
  /** Wall clock in ms. @default Date.now */
  readonly now?: () => number;
  /** Extra `ws` client options, e.g. `{ ca }` for a private CA. @default {} */
  readonly socketOptions?: ClientOptions;
  /** Socket factory. @default `new WebSocket(url, options)` */
  readonly createSocket?: WebSocketFactory;
  /** Present when options come from `resolveRelayConfig()`; ignored. */
  readonly source?: unknown;
  /** Present when options come from `resolveRelayConfig()`; ignored. */
  readonly identitySource?: unknown;
  /** Present when options come from `resolveRelayConfig()` (show them yourself); ignored. */
  readonly warnings?: unknown;
}

const fn = z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', { error: 'expected function' });

const optionsSchema = z.strictObject({
  url: z.string(),
  platform: nonEmpty.optional(),
  botId: z.string().optional(),
  // Checked by gatewayIdentities, whose messages index the list as identities[<i>].
  identities: z.unknown().optional(),
  gatewayId: z.string().nullish(),
  secret: z.string().nullish(),
  reconnect: z
    .union([
      z.boolean(),
      z.strictObject({
        baseMs: positiveMs.optional(),
        factor: z.number().min(1).optional(),
        capMs: positiveMs.optional(),
        stableMs: positiveMs.optional(),
      }),
    ])
    .optional(),
  timeouts: z
    .strictObject({
      dialMs: positiveMs.optional(),
      handshakeMs: positiveMs.optional(),
      outboundMs: positiveMs.optional(),
      goIdleMs: positiveMs.optional(),
      stopGoIdleMs: positiveMs.optional(),
      pingIntervalMs: positiveMs.optional(),
      pongTimeoutMs: positiveMs.optional(),
    })
    .optional(),
  concurrency: z.number().int().positive().optional(),
  maxQueuedInbound: z.number().int().positive().optional(),
  maxQueuedInboundBytes: z.number().int().positive().optional(),
  dedupeWindow: z.number().int().positive().optional(),
  sessionKeys: z
    .strictObject({ groupSessionsPerUser: z.boolean().optional(), threadSessionsPerUser: z.boolean().optional(), profile: z.string().optional() })
    .optional(),
  scopeMemorySize: z.number().int().positive().optional(),
  tokenTtlSeconds: z.number().int().nonnegative().optional(),
  maxPayload: z.number().int().positive().optional(),
  maxLineBytes: z.number().int().positive().optional(),
  inspect: z.union([fn, z.object({}).loose()]).optional(),
  logger: z.object({}).loose().optional(),
  random: fn.optional(),
  now: fn.optional(),
  socketOptions: z.object({}).loose().optional(),
  createSocket: fn.optional(),
  source: z.unknown().optional(),
  identitySource: z.unknown().optional(),
  warnings: z.unknown().optional(),
});

/** Option names, for "did you mean" suggestions. */
const OPTION_NAMES: readonly string[] = Object.keys(optionsSchema.shape);

/** The known option closest to a misspelt one, when it is close enough to be a likely typo. */
function suggestOption(name: string): string | undefined {
  const lower = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of OPTION_NAMES) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  // Also catch a known name wrapped in more words (`relayUrl` for `url`).
  const contained = OPTION_NAMES.find((candidate) => candidate.length >= 3 && lower.includes(candidate.toLowerCase()));
  if (best && best.distance <= 2) return best.name;
  return contained;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const kept = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = kept;
    }
  }
  return row[b.length]!;
}

/** Outcome of {@link gatewayIdentities}. */
export interface GatewayIdentities {
  /** At least one identity, primary first. */
  readonly identities: Identity[];
  /** Repeated platforms in `identities`, for the gateway's logger. */
  readonly warnings: string[];
}

/**
 * The identities a gateway announces: `identities` when given, else the single identity
 * `[{ platform: platform ?? "relay", botId: botId ?? "" }]` (both trimmed).
 * @throws {ConfigError} naming `identities[<i>]...` for a bad entry (see `parseIdentitiesOption`),
 * or `identities` when `platform`/`botId` are given too and differ from the first identity (two
 * answers to one question; equal values are what a spread of `resolveRelayConfig()` carries).
 */
export function gatewayIdentities(options: Pick<RelayGatewayOptions, 'identities' | 'platform' | 'botId'>): GatewayIdentities {
  const platform = options.platform?.trim();
  const botId = options.botId?.trim();
  if (options.identities === undefined) {
    return { identities: [{ platform: platform || DEFAULT_RELAY_PLATFORM, botId: botId ?? DEFAULT_RELAY_BOT_ID }], warnings: [] };
  }
  const warnings: string[] = [];
  const identities = parseIdentitiesOption(options.identities, 'identities', (warning) => warnings.push(warning));
  const primary = identities[0];
  const differs = (given: string | undefined, own: string | undefined): boolean => given !== undefined && given !== own;
  if (differs(platform, primary?.platform) || differs(botId, primary?.botId)) {
    throw new ConfigError(
      'identities',
      `use identities or platform/botId, not both (platform/botId ${JSON.stringify(`${platform ?? '(unset)'}/${botId ?? '(unset)'}`)} ` +
        `differ from the first identity ${JSON.stringify(`${primary?.platform ?? ''}/${primary?.botId ?? ''}`)})`,
    );
  }
  return { identities, warnings };
}

const present = (value: string | null | undefined): value is string => typeof value === 'string' && value.trim() !== '';

/**
 * Check options at construction, so a gateway that cannot work never starts: every option's type
 * and range, the URL (absolute, ws/wss/http/https), the identities (see {@link gatewayIdentities}),
 * and the credential pair (both or neither).
 * @throws {ConfigError} (`ERR_CONFIG_INVALID`) naming the first bad option (dotted path), what was
 * expected and what was received, as `<option>: expected <what>, received <what>`. A secret is never
 * echoed, nor a URL's userinfo.
 */
export function validateGatewayOptions(options: RelayGatewayOptions): void {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', `expected an object, received ${options === null ? 'null' : typeof options}`);
  const result = optionsSchema.safeParse(options, { reportInput: true });
  if (!result.success) {
    const issue = toValidationIssues(result.error)[0];
    if (!issue) throw new ConfigError('options', 'expected valid options');
    const path = issue.path || 'options';
    if (issue.expected === 'no such key') {
      const suggestion = suggestOption(path.split('.').at(-1) ?? path);
      throw new ConfigError(path, `unknown option${suggestion && !path.includes('.') ? ` (did you mean ${suggestion}?)` : ''}`);
    }
    const received = path === 'secret' ? '(hidden)' : issue.received;
    throw new ConfigError(path, `expected ${issue.expected}, received ${received}`);
  }
  try {
    parseRelayUrlSetting(options.url.trim(), 'url');
  } catch (error) {
    if (options.url.trim() === '') throw new ConfigError('url', `expected ${RELAY_URL_EXPECTED}, received an empty string`);
    throw error;
  }
  gatewayIdentities(options);
  // Authentication needs both halves; one alone would be refused with 4401 on every dial, forever.
  if (present(options.gatewayId) && !present(options.secret)) {
    throw new ConfigError('secret', `expected a secret to go with gatewayId ${JSON.stringify(options.gatewayId)}, received ${options.secret === undefined ? 'nothing' : 'an empty value'}`);
  }
  if (!present(options.gatewayId) && present(options.secret)) {
    throw new ConfigError('gatewayId', `expected a gateway id to go with the secret, received ${options.gatewayId === undefined || options.gatewayId === null ? 'nothing' : 'an empty value'}`);
  }
}
