/**
 * The visualizer's request guard: only requests naming this server in Host, from no origin or this
 * server's own origin, get through; commands also need the run's random token.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { allowedHosts, checkHostAndOrigin, newRunToken, tokenMatches } from '../../src/visualizer/request-guard.js';

const PORT = 43_117;
const OTHER_PORT = 43_118;
const LOOPBACK = '127.0.0.1';

const check = (headers: IncomingHttpHeaders, host = LOOPBACK) => checkHostAndOrigin(headers, PORT, host);

describe('allowedHosts', () => {
  it('is 127.0.0.1 and localhost on the port, plus [::1] only when bound to ::1', () => {
    expect(allowedHosts(PORT, LOOPBACK)).toEqual([`127.0.0.1:${PORT}`, `localhost:${PORT}`]);
    expect(allowedHosts(PORT, 'localhost')).toEqual([`127.0.0.1:${PORT}`, `localhost:${PORT}`]);
    expect(allowedHosts(PORT, '::1')).toEqual([`127.0.0.1:${PORT}`, `localhost:${PORT}`, `[::1]:${PORT}`]);
  });
});

describe('checkHostAndOrigin: Host', () => {
  it('accepts 127.0.0.1:PORT and localhost:PORT, in any case', () => {
    for (const host of [`127.0.0.1:${PORT}`, `localhost:${PORT}`, `LOCALHOST:${PORT}`, `LocalHost:${PORT}`]) {
      expect(check({ host })).toBeNull();
    }
  });

  it('refuses another host, another port, a host without port and a missing Host', () => {
    for (const headers of [{ host: 'evil.example' }, { host: `evil.example:${PORT}` }, { host: `127.0.0.1:${OTHER_PORT}` }, { host: '127.0.0.1' }, { host: 'localhost' }, {}]) {
      const refusal = check(headers);
      expect(refusal).toEqual({ status: 403, reason: `forbidden: Host must be one of 127.0.0.1:${PORT}, localhost:${PORT}` });
    }
  });

  it('accepts [::1]:PORT only when the server is bound to ::1', () => {
    expect(check({ host: `[::1]:${PORT}` }, '::1')).toBeNull();
    expect(check({ host: `[::1]:${PORT}` }, LOOPBACK)).toMatchObject({ status: 403 });
    expect(check({ host: `[::1]:${OTHER_PORT}` }, '::1')).toMatchObject({ status: 403 });
  });
});

describe('checkHostAndOrigin: Origin', () => {
  const host = `127.0.0.1:${PORT}`;
  const refused = { status: 403, reason: 'forbidden: requests from other origins are refused' };

  it('a request without Origin is fine', () => {
    expect(check({ host })).toBeNull();
  });

  it("this server's own origins are fine, in any case", () => {
    for (const origin of [`http://127.0.0.1:${PORT}`, `http://localhost:${PORT}`, `HTTP://LOCALHOST:${PORT}`]) expect(check({ host, origin })).toBeNull();
    expect(check({ host: `[::1]:${PORT}`, origin: `http://[::1]:${PORT}` }, '::1')).toBeNull();
  });

  it('another site, another port, https, a path suffix and the opaque "null" origin are refused with 403', () => {
    for (const origin of ['http://evil.example', `http://evil.example:${PORT}`, `http://127.0.0.1:${OTHER_PORT}`, `https://127.0.0.1:${PORT}`, `http://127.0.0.1:${PORT}.evil.example`, 'null', '']) {
      expect(check({ host, origin })).toEqual(refused);
    }
  });

  it('the [::1] origin is refused unless the server is bound to ::1', () => {
    expect(check({ host, origin: `http://[::1]:${PORT}` })).toEqual(refused);
  });
});

describe('run tokens', () => {
  it('are 22 characters of base64url (128 bits) and differ between calls', () => {
    const tokens = Array.from({ length: 20 }, () => newRunToken());
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(16);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('tokenMatches only the exact token, presented as one string', () => {
    const token = newRunToken();
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token, `${token}`.slice(0))).toBe(true);
    expect(tokenMatches(token, token.slice(0, -1))).toBe(false);
    expect(tokenMatches(token, `${token}x`)).toBe(false);
    expect(tokenMatches(token, '')).toBe(false);
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(flipped).toHaveLength(token.length);
    expect(tokenMatches(token, flipped)).toBe(false);
    expect(tokenMatches(token, newRunToken())).toBe(false);
    expect(tokenMatches(token, undefined)).toBe(false);
    expect(tokenMatches(token, [token])).toBe(false);
    expect(tokenMatches(token, [token, token])).toBe(false);
  });
});
