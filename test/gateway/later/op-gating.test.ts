/**
 * Pure rules of protocol-later §2: the gate (`supportsOp`, `refusalFor`) as a matrix of every op x
 * descriptor, and the application-facing `capabilitiesOf(d).supportsOp`, which must agree with what
 * the lanes do (an application that checks it first is never refused, and never told no wrongly).
 */
import { describe, expect, it } from 'vitest';
import { capabilitiesOf } from '../../../src/protocol/capabilities.js';
import { parseDescriptor, type CapabilityDescriptor } from '../../../src/protocol/descriptor.js';
import { EDIT_NOT_SUPPORTED_RESULT, LEGACY_OPS, notSupportedResult, refusalFor, supportsOp } from '../../../src/protocol/op-gating.js';
import { ALL_OPS, TELEGRAM, type Json, type Op } from './support.js';

const LEGACY: readonly Op[] = ['send', 'edit', 'typing', 'follow_up'];

const descriptor = (fields: Json): CapabilityDescriptor => parseDescriptor({ ...TELEGRAM, ...fields });

interface Variant {
  readonly name: string;
  readonly fields: Json;
  /** What the gate lets through (`supportsOp`). */
  readonly supported: readonly Op[];
}

const VARIANTS: readonly Variant[] = [
  { name: '[]', fields: { supported_ops: [], supports_draft_streaming: true }, supported: LEGACY },
  { name: 'absent', fields: { supports_draft_streaming: true }, supported: LEGACY },
  { name: 'legacy four', fields: { supported_ops: [...LEGACY], supports_draft_streaming: true }, supported: LEGACY },
  { name: 'full, drafts on', fields: { supported_ops: [...ALL_OPS], supports_draft_streaming: true }, supported: ALL_OPS },
  { name: 'full, drafts off', fields: { supported_ops: [...ALL_OPS], supports_draft_streaming: false }, supported: ALL_OPS.filter((op) => op !== 'draft') },
  { name: '["draft"], drafts on', fields: { supported_ops: ['draft'], supports_draft_streaming: true }, supported: [...LEGACY, 'draft'] },
  { name: '["draft"], drafts off', fields: { supported_ops: ['draft'], supports_draft_streaming: false }, supported: LEGACY },
  { name: '["task_card"]', fields: { supported_ops: ['task_card'] }, supported: [...LEGACY, 'task_card', 'task_card_stop'] },
  { name: '["task_card_stop"]', fields: { supported_ops: ['task_card_stop'] }, supported: LEGACY },
  { name: '["get_chat_info"]', fields: { supported_ops: ['get_chat_info'] }, supported: [...LEGACY, 'get_chat_info'] },
  { name: '["send"] only', fields: { supported_ops: ['send'] }, supported: LEGACY },
  { name: 'unknown names', fields: { supported_ops: ['teleport', 'Send'] }, supported: LEGACY },
  { name: 'full, supports_edit false', fields: { supported_ops: [...ALL_OPS], supports_draft_streaming: true, supports_edit: false }, supported: ALL_OPS },
];

describe.each(VARIANTS)('gate matrix, supported_ops $name', ({ fields, supported }) => {
  const d = descriptor(fields);

  it('supportsOp lets through exactly the expected ops', () => {
    expect(ALL_OPS.filter((op) => supportsOp(d, op))).toEqual(ALL_OPS.filter((op) => supported.includes(op)));
  });

  it('refusalFor: not_supported with the op named for each refused op; edit also under supports_edit false', () => {
    for (const op of ALL_OPS) {
      const refusal = refusalFor(d, op);
      if (op === 'edit') {
        expect(refusal, op).toStrictEqual(d.supports_edit ? undefined : { success: false, code: 'not_supported', error: 'Not supported' });
      } else if (supported.includes(op)) expect(refusal, op).toBeUndefined();
      else expect(refusal, op).toStrictEqual({ success: false, code: 'not_supported', error: `connector does not advertise the '${op}' relay op` });
    }
  });

  it('capabilitiesOf(d).supportsOp says exactly whether the gateway would write the op (no refusal)', () => {
    const caps = capabilitiesOf(d);
    const writes = (op: Op): boolean => refusalFor(d, op) === undefined;
    const disagreements = ALL_OPS.filter((op) => caps.supportsOp(op) !== writes(op)).map((op) => `${op}: caps ${caps.supportsOp(op)}, gateway writes ${writes(op)}`);
    expect(disagreements).toEqual([]);
  });
});

describe('gate: no descriptor yet (no handshake ever completed)', () => {
  it('the legacy ops pass, edit included; every other op is refused', () => {
    expect(ALL_OPS.filter((op) => supportsOp(null, op))).toEqual(LEGACY);
    expect(refusalFor(null, 'edit')).toBeUndefined();
    expect(refusalFor(null, 'delete')).toStrictEqual(notSupportedResult('delete'));
  });
});

describe('gate: results', () => {
  it('LEGACY_OPS is the legacy four', () => {
    expect([...LEGACY_OPS]).toEqual(LEGACY);
  });

  it('the refusal texts and codes are stable', () => {
    expect(notSupportedResult('react')).toStrictEqual({ success: false, code: 'not_supported', error: "connector does not advertise the 'react' relay op" });
    expect(EDIT_NOT_SUPPORTED_RESULT).toStrictEqual({ success: false, code: 'not_supported', error: 'Not supported' });
    expect(Object.isFrozen(EDIT_NOT_SUPPORTED_RESULT)).toBe(true);
  });
});
