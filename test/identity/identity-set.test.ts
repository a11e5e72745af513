/**
 * IdentitySet: the primary, the order, and the fronted set (protocol-later §1.1, §1.3).
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { IdentitySet, type Identity } from '../../src/identity/identities.js';

describe('IdentitySet', () => {
  // The §1.3 example's identities, plus the generic one.
  const set = new IdentitySet([
    { platform: 'telegram', botId: 'bot-9', username: 'tg_bot' },
    { platform: 'discord', botId: '' },
    { platform: 'relay', botId: 'r' },
  ]);

  it('keeps the order; the first is the primary', () => {
    expect(set.primary).toEqual({ platform: 'telegram', botId: 'bot-9', username: 'tg_bot' });
    expect(set.all.map((identity) => identity.platform)).toEqual(['telegram', 'discord', 'relay']);
  });

  it('fronts every identity platform except relay', () => {
    expect([...set.fronted]).toEqual(['telegram', 'discord']);
    expect(set.frontsPlatform('telegram')).toBe(true);
    expect(set.frontsPlatform('discord')).toBe(true);
    expect(set.frontsPlatform('relay')).toBe(false);
    expect(set.frontsPlatform('slack')).toBe(false);
  });

  it('botIdFor: the configured id, "" included; undefined for a platform that is not an identity', () => {
    expect(set.botIdFor('telegram')).toBe('bot-9');
    expect(set.botIdFor('discord')).toBe('');
    expect(set.botIdFor('relay')).toBe('r');
    expect(set.botIdFor('slack')).toBeUndefined();
  });

  it('botUsername: only where one is configured', () => {
    expect(set.botUsername('telegram')).toBe('tg_bot');
    expect(set.botUsername('discord')).toBeUndefined();
    expect(set.botUsername('slack')).toBeUndefined();
  });

  it('the default identity fronts nothing', () => {
    const only = new IdentitySet([{ platform: 'relay', botId: '' }]);
    expect(only.fronted.size).toBe(0);
    expect(only.primary).toEqual({ platform: 'relay', botId: '' });
  });

  it('keeps the first of a repeated platform', () => {
    const repeated = new IdentitySet([
      { platform: 'a', botId: '1' },
      { platform: 'a', botId: '2' },
    ]);
    expect(repeated.all).toEqual([{ platform: 'a', botId: '1' }]);
    expect(repeated.botIdFor('a')).toBe('1');
  });

  it('is not changed by later changes to the input', () => {
    const input: Identity[] = [{ platform: 'a', botId: '1' }];
    const copy = new IdentitySet(input);
    input.push({ platform: 'b', botId: '' });
    (input[0] as { botId: string }).botId = 'changed';
    expect(copy.all).toEqual([{ platform: 'a', botId: '1' }]);
    expect(Object.isFrozen(copy.all)).toBe(true);
    expect(Object.isFrozen(copy.primary)).toBe(true);
  });

  it('refuses an empty set', () => {
    expect(() => new IdentitySet([])).toThrow(InvalidArgumentError);
    expect(() => new IdentitySet([])).toThrow('identities: expected at least one identity, received none');
  });
});
