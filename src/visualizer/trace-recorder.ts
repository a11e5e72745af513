/**
 * Recording a run as a trace without a server: for tests (a failing model-based or property run
 * writes its trace under `test-results/traces/`, and the visualizer opens it) and for applications
 * that want a file to attach to a bug report.
 * @module
 */
import type { AnyStateMachine, InspectionEvent } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import type { ConnectionContext } from '../../machines/connection.types.js';
import { connectionStatePathOf, machinePathOf, type TaggedSnapshot } from '../../machines/public-state.js';
import type { RelayGateway } from '../gateway/create-relay-gateway.js';
import { createFramesLane, type FrameRecord } from './frames-lane.js';
import { buildTrace, type Trace } from './trace.js';
import { createInspectionFeed, type TimelineEntry } from './visualizer-feed.js';

/** A recording in progress. */
export interface TraceRecorder {
  /** Entries so far (oldest first). */
  readonly entries: readonly TimelineEntry[];
  /** Frames so far (gateways only). */
  readonly frames: readonly FrameRecord[];
  /** The recording as a trace file; `note` says why it was written (e.g. the failed assertion). */
  toTrace(note?: string): Trace;
  /** Stop recording (idempotent). */
  stop(): void;
}

/** Options of the recorders. */
export interface RecorderOptions {
  /** Name written into the trace's `source`. */
  readonly name: string;
  /** Keep at most this many entries and frames (the newest). @default 10000 */
  readonly limit?: number;
  /** Record message text in the frames. @default false */
  readonly showText?: boolean;
  /** Structure hash of the drawing, written into the trace. @default "" */
  readonly structureHash?: string;
}

function keep<T>(items: T[], item: T, limit: number): void {
  items.push(item);
  if (items.length > limit) items.splice(0, items.length - limit);
}

/** Record a gateway: its machine's timeline and its socket's frames. */
export function recordGateway(gateway: RelayGateway, options: RecorderOptions): TraceRecorder {
  const limit = options.limit ?? 10_000;
  const entries: TimelineEntry[] = [];
  const frames: FrameRecord[] = [];
  const lane = createFramesLane({ showText: options.showText ?? false });
  const stops = [
    gateway.inspect(createInspectionFeed({ machine: connectionMachine, initial: { path: gateway.statePath, machinePath: gateway.machinePath, context: gateway.context } }, (entry) => keep(entries, entry, limit))),
    gateway.observeFrames((event) => {
      const record = lane(event);
      if (record) keep(frames, record, limit);
    }),
  ];
  return recorder(entries, frames, { kind: 'gateway', name: options.name }, options.structureHash ?? '', () => stops.splice(0).forEach((stop) => stop()));
}

/**
 * An `inspect` observer plus recorder for an actor of the connection machine made without a gateway
 * (`createActor(machine, { inspect: recorder.inspect })`): pure machine tests.
 */
export function recordActor(options: RecorderOptions & { readonly machine?: AnyStateMachine }): TraceRecorder & { readonly inspect: (event: InspectionEvent) => void } {
  const limit = options.limit ?? 10_000;
  const entries: TimelineEntry[] = [];
  const machine = options.machine ?? connectionMachine;
  let feed: ((event: InspectionEvent) => void) | undefined;
  let stopped = false;
  const inspect = (event: InspectionEvent): void => {
    if (stopped) return;
    if (!feed) {
      // The first root snapshot tells where the actor starts.
      if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return;
      const snapshot = event.snapshot as unknown as TaggedSnapshot & { context: ConnectionContext };
      feed = createInspectionFeed(
        { machine, initial: { path: connectionStatePathOf(snapshot), machinePath: machinePathOf(snapshot.value), context: snapshot.context } },
        (entry) => keep(entries, entry, limit),
      );
    }
    feed(event);
  };
  return { ...recorder(entries, [], { kind: 'test', name: options.name }, options.structureHash ?? '', () => (stopped = true)), inspect };
}

function recorder(entries: TimelineEntry[], frames: FrameRecord[], source: Trace['source'], structureHash: string, stop: () => void): TraceRecorder {
  return {
    entries,
    frames,
    toTrace: (note) => buildTrace({ source, machine: { id: connectionMachine.id, structureHash }, entries: [...entries], frames: [...frames], ...(note !== undefined ? { note } : {}) }),
    stop,
  };
}
