/**
 * protocol-later §1.1: which identities the environment and the config file yield, with the exact
 * warnings. The spec's two examples are checked word for word first.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { resolveIdentities, type IdentityResolution } from '../../src/identity/identities.js';

const resolve = (env: Record<string, string | undefined>, fileIdentities?: unknown): IdentityResolution =>
  resolveIdentities({ env, ...(fileIdentities !== undefined ? { fileIdentities } : {}) });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

const DEFAULT = [{ platform: 'relay', botId: '' }];

describe('resolveIdentities: the §1.1 examples', () => {
  it('" discord, telegram ," with both bot ids and a username', () => {
    expect(
      resolve({
        GATEWAY_RELAY_PLATFORMS: ' discord, telegram ,',
        GATEWAY_RELAY_BOT_IDS: '{"discord":{"botId":" d-1 "},"telegram":{"botId":"t-9","username":"@my_bot"}}',
      }),
    ).toEqual<IdentityResolution>({
      identities: [
        { platform: 'discord', botId: 'd-1' },
        { platform: 'telegram', botId: 't-9', username: 'my_bot' },
      ],
      warnings: [],
      source: 'list',
    });
  });

  it('"discord" with "{oops": one identity with an empty bot id, and one warning', () => {
    expect(resolve({ GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_BOT_IDS: '{oops' })).toEqual<IdentityResolution>({
      identities: [{ platform: 'discord', botId: '' }],
      warnings: [
        'GATEWAY_RELAY_BOT_IDS is not valid JSON (expected {"<platform>":{"botId":"…","username":"…"}}), so it counts as {} and every bot id is ""',
      ],
      source: 'list',
    });
  });
});

describe('resolveIdentities: GATEWAY_RELAY_PLATFORMS', () => {
  it('trims, drops empty entries and keeps the order; the first is the primary', () => {
    expect(resolve({ GATEWAY_RELAY_PLATFORMS: ',, telegram ,,discord, slack' }).identities).toEqual([
      { platform: 'telegram', botId: '' },
      { platform: 'discord', botId: '' },
      { platform: 'slack', botId: '' },
    ]);
  });

  it('keeps the first position of a repeated name, with one warning for the whole list', () => {
    expect(resolve({ GATEWAY_RELAY_PLATFORMS: 'a,b,a,c,b,a' })).toEqual<IdentityResolution>({
      identities: [
        { platform: 'a', botId: '' },
        { platform: 'b', botId: '' },
        { platform: 'c', botId: '' },
      ],
      warnings: ['GATEWAY_RELAY_PLATFORMS names "a", "b" more than once; the first occurrence keeps its position and the later copies are dropped'],
      source: 'list',
    });
  });

  it('a repeat keeps the bot id of the name (the map is keyed by platform)', () => {
    expect(resolve({ GATEWAY_RELAY_PLATFORMS: 'discord,discord', GATEWAY_RELAY_BOT_IDS: '{"discord":{"botId":"d"}}' }).identities).toEqual([
      { platform: 'discord', botId: 'd' },
    ]);
  });

  it.each(['', '   ', '\t\n'])('%j counts as unset (no warning)', (value) => {
    expect(resolve({ GATEWAY_RELAY_PLATFORMS: value })).toEqual({ identities: DEFAULT, warnings: [], source: 'default' });
  });

  it('a list of commas names no platform: a warning, and the next source is used', () => {
    expect(resolve({ GATEWAY_RELAY_PLATFORMS: ' , ,', GATEWAY_RELAY_PLATFORM: 'slack' })).toEqual<IdentityResolution>({
      identities: [{ platform: 'slack', botId: '' }],
      warnings: ['GATEWAY_RELAY_PLATFORMS names no platform (received ", ,"), so it is ignored'],
      source: 'single',
    });
  });

  it('rejects a name outside [a-z0-9_-], naming the variable and the name', () => {
    const error = configError(() => resolve({ GATEWAY_RELAY_PLATFORMS: 'discord,Telegram' }));
    expect(error.setting).toBe('GATEWAY_RELAY_PLATFORMS');
    expect(error.message).toBe('GATEWAY_RELAY_PLATFORMS: expected lowercase letters, digits, "_" or "-" only (e.g. "relay"), received "Telegram"');
  });

  it('names in settingNames replace the variables in messages', () => {
    const result = resolveIdentities({
      env: { GATEWAY_RELAY_PLATFORMS: 'a,a', GATEWAY_RELAY_BOT_IDS: 'nope' },
      settingNames: { platforms: '--platforms', botIds: '--bot-ids' },
    });
    expect(result.warnings).toEqual([
      '--platforms names "a" more than once; the first occurrence keeps its position and the later copies are dropped',
      '--bot-ids is not valid JSON (expected {"<platform>":{"botId":"…","username":"…"}}), so it counts as {} and every bot id is ""',
    ]);
  });
});

describe('resolveIdentities: GATEWAY_RELAY_BOT_IDS', () => {
  const withMap = (map: string, platforms = 'discord,telegram'): IdentityResolution =>
    resolve({ GATEWAY_RELAY_PLATFORMS: platforms, GATEWAY_RELAY_BOT_IDS: map });

  it('trims botId and gives "" to a platform without an entry; unlisted keys are ignored silently', () => {
    expect(withMap('{"discord":{"botId":"  7  "},"slack":{"botId":"s"}}')).toEqual<IdentityResolution>({
      identities: [
        { platform: 'discord', botId: '7' },
        { platform: 'telegram', botId: '' },
      ],
      warnings: [],
      source: 'list',
    });
  });

  it.each([
    ['a list', '[{"botId":"x"}]'],
    ['null', 'null'],
    ['a string', '"discord"'],
    ['a number', '42'],
  ])('a top level that is %s counts as {} with one warning naming the variable', (type, map) => {
    expect(withMap(map)).toEqual<IdentityResolution>({
      identities: [
        { platform: 'discord', botId: '' },
        { platform: 'telegram', botId: '' },
      ],
      warnings: [`GATEWAY_RELAY_BOT_IDS: expected a JSON object keyed by platform, received ${type}; it counts as {} and every bot id is ""`],
      source: 'list',
    });
  });

  it('an entry that is not an object, or a botId that is not a string, gives "" (with a warning each)', () => {
    expect(withMap('{"discord":"123","telegram":{"botId":123}}')).toEqual<IdentityResolution>({
      identities: [
        { platform: 'discord', botId: '' },
        { platform: 'telegram', botId: '' },
      ],
      warnings: [
        'GATEWAY_RELAY_BOT_IDS["discord"]: expected an object {"botId":"…"}, received a string; the bot id is ""',
        'GATEWAY_RELAY_BOT_IDS["telegram"].botId: expected a string, received a number; the bot id is ""',
      ],
      source: 'list',
    });
  });

  it('an entry without botId (or with null) is "" and no warning', () => {
    expect(withMap('{"discord":{},"telegram":{"botId":null,"username":"t"}}')).toEqual<IdentityResolution>({
      identities: [
        { platform: 'discord', botId: '' },
        { platform: 'telegram', botId: '', username: 't' },
      ],
      warnings: [],
      source: 'list',
    });
  });

  it.each([
    ['@my_bot', 'my_bot'],
    ['  @my_bot ', 'my_bot'],
    ['my_bot', 'my_bot'],
    ['@@x', '@x'],
  ])('username %j becomes %j', (username, expected) => {
    expect(withMap(JSON.stringify({ discord: { botId: 'd', username } }), 'discord').identities).toEqual([
      { platform: 'discord', botId: 'd', username: expected },
    ]);
  });

  it.each(['', '@', ' @ '])('username %j is none (no key at all)', (username) => {
    const [identity] = withMap(JSON.stringify({ discord: { botId: 'd', username } }), 'discord').identities;
    expect(identity).toEqual({ platform: 'discord', botId: 'd' });
    expect(identity).not.toHaveProperty('username');
  });

  it('a username that is not a string is none, with a warning', () => {
    expect(withMap('{"discord":{"botId":"d","username":7}}', 'discord')).toEqual<IdentityResolution>({
      identities: [{ platform: 'discord', botId: 'd' }],
      warnings: ['GATEWAY_RELAY_BOT_IDS["discord"].username: expected a string, received a number; no user name is kept'],
      source: 'list',
    });
  });

  it('reads own keys only: platforms named like Object.prototype members', () => {
    expect(
      resolve({ GATEWAY_RELAY_PLATFORMS: '__proto__,constructor', GATEWAY_RELAY_BOT_IDS: '{"__proto__":{"botId":"p"}}' }).identities,
    ).toEqual([
      { platform: '__proto__', botId: 'p' },
      { platform: 'constructor', botId: '' },
    ]);
  });

  it('is read only with the list: alone it is ignored with a warning', () => {
    expect(resolve({ GATEWAY_RELAY_BOT_IDS: '{"relay":{"botId":"x"}}' })).toEqual<IdentityResolution>({
      identities: DEFAULT,
      warnings: ['GATEWAY_RELAY_BOT_IDS is set without GATEWAY_RELAY_PLATFORMS, so it is ignored (bot ids per platform are read only with the list)'],
      source: 'default',
    });
  });

  it('blank counts as unset', () => {
    expect(withMap('   ')).toEqual({
      identities: [
        { platform: 'discord', botId: '' },
        { platform: 'telegram', botId: '' },
      ],
      warnings: [],
      source: 'list',
    });
  });
});

describe('resolveIdentities: the single-identity variables', () => {
  it.each([
    [{ GATEWAY_RELAY_PLATFORM: 'telegram' }, { platform: 'telegram', botId: '' }],
    [{ GATEWAY_RELAY_BOT_ID: ' b-1 ' }, { platform: 'relay', botId: 'b-1' }],
    [{ GATEWAY_RELAY_PLATFORM: ' slack ', GATEWAY_RELAY_BOT_ID: 'b' }, { platform: 'slack', botId: 'b' }],
  ])('%j -> %j', (env, identity) => {
    expect(resolve(env)).toEqual({ identities: [identity], warnings: [], source: 'single' });
  });

  it('blank values count as unset: the default, not the single source', () => {
    expect(resolve({ GATEWAY_RELAY_PLATFORM: ' ', GATEWAY_RELAY_BOT_ID: '' })).toEqual({ identities: DEFAULT, warnings: [], source: 'default' });
  });

  it('an invalid platform names GATEWAY_RELAY_PLATFORM', () => {
    expect(configError(() => resolve({ GATEWAY_RELAY_PLATFORM: 'Telegram' })).setting).toBe('GATEWAY_RELAY_PLATFORM');
  });

  it('the list wins; one warning names every ignored variable', () => {
    expect(resolve({ GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_PLATFORM: 'telegram', GATEWAY_RELAY_BOT_ID: 'b' })).toEqual<IdentityResolution>({
      identities: [{ platform: 'discord', botId: '' }],
      warnings: ['GATEWAY_RELAY_PLATFORM and GATEWAY_RELAY_BOT_ID are ignored: GATEWAY_RELAY_PLATFORMS is set, and the list wins over the single identity'],
      source: 'list',
    });
    expect(resolve({ GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_BOT_ID: 'b' }).warnings).toEqual([
      'GATEWAY_RELAY_BOT_ID is ignored: GATEWAY_RELAY_PLATFORMS is set, and the list wins over the single identity',
    ]);
  });

  it('an ignored single platform is not validated (it is not used)', () => {
    expect(resolve({ GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_PLATFORM: 'Not Valid' }).identities).toEqual([{ platform: 'discord', botId: '' }]);
  });
});

describe('resolveIdentities: precedence of the sources', () => {
  const file = [{ platform: 'matrix', bot_id: 'm' }];

  it('list > single > file > default', () => {
    const all = { GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_PLATFORM: 'telegram' };
    expect(resolve(all, file).source).toBe('list');
    expect(resolve({ GATEWAY_RELAY_PLATFORM: 'telegram' }, file)).toEqual({ identities: [{ platform: 'telegram', botId: '' }], warnings: [], source: 'single' });
    expect(resolve({ GATEWAY_RELAY_BOT_ID: 'b' }, file).identities).toEqual([{ platform: 'relay', botId: 'b' }]);
    expect(resolve({}, file)).toEqual({ identities: [{ platform: 'matrix', botId: 'm' }], warnings: [], source: 'file' });
    expect(resolve({})).toEqual({ identities: DEFAULT, warnings: [], source: 'default' });
  });

  it('an empty file list counts as unset', () => {
    expect(resolve({}, [])).toEqual({ identities: DEFAULT, warnings: [], source: 'default' });
  });

  it('the default is exactly [("relay", "")] and a fresh copy each time', () => {
    const first = resolve({});
    expect(first.identities).toEqual([{ platform: 'relay', botId: '' }]);
    expect(first.identities[0]).not.toBe(resolve({}).identities[0]);
  });

  it('a broken file fails even when the environment wins', () => {
    const error = configError(() => resolve({ GATEWAY_RELAY_PLATFORMS: 'discord' }, [{ platform: '' }]));
    expect(error.setting).toBe('gateway.relay_identities[0]');
  });
});
