import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { toDialUrl } from '../../src/transport/dial-url.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe('toDialUrl', () => {
  it.each([
    ['https://connector.example', 'wss://connector.example/relay'],
    ['http://connector.local:8080', 'ws://connector.local:8080/relay'],
    ['https://c.example/relay/', 'wss://c.example/relay'],
    ['ws://127.0.0.1:9', 'ws://127.0.0.1:9/relay'],
  ])('spec example %s -> %s', (input, expected) => {
    expect(toDialUrl(input)).toBe(expected);
  });

  it.each([
    ['  https://connector.example  ', 'wss://connector.example/relay'],
    ['\thttp://connector.local:8080\n', 'ws://connector.local:8080/relay'],
  ])('trims whitespace: %j', (input, expected) => {
    expect(toDialUrl(input)).toBe(expected);
  });

  it.each([
    ['https://connector.example///', 'wss://connector.example/relay'],
    ['https://c.example/relay///', 'wss://c.example/relay'],
    ['wss://c.example/base//', 'wss://c.example/base/relay'],
  ])('strips every trailing slash: %s', (input, expected) => {
    expect(toDialUrl(input)).toBe(expected);
  });

  it.each([
    ['wss://c.example/relay', 'wss://c.example/relay'],
    ['ws://c.example/tenant/relay', 'ws://c.example/tenant/relay'],
    ['https://c.example/relayx', 'wss://c.example/relayx/relay'],
    ['https://c.example/relay/extra', 'wss://c.example/relay/extra/relay'],
  ])('appends /relay only when the path does not end with it: %s', (input, expected) => {
    expect(toDialUrl(input)).toBe(expected);
  });

  it.each([
    ['HTTPS://Connector.Example', 'wss://Connector.Example/relay'],
    ['Http://c.local', 'ws://c.local/relay'],
  ])('maps the http schemes case-insensitively: %s', (input, expected) => {
    expect(toDialUrl(input)).toBe(expected);
  });

  it.each([
    ['wss://c.example', 'wss://c.example/relay'],
    ['WSS://c.example', 'WSS://c.example/relay'],
    ['ftp://c.example', 'ftp://c.example/relay'],
    ['c.example', 'c.example/relay'],
  ])('leaves other schemes as written: %s', (input, expected) => {
    expect(toDialUrl(input)).toBe(expected);
  });

  it('treats a query string as text, as the reference does (not supported)', () => {
    expect(toDialUrl('https://c.example/?a=1')).toBe('wss://c.example/?a=1/relay');
  });

  it.each(['', '   ', '\n\t'])('rejects the empty URL %j naming the url argument', (input) => {
    let error: unknown;
    try {
      toDialUrl(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('url');
    expect((error as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
  });

  const baseUrlArb = fc
    .tuple(
      fc.constantFrom('http://', 'https://', 'HTTPS://', 'ws://', 'wss://', ''),
      fc.webUrl().map((url) => url.replace(/^[a-z]+:\/\//, '').replace(/[?#].*$/, '')),
      fc.constantFrom('', '/', '//', '/relay', '/relay/', '/api'),
      fc.constantFrom('', ' ', '\t\n'),
    )
    .map(([scheme, rest, tail, space]) => `${space}${scheme}${rest}${tail}${space}`);

  it('is idempotent', () => {
    fc.assert(
      fc.property(baseUrlArb, (url) => {
        const once = toDialUrl(url);
        expect(toDialUrl(once)).toBe(once);
      }),
    );
  });

  it('always yields a URL ending in /relay with no http scheme left', () => {
    fc.assert(
      fc.property(baseUrlArb, (url) => {
        const dial = toDialUrl(url);
        expect(dial.endsWith('/relay')).toBe(true);
        expect(dial).not.toMatch(/^https?:\/\//i);
      }),
    );
  });
});
