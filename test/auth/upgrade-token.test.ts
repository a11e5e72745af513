import { afterEach, describe, it, expect, vi } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_UPGRADE_TOKEN_TTL_SECONDS,
  authorizationHeader,
  isUsableSecret,
  makeUpgradeToken,
  verifyUpgradeToken,
} from '../../src/auth/upgrade-token.js';
import { InvalidArgumentError } from '../../src/errors.js';

const ID = 'gw-x';
const SECRET = 'secret-x';
const VECTOR_EXP_1700000300 =
  'Z3cteDoxNzAwMDAwMzAwOjZjYWE4MDZmZjAwN2EyYWUzYzJkZWNjNmQwOTFhZTE2ZjUxNjRlMzJiMTNiNWEwMTNkNzEzYjRiOWYwYjFjNDg';
const VECTOR_EXP_0 =
  'Z3cteDowOjBkNWVjMzY5ZThjYzk1NmNmN2IxYzk2NmM4ZDY4ODM0ZjZiYTc2OWRlMWU1MzA0NWI3NmNmNDI2YWYxNTRkNDM';

const decode = (token: string): string => Buffer.from(token, 'base64url').toString('utf8');
const encode = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
const secrets = (map: Record<string, string>) => (id: string) => map[id];

/** Catch the error a call throws, failing the test when it does not throw. */
function thrown(call: () => unknown): InvalidArgumentError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected the call to throw');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('makeUpgradeToken', () => {
  it('matches the spec vector with exp 1700000300', () => {
    expect(makeUpgradeToken(ID, SECRET, { nowSeconds: 1_700_000_000, ttlSeconds: 300 })).toBe(VECTOR_EXP_1700000300);
  });

  it('matches the spec vector with exp 0 (ttl 0)', () => {
    expect(makeUpgradeToken(ID, SECRET, { nowSeconds: 1_700_000_000, ttlSeconds: 0 })).toBe(VECTOR_EXP_0);
  });

  it('uses exp 0 for ttl 0 whatever the clock says', () => {
    expect(decode(makeUpgradeToken(ID, SECRET, { ttlSeconds: 0, nowSeconds: 5 }))).toMatch(/^gw-x:0:[0-9a-f]{64}$/);
  });

  it('defaults the ttl to 300 seconds', () => {
    expect(DEFAULT_UPGRADE_TOKEN_TTL_SECONDS).toBe(300);
    const text = decode(makeUpgradeToken(ID, SECRET, { nowSeconds: 1_700_000_000 }));
    expect(text.split(':')[1]).toBe('1700000300');
    expect(makeUpgradeToken(ID, SECRET, { nowSeconds: 1_700_000_000 })).toBe(VECTOR_EXP_1700000300);
  });

  it('defaults the clock to Date.now() in whole seconds', () => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_000_999);
    expect(makeUpgradeToken(ID, SECRET)).toBe(VECTOR_EXP_1700000300);
  });

  it('mints a different token when the time differs', () => {
    const first = makeUpgradeToken(ID, SECRET, { nowSeconds: 1_700_000_000 });
    const second = makeUpgradeToken(ID, SECRET, { nowSeconds: 1_700_000_001 });
    expect(second).not.toBe(first);
    expect(decode(second).split(':')[1]).toBe('1700000301');
  });

  it('has no base64 padding and only base64url characters', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(), (id, now) => {
        fc.pre(id.trim() !== '');
        expect(makeUpgradeToken(id, SECRET, { nowSeconds: now })).toMatch(/^[A-Za-z0-9_-]+$/);
      }),
    );
  });

  it('signs the id as UTF-8', () => {
    const token = makeUpgradeToken('gw-é', 'sécret', { ttlSeconds: 0 });
    expect(decode(token).startsWith('gw-é:0:')).toBe(true);
    expect(verifyUpgradeToken(token, secrets({ 'gw-é': 'sécret' }))).toEqual({ ok: true, gatewayId: 'gw-é', exp: 0 });
  });

  it.each([
    ['', 'gatewayId'],
    ['   ', 'gatewayId'],
  ])('rejects gatewayId %j', (id, argument) => {
    const error = thrown(() => makeUpgradeToken(id, SECRET));
    expect(error.argument).toBe(argument);
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
  });

  it.each([
    [{ ttlSeconds: -1 }, 'ttlSeconds'],
    [{ ttlSeconds: 1.5 }, 'ttlSeconds'],
    [{ ttlSeconds: Number.NaN }, 'ttlSeconds'],
    [{ ttlSeconds: Number.POSITIVE_INFINITY }, 'ttlSeconds'],
    [{ nowSeconds: -1 }, 'nowSeconds'],
    [{ nowSeconds: 1_700_000_000.5 }, 'nowSeconds'],
    [{ nowSeconds: Number.MAX_SAFE_INTEGER }, 'ttlSeconds'],
  ])('rejects options %j naming %s', (options, argument) => {
    expect(thrown(() => makeUpgradeToken(ID, SECRET, options)).argument).toBe(argument);
  });

  it('rejects an unusable secret without echoing it', () => {
    const error = thrown(() => makeUpgradeToken(ID, '   \t '));
    expect(error.argument).toBe('secret');
  });

  it('never puts the secret into an error message', () => {
    const secret = 'super-secret-value-42';
    const messages = [
      thrown(() => makeUpgradeToken('', secret)).message,
      thrown(() => makeUpgradeToken(ID, secret, { ttlSeconds: -3 })).message,
      thrown(() => makeUpgradeToken(ID, secret, { nowSeconds: 0.25 })).message,
      thrown(() => authorizationHeader(ID, secret, { ttlSeconds: -1 })).message,
      thrown(() => verifyUpgradeToken('x', () => secret, { nowSeconds: -1 })).message,
    ];
    for (const message of messages) {
      expect(message).not.toContain(secret);
      expect(message.length).toBeGreaterThan(0);
    }
  });
});

describe('isUsableSecret', () => {
  it.each([
    ['secret-x', true],
    [' s ', true],
    ['', false],
    ['   ', false],
    ['\t\n', false],
    [null, false],
    [undefined, false],
  ])('%j -> %s', (secret, usable) => {
    expect(isUsableSecret(secret)).toBe(usable);
  });
});

describe('authorizationHeader', () => {
  it('carries a bearer token when id and secret are set', () => {
    expect(authorizationHeader(ID, SECRET, { nowSeconds: 1_700_000_000 })).toEqual({
      Authorization: `Bearer ${VECTOR_EXP_1700000300}`,
    });
  });

  it('passes ttl 0 through', () => {
    expect(authorizationHeader(ID, SECRET, { ttlSeconds: 0 })).toEqual({ Authorization: `Bearer ${VECTOR_EXP_0}` });
  });

  it.each([
    [undefined, SECRET],
    [null, SECRET],
    ['', SECRET],
    ['  ', SECRET],
    [ID, undefined],
    [ID, null],
    [ID, ''],
    [ID, '   '],
    [undefined, undefined],
  ])('is empty for id %j and secret %j', (id, secret) => {
    const header = authorizationHeader(id, secret, { nowSeconds: 1_700_000_000 });
    expect(header).toEqual({});
    expect(Object.keys(header)).toHaveLength(0);
  });
});

describe('verifyUpgradeToken', () => {
  const NOW = 1_700_000_000;

  it('accepts its own tokens', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 86_400 }),
        (id, secret, ttl) => {
          fc.pre(id.trim() !== '' && secret.trim() !== '');
          const token = makeUpgradeToken(id, secret, { nowSeconds: NOW, ttlSeconds: ttl });
          expect(verifyUpgradeToken(token, secrets({ [id]: secret }), { nowSeconds: NOW })).toEqual({
            ok: true,
            gatewayId: id,
            exp: NOW + ttl,
          });
        },
      ),
    );
  });

  it('accepts the spec vectors', () => {
    const lookup = secrets({ [ID]: SECRET });
    expect(verifyUpgradeToken(VECTOR_EXP_1700000300, lookup, { nowSeconds: NOW })).toEqual({
      ok: true,
      gatewayId: ID,
      exp: 1_700_000_300,
    });
    expect(verifyUpgradeToken(VECTOR_EXP_0, lookup, { nowSeconds: NOW })).toEqual({ ok: true, gatewayId: ID, exp: 0 });
  });

  it('accepts a gateway id containing colons', () => {
    const token = makeUpgradeToken('tenant:gw:1', SECRET, { nowSeconds: NOW });
    expect(verifyUpgradeToken(token, secrets({ 'tenant:gw:1': SECRET }), { nowSeconds: NOW })).toMatchObject({
      ok: true,
      gatewayId: 'tenant:gw:1',
    });
  });

  it('rejects a tampered signature', () => {
    const text = decode(VECTOR_EXP_1700000300);
    const last = text.at(-1) === '0' ? '1' : '0';
    const tampered = encode(text.slice(0, -1) + last);
    expect(verifyUpgradeToken(tampered, secrets({ [ID]: SECRET }), { nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('rejects a tampered expiry', () => {
    const [id, , sig] = decode(VECTOR_EXP_1700000300).split(':');
    const tampered = encode(`${id}:1800000300:${sig}`);
    expect(verifyUpgradeToken(tampered, secrets({ [ID]: SECRET }), { nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('rejects a token signed with another secret', () => {
    expect(verifyUpgradeToken(VECTOR_EXP_1700000300, secrets({ [ID]: 'other' }), { nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('rejects an unknown gateway, or one whose secret is unusable', () => {
    expect(verifyUpgradeToken(VECTOR_EXP_0, secrets({}), { nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'unknown-gateway',
    });
    expect(verifyUpgradeToken(VECTOR_EXP_0, () => '  ', { nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'unknown-gateway',
    });
    expect(verifyUpgradeToken(VECTOR_EXP_0, () => null, { nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'unknown-gateway',
    });
  });

  it('rejects an expired token: valid before exp, expired from exp on', () => {
    const lookup = secrets({ [ID]: SECRET });
    expect(verifyUpgradeToken(VECTOR_EXP_1700000300, lookup, { nowSeconds: 1_700_000_299 }).ok).toBe(true);
    expect(verifyUpgradeToken(VECTOR_EXP_1700000300, lookup, { nowSeconds: 1_700_000_300 })).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifyUpgradeToken(VECTOR_EXP_1700000300, lookup, { nowSeconds: 1_900_000_000 })).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('never expires a token with exp 0', () => {
    expect(
      verifyUpgradeToken(VECTOR_EXP_0, secrets({ [ID]: SECRET }), { nowSeconds: Number.MAX_SAFE_INTEGER }).ok,
    ).toBe(true);
  });

  it('reports a bad signature before expiry, so an expired forgery does not look merely expired', () => {
    const forged = makeUpgradeToken(ID, 'wrong', { nowSeconds: 1, ttlSeconds: 1 });
    expect(verifyUpgradeToken(forged, secrets({ [ID]: SECRET }), { nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('defaults the clock to Date.now()', () => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_300_000);
    expect(verifyUpgradeToken(VECTOR_EXP_1700000300, secrets({ [ID]: SECRET }))).toEqual({
      ok: false,
      reason: 'expired',
    });
    vi.setSystemTime(1_700_000_299_999);
    expect(verifyUpgradeToken(VECTOR_EXP_1700000300, secrets({ [ID]: SECRET })).ok).toBe(true);
  });

  const sig = '0'.repeat(64);
  it.each([
    ['empty', ''],
    ['padded base64', `${VECTOR_EXP_0}=`],
    ['standard base64 alphabet', Buffer.from(`gw?>:0:${sig}`).toString('base64')],
    ['non-base64 characters', `${VECTOR_EXP_0.slice(0, 10)}!${VECTOR_EXP_0.slice(11)}`],
    ['impossible base64 length', 'A'],
    // Same bytes as the exp-0 vector, but the unused low bits of the last character are set.
    ['non-canonical trailing bits', `${VECTOR_EXP_0.slice(0, -1)}N`],
    ['with the Bearer prefix', `Bearer ${VECTOR_EXP_0}`],
    ['no separators', encode('gw-x')],
    ['one separator', encode(`gw-x:${sig}`)],
    ['empty id', encode(`:0:${sig}`)],
    ['whitespace id', encode(` :0:${sig}`)],
    ['non-numeric exp', encode(`gw-x:soon:${sig}`)],
    ['negative exp', encode(`gw-x:-1:${sig}`)],
    ['exp with leading zero', encode(`gw-x:0300:${sig}`)],
    ['fractional exp', encode(`gw-x:1.5:${sig}`)],
    ['unsafe exp', encode(`gw-x:99999999999999999999:${sig}`)],
    ['short signature', encode(`gw-x:0:${sig.slice(1)}`)],
    ['uppercase signature', encode(`gw-x:0:${'A'.repeat(64)}`)],
    ['invalid UTF-8', Buffer.from([0x67, 0xff, 0x3a, 0x30, 0x3a]).toString('base64url')],
  ])('rejects a malformed token: %s', (_name, token) => {
    const lookup = vi.fn(() => SECRET);
    expect(verifyUpgradeToken(token, lookup, { nowSeconds: NOW })).toEqual({ ok: false, reason: 'malformed' });
    expect(lookup).not.toHaveBeenCalled();
  });

  it('rejects an invalid clock', () => {
    expect(thrown(() => verifyUpgradeToken(VECTOR_EXP_0, () => SECRET, { nowSeconds: 1.5 })).argument).toBe(
      'nowSeconds',
    );
  });
});
