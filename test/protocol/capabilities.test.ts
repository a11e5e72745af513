import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { capabilitiesOf, codePointLength, utf16Length } from '../../src/protocol/capabilities.js';
import { parseDescriptor, type CapabilityDescriptor } from '../../src/protocol/descriptor.js';

function descriptor(overrides: Record<string, unknown> = {}): CapabilityDescriptor {
  return parseDescriptor({
    contract_version: 1,
    platform: 'telegram',
    label: 'Telegram',
    max_message_length: 4096,
    supports_draft_streaming: false,
    supports_edit: true,
    supports_threads: false,
    markdown_dialect: 'markdown_v2',
    len_unit: 'chars',
    ...overrides,
  });
}

describe('capabilitiesOf: length function', () => {
  it('counts "😀" as 1 in chars and 2 in utf16', () => {
    expect(capabilitiesOf(descriptor({ len_unit: 'chars' })).messageLength('😀')).toBe(1);
    expect(capabilitiesOf(descriptor({ len_unit: 'utf16' })).messageLength('😀')).toBe(2);
  });

  it('counts "héllo" as 5 in both units', () => {
    expect(capabilitiesOf(descriptor({ len_unit: 'chars' })).messageLength('héllo')).toBe(5);
    expect(capabilitiesOf(descriptor({ len_unit: 'utf16' })).messageLength('héllo')).toBe(5);
  });

  it('counts a mixed string per unit', () => {
    const text = 'a😀b👍🏽';
    expect(capabilitiesOf(descriptor({ len_unit: 'chars' })).messageLength(text)).toBe(5);
    expect(capabilitiesOf(descriptor({ len_unit: 'utf16' })).messageLength(text)).toBe(8);
    expect(capabilitiesOf(descriptor()).messageLength('')).toBe(0);
  });

  it('counts code points like string iteration does, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.array(fc.integer({ min: 0xd800, max: 0xdfff })), (text, halves) => {
        const withLoneHalves = text + String.fromCharCode(...halves);
        expect(codePointLength(withLoneHalves)).toBe([...withLoneHalves].length);
        expect(utf16Length(withLoneHalves)).toBe(withLoneHalves.length);
      }),
    );
  });
});

describe('capabilitiesOf: flags', () => {
  it('copies max length, draft streaming, edit and threads', () => {
    const caps = capabilitiesOf(
      descriptor({ max_message_length: 2000, supports_draft_streaming: true, supports_edit: false, supports_threads: true }),
    );
    expect(caps.maxMessageLength).toBe(2000);
    expect(caps.supportsDraftStreaming).toBe(true);
    expect(caps.supportsEdit).toBe(false);
    expect(caps.supportsThreads).toBe(true);
    const other = capabilitiesOf(descriptor({ supports_draft_streaming: false, supports_edit: true, supports_threads: false }));
    expect(other.supportsDraftStreaming).toBe(false);
    expect(other.supportsEdit).toBe(true);
    expect(other.supportsThreads).toBe(false);
  });

  it.each([
    ['plain', false],
    ['', false],
    ['markdown_v2', true],
    ['discord', true],
    ['slack', true],
  ])('supportsCodeBlocks for dialect %j is %s', (dialect, expected) => {
    expect(capabilitiesOf(descriptor({ markdown_dialect: dialect })).supportsCodeBlocks).toBe(expected);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(capabilitiesOf(descriptor()))).toBe(true);
  });
});

describe('capabilitiesOf: supportsOp', () => {
  it('uses the legacy set send/edit/typing/follow_up when supported_ops is empty', () => {
    const caps = capabilitiesOf(descriptor({ supported_ops: [] }));
    for (const op of ['send', 'edit', 'typing', 'follow_up']) expect(caps.supportsOp(op)).toBe(true);
    expect(caps.supportsOp('get_chat_info')).toBe(false);
    expect(caps.supportsOp('unknown_op')).toBe(false);
  });

  it('uses the legacy set when supported_ops is absent', () => {
    const caps = capabilitiesOf(descriptor());
    expect(caps.supportsOp('follow_up')).toBe(true);
    expect(caps.supportsOp('get_chat_info')).toBe(false);
  });

  it('accepts the listed ops when supported_ops is given, and the legacy four always (protocol-later §2)', () => {
    const caps = capabilitiesOf(descriptor({ supported_ops: ['send', 'get_chat_info'] }));
    expect(caps.supportsOp('send')).toBe(true);
    expect(caps.supportsOp('get_chat_info')).toBe(true);
    expect(caps.supportsOp('edit')).toBe(true);
    expect(caps.supportsOp('typing')).toBe(true);
    expect(caps.supportsOp('follow_up')).toBe(true);
    expect(caps.supportsOp('react')).toBe(false);
  });

  it('follows the gate: draft needs the flag and the op, task_card covers its stop, edit needs supports_edit', () => {
    expect(capabilitiesOf(descriptor({ supported_ops: ['draft'] })).supportsOp('draft')).toBe(false);
    expect(capabilitiesOf(descriptor({ supported_ops: ['draft'], supports_draft_streaming: true })).supportsOp('draft')).toBe(true);
    expect(capabilitiesOf(descriptor({ supported_ops: ['task_card'] })).supportsOp('task_card_stop')).toBe(true);
    expect(capabilitiesOf(descriptor({ supports_edit: false })).supportsOp('edit')).toBe(false);
  });
});
