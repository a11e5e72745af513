/**
 * The duplicate rule shared by every identity source: a platform named twice keeps its first
 * position and the later copies are dropped, with one warning for the whole source.
 * @module
 */

/** Outcome of {@link dedupeByPlatform}. */
export interface Deduped<T> {
  /** The items, first occurrence of each platform only, in order. */
  readonly unique: T[];
  /** Platforms that occurred more than once, each once, in the order their first repeat appeared. */
  readonly repeated: string[];
}

/** Keep the first item per `platform`. */
export function dedupeByPlatform<T extends { readonly platform: string }>(items: readonly T[]): Deduped<T> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  const unique: T[] = [];
  for (const item of items) {
    if (seen.has(item.platform)) repeated.add(item.platform);
    else {
      seen.add(item.platform);
      unique.push(item);
    }
  }
  return { unique, repeated: [...repeated] };
}

/**
 * The one warning for a source with repeats, or `undefined` without any.
 * @param setting - The variable, flag, key or option that held the list.
 */
export function duplicateWarning(setting: string, repeated: readonly string[]): string | undefined {
  if (repeated.length === 0) return undefined;
  const names = repeated.map((name) => JSON.stringify(name)).join(', ');
  return `${setting} names ${names} more than once; the first occurrence keeps its position and the later copies are dropped`;
}
