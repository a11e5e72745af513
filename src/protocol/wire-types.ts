/**
 * Small zod building blocks shared by the protocol schemas.
 * @module
 */
import { z } from 'zod';

/**
 * An optional identifier: a string, or a number (some connectors send numeric ids; kept as its decimal
 * string), `null` or absent (both become `null`).
 */
export const optionalIdSchema = z
  .union([z.string(), z.number(), z.null()], { error: 'expected string or null' })
  .optional()
  .transform((value): string | null => (value === undefined || value === null ? null : String(value)));

/** Like {@link optionalIdSchema} but absent/null become `""` (for fields whose wire default is `""`). */
export const idWithEmptyDefaultSchema = optionalIdSchema.transform((value): string => value ?? '');

/** A `bufferId`: absent, null or empty all mean "not buffered". */
export const bufferIdSchema = z
  .string()
  .nullish()
  .transform((value): string | undefined => (value ? value : undefined));

/** Any JSON object (used for `metadata` and raw `result`s). */
export const jsonObjectSchema = z.record(z.string(), z.unknown());

/** A JSON object value, as the wire carries it. */
export type JsonObject = Record<string, unknown>;
