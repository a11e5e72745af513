/**
 * Visualizer traces: a recording of one gateway's (or one test's) timeline and frames as versioned
 * JSON, so a run can be replayed offline with the same views: downloaded from the page, loaded into
 * it, opened with `relay-gateway visualize --trace FILE`, or written by a failing model-based or
 * property test under `test-results/traces/`.
 * @module
 */
import { z } from 'zod';
import { TraceFormatError, type ValidationIssue } from '../errors.js';
import { toValidationIssues } from '../protocol/validation.js';
import type { FrameRecord } from './frames-lane.js';
import type { TimelineEntry } from './visualizer-feed.js';

/** The `format` every trace file carries. */
export const TRACE_FORMAT = 'relay-gateway-trace';
/** The format version this library writes and reads. */
export const TRACE_VERSION = 1;

/** A recording, as written to and read from a trace file. */
export interface Trace {
  readonly format: typeof TRACE_FORMAT;
  readonly version: typeof TRACE_VERSION;
  /** ISO 8601 time the file was written. */
  readonly createdAt: string;
  /** What was recorded: a gateway's name, or a test's name. */
  readonly source: { readonly kind: 'gateway' | 'test'; readonly name: string };
  /** The machine the entries' paths refer to, and the drawing's structure hash (to spot a mismatch). */
  readonly machine: { readonly id: string; readonly structureHash: string };
  /** Why the file exists, e.g. the failing assertion of a test. */
  readonly note?: string;
  readonly entries: readonly TimelineEntry[];
  readonly frames: readonly FrameRecord[];
}

const nullableNumber = z.number().nullable();
const contextSchema = z.object({
  attempt: z.number(),
  dials: z.number(),
  handshakes: z.number(),
  handshakeSeen: z.boolean(),
  provisional: z.boolean(),
  backoffMs: z.number(),
  nextRetryAt: nullableNumber,
  servingSince: nullableNumber,
  lastClose: z.object({ code: z.number(), reason: z.string() }).nullable(),
  lastError: z.string().nullable(),
  descriptor: z.object({ platform: z.string(), label: z.string(), maxMessageLength: z.number(), contractVersion: z.number() }).nullable(),
  stopping: z.boolean(),
  intake: z.string(),
  intakeAcks: z.number(),
  replayRedials: z.number(),
  idleAcks: z.number(),
  ignoredEvents: z.number(),
  disabledReason: z.string().nullable(),
  reconnect: z.boolean(),
});

const entrySchema = z.object({
  seq: z.number().int().positive(),
  t: z.number(),
  event: z.string(),
  from: z.string(),
  to: z.string(),
  state: z.string(),
  machinePath: z.string(),
  fired: z.array(z.object({ source: z.string(), target: z.string().nullable(), label: z.string() })),
  guards: z.array(z.object({ state: z.string(), guard: z.string(), result: z.boolean() })),
  context: contextSchema,
  changed: z.array(z.string()),
  timers: z.array(z.object({ state: z.string(), delay: z.string(), dueAt: z.number() })),
});

const frameSchema = z.object({
  seq: z.number().int().positive(),
  t: z.number(),
  direction: z.enum(['in', 'out']),
  type: z.string(),
  summary: z.string(),
  bytes: z.number().nullable(),
  requestId: z.string().optional(),
  op: z.string().optional(),
  result: z.string().optional(),
  latencyMs: z.number().optional(),
  sessionKey: z.string().optional(),
  bufferId: z.string().optional(),
  code: z.number().optional(),
  reason: z.string().optional(),
  text: z.string().optional(),
});

/** The schema of a trace file (zod), for tools that validate traces themselves. */
export const traceSchema = z.object({
  format: z.literal(TRACE_FORMAT, { message: `expected "${TRACE_FORMAT}" (is this a relay-gateway trace?)` }),
  version: z.literal(TRACE_VERSION, { message: `expected version ${TRACE_VERSION} (this relay-gateway reads version ${TRACE_VERSION} traces)` }),
  createdAt: z.string(),
  source: z.object({ kind: z.enum(['gateway', 'test']), name: z.string() }),
  machine: z.object({ id: z.string(), structureHash: z.string() }),
  note: z.string().optional(),
  entries: z.array(entrySchema).max(1_000_000),
  frames: z.array(frameSchema).max(1_000_000),
});

/**
 * Read a trace from its parsed JSON (or its text).
 * @throws {TraceFormatError} (`ERR_TRACE_INVALID`) with every issue: path, expected, received.
 */
export function parseTrace(input: unknown): Trace {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      const issue: ValidationIssue = { path: '', expected: 'JSON', received: 'text that is not JSON', message: `(root): not JSON (${(error as Error).message})` };
      throw new TraceFormatError([issue]);
    }
  }
  const parsed = traceSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) throw new TraceFormatError(toValidationIssues(parsed.error));
  return parsed.data;
}

/** Build a trace from recorded entries and frames. */
export function buildTrace(parts: {
  readonly source: Trace['source'];
  readonly machine: Trace['machine'];
  readonly entries: readonly TimelineEntry[];
  readonly frames?: readonly FrameRecord[];
  readonly note?: string;
  readonly now?: () => number;
}): Trace {
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    createdAt: new Date((parts.now ?? Date.now)()).toISOString(),
    source: parts.source,
    machine: parts.machine,
    ...(parts.note !== undefined ? { note: parts.note } : {}),
    entries: parts.entries,
    frames: parts.frames ?? [],
  };
}
