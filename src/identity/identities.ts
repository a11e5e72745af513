/**
 * Several identities on one socket (protocol-later §1.1): the types, the resolution from the
 * environment and the config file, the `identities` option, and the {@link IdentitySet} the gateway
 * consults. The entry point of `src/identity/`; each part lives in its own module.
 * @module
 */
export { DEFAULT_IDENTITIES, makeIdentity, normalizeUsername, type Identity, type IdentityResolution, type IdentitySource } from './identity.js';
export { IDENTITY_ENV_VARS, resolveIdentities, type IdentitySettingNames, type ResolveIdentitiesInput } from './resolve-identities.js';
export { parsePlatformList, type PlatformList } from './platform-list.js';
export { identitiesWithBotIds, type BotIdsOutcome } from './bot-id-map.js';
export { parseFileIdentities, type FileIdentities } from './file-identities.js';
export { parseIdentitiesOption, type IdentityOption } from './identity-option.js';
export { IdentitySet } from './identity-set.js';
