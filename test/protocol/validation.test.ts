import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { describeReceived, parseOrThrow, parseResult, toValidationIssues } from '../../src/protocol/validation.js';
import { ProtocolValidationError } from '../../src/errors.js';

const SCHEMA = z.object({ a: z.number(), nested: z.object({ b: z.boolean() }).optional() });

function thrownBy(fn: () => unknown): ProtocolValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProtocolValidationError);
  return caught as ProtocolValidationError;
}

describe('describeReceived', () => {
  it('renders undefined and null by name', () => {
    expect(describeReceived(undefined)).toBe('undefined');
    expect(describeReceived(null)).toBe('null');
  });

  it('renders arrays by length and objects by kind, never their content', () => {
    expect(describeReceived([])).toBe('array(0)');
    expect(describeReceived([1, 2, 3])).toBe('array(3)');
    expect(describeReceived({ secret: 'token-123' })).toBe('object');
    expect(describeReceived({ secret: 'token-123' })).not.toContain('token');
  });

  it('quotes short strings in full', () => {
    expect(describeReceived('yes')).toBe('"yes"');
    expect(describeReceived('')).toBe('""');
  });

  it('renders numbers and booleans as text', () => {
    expect(describeReceived(5)).toBe('5');
    expect(describeReceived(-1.5)).toBe('-1.5');
    expect(describeReceived(true)).toBe('true');
    expect(describeReceived(10n)).toBe('10');
  });

  it('truncates long strings', () => {
    const long = 'x'.repeat(1000);
    const rendered = describeReceived(long);
    expect(rendered.length).toBeLessThan(100);
    expect(rendered.startsWith('"xxx')).toBe(true);
    expect(rendered.endsWith('…')).toBe(true);
  });

  it('stays short for any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (text) => {
        const rendered = describeReceived(text);
        expect(rendered.length).toBeLessThanOrEqual(81);
        if (JSON.stringify(text).length <= 80) expect(rendered).toBe(JSON.stringify(text));
      }),
    );
  });
});

describe('toValidationIssues', () => {
  it('prefixes the base path and describes each issue', () => {
    const result = SCHEMA.safeParse({ a: 'x', nested: { b: 1 } }, { reportInput: true });
    expect(result.success).toBe(false);
    if (result.success) return;
    const issues = toValidationIssues(result.error, 'frame');
    expect(issues.map((issue) => issue.path)).toEqual(['frame.a', 'frame.nested.b']);
    expect(issues[0]).toMatchObject({ expected: 'a number', received: '"x"' });
    expect(issues[1]).toMatchObject({ expected: 'a boolean', received: '1' });
    expect(issues[0]!.message).toContain('frame.a');
  });

  it('labels a root issue "(root)" with an empty path', () => {
    const result = SCHEMA.safeParse(null, { reportInput: true });
    if (result.success) throw new Error('unreachable');
    const [issue] = toValidationIssues(result.error);
    expect(issue!.path).toBe('');
    expect(issue!.message).toContain('(root)');
    expect(issue!.received).toBe('null');
  });

  it('describes an enum mismatch by its allowed values', () => {
    const result = z.object({ unit: z.enum(['chars', 'utf16']) }).safeParse({ unit: 'bytes' }, { reportInput: true });
    if (result.success) throw new Error('unreachable');
    const [issue] = toValidationIssues(result.error);
    expect(issue!.expected).toContain('"chars"');
    expect(issue!.expected).toContain('"utf16"');
    expect(issue!.received).toBe('"bytes"');
  });
});

describe('parseResult / parseOrThrow', () => {
  it('returns the parsed value', () => {
    expect(parseResult(SCHEMA, { a: 1 }, 'thing')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseOrThrow(SCHEMA, { a: 2 }, 'thing')).toEqual({ a: 2 });
  });

  it('returns an error naming the subject and the field', () => {
    const result = parseResult(SCHEMA, { a: 'x' }, 'thing', 'outer');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.subject).toBe('thing');
    expect(result.error.path).toBe('outer.a');
  });

  it('reports what was received even without a global zod config', () => {
    expect(thrownBy(() => parseOrThrow(SCHEMA, {}, 'thing')).issues[0]).toMatchObject({ path: 'a', received: 'undefined' });
    expect(thrownBy(() => parseOrThrow(SCHEMA, { a: false }, 'thing')).issues[0]).toMatchObject({ path: 'a', received: 'false' });
  });
});

describe('ProtocolValidationError message', () => {
  it('includes the subject, path, expected and received', () => {
    const error = thrownBy(() => parseOrThrow(SCHEMA, { a: 'oops' }, 'widget'));
    expect(error.code).toBe('ERR_PROTOCOL_INVALID');
    expect(error.message).toContain('widget');
    expect(error.message).toContain('"a"');
    expect(error.message).toContain('number');
    expect(error.message).toContain('"oops"');
  });

  it('counts the further issues', () => {
    const error = thrownBy(() => parseOrThrow(SCHEMA, { a: 'x', nested: { b: 'y' } }, 'widget'));
    expect(error.issues).toHaveLength(2);
    expect(error.message).toContain('1 more issue');
  });

  it('exposes issues[0].path as path', () => {
    const error = new ProtocolValidationError('thing', [
      { path: 'p.q', expected: 'string', received: '5', message: 'p.q: expected string, received 5' },
    ]);
    expect(error.path).toBe('p.q');
    expect(error.message).toBe('invalid thing at "p.q": expected string, received 5');
  });
});
