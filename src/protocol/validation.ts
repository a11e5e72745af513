/**
 * Bridges zod's issue list to relay-gateway's {@link ProtocolValidationError}: every schema in
 * `src/protocol/` is parsed through {@link parseOrThrow} / {@link parseResult} so errors always name
 * the field, what was expected and what arrived, as plain data.
 * @module
 */
import type { z } from 'zod';
import { ProtocolValidationError, type ValidationIssue } from '../errors.js';

const MAX_RECEIVED_CHARS = 80;

/** Render a received value briefly for an error message (never the whole payload). */
export function describeReceived(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'object') return 'object';
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = value.toString();
  else text = typeof value;
  return text.length > MAX_RECEIVED_CHARS ? `${text.slice(0, MAX_RECEIVED_CHARS)}…` : text;
}

interface IssueLike {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly expected?: unknown;
  readonly values?: readonly unknown[];
  readonly input?: unknown;
  readonly origin?: string;
  readonly minimum?: number | bigint;
  readonly maximum?: number | bigint;
  readonly inclusive?: boolean;
  readonly format?: string;
  readonly keys?: readonly string[];
  readonly errors?: ReadonlyArray<readonly IssueLike[]>;
  readonly divisor?: number;
  readonly discriminator?: string;
  readonly options?: readonly unknown[];
  readonly params?: { readonly expected?: unknown };
}

/** Schemas give custom errors as "expected <what>" (zod 4 keeps only the message for most issue kinds). */
const EXPECTED_PREFIX = 'expected ';

const ARTICLE: Readonly<Record<string, string>> = {
  int: 'an integer',
  object: 'an object',
  array: 'a list',
  undefined: 'nothing',
  null: 'null',
};

/** `number` -> `a number`, `int` -> `an integer`, `object` -> `an object`. */
function aType(type: string): string {
  return ARTICLE[type] ?? `a ${type}`;
}

/** What a size bound means for the kind of value it bounds, in words. */
function bound(issue: IssueLike, which: 'min' | 'max'): string {
  const limit = Number(which === 'min' ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string':
      if (which === 'min' && limit === 1 && inclusive) return 'a non-empty string';
      return `a string of ${which === 'min' ? 'at least' : 'at most'} ${limit} characters`;
    case 'array':
    case 'set':
      if (which === 'min' && limit === 1 && inclusive) return 'a non-empty list';
      return `a list of ${which === 'min' ? 'at least' : 'at most'} ${limit} items`;
    default:
      if (which === 'min') return inclusive ? `a number of at least ${limit}` : limit === 0 ? 'a positive number' : `a number greater than ${limit}`;
      return inclusive ? `a number of at most ${limit}` : `a number less than ${limit}`;
  }
}

/**
 * What an issue expected, in plain words (`a positive number`, `one of "chars", "utf16"`): zod's own
 * messages ("Too small: expected number to be >0") read badly after "expected".
 */
function expectedOf(issue: IssueLike): string {
  if (typeof issue.params?.expected === 'string') return issue.params.expected;
  if (issue.message.startsWith(EXPECTED_PREFIX)) return issue.message.slice(EXPECTED_PREFIX.length);
  switch (issue.code) {
    case 'invalid_type':
      return typeof issue.expected === 'string' ? aType(issue.expected) : issue.message;
    case 'too_small':
      return bound(issue, 'min');
    case 'too_big':
      return bound(issue, 'max');
    case 'invalid_value':
      return issue.values ? `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` : issue.message;
    case 'invalid_format':
      return issue.format ? `a valid ${issue.format}` : issue.message;
    case 'not_multiple_of':
      return `a multiple of ${issue.divisor ?? '?'}`;
    case 'unrecognized_keys':
      return 'no such key';
    case 'invalid_union': {
      // A discriminated union: the discriminator's values.
      if (issue.discriminator !== undefined && issue.options) return `one of ${issue.options.map((v) => JSON.stringify(v)).join(', ')}`;
      // "a boolean or an object": what the first issue of each alternative expected.
      const options = (issue.errors ?? []).map((branch) => (branch[0] ? expectedOf(branch[0]) : undefined)).filter((text): text is string => !!text);
      return options.length > 0 ? [...new Set(options)].join(' or ') : 'a valid value';
    }
    default:
      return issue.message;
  }
}

/** Convert zod issues into our data-only {@link ValidationIssue}s, prefixing `basePath`. */
export function toValidationIssues(error: z.ZodError, basePath = ''): ValidationIssue[] {
  return (error.issues as readonly IssueLike[]).flatMap((issue) => {
    const base = [basePath, ...issue.path.map(String)].filter((p) => p !== '');
    // An unknown key is an issue of the object that holds it: name the key itself.
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      return issue.keys.map((key) => {
        const path = [...base, key].join('.');
        return { path, expected: 'no such key', received: 'a value', message: `${path}: unknown key` };
      });
    }
    const path = base.join('.');
    const expected = expectedOf(issue);
    // A discriminator issue carries the whole object as its input: show the discriminator's value.
    const input =
      issue.code === 'invalid_union' && issue.discriminator !== undefined && typeof issue.input === 'object' && issue.input !== null
        ? (issue.input as Record<string, unknown>)[issue.discriminator]
        : issue.input;
    const received = describeReceived(input);
    return [{ path, expected, received, message: `${path || '(root)'}: expected ${expected}, received ${received}` }];
  });
}

/** Result of a non-throwing parse. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ProtocolValidationError };

/**
 * Parse `value` with `schema`; on failure return a {@link ProtocolValidationError} about `subject`.
 * `reportInput` is requested per call (never through zod's global config) so issues carry what arrived.
 */
export function parseResult<S extends z.ZodType>(
  schema: S,
  value: unknown,
  subject: string,
  basePath = '',
): ParseResult<z.output<S>> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: new ProtocolValidationError(subject, toValidationIssues(result.error, basePath)) };
}

/** Parse `value` with `schema` or throw a {@link ProtocolValidationError} about `subject`. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, subject: string, basePath = ''): z.output<S> {
  const result = parseResult(schema, value, subject, basePath);
  if (!result.ok) throw result.error;
  return result.value;
}
