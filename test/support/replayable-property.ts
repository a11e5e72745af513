/**
 * Property runs whose failures can be replayed: a seeded fast-check run over real sockets that, when
 * it fails, shrinks, then writes the minimal counterexample's recording (timeline and frames) as a
 * visualizer trace under `test-results/traces/`, its note holding the seed, the counterexample path
 * and the minimal schedule; the failure's message says how to open the trace and how to re-run the
 * test with the same seed (`RELAY_SEED=... RELAY_SEED_PATH=... npx vitest run FILE`).
 *
 * The seed comes from `RELAY_SEED` (and `RELAY_SEED_PATH`, which replays one shrunk case directly)
 * when set, else fast-check picks one. With `RELAY_SOAK=1` a campaign runs for `RELAY_SOAK_SECONDS`
 * (default 300) instead of its CI number of runs, and reports how many schedules it tried.
 * @module
 */
import fc from 'fast-check';
import { traceFailure, type ReplayInfo, type TraceSource } from './failure-trace.js';

/** What a run records, for the trace written if it fails. */
export interface RunRecording {
  /** The recorder of this run (the latest call wins). */
  use(recorder: TraceSource): void;
}

/** A property over real sockets whose failures leave a replayable trace. */
export interface ReplayableProperty<T> {
  /** The trace's name (its file is `test-results/traces/<slug>.json`) and the failure's heading. */
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /** One run: throws (or rejects) when an invariant fails. Hand its recorder to `recording.use`. */
  readonly run: (value: T, recording: RunRecording) => Promise<void>;
  /** The run's schedule, one step a line, read after the run (a scheduler's report, a list of ops). */
  readonly schedule: (value: T) => readonly string[];
  /** The test file, for the re-run command (`test/resilience/race-campaign.test.ts`). */
  readonly testFile: string;
  /** Runs in CI. */
  readonly numRuns: number;
}

/** What a campaign did. */
export interface CampaignReport {
  /** Runs (schedules) tried. */
  readonly runs: number;
  readonly seed: number;
  /** Wall time of the campaign in ms. */
  readonly elapsedMs: number;
  /** True when it ran as a soak (`RELAY_SOAK=1`). */
  readonly soak: boolean;
}

/** Environment of a campaign: seed, path, soak switch and duration. Read once per call. */
export interface CampaignEnvironment {
  readonly seed?: number;
  readonly path?: string;
  readonly soakMs?: number;
}

/** Read `RELAY_SEED`, `RELAY_SEED_PATH`, `RELAY_SOAK` and `RELAY_SOAK_SECONDS`; a bad value throws, naming it. */
export function campaignEnvironment(env: NodeJS.ProcessEnv = process.env): CampaignEnvironment {
  const integer = (name: string, min: number): number | undefined => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name}: expected an integer >= ${min}, received ${JSON.stringify(text)}`);
    return value;
  };
  const seed = integer('RELAY_SEED', -(2 ** 31));
  const path = env['RELAY_SEED_PATH'] || undefined;
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path)) throw new Error(`RELAY_SEED_PATH: expected a fast-check path like 12:0:3, received ${JSON.stringify(path)}`);
  if (path !== undefined && seed === undefined) throw new Error('RELAY_SEED_PATH: needs RELAY_SEED (the seed it was found with)');
  const soak = env['RELAY_SOAK'] === '1';
  const soakSeconds = integer('RELAY_SOAK_SECONDS', 1) ?? 300;
  return { ...(seed !== undefined ? { seed } : {}), ...(path !== undefined ? { path } : {}), ...(soak ? { soakMs: soakSeconds * 1000 } : {}) };
}

/** The command that re-runs a campaign's test with a seed (and a path to its shrunk case). */
export function rerunCommand(testFile: string, seed: number, path?: string): string {
  return `RELAY_SEED=${seed}${path !== undefined ? ` RELAY_SEED_PATH=${path}` : ''} npx vitest run ${testFile}`;
}

interface Failure<T> {
  readonly value: T;
  readonly error: unknown;
  readonly recorder: TraceSource | undefined;
}

/**
 * Run `property` (its `numRuns`, or for the soak time under `RELAY_SOAK=1`). On failure, the last
 * failing run (fast-check shrinks by re-running smaller failing cases, so it is the minimal one)
 * is written as a trace whose note holds the seed, path and schedule, and the thrown error says
 * where the trace is, how to open it and how to re-run the test.
 * @returns how many schedules were tried, with which seed, in how long.
 */
export async function assertReplayable<T>(property: ReplayableProperty<T>, env: CampaignEnvironment = campaignEnvironment()): Promise<CampaignReport> {
  let failure: Failure<T> | undefined;
  const started = performance.now();
  const details = await fc.check(
    fc.asyncProperty(property.arbitrary, async (value) => {
      let recorder: TraceSource | undefined;
      try {
        await property.run(value, { use: (r) => (recorder = r) });
      } catch (error) {
        failure = { value, error, recorder };
        throw error;
      }
    }),
    {
      ...(env.seed !== undefined ? { seed: env.seed } : {}),
      ...(env.path !== undefined ? { path: env.path } : {}),
      ...(env.soakMs !== undefined ? { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: env.soakMs, markInterruptAsFailure: false } : { numRuns: property.numRuns }),
    },
  );
  const elapsedMs = performance.now() - started;
  if (!details.failed) return { runs: details.numRuns, seed: details.seed, elapsedMs, soak: env.soakMs !== undefined };

  const path = details.counterexamplePath ?? undefined;
  const found = failure;
  const schedule = found ? property.schedule(found.value) : [];
  const replay: ReplayInfo = { seed: details.seed, ...(path !== undefined ? { path } : {}), schedule, rerun: rerunCommand(property.testFile, details.seed, path) };
  const cause = found?.error ?? details.errorInstance;
  const error = new Error(
    `${property.name}: failed after ${details.numRuns} runs and ${details.numShrinks} shrinks\n${cause instanceof Error ? cause.message : String(cause)}`,
    { cause },
  );
  // The trace's note gets the schedule from the replay lines; the message gets it after the hint.
  if (found?.recorder) traceFailure(property.name, found.recorder, error, replay);
  else error.message += `\n(no trace recorded; seed: ${details.seed}${path !== undefined ? `, path: ${path}` : ''}; re-run: ${replay.rerun})`;
  error.message += `\nminimal schedule:\n${schedule.map((step) => `  ${step}`).join('\n') || '  (none recorded)'}`;
  throw error;
}
