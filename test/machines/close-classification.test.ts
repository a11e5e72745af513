import { describe, expect, it } from 'vitest';
import { classifyClose, closeRuleFor, type CloseAction } from '../../machines/close-classification.js';

type Row = [label: string, code: number, reason: string, handshakeSeen: boolean, provisional: boolean, expected: CloseAction];

const ROWS: Row[] = [
  ['4401 before any handshake', 4401, 'unauthorized', false, false, 'reconnect'],
  ['4401 before any handshake, no reason', 4401, '', false, false, 'reconnect'],
  ['4401 after a handshake', 4401, 'unauthorized', true, false, 'redialFreshToken'],
  ['4401 after a handshake, other reason', 4401, 'revoked', true, false, 'redialFreshToken'],
  ['4401 expired after a handshake', 4401, 'expired', true, false, 'reconnect'],
  ['4401 expired before a handshake', 4401, 'expired', false, false, 'reconnect'],
  ['4401 expired on the retry generation', 4401, 'expired', true, true, 'reconnect'],
  ['4401 on the retry generation', 4401, 'unauthorized', true, true, 'disable'],
  ['1000 normal closure from the connector', 1000, '', true, false, 'reconnect'],
  ['1001 going away', 1001, 'restart', true, false, 'reconnect'],
  ['1006 abnormal', 1006, '', true, true, 'reconnect'],
  ['1009 too big', 1009, '', true, false, 'reconnect'],
  ['1011 internal error', 1011, '', true, false, 'reconnect'],
  ['1012 service restart', 1012, '', false, false, 'reconnect'],
  ['1013 try again later', 1013, '', true, false, 'reconnect'],
  ['4000 application code', 4000, 'custom', true, false, 'reconnect'],
  ['4403 application code on retry', 4403, 'forbidden', true, true, 'reconnect'],
  ['4400 application code', 4400, 'unauthorized', true, true, 'reconnect'],
];

describe('classifyClose (spec §11)', () => {
  it.each(ROWS)('%s -> %s', (_label, code, reason, handshakeSeen, provisional, expected) => {
    expect(classifyClose({ code, reason, handshakeSeen, provisional })).toBe(expected);
  });

  it('names the rule that decided, for logs', () => {
    expect(closeRuleFor({ code: 4401, reason: 'x', handshakeSeen: true, provisional: true }).when).toMatch(/revoked/);
  });
});
