/**
 * parseIdentitiesOption: the library's `identities` option, with errors in the options' style
 * (`<path>: expected <what>, received <what>`).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseIdentitiesOption } from '../../src/identity/identities.js';

function optionError(value: unknown, name?: string): ConfigError {
  try {
    parseIdentitiesOption(value, name);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the option to be refused');
}

describe('parseIdentitiesOption', () => {
  it('trims platform and botId, strips the @ of a username, defaults botId to ""', () => {
    expect(
      parseIdentitiesOption([
        { platform: ' telegram ', botId: ' 9 ', username: ' @tg ' },
        { platform: 'discord' },
        { platform: 'slack', username: '@' },
      ]),
    ).toEqual([
      { platform: 'telegram', botId: '9', username: 'tg' },
      { platform: 'discord', botId: '' },
      { platform: 'slack', botId: '' },
    ]);
  });

  it('drops a repeated platform, keeping the first, and reports it once through onWarning', () => {
    const warnings: string[] = [];
    const identities = parseIdentitiesOption(
      [{ platform: 'a', botId: '1' }, { platform: 'b' }, { platform: 'a', botId: '2' }, { platform: 'b' }],
      'identities',
      (warning) => warnings.push(warning),
    );
    expect(identities).toEqual([
      { platform: 'a', botId: '1' },
      { platform: 'b', botId: '' },
    ]);
    expect(warnings).toEqual(['identities names "a", "b" more than once; the first occurrence keeps its position and the later copies are dropped']);
  });

  it('without onWarning, repeats are still dropped', () => {
    expect(parseIdentitiesOption([{ platform: 'a' }, { platform: 'a' }])).toEqual([{ platform: 'a', botId: '' }]);
  });

  it.each([
    [[], 'identities', 'identities: expected a non-empty list, received array(0)'],
    ['discord', 'identities', 'identities: expected a list, received "discord"'],
    [[null], 'identities[0]', 'identities[0]: expected an object, received null'],
    [[{ platform: 'a' }, {}], 'identities[1].platform', 'identities[1].platform: expected a string, received undefined'],
    [[{ platform: 'a' }, { platform: '  ' }], 'identities[1].platform', 'identities[1].platform: expected a non-empty string, received ""'],
    [[{ platform: 7 }], 'identities[0].platform', 'identities[0].platform: expected a string, received 7'],
    [[{ platform: 'a', botId: 5 }], 'identities[0].botId', 'identities[0].botId: expected a string, received 5'],
    [[{ platform: 'a', username: false }], 'identities[0].username', 'identities[0].username: expected a string, received false'],
    [[{ platform: 'a', bot_id: 'x' }], 'identities[0].bot_id', 'identities[0].bot_id: unknown option (an identity has platform, botId and username)'],
  ])('%j -> %s', (value, setting, message) => {
    const error = optionError(value);
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.setting).toBe(setting);
    expect(error.message).toBe(message);
  });

  it('names the option as told', () => {
    expect(optionError([{ platform: '' }], 'options.identities').setting).toBe('options.identities[0].platform');
  });
});
