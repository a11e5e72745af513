/**
 * `gateway.relay_identities` (protocol-later §1.1), read from real YAML files: the accepted shapes,
 * and every rejected shape failing config load with a message naming the entry's index, what was
 * expected and what arrived (never the file's text).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { readRelayConfigFile } from '../../src/config/relay-config-file.js';
import { parseFileIdentities, resolveIdentities } from '../../src/identity/identities.js';

const dir = mkdtempSync(join(tmpdir(), 'relay-identities-'));
let count = 0;
/** Write a config file whose `gateway.relay_identities` is `body` (indented YAML). */
function configWith(body: string): string {
  const path = join(dir, `config-${count++}.yaml`);
  writeFileSync(path, `gateway:\n  relay_url: wss://c.example\n  relay_identities:${body}\n`);
  return path;
}

function fileError(path: string): ConfigError {
  try {
    readRelayConfigFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the file to be refused');
}

/** The identities a file yields when the environment sets none. */
function fromFile(path: string): ReturnType<typeof resolveIdentities> {
  return resolveIdentities({ env: {}, fileIdentities: readRelayConfigFile(path).identities, fileLabel: path });
}

describe('gateway.relay_identities: accepted', () => {
  it('reads platform, bot_id and username, trimmed, in file order', () => {
    const path = configWith(`
    - platform: " telegram "
      bot_id: " bot-9 "
      username: "@tg_bot"
    - platform: discord
    - platform: relay
      bot_id: ""`);
    expect(fromFile(path)).toEqual({
      identities: [
        { platform: 'telegram', botId: 'bot-9', username: 'tg_bot' },
        { platform: 'discord', botId: '' },
        { platform: 'relay', botId: '' },
      ],
      warnings: [],
      source: 'file',
    });
  });

  it('accepts the flow form and a quoted numeric bot id', () => {
    expect(fromFile(configWith(' [{platform: discord, bot_id: "123456789012345678901"}]')).identities).toEqual([
      { platform: 'discord', botId: '123456789012345678901' },
    ]);
  });

  it('a blank bot_id or username (a key with no value) is unset', () => {
    expect(fromFile(configWith('\n    - platform: discord\n      bot_id:\n      username:')).identities).toEqual([{ platform: 'discord', botId: '' }]);
  });

  it('an empty list and a blank key count as unset', () => {
    expect(fromFile(configWith(' []')).source).toBe('default');
    expect(fromFile(configWith('')).source).toBe('default');
  });

  it('drops a repeated platform with one warning naming the key and the file', () => {
    const path = configWith('\n    - platform: a\n      bot_id: first\n    - platform: b\n    - platform: a\n      bot_id: second');
    expect(fromFile(path)).toEqual({
      identities: [
        { platform: 'a', botId: 'first' },
        { platform: 'b', botId: '' },
      ],
      warnings: [`gateway.relay_identities (in ${path}) names "a" more than once; the first occurrence keeps its position and the later copies are dropped`],
      source: 'file',
    });
  });

  it('warns about an entry key that is not an identity key (botId for bot_id)', () => {
    const path = configWith('\n    - platform: discord\n      botId: "1"');
    expect(fromFile(path)).toEqual({
      identities: [{ platform: 'discord', botId: '' }],
      warnings: [`gateway.relay_identities[0].botId (in ${path}) is not an identity key (the relay reads platform, bot_id, username); it is ignored`],
      source: 'file',
    });
  });

  it('the key is no longer reported as an unknown relay setting', () => {
    expect(readRelayConfigFile(configWith(' []')).unknownKeys).toEqual([]);
  });
});

describe('gateway.relay_identities: refused, naming the index', () => {
  it.each([
    ['a mapping', ' {platform: discord}', 'gateway.relay_identities', 'expected a list of {platform, bot_id?, username?} mappings, received a mapping'],
    ['a string', ' discord', 'gateway.relay_identities', 'expected a list of {platform, bot_id?, username?} mappings, received a string'],
    ['an entry that is a string', '\n    - platform: a\n    - discord', 'gateway.relay_identities[1]', 'expected a mapping {platform, bot_id?, username?}, received a string'],
    ['an entry that is a list', '\n    - [discord]', 'gateway.relay_identities[0]', 'expected a mapping {platform, bot_id?, username?}, received a list'],
    ['an entry that is null', '\n    - platform: a\n    -', 'gateway.relay_identities[1]', 'expected a mapping {platform, bot_id?, username?}, received null'],
    ['no platform', '\n    - bot_id: x', 'gateway.relay_identities[0]', 'expected platform to be a non-empty string, received nothing'],
    ['an empty platform', '\n    - platform: ""', 'gateway.relay_identities[0]', 'expected platform to be a non-empty string, received an empty string'],
    ['a blank platform', '\n    - platform: a\n    - platform: "   "', 'gateway.relay_identities[1]', 'expected platform to be a non-empty string, received a blank string'],
    ['a numeric platform', '\n    - platform: 42', 'gateway.relay_identities[0]', 'expected platform to be a non-empty string, received a number'],
    ['a platform left blank', '\n    - platform:', 'gateway.relay_identities[0]', 'expected platform to be a non-empty string, received null'],
    ['a numeric bot_id', '\n    - platform: telegram\n      bot_id: 123456', 'gateway.relay_identities[0]', 'expected bot_id to be a string (quote a numeric id: bot_id: "123"), received a number'],
    ['a list as bot_id', '\n    - platform: telegram\n      bot_id: [1]', 'gateway.relay_identities[0]', 'expected bot_id to be a string (quote a numeric id: bot_id: "123"), received a list'],
    ['a boolean username', '\n    - platform: telegram\n      username: true', 'gateway.relay_identities[0]', 'expected username to be a string, received a boolean'],
    [
      'an uppercase platform',
      '\n    - platform: Telegram',
      'gateway.relay_identities[0]',
      'expected platform of lowercase letters, digits, "_" or "-" only (e.g. "relay"), received a string with uppercase letters',
    ],
  ])('%s', (_what, body, setting, expected) => {
    const path = configWith(body);
    const error = fileError(path);
    expect(error.setting).toBe(setting);
    expect(error.message).toBe(`${setting}: ${expected} (in ${path})`);
  });

  it('never quotes the value (it could be a mis-indented secret)', () => {
    const canary = 'Zq8wK3vB7nM2xR5t';
    const error = fileError(configWith(`\n    - platform: "${canary}!"`));
    expect(error.message).not.toContain(canary);
    expect(error.message).toContain('received a string with uppercase letters, other characters');
  });

  it('parseFileIdentities names configText when the YAML came inline, and nothing without a label', () => {
    expect(() => parseFileIdentities('x', 'configText')).toThrow(
      'gateway.relay_identities: expected a list of {platform, bot_id?, username?} mappings, received a string (in configText)',
    );
    expect(() => parseFileIdentities([{ platform: '' }])).toThrow(
      /^gateway\.relay_identities\[0\]: expected platform to be a non-empty string, received an empty string$/u,
    );
  });
});
