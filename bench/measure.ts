/** Small measuring helpers shared by the scenarios. */

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Every sample of an alternating measurement, and the best of each side. */
export interface AlternatingSamples {
  readonly baseline: readonly number[];
  readonly subject: readonly number[];
  readonly bestBaseline: number;
  readonly bestSubject: number;
}

/**
 * Measure a baseline and a subject `rounds` times each, alternately (baseline, subject, baseline,
 * ...), so a slow phase of a shared machine hits both sides rather than one. Higher is better.
 */
export async function alternate(rounds: number, baseline: () => Promise<number>, subject: () => Promise<number>): Promise<AlternatingSamples> {
  const baselineSamples: number[] = [];
  const subjectSamples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    baselineSamples.push(await baseline());
    subjectSamples.push(await subject());
  }
  return { baseline: baselineSamples, subject: subjectSamples, bestBaseline: Math.max(...baselineSamples), bestSubject: Math.max(...subjectSamples) };
}

/** Resolve when `check()` is true, polling on the event loop (no timers). */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise<void>((resolve) => setImmediate(resolve));
}
