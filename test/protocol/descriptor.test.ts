import { describe, it, expect } from 'vitest';
import {
  CONTRACT_VERSION,
  DEFAULT_MAX_MESSAGE_LENGTH,
  LEGACY_SUPPORTED_OPS,
  descriptorFromPlatformEntry,
  isNewerContract,
  parseDescriptor,
  type CapabilityDescriptor,
} from '../../src/protocol/descriptor.js';
import { ProtocolValidationError } from '../../src/errors.js';

/** A descriptor carrying every key of spec §5, with non-default values for the optional ones. */
const FULL = {
  contract_version: 1,
  platform: 'telegram',
  label: 'Telegram',
  max_message_length: 4000,
  supports_draft_streaming: true,
  supports_edit: true,
  supports_threads: false,
  markdown_dialect: 'markdown_v2',
  len_unit: 'utf16',
  emoji: '✈️',
  platform_hint: 'Use MarkdownV2.',
  pii_safe: true,
  supported_ops: ['send', 'edit', 'get_chat_info'],
} as const;

/** Only the required keys of spec §5. */
const REQUIRED = {
  contract_version: 1,
  platform: 'discord',
  label: 'Discord',
  max_message_length: 2000,
  supports_draft_streaming: false,
  supports_edit: true,
  supports_threads: true,
  markdown_dialect: 'discord',
  len_unit: 'chars',
} as const;

const REQUIRED_KEYS = Object.keys(REQUIRED);

function parseError(value: unknown): ProtocolValidationError {
  let caught: unknown;
  try {
    parseDescriptor(value);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProtocolValidationError);
  const error = caught as ProtocolValidationError;
  expect(error.code).toBe('ERR_PROTOCOL_INVALID');
  expect(error.issues.length).toBeGreaterThan(0);
  return error;
}

function withMax(value: unknown): Record<string, unknown> {
  return { ...REQUIRED, max_message_length: value };
}

describe('parseDescriptor: valid descriptors', () => {
  it('parses a full descriptor, keeping every field', () => {
    const descriptor = parseDescriptor(FULL);
    expect(descriptor).toEqual({ ...FULL, supported_ops: [...FULL.supported_ops] });
  });

  it('uses the contract version 1', () => {
    expect(CONTRACT_VERSION).toBe(1);
  });

  it('ignores unknown keys and leaves them out of the result', () => {
    const descriptor = parseDescriptor({ ...FULL, future_flag: true, nested: { a: 1 } });
    expect(Object.hasOwn(descriptor, 'future_flag')).toBe(false);
    expect(Object.hasOwn(descriptor, 'nested')).toBe(false);
    expect(Object.keys(descriptor).sort()).toEqual(Object.keys(FULL).sort());
  });

  it('fills the optional keys with their defaults', () => {
    const descriptor = parseDescriptor(REQUIRED);
    expect(descriptor.emoji).toBe('🔌');
    expect(descriptor.platform_hint).toBe('');
    expect(descriptor.pii_safe).toBe(false);
    expect(descriptor.supported_ops).toEqual([]);
    expect(descriptor).toEqual({ ...REQUIRED, emoji: '🔌', platform_hint: '', pii_safe: false, supported_ops: [] });
  });

  it('accepts both length units', () => {
    expect(parseDescriptor({ ...REQUIRED, len_unit: 'chars' }).len_unit).toBe('chars');
    expect(parseDescriptor({ ...REQUIRED, len_unit: 'utf16' }).len_unit).toBe('utf16');
  });

  it('keeps any markdown dialect string', () => {
    for (const dialect of ['plain', 'markdown_v2', 'discord', 'slack', 'some_future_dialect']) {
      expect(parseDescriptor({ ...REQUIRED, markdown_dialect: dialect }).markdown_dialect).toBe(dialect);
    }
  });
});

describe('parseDescriptor: max_message_length', () => {
  it.each([
    ['0', 0],
    ['-5', -5],
    ['null', null],
    ['"abc"', 'abc'],
    ['true', true],
  ])('maps %s to the default 4096', (_label, value) => {
    expect(DEFAULT_MAX_MESSAGE_LENGTH).toBe(4096);
    expect(parseDescriptor(withMax(value)).max_message_length).toBe(4096);
  });

  it('converts a numeric string to a number', () => {
    const descriptor = parseDescriptor(withMax('2000'));
    expect(descriptor.max_message_length).toBe(2000);
    expect(typeof descriptor.max_message_length).toBe('number');
  });

  it('keeps a positive number', () => {
    expect(parseDescriptor(withMax(1)).max_message_length).toBe(1);
    expect(parseDescriptor(withMax(65536)).max_message_length).toBe(65536);
  });

  it('is required: a descriptor without it is an error at max_message_length', () => {
    const { max_message_length: _omitted, ...rest } = REQUIRED;
    const error = parseError(rest);
    expect(error.path).toBe('max_message_length');
    expect(error.issues[0]!.received).toBe('undefined');
  });
});

describe('parseDescriptor: errors', () => {
  it.each(REQUIRED_KEYS)('reports a missing required field %s by name', (key) => {
    const value: Record<string, unknown> = { ...REQUIRED };
    delete value[key];
    const error = parseError(value);
    expect(error.path).toBe(key);
    expect(error.issues[0]!.path).toBe(key);
    expect(error.issues[0]!.received).toBe('undefined');
    expect(error.message).toContain(key);
  });

  it('reports a wrong type with the field, the expected type and what arrived', () => {
    const error = parseError({ ...REQUIRED, supports_edit: 'yes' });
    expect(error.path).toBe('supports_edit');
    expect(error.issues[0]!.expected).toBe('a boolean');
    expect(error.issues[0]!.received).toBe('"yes"');
    expect(error.message).toContain('supports_edit');
    expect(error.message).toContain('"yes"');
  });

  it.each([
    ['platform', 5],
    ['label', null],
    ['supports_draft_streaming', 'false'],
    ['supports_threads', 1],
    ['markdown_dialect', false],
    ['emoji', 1],
    ['platform_hint', []],
    ['pii_safe', 'no'],
    ['supported_ops', 'send'],
  ])('reports a wrong type for %s', (key, bad) => {
    expect(parseError({ ...REQUIRED, [key]: bad }).path).toBe(key);
  });

  it('reports a non-string entry of supported_ops with its index', () => {
    expect(parseError({ ...REQUIRED, supported_ops: ['send', 7] }).path).toBe('supported_ops.1');
  });

  it('rejects a len_unit other than chars/utf16', () => {
    const error = parseError({ ...REQUIRED, len_unit: 'bytes' });
    expect(error.path).toBe('len_unit');
    expect(error.issues[0]!.received).toBe('"bytes"');
  });

  it.each([0, -1, 1.5, '1', '2', null, true])('rejects contract_version %j', (version) => {
    const error = parseError({ ...REQUIRED, contract_version: version });
    expect(error.path).toBe('contract_version');
    expect(error.issues[0]!.expected).toBe('an integer >= 1');
  });

  it('rejects a missing contract_version', () => {
    const { contract_version: _v, ...rest } = REQUIRED;
    expect(parseError(rest).path).toBe('contract_version');
  });

  it.each([null, [], 'descriptor', 42, undefined])('rejects a non-object descriptor %j', (value) => {
    expect(parseError(value).path).toBe('');
  });
});

describe('parseDescriptor: forward compatibility (spec later §7)', () => {
  it.each([2, 3, 17])('accepts contract_version %i and reports it as newer', (version) => {
    const descriptor = parseDescriptor({ ...REQUIRED, contract_version: version });
    expect(descriptor.contract_version).toBe(version);
    expect(isNewerContract(descriptor)).toBe(true);
  });

  it('version 1 is not newer', () => {
    expect(isNewerContract(parseDescriptor(REQUIRED))).toBe(false);
    expect(isNewerContract({ contract_version: CONTRACT_VERSION })).toBe(false);
  });

  it.each([
    ['a list of strings', ['custody.v2', 'turn_state']],
    ['a list of objects', [{ name: 'custody', version: 3 }]],
    ['not even a list', { custody: true }],
  ])('accepts and drops a capabilities key holding %s', (_name, capabilities) => {
    const descriptor = parseDescriptor({ ...REQUIRED, contract_version: 2, capabilities, runtime_epoch: 9, owner: 'x' });
    expect(Object.hasOwn(descriptor, 'capabilities')).toBe(false);
    expect(Object.hasOwn(descriptor, 'runtime_epoch')).toBe(false);
    expect(descriptor.platform).toBe('discord');
  });
});

describe('parseDescriptor: immutability', () => {
  it('returns a frozen descriptor with a frozen supported_ops', () => {
    const descriptor = parseDescriptor(FULL);
    expect(Object.isFrozen(descriptor)).toBe(true);
    expect(Object.isFrozen(descriptor.supported_ops)).toBe(true);
    expect(() => {
      (descriptor as { label: string }).label = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      (descriptor.supported_ops as string[]).push('typing');
    }).toThrow(TypeError);
    expect(descriptor.label).toBe('Telegram');
  });

  it('does not share supported_ops with the input', () => {
    const ops = ['send'];
    const descriptor = parseDescriptor({ ...REQUIRED, supported_ops: ops });
    ops.push('edit');
    expect(descriptor.supported_ops).toEqual(['send']);
  });

  it('exposes the legacy op set as a frozen list', () => {
    expect([...LEGACY_SUPPORTED_OPS]).toEqual(['send', 'edit', 'typing', 'follow_up']);
    expect(Object.isFrozen(LEGACY_SUPPORTED_OPS)).toBe(true);
  });
});

describe('descriptorFromPlatformEntry', () => {
  it('maps max_message_length 0 ("no limit") to 4096', () => {
    const descriptor = descriptorFromPlatformEntry({ name: 'slack', label: 'Slack', max_message_length: 0 });
    expect(descriptor.max_message_length).toBe(4096);
  });

  it('keeps a positive platform limit', () => {
    expect(descriptorFromPlatformEntry({ name: 'discord', label: 'Discord', max_message_length: 2000 }).max_message_length).toBe(2000);
  });

  it('uses the runtime defaults when no flags are given', () => {
    const descriptor = descriptorFromPlatformEntry({ name: 'slack', label: 'Slack', max_message_length: 0 });
    const expected: CapabilityDescriptor = {
      contract_version: 1,
      platform: 'slack',
      label: 'Slack',
      max_message_length: 4096,
      supports_draft_streaming: false,
      supports_edit: true,
      supports_threads: false,
      markdown_dialect: 'plain',
      len_unit: 'chars',
      emoji: '🔌',
      platform_hint: '',
      pii_safe: false,
      supported_ops: [],
    };
    expect(descriptor).toEqual(expected);
  });

  it('copies emoji, platform_hint and pii_safe from the entry', () => {
    const descriptor = descriptorFromPlatformEntry({
      name: 'telegram',
      label: 'Telegram',
      max_message_length: 4096,
      emoji: '✈️',
      platform_hint: 'hint',
      pii_safe: true,
    });
    expect(descriptor.platform).toBe('telegram');
    expect(descriptor.label).toBe('Telegram');
    expect(descriptor.emoji).toBe('✈️');
    expect(descriptor.platform_hint).toBe('hint');
    expect(descriptor.pii_safe).toBe(true);
  });

  it('applies the runtime flags', () => {
    const ops = ['send', 'typing'];
    const descriptor = descriptorFromPlatformEntry(
      { name: 'telegram', label: 'Telegram', max_message_length: 4096 },
      {
        len_unit: 'utf16',
        supports_draft_streaming: true,
        supports_edit: false,
        supports_threads: true,
        markdown_dialect: 'markdown_v2',
        supported_ops: ops,
      },
    );
    expect(descriptor).toMatchObject({
      len_unit: 'utf16',
      supports_draft_streaming: true,
      supports_edit: false,
      supports_threads: true,
      markdown_dialect: 'markdown_v2',
      supported_ops: ['send', 'typing'],
    });
    expect(descriptor.supported_ops).not.toBe(ops);
  });

  it('returns a frozen descriptor', () => {
    const descriptor = descriptorFromPlatformEntry({ name: 'irc', label: 'IRC', max_message_length: 400 });
    expect(Object.isFrozen(descriptor)).toBe(true);
    expect(Object.isFrozen(descriptor.supported_ops)).toBe(true);
  });
});
