/**
 * protocol-later §4: the decline classifier is part of the public API (a fallback helper in an
 * application must check it before re-sending anything), so the package entry exports it.
 */
import { describe, expect, it } from 'vitest';
import * as entry from '../../../src/index.js';
import { EGRESS_DECLINED_CODE, isEgressDecline } from '../../../src/protocol/egress-decline.js';

describe('public exports (protocol-later §4)', () => {
  it('src/index.ts exports isEgressDecline and EGRESS_DECLINED_CODE', () => {
    expect(entry.isEgressDecline).toBe(isEgressDecline);
    expect(entry.EGRESS_DECLINED_CODE).toBe(EGRESS_DECLINED_CODE);
    expect(entry.isEgressDecline({ success: false, error: 'telegram egress declined: target is not an approved destination for this connection' })).toBe(true);
    expect(entry.isEgressDecline({ success: false, code: 'egress_declined', ambiguous: true })).toBe(false);
  });
});
