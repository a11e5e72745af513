/**
 * Turns the connection machine's inspection events into the visualizer's log entries and context
 * summaries. Only the root actor's snapshots count (socket child actors are noise here), and the
 * per-event work is a state-path comparison and a small object: the machine only sees control-plane
 * events (frames never pass through it), so this costs nothing on the data plane.
 * @module
 */
import type { InspectionEvent } from 'xstate';
import type { ConnectionContext } from '../../machines/connection.types.js';
import { connectionStateOf, connectionStatePathOf, machinePathOf, type TaggedSnapshot } from '../../machines/public-state.js';

/** One line of the visualizer's event log. */
export interface VisualizerLogEntry {
  /** Sequence number, from 1, so a page can tell what it already has. */
  readonly seq: number;
  /** When it happened (ms since epoch). */
  readonly t: number;
  /** Machine event type, e.g. `SOCKET_CLOSED` or `xstate.after.backoff...`. */
  readonly event: string;
  /** Public state path before, e.g. `serving.live` (see `gateway.statePath`). */
  readonly from: string;
  /** Public state path after (same as `from` when the event changed nothing but context). */
  readonly to: string;
  /** Public state after, e.g. `serving`. */
  readonly state: string;
  /** The machine's full state path after, e.g. `running.link.open.serving.live` (the drawing's boxes). */
  readonly machinePath: string;
  /** Backoff attempt after the event. */
  readonly attempt: number;
}

/** What the page shows of the machine's context: serialisable and free of secrets. */
export interface VisualizerContext {
  readonly attempt: number;
  readonly dials: number;
  readonly handshakes: number;
  readonly nextRetryAt: number | null;
  readonly lastClose: { readonly code: number; readonly reason: string } | null;
  readonly lastError: string | null;
  readonly descriptor: { readonly platform: string; readonly label: string; readonly maxMessageLength: number; readonly contractVersion: number } | null;
  readonly disabledReason: string | null;
}

const AFTER_PREFIX = 'xstate.after.';

/** Readable event name: `xstate.after.backoff.connection.reconnecting` becomes `after backoff`. */
export function eventLabel(type: string): string {
  if (!type.startsWith(AFTER_PREFIX)) return type;
  const rest = type.slice(AFTER_PREFIX.length);
  const dot = rest.indexOf('.');
  return `after ${dot === -1 ? rest : rest.slice(0, dot)}`;
}

/** The context summary the page shows. */
export function summarizeContext(context: ConnectionContext): VisualizerContext {
  const { descriptor } = context;
  return {
    attempt: context.attempt,
    dials: context.dials,
    handshakes: context.handshakes,
    nextRetryAt: context.nextRetryAt,
    lastClose: context.lastClose ? { code: context.lastClose.code, reason: context.lastClose.reason } : null,
    lastError: context.lastError,
    descriptor: descriptor
      ? { platform: descriptor.platform, label: descriptor.label, maxMessageLength: descriptor.max_message_length, contractVersion: descriptor.contract_version }
      : null,
    disabledReason: context.disabledReason,
  };
}

/** A root snapshot change as the feed reports it. */
export interface FeedUpdate {
  readonly entry: VisualizerLogEntry;
  /** Present when the state path changed (the context summary then matters to the page). */
  readonly context?: VisualizerContext;
}

/**
 * Create an inspection observer that calls `onUpdate` for each event the root machine processed.
 * @param initialPath The state path at attach time (later events are compared with it).
 */
export function createInspectionFeed(initialPath: string, onUpdate: (update: FeedUpdate) => void, now: () => number = Date.now): (event: InspectionEvent) => void {
  let path = initialPath;
  let seq = 0;
  return (inspection) => {
    if (inspection.type !== '@xstate.snapshot' || inspection.actorRef.sessionId !== inspection.rootId) return;
    const snapshot = inspection.snapshot as Partial<TaggedSnapshot> & { context?: ConnectionContext };
    if (snapshot.value === undefined || snapshot.context === undefined || typeof snapshot.hasTag !== 'function') return;
    const tagged = snapshot as TaggedSnapshot;
    const to = connectionStatePathOf(tagged);
    const entry: VisualizerLogEntry = {
      seq: ++seq,
      t: now(),
      event: eventLabel(inspection.event.type),
      from: path,
      to,
      state: connectionStateOf(tagged),
      machinePath: machinePathOf(snapshot.value),
      attempt: snapshot.context.attempt,
    };
    const changed = to !== path;
    path = to;
    onUpdate(changed ? { entry, context: summarizeContext(snapshot.context) } : { entry });
  };
}
