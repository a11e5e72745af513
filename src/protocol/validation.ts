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
  readonly params?: { readonly expected?: unknown };
}

/** Schemas give custom errors as "expected <what>" (zod 4 keeps only the message for most issue kinds). */
const EXPECTED_PREFIX = 'expected ';

function expectedOf(issue: IssueLike): string {
  if (typeof issue.params?.expected === 'string') return issue.params.expected;
  if (issue.message.startsWith(EXPECTED_PREFIX)) return issue.message.slice(EXPECTED_PREFIX.length);
  if (issue.code === 'invalid_value' && issue.values) {
    return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (typeof issue.expected === 'string') return issue.expected;
  return issue.message;
}

/** Convert zod issues into our data-only {@link ValidationIssue}s, prefixing `basePath`. */
export function toValidationIssues(error: z.ZodError, basePath = ''): ValidationIssue[] {
  return (error.issues as readonly IssueLike[]).map((issue) => {
    const path = [basePath, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    const expected = expectedOf(issue);
    const received = describeReceived(issue.input);
    return { path, expected, received, message: `${path || '(root)'}: expected ${expected}, received ${received}` };
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
