import { describe, expect, it } from 'vitest';
import { classifyCloseCause, classifyFailure } from '../../src/transport/link-cause.js';

describe('classifyFailure', () => {
  it.each([
    ['connect ECONNREFUSED 127.0.0.1:1', 'refused'],
    ['getaddrinfo ENOTFOUND nope.invalid', 'dns'],
    ['getaddrinfo EAI_AGAIN connector.example', 'dns'],
    ['Unexpected server response: 200', 'http'],
    ['self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)', 'tls'],
    ['write EPROTO 40E8:error:0A00010B:SSL routines:ssl3_get_record:wrong version number', 'tls'],
    ['socket hang up (ECONNRESET)', 'reset'],
    ['dial timed out after 10000 ms', 'dial-timeout'],
    ['no descriptor within 30000 ms', 'handshake-timeout'],
    ['no pong within 15000 ms', 'no-pong'],
    ['invalid descriptor at "len_unit": expected one of "chars", "utf16", received "bytes"', 'invalid-descriptor'],
    ['something new', 'other'],
  ])('%s -> %s', (error, kind) => {
    const cause = classifyFailure(error);
    expect(cause.kind).toBe(kind);
    expect(cause.error).toBe(error);
    expect(cause.summary).toContain(error);
  });

  it('keeps the HTTP status of an upgrade answered with HTTP', () => {
    expect(classifyFailure('Unexpected server response: 401')).toMatchObject({ httpStatus: 401, summary: expect.stringContaining('HTTP 401') });
  });
});

describe('classifyCloseCause', () => {
  it.each([
    [{ code: 4401, reason: 'unauthorized' }, false, 'unauthorized'],
    [{ code: 4401, reason: 'expired' }, false, 'expired'],
    [{ code: 4401, reason: 'revoked' }, true, 'revoked'],
    [{ code: 1006, reason: 'keepalive: no pong' }, false, 'no-pong'],
    [{ code: 1006, reason: '' }, false, 'closed'],
    [{ code: 1009, reason: 'message too big' }, false, 'too-big'],
    [{ code: 1012, reason: 'restart' }, false, 'closed'],
  ])('%o (revoked %s) -> %s', (close, revoked, kind) => {
    const cause = classifyCloseCause(close, revoked);
    expect(cause).toMatchObject({ kind, closeCode: close.code, closeReason: close.reason });
  });

  it('says what the close was, in words', () => {
    expect(classifyCloseCause({ code: 1012, reason: 'restart' }, false).summary).toBe('the connector closed the link (close 1012 "restart")');
  });
});
