/**
 * Upgrade authentication (relay-connector-contract.md §2): the short-lived bearer token a gateway presents on the
 * WebSocket upgrade, and its verification (for the dev connector). Secrets and tokens are
 * credentials: nothing here puts either into an error message.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';

/** Lifetime of a token when none is given, in seconds (the connector's default). */
export const DEFAULT_UPGRADE_TOKEN_TTL_SECONDS = 300;

/** Options of {@link makeUpgradeToken} and {@link authorizationHeader}. */
export interface UpgradeTokenOptions {
  /**
   * Seconds the token stays valid; `0` mints a token with `exp = 0`, which never expires.
   * @default 300
   */
  readonly ttlSeconds?: number;
  /**
   * Current unix time in whole seconds (injectable for tests and deterministic clocks).
   * @default Math.floor(Date.now() / 1000)
   */
  readonly nowSeconds?: number;
}

/** Options of {@link verifyUpgradeToken}. */
export interface VerifyUpgradeTokenOptions {
  /**
   * Current unix time in whole seconds.
   * @default Math.floor(Date.now() / 1000)
   */
  readonly nowSeconds?: number;
}

/**
 * Why a token was refused: `malformed` (not the token format), `unknown-gateway` (no usable secret
 * for its id), `bad-signature` (signed with another secret or altered), `expired`.
 */
export type UpgradeTokenRejection = 'malformed' | 'unknown-gateway' | 'bad-signature' | 'expired';

/** Outcome of {@link verifyUpgradeToken}. */
export type UpgradeTokenVerdict =
  | { readonly ok: true; readonly gatewayId: string; readonly exp: number }
  | { readonly ok: false; readonly reason: UpgradeTokenRejection };

// Canonical unpadded base64url; Buffer's decoder would otherwise skip stray characters silently.
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const EXP_TEXT = /^(?:0|[1-9][0-9]*)$/;
const SIGNATURE_TEXT = /^[0-9a-f]{64}$/;

/**
 * Whether a secret is set. A whitespace-only value is how an unset setting often looks in a config
 * file, so it counts as unset rather than as a (weak) key.
 * @param secret - Candidate secret.
 */
export function isUsableSecret(secret: string | null | undefined): secret is string {
  return typeof secret === 'string' && secret.trim() !== '';
}

function currentUnixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function requireUnixSeconds(argument: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(argument, `must be a non-negative integer number of seconds, got ${String(value)}`);
  }
  return value;
}

/** Lowercase hex HMAC-SHA256 of `message` under `secret`, both taken as UTF-8. */
function signature(message: string, secret: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(message, 'utf8').digest('hex');
}

/**
 * Mint an upgrade token: `base64url_nopad(utf8("<gatewayId>:<exp>:<sig>"))`, where `sig` is the
 * hex HMAC-SHA256 of `"<gatewayId>:<exp>"` keyed by the secret. Mint a fresh one for every dial.
 * @param gatewayId - This gateway's id, signed as given.
 * @param secret - The shared secret, used as given.
 * @param options - Lifetime and clock.
 * @throws {InvalidArgumentError} `gatewayId` empty or whitespace-only; `secret` unusable (see
 *   {@link isUsableSecret}); `ttlSeconds` or `nowSeconds` negative or not an integer.
 */
export function makeUpgradeToken(gatewayId: string, secret: string, options: UpgradeTokenOptions = {}): string {
  if (typeof gatewayId !== 'string' || gatewayId.trim() === '') {
    throw new InvalidArgumentError('gatewayId', 'must be a non-empty string');
  }
  if (!isUsableSecret(secret)) {
    throw new InvalidArgumentError('secret', 'must be a string with at least one non-whitespace character');
  }
  const ttl = requireUnixSeconds('ttlSeconds', options.ttlSeconds ?? DEFAULT_UPGRADE_TOKEN_TTL_SECONDS);
  const now = requireUnixSeconds('nowSeconds', options.nowSeconds ?? currentUnixSeconds());
  const exp = ttl === 0 ? 0 : now + ttl;
  if (!Number.isSafeInteger(exp)) {
    throw new InvalidArgumentError('ttlSeconds', 'puts the expiry beyond the largest safe integer');
  }
  const signed = `${gatewayId}:${exp}`;
  return Buffer.from(`${signed}:${signature(signed, secret)}`, 'utf8').toString('base64url');
}

/**
 * The upgrade request's authentication header: `{ Authorization: 'Bearer <token>' }` with a freshly
 * minted token when both a gateway id and a usable secret are configured, otherwise `{}` (the dial
 * then goes unauthenticated, as the spec requires: no header at all).
 * @param gatewayId - Configured gateway id; absent, empty or whitespace-only means none.
 * @param secret - Configured secret; absent or whitespace-only means none.
 * @param options - Lifetime and clock, as for {@link makeUpgradeToken}.
 * @throws {InvalidArgumentError} when both are set and an option is invalid.
 */
export function authorizationHeader(
  gatewayId?: string | null,
  secret?: string | null,
  options: UpgradeTokenOptions = {},
): Record<string, string> {
  if (typeof gatewayId !== 'string' || gatewayId.trim() === '' || !isUsableSecret(secret)) return {};
  return { Authorization: `Bearer ${makeUpgradeToken(gatewayId, secret, options)}` };
}

type ParsedToken = { readonly gatewayId: string; readonly exp: number; readonly signed: string; readonly sig: string };

function parseToken(token: unknown): ParsedToken | undefined {
  if (typeof token !== 'string' || !BASE64URL.test(token)) return undefined;
  const bytes = Buffer.from(token, 'base64url');
  // Re-encoding rejects non-canonical forms (impossible lengths, stray low bits).
  if (bytes.toString('base64url') !== token) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // The id may itself contain ':', so the two fixed fields are found from the right.
  const sigAt = text.lastIndexOf(':');
  if (sigAt < 0) return undefined;
  const signed = text.slice(0, sigAt);
  const sig = text.slice(sigAt + 1);
  const expAt = signed.lastIndexOf(':');
  if (expAt < 0) return undefined;
  const gatewayId = signed.slice(0, expAt);
  const expText = signed.slice(expAt + 1);
  if (gatewayId.trim() === '' || !EXP_TEXT.test(expText) || !SIGNATURE_TEXT.test(sig)) return undefined;
  const exp = Number(expText);
  if (!Number.isSafeInteger(exp)) return undefined;
  return { gatewayId, exp, signed, sig };
}

/**
 * Check an upgrade token: format, then the signature against the gateway's secret, then expiry
 * (`exp = 0` never expires; otherwise the token is valid while `now < exp`). The signature is
 * compared in constant time. Never throws for a bad token: the verdict says why it was refused.
 * @param token - The bearer token (without the `Bearer ` prefix).
 * @param secretFor - The secret of a gateway id, or `undefined`/`null` when the id is unknown.
 * @param options - Clock.
 * @throws {InvalidArgumentError} `nowSeconds` negative or not an integer.
 */
export function verifyUpgradeToken(
  token: string,
  secretFor: (gatewayId: string) => string | null | undefined,
  options: VerifyUpgradeTokenOptions = {},
): UpgradeTokenVerdict {
  const now = requireUnixSeconds('nowSeconds', options.nowSeconds ?? currentUnixSeconds());
  const parsed = parseToken(token);
  if (parsed === undefined) return { ok: false, reason: 'malformed' };
  const secret = secretFor(parsed.gatewayId);
  if (!isUsableSecret(secret)) return { ok: false, reason: 'unknown-gateway' };
  const expected = Buffer.from(signature(parsed.signed, secret), 'utf8');
  const presented = Buffer.from(parsed.sig, 'utf8');
  // Both are 64 hex characters here, as timingSafeEqual requires equal lengths.
  if (!timingSafeEqual(presented, expected)) return { ok: false, reason: 'bad-signature' };
  if (parsed.exp !== 0 && now >= parsed.exp) return { ok: false, reason: 'expired' };
  return { ok: true, gatewayId: parsed.gatewayId, exp: parsed.exp };
}
