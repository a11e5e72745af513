import { describe, expect, it } from 'vitest';
import { EGRESS_DECLINED_CODE, EGRESS_DECLINED_MARKER, isEgressDecline } from '../../src/protocol/egress-decline.js';
import type { SendResult } from '../../src/protocol/outbound.js';

const CONNECTOR_TEXT = 'discord egress declined: target is not an approved destination for this connection';

describe('isEgressDecline (later §4)', () => {
  it('exports the code and the marker', () => {
    expect(EGRESS_DECLINED_CODE).toBe('egress_declined');
    expect(EGRESS_DECLINED_MARKER).toBe('egress declined:');
  });

  it('is true for a failure with code egress_declined', () => {
    expect(isEgressDecline({ success: false, code: 'egress_declined' })).toBe(true);
    expect(isEgressDecline({ success: false, code: 'egress_declined', error: 'anything' })).toBe(true);
  });

  it('is true for a failure whose error contains the marker, in any case', () => {
    expect(isEgressDecline({ success: false, error: CONNECTOR_TEXT })).toBe(true);
    expect(isEgressDecline({ success: false, error: 'TELEGRAM EGRESS DECLINED: nope' })).toBe(true);
    expect(isEgressDecline({ success: false, error: 'Egress Declined:' })).toBe(true);
  });

  it('treats anything other than success === true as a failure', () => {
    expect(isEgressDecline({ code: 'egress_declined' })).toBe(true);
    expect(isEgressDecline({ success: 'true', code: 'egress_declined' })).toBe(true);
    expect(isEgressDecline({ success: 1, error: CONNECTOR_TEXT })).toBe(true);
  });

  it('is false for a success, even with decline fields', () => {
    expect(isEgressDecline({ success: true, code: 'egress_declined' })).toBe(false);
    expect(isEgressDecline({ success: true, error: CONNECTOR_TEXT })).toBe(false);
  });

  it('is false for an ambiguous result', () => {
    expect(isEgressDecline({ success: false, ambiguous: true, code: 'egress_declined' })).toBe(false);
    expect(isEgressDecline({ success: false, ambiguous: true, error: CONNECTOR_TEXT })).toBe(false);
  });

  it('only ambiguous === true counts as ambiguous', () => {
    expect(isEgressDecline({ success: false, ambiguous: false, code: 'egress_declined' })).toBe(true);
    expect(isEgressDecline({ success: false, ambiguous: 'true', code: 'egress_declined' })).toBe(true);
  });

  it('is false for other failures', () => {
    expect(isEgressDecline({ success: false })).toBe(false);
    expect(isEgressDecline({ success: false, error: 'relay outbound timed out' })).toBe(false);
    expect(isEgressDecline({ success: false, code: 'not_supported', error: 'Not supported' })).toBe(false);
    expect(isEgressDecline({ success: false, code: 'EGRESS_DECLINED' })).toBe(false);
    // The marker needs its colon.
    expect(isEgressDecline({ success: false, error: 'egress declined' })).toBe(false);
  });

  it('reads a non-string error as empty and never throws', () => {
    expect(isEgressDecline({ success: false, error: 42 })).toBe(false);
    expect(isEgressDecline({ success: false, error: null })).toBe(false);
    expect(isEgressDecline({ success: false, error: { text: CONNECTOR_TEXT } })).toBe(false);
    expect(isEgressDecline(null)).toBe(false);
    expect(isEgressDecline(undefined)).toBe(false);
  });

  it('accepts a SendResult', () => {
    const result: SendResult = { success: false, error: CONNECTOR_TEXT };
    expect(isEgressDecline(result)).toBe(true);
  });
});
