/**
 * Failure traces of the model-based and property tests: when a run fails, its recording (the
 * connection machine's timeline, and the socket's frames when there was a socket) is written as a
 * visualizer trace under `test-results/traces/`, and the failure's message says where, so the run
 * opens in the visualizer (`relay-gateway visualize --trace FILE`).
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InspectionEvent } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import type { FrameTapListener } from '../../src/transport/frame-tap.js';
import { createFramesLane, type FrameRecord } from '../../src/visualizer/frames-lane.js';
import { recordActor } from '../../src/visualizer/trace-recorder.js';
import { buildTrace, type Trace } from '../../src/visualizer/trace.js';
import type { TimelineEntry } from '../../src/visualizer/visualizer-feed.js';

/** Where failure traces go, relative to the repository's root. */
export const FAILURE_TRACE_DIR = 'test-results/traces';

/** Longest file name (without `.json`) of a failure trace. */
const MAX_SLUG = 120;
/** Longest note written into a trace (the failure's first lines). */
const MAX_NOTE = 2048;
/** Most lines of a failure's message kept in the note. */
const MAX_NOTE_LINES = 40;

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Anything that can turn its recording into a trace: a recorder of src/visualizer, or {@link recordConnection}. */
export interface TraceSource {
  /** The recording as a trace; `note` says why it was written. */
  toTrace(note?: string): Trace;
}

/**
 * The file name (without `.json`) of the trace of a test called `name`: lower case, every run of
 * characters other than `a-z` and `0-9` turned into one `-`, at most 120 characters. A name cut to
 * fit ends in a short hash of the whole name, so long names with the same beginning do not collide.
 */
export function failureTraceSlug(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'trace';
  if (slug.length <= MAX_SLUG) return slug;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${slug.slice(0, MAX_SLUG - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/**
 * The path {@link writeFailureTrace} writes the trace of `name` to: relative to the working
 * directory when it is inside it (`test-results/traces/<slug>.json` when tests run from the
 * repository's root, as they do), absolute otherwise.
 */
export function failureTracePath(name: string): string {
  const absolute = resolve(REPO_ROOT, FAILURE_TRACE_DIR, `${failureTraceSlug(name)}.json`);
  const fromCwd = relative(process.cwd(), absolute);
  return fromCwd.startsWith('..') || isAbsolute(fromCwd) ? absolute : fromCwd;
}

/**
 * Write `trace` to `test-results/traces/<slug of name>.json` (creating the folder), replacing an
 * older trace of the same name.
 * @returns the path written (see {@link failureTracePath}).
 */
export function writeFailureTrace(name: string, trace: Trace): string {
  const path = failureTracePath(name);
  mkdirSync(resolve(REPO_ROOT, FAILURE_TRACE_DIR), { recursive: true });
  writeFileSync(path, `${JSON.stringify(trace, null, 2)}\n`);
  return path;
}

/**
 * The note of a failure's trace: the error's message (or the thrown value as text), its first 40
 * lines and at most about 2 KB of them.
 */
export function failureNote(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : safeStringify(error);
  const lines = text.split('\n');
  let note = lines.slice(0, MAX_NOTE_LINES).join('\n');
  if (note.length > MAX_NOTE) note = `${note.slice(0, MAX_NOTE - 1)}…`;
  else if (lines.length > MAX_NOTE_LINES) note += '\n…';
  return note;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * How to replay a failed run besides opening its trace: the fast-check seed and counterexample path
 * it was found with, the minimal schedule (one step a line), and the command that re-runs the test.
 */
export interface ReplayInfo {
  /** fast-check's seed of the failing run. */
  readonly seed?: number;
  /** fast-check's counterexample path (replays the shrunk case directly with the seed). */
  readonly path?: string;
  /** The minimal schedule, one step a line (a model path's events, a race run's scheduled tasks). */
  readonly schedule?: readonly string[];
  /** The shell command that re-runs the failing test (with the seed when there is one). */
  readonly rerun?: string;
}

/** The replay information as lines of a trace's note (seed, path, command, then the schedule). */
export function replayLines(replay: ReplayInfo | undefined): string[] {
  if (!replay) return [];
  const lines: string[] = [];
  if (replay.seed !== undefined) lines.push(`seed: ${replay.seed}${replay.path !== undefined ? `, path: ${replay.path}` : ''}`);
  if (replay.rerun !== undefined) lines.push(`re-run: ${replay.rerun}`);
  if (replay.schedule && replay.schedule.length > 0) lines.push('schedule:', ...replay.schedule.map((step) => `  ${step}`));
  return lines;
}

/**
 * What a failure's message gains once its trace is written: where it is, how to open it (the
 * installed CLI's command, and the same from a checkout), and how to re-run the test (the seed).
 */
export function failureTraceHint(path: string, replay?: ReplayInfo): string {
  const lines = [
    `trace written to ${path}`,
    `open it with: relay-gateway visualize --trace ${path}   (from a checkout: npx tsx src/cli/main.ts visualize --trace ${path})`,
  ];
  if (replay?.seed !== undefined) lines.push(`seed: ${replay.seed}${replay.path !== undefined ? `, path: ${replay.path}` : ''}`);
  if (replay?.rerun !== undefined) lines.push(`re-run: ${replay.rerun}`);
  return `\n(${lines.join('\n ')})`;
}

/** Add `extra` to an error's message (and to the first line of its stack), when the error lets us. */
function appendToMessage(error: unknown, extra: string): void {
  if (!(error instanceof Error)) return;
  try {
    const before = error.message;
    error.message = `${before}${extra}`;
    const head = `${error.name}: ${before}`;
    if (typeof error.stack === 'string' && error.stack.startsWith(head)) error.stack = `${head}${extra}${error.stack.slice(head.length)}`;
  } catch {
    // A frozen error keeps its message; the trace is written all the same.
  }
}

/**
 * Write the trace of a failed run and return the failure, its message now naming the trace's path,
 * for the caller to rethrow: `catch (error) { throw traceFailure(name, recorder, error) }`. The
 * note is the failure's first lines, then the replay information when given. A trace that cannot be
 * written never hides the failure (the message says why instead).
 */
export function traceFailure(name: string, recorder: TraceSource, error: unknown, replay?: ReplayInfo): unknown {
  try {
    const note = [failureNote(error), ...replayLines(replay)].join('\n');
    const path = writeFailureTrace(name, recorder.toTrace(note));
    appendToMessage(error, failureTraceHint(path, replay));
  } catch (writeError) {
    appendToMessage(error, `\n(could not write the failure trace of ${JSON.stringify(name)}: ${failureNote(writeError)})`);
  }
  return error;
}

/**
 * Run `run`; if it throws (or its promise rejects), write `recorder.toTrace(note)` with the failure's
 * first lines (and `replay`, when given) as the note (see {@link writeFailureTrace}), add the trace's
 * path and the commands that open it and re-run the test to the error's message, and rethrow it. A
 * passing run writes nothing.
 */
export async function withFailureTrace<T>(name: string, recorder: TraceSource, run: () => Promise<T> | T, replay?: ReplayInfo): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw traceFailure(name, recorder, error, replay);
  }
}

/** A recorder for a `RelayConnection` made in a test (no gateway): its machine's timeline and its socket's frames. */
export interface ConnectionTraceRecorder extends TraceSource {
  /** Pass as (or call from) the connection's `inspect` option. */
  readonly inspect: (event: InspectionEvent) => void;
  /** Entries so far (oldest first). */
  readonly entries: readonly TimelineEntry[];
  /** Frames so far (oldest first, at most `limit`). */
  frames(): readonly FrameRecord[];
  /** Record the frames of a connection (its `observeFrames`). */
  observe(connection: { observeFrames(listener: FrameTapListener): () => void }): void;
  /** Stop recording (idempotent). */
  stop(): void;
}

/**
 * Record a connection made without a gateway: the entries through `inspect` (the recorder of
 * src/visualizer's `recordActor`), the frames through the frames lane once {@link ConnectionTraceRecorder.observe} is called.
 * Keeps the newest `limit` entries and frames (default 10,000), message text left out.
 */
export function recordConnection(options: { readonly name: string; readonly limit?: number }): ConnectionTraceRecorder {
  const limit = options.limit ?? 10_000;
  const actor = recordActor({ name: options.name, limit });
  const lane = createFramesLane();
  const frames: FrameRecord[] = [];
  const stops: Array<() => void> = [];
  let stopped = false;
  // Trimmed in batches: a burst of thousands of frames must not cost a splice per frame.
  const newest = (): FrameRecord[] => {
    if (frames.length > limit) frames.splice(0, frames.length - limit);
    return frames;
  };
  return {
    inspect: actor.inspect,
    entries: actor.entries,
    frames: newest,
    observe(connection) {
      if (stopped) return;
      stops.push(
        connection.observeFrames((event) => {
          const record = lane(event);
          if (!record) return;
          frames.push(record);
          if (frames.length > 2 * limit) newest();
        }),
      );
    },
    toTrace: (note) =>
      buildTrace({ source: { kind: 'test', name: options.name }, machine: { id: connectionMachine.id, structureHash: '' }, entries: [...actor.entries], frames: [...newest()], note }),
    stop() {
      stopped = true;
      actor.stop();
      for (const stop of stops.splice(0)) stop();
    },
  };
}

