/**
 * The identities of one gateway as a lookup structure: the primary, the order, and the fronted set
 * (protocol-later §1.1, §1.3) that outbound tagging and `sendForPlatform` consult.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { DEFAULT_RELAY_PLATFORM } from '../config/relay-settings.js';
import { dedupeByPlatform } from './dedupe.js';
import { makeIdentity, type Identity } from './identity.js';

/** An immutable, non-empty set of identities, primary first. */
export class IdentitySet {
  /** The first identity: its `hello` is the one whose descriptor completes the handshake. */
  readonly primary: Identity;
  /** Every identity in the configured order (the order the hellos are written in). */
  readonly all: readonly Identity[];
  /**
   * The platforms this gateway fronts: every identity's platform except `relay`, the generic name
   * that stands for no platform in particular.
   */
  readonly fronted: ReadonlySet<string>;
  readonly #byPlatform: ReadonlyMap<string, Identity>;

  /**
   * @param identities - At least one identity. A repeated platform keeps its first entry (the
   * configuration sources have already warned about repeats; this only guarantees the invariant).
   * @throws {InvalidArgumentError} naming `identities` when there is none.
   */
  constructor(identities: Iterable<Identity>) {
    // Copied and frozen so a caller mutating its array cannot change what is announced.
    const copies = [...identities].map((identity) => Object.freeze(makeIdentity(identity.platform, identity.botId, identity.username)));
    const { unique } = dedupeByPlatform(copies);
    const primary = unique[0];
    if (primary === undefined) throw new InvalidArgumentError('identities', 'expected at least one identity, received none');
    this.primary = primary;
    this.all = Object.freeze(unique);
    this.#byPlatform = new Map(unique.map((identity) => [identity.platform, identity]));
    this.fronted = new Set(unique.map((identity) => identity.platform).filter((platform) => platform !== DEFAULT_RELAY_PLATFORM));
  }

  /** Whether `platform` is in the fronted set (never true for `relay`). */
  frontsPlatform(platform: string): boolean {
    return this.fronted.has(platform);
  }

  /** The bot id configured for `platform` (possibly `""`), or `undefined` when it is not an identity. */
  botIdFor(platform: string): string | undefined {
    return this.#byPlatform.get(platform)?.botId;
  }

  /** The bot's user name on `platform` without `@`, or `undefined` when none is configured. Never sent. */
  botUsername(platform: string): string | undefined {
    return this.#byPlatform.get(platform)?.username;
  }
}
