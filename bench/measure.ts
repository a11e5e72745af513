/** Small measuring helpers shared by the scenarios. */

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Best of `rounds` for a baseline and a subject, measured alternately (baseline, subject, baseline,
 * ...), so a slow phase of a shared machine hits both sides rather than one.
 */
export async function bestOfAlternating(rounds: number, baseline: () => Promise<number>, subject: () => Promise<number>): Promise<[number, number]> {
  let bestBaseline = -Infinity;
  let bestSubject = -Infinity;
  for (let i = 0; i < rounds; i++) {
    bestBaseline = Math.max(bestBaseline, await baseline());
    bestSubject = Math.max(bestSubject, await subject());
  }
  return [bestBaseline, bestSubject];
}

/** Resolve when `check()` is true, polling on the event loop (no timers). */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise<void>((resolve) => setImmediate(resolve));
}
