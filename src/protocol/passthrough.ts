/**
 * The `forward` object of a `passthrough_forward` frame (relay-connector-contract.md §12): a webhook call the connector has
 * already verified, sanitised and answered at its edge. The gateway performs no signature checks.
 * @module
 */
import { z } from 'zod';

/** `headers` entries that are not 2-element lists are dropped; the two elements become strings. */
const headersSchema = z
  .array(z.unknown())
  .nullish()
  .transform((entries): Array<[string, string]> => {
    const kept: Array<[string, string]> = [];
    for (const entry of entries ?? []) {
      if (Array.isArray(entry) && entry.length === 2) kept.push([String(entry[0]), String(entry[1])]);
    }
    return kept;
  });

/** Zod schema of `passthrough_forward.forward`. */
export const passthroughForwardSchema = z.object({
  platform: z.string(),
  botId: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  method: z.string(),
  path: z.string(),
  headers: headersSchema,
  bodyB64: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  profile: z
    .string()
    .nullish()
    .transform((value) => value ?? undefined),
});

/** A parsed passthrough forward. Field names are the wire's. */
export type PassthroughForward = z.output<typeof passthroughForwardSchema>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decode `bodyB64` (standard base64). Anything undecodable gives an empty body, as the contract says,
 * because `Buffer.from(s, 'base64')` would otherwise silently skip bad characters.
 */
export function decodeForwardBody(forward: Pick<PassthroughForward, 'bodyB64'>): Buffer {
  const text = forward.bodyB64.replace(/\s+/g, '');
  if (text.length % 4 !== 0 || !BASE64.test(text)) return Buffer.alloc(0);
  return Buffer.from(text, 'base64');
}
