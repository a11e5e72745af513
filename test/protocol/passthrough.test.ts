import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Buffer } from 'node:buffer';
import { decodeForwardBody, passthroughForwardSchema } from '../../src/protocol/passthrough.js';

const BASE = { platform: 'discord', botId: 'bot-1', method: 'POST', path: '/interactions', headers: [], bodyB64: '' };

describe('passthroughForwardSchema', () => {
  it('parses a full forward', () => {
    const forward = passthroughForwardSchema.parse({
      ...BASE,
      headers: [
        ['content-type', 'application/json'],
        ['x-signature', 'abc'],
      ],
      bodyB64: 'e30=',
      profile: 'work',
    });
    expect(forward).toEqual({
      platform: 'discord',
      botId: 'bot-1',
      method: 'POST',
      path: '/interactions',
      headers: [
        ['content-type', 'application/json'],
        ['x-signature', 'abc'],
      ],
      bodyB64: 'e30=',
      profile: 'work',
    });
  });

  it('drops headers entries that are not 2-element lists', () => {
    const forward = passthroughForwardSchema.parse({
      ...BASE,
      headers: [['a', 'b'], ['only-one'], ['x', 'y', 'z'], [], 'plain-string', { name: 'n', value: 'v' }, null, ['c', 'd']],
    });
    expect(forward.headers).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('treats missing or null headers as none', () => {
    const { headers: _h, ...noHeaders } = BASE;
    expect(passthroughForwardSchema.parse(noHeaders).headers).toEqual([]);
    expect(passthroughForwardSchema.parse({ ...BASE, headers: null }).headers).toEqual([]);
  });

  it('defaults a missing or null botId to ""', () => {
    const { botId: _b, ...noBot } = BASE;
    expect(passthroughForwardSchema.parse(noBot).botId).toBe('');
    expect(passthroughForwardSchema.parse({ ...BASE, botId: null }).botId).toBe('');
  });

  it('makes profile optional', () => {
    const without = passthroughForwardSchema.parse(BASE);
    expect(without.profile).toBeUndefined();
    expect(passthroughForwardSchema.parse({ ...BASE, profile: null }).profile).toBeUndefined();
    expect(passthroughForwardSchema.parse({ ...BASE, profile: 'p' }).profile).toBe('p');
  });

  it('ignores unknown keys', () => {
    const forward = passthroughForwardSchema.parse({ ...BASE, future: 1 });
    expect(Object.hasOwn(forward, 'future')).toBe(false);
  });
});

describe('decodeForwardBody', () => {
  it('decodes valid standard base64', () => {
    expect(decodeForwardBody({ bodyB64: 'eyJ0eXBlIjoxfQ==' }).toString('utf8')).toBe('{"type":1}');
    expect(decodeForwardBody({ bodyB64: 'aGk=' }).toString('utf8')).toBe('hi');
    expect(decodeForwardBody({ bodyB64: '+/8=' })).toEqual(Buffer.from([0xfb, 0xff]));
  });

  it('decodes the body of a parsed forward', () => {
    const forward = passthroughForwardSchema.parse({ ...BASE, bodyB64: Buffer.from('{"a":1}').toString('base64') });
    expect(decodeForwardBody(forward).toString('utf8')).toBe('{"a":1}');
  });

  it('gives an empty body for a missing bodyB64', () => {
    const { bodyB64: _b, ...noBody } = BASE;
    expect(decodeForwardBody(passthroughForwardSchema.parse(noBody)).length).toBe(0);
  });

  it.each(['!!!!', 'aGk', '@@', 'aGk=!', 'a===', '*abc'])('gives an empty body for undecodable %j', (bodyB64) => {
    const body = decodeForwardBody({ bodyB64 });
    expect(Buffer.isBuffer(body)).toBe(true);
    expect(body.length).toBe(0);
  });

  it('round-trips any bytes encoded as standard base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        expect(decodeForwardBody({ bodyB64: buffer.toString('base64') })).toEqual(buffer);
      }),
    );
  });
});
