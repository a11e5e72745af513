/**
 * What the visualizer's server shows: a *source* is one live gateway (its timeline, frames, metrics,
 * and the commands it takes) or one loaded trace (the same views, frozen). The server only talks to
 * this interface, so a trace replays through exactly the code a live gateway goes through.
 *
 * A live source batches what it sends to pages (every `batchMs`, at most `maxBatch` entries and
 * frames per message; a page far behind loses the oldest, counted, never silently), so thousands of
 * transitions per second cost a page a handful of messages.
 * @module
 */
import { connectionMachine } from '../../machines/connection.machine.js';
import type { RelayGateway } from '../gateway/create-relay-gateway.js';
import type { GatewayMetrics } from '../gateway/create-relay-gateway.js';
import type { FrameTapEvent } from '../transport/frame-tap.js';
import { createFramesLane, type FrameRecord } from './frames-lane.js';
import { buildTrace, type Trace } from './trace.js';
import { VisualizerHistory } from './visualizer-history.js';
import { createInspectionFeed, summarizeContext, type RunningTimer, type TimelineEntry, type VisualizerContext } from './visualizer-feed.js';

/** Lifecycle commands a page may send (only with control on and the run's token). */
export const VISUALIZER_COMMANDS = ['reconnectNow', 'goIdle', 'stop'] as const;
/** One of {@link VISUALIZER_COMMANDS}. */
export type VisualizerCommand = (typeof VISUALIZER_COMMANDS)[number];

/** Everything a page needs when it (re)connects. */
export interface SourceSnapshot {
  readonly id: string;
  readonly name: string;
  /** A live gateway (true) or a loaded trace (false). */
  readonly live: boolean;
  readonly state: string;
  readonly statePath: string;
  readonly machinePath: string;
  readonly context: VisualizerContext | null;
  readonly metrics: GatewayMetrics | null;
  readonly timers: readonly RunningTimer[];
  readonly entries: readonly TimelineEntry[];
  readonly frames: readonly FrameRecord[];
  /** The server's clock, so a page can count timers down without trusting its own. */
  readonly now: number;
  /** Entries and frames dropped from batches under load since the source was attached. */
  readonly dropped: { readonly entries: number; readonly frames: number };
  /** Data frames not summarised because they came faster than `framesPerSecond`. */
  readonly framesSkipped: number;
  /** Whether message text is shown in the frames lane. */
  readonly showText: boolean;
  /** Why a trace exists (its `note`), or null. */
  readonly note: string | null;
}

/** What a page gets between snapshots. */
export interface SourceBatch {
  readonly entries: readonly TimelineEntry[];
  readonly frames: readonly FrameRecord[];
  readonly metrics?: GatewayMetrics;
  readonly now: number;
  /** Cut since the previous batch because pages were too far behind (see `maxBatch`). */
  readonly dropped: { readonly entries: number; readonly frames: number };
  /** Data frames not summarised so far (over `framesPerSecond`). */
  readonly framesSkipped: number;
}

/** A thing the visualizer shows. */
export interface VisualizerSource {
  readonly id: string;
  readonly name: string;
  readonly live: boolean;
  snapshot(): SourceSnapshot;
  /** Be sent batches while subscribed (nothing is queued for nobody). */
  subscribe(listener: (batch: SourceBatch) => void): () => void;
  /** The recording so far, as a trace file. */
  trace(): Trace;
  /** Run a lifecycle command (live sources only). */
  command?(command: VisualizerCommand): void;
  /** Detach from the gateway and stop every timer. Idempotent. */
  close(): void;
}

/** Options of {@link createGatewaySource}. */
export interface GatewaySourceOptions {
  readonly id: string;
  readonly name: string;
  /** Timeline entries kept. @default 500 */
  readonly historySize?: number;
  /** Frames kept. @default 500 */
  readonly framesSize?: number;
  /** Show message text in the frames lane. @default false */
  readonly showText?: boolean;
  /** How often pages get a batch, in ms. @default 50 */
  readonly batchMs?: number;
  /**
   * Most entries (and most frames) in one message; a burst goes out in several. Twenty times this
   * many wait for pages at most: beyond that (a page far behind) the oldest are cut and counted.
   * @default 500
   */
  readonly maxBatch?: number;
  /** How often pages get fresh metrics, in ms. @default 500 */
  readonly metricsIntervalMs?: number;
  /** Data frames summarised per second at most; the rest are counted (`framesSkipped`). @default 1000 */
  readonly framesPerSecond?: number;
  /** Structure hash of the drawing, written into traces. @default "" */
  readonly structureHash?: string;
  /** Wall clock. @default Date.now */
  readonly now?: () => number;
}

/** The live source of one gateway: attached to its machine and its socket until closed. */
export function createGatewaySource(gateway: RelayGateway, options: GatewaySourceOptions): VisualizerSource {
  const now = options.now ?? Date.now;
  const batchMs = options.batchMs ?? 50;
  const maxBatch = options.maxBatch ?? 500;
  const metricsIntervalMs = options.metricsIntervalMs ?? 500;
  const showText = options.showText ?? false;
  const entries = new VisualizerHistory<TimelineEntry>(options.historySize ?? 500);
  const frames = new VisualizerHistory<FrameRecord>(options.framesSize ?? 500);
  const listeners = new Set<(batch: SourceBatch) => void>();
  const pendingEntries: TimelineEntry[] = [];
  const pendingFrames: FrameRecord[] = [];
  let lastTimers: readonly RunningTimer[] = [];
  let lastMetricsAt = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  let metricsTimer: NodeJS.Timeout | undefined;
  let stopFrames: (() => void) | undefined;
  const dropped = { entries: 0, frames: 0 };
  // Cut since the last batch (reported in the next one).
  const cut = { entries: 0, frames: 0 };
  const maxPending = maxBatch * 20;
  const framesPerSecond = options.framesPerSecond ?? 1000;
  let framesSkipped = 0;
  let closed = false;

  const flush = (): void => {
    flushTimer = undefined;
    if (listeners.size === 0) {
      pendingEntries.length = 0;
      pendingFrames.length = 0;
      return;
    }
    // At most `maxBatch` of each per message; the rest follows at once in the next message.
    const e = pendingEntries.splice(0, maxBatch);
    const f = pendingFrames.splice(0, maxBatch);
    const t = now();
    // A state change usually moves counters too (dials, reconnects): send them along.
    const withMetrics = e.length > 0 || t - lastMetricsAt >= metricsIntervalMs;
    if (withMetrics) lastMetricsAt = t;
    const batch: SourceBatch = {
      entries: e,
      frames: f,
      ...(withMetrics ? { metrics: gateway.metrics() } : {}),
      now: t,
      dropped: { ...cut },
      framesSkipped,
    };
    cut.entries = 0;
    cut.frames = 0;
    for (const listener of listeners) listener(batch);
    if (pendingEntries.length > 0 || pendingFrames.length > 0) {
      flushTimer = setTimeout(flush, 0);
      flushTimer.unref();
    }
  };
  /**
   * Keep at most `maxPending` queued for pages (the oldest go first); what goes is counted. Trimmed
   * only once the queue is twice that long, so a page far behind costs O(1) per item, not a shift
   * of the whole queue per item.
   */
  const bound = <T>(queue: T[], kind: 'entries' | 'frames'): void => {
    if (queue.length <= maxPending * 2) return;
    const over = queue.length - maxPending;
    queue.splice(0, over);
    cut[kind] += over;
    dropped[kind] += over;
  };
  const scheduleFlush = (): void => {
    if (flushTimer || listeners.size === 0) return;
    flushTimer = setTimeout(flush, batchMs);
    flushTimer.unref();
  };

  const detachInspect = gateway.inspect(
    createInspectionFeed({ machine: connectionMachine, initial: { path: gateway.statePath, machinePath: gateway.machinePath, context: gateway.context }, now }, (entry) => {
      entries.push(entry);
      lastTimers = entry.timers;
      if (listeners.size === 0) return;
      pendingEntries.push(entry);
      bound(pendingEntries, 'entries');
      scheduleFlush();
    }),
  );

  // The lane is a sequence view for a person, not a packet capture: past `framesPerSecond` data
  // frames in a second, the rest of that second is counted, not summarised. Opens, closes, pings,
  // pongs, hello, descriptor and going idle always show. This bounds the cost at full throughput.
  let windowStart = 0;
  let windowFrames = 0;
  const overBudget = (event: FrameTapEvent): boolean => {
    if (event.kind === 'line') {
      if (event.line.startsWith('{"type":"hello"') || event.line.startsWith('{"type":"going_idle"')) return false;
    } else if (event.kind !== 'frame' || event.frame.type === 'descriptor' || event.frame.type === 'going_idle_ack') return false;
    const t = now();
    if (t - windowStart >= 1000) {
      windowStart = t;
      windowFrames = 0;
    }
    return ++windowFrames > framesPerSecond;
  };

  const startFrames = (): void => {
    if (stopFrames) return;
    const lane = createFramesLane({ showText, now });
    stopFrames = gateway.observeFrames((event) => {
      if (overBudget(event)) {
        framesSkipped++;
        return;
      }
      const record = lane(event);
      if (!record) return;
      frames.push(record);
      if (listeners.size === 0) return;
      pendingFrames.push(record);
      bound(pendingFrames, 'frames');
      scheduleFlush();
    });
  };

  // The frames lane records from the moment the visualizer is attached, so a page opened after a
  // problem still shows the frames that led to it. It is the only per-frame cost, and opt-in.
  startFrames();

  return {
    id: options.id,
    name: options.name,
    live: true,
    snapshot: () => ({
      id: options.id,
      name: options.name,
      live: true,
      state: gateway.state,
      statePath: gateway.statePath,
      machinePath: gateway.machinePath,
      context: summarizeContext(gateway.context),
      metrics: gateway.metrics(),
      timers: lastTimers,
      entries: entries.toArray(),
      frames: frames.toArray(),
      now: now(),
      dropped: { ...dropped },
      framesSkipped,
      showText,
      note: null,
    }),
    subscribe: (listener) => {
      listeners.add(listener);
      // Metrics change with traffic, not with machine events: a quiet gateway still gets fresh ones.
      metricsTimer ??= setInterval(scheduleFlush, metricsIntervalMs);
      metricsTimer.unref();
      return () => {
        listeners.delete(listener);
        if (listeners.size > 0) return;
        if (metricsTimer) clearInterval(metricsTimer);
        metricsTimer = undefined;
      };
    },
    trace: () =>
      buildTrace({
        source: { kind: 'gateway', name: options.name },
        machine: { id: connectionMachine.id, structureHash: options.structureHash ?? '' },
        entries: entries.toArray(),
        frames: frames.toArray(),
        now,
      }),
    command: (command) => {
      if (command === 'reconnectNow') gateway.reconnectNow();
      // Their outcome shows in the timeline; a rejection has nobody to go to here.
      else if (command === 'goIdle') gateway.goIdle().catch(() => undefined);
      else gateway.stop().catch(() => undefined);
    },
    close: () => {
      if (closed) return;
      closed = true;
      detachInspect();
      stopFrames?.();
      stopFrames = undefined;
      listeners.clear();
      if (flushTimer) clearTimeout(flushTimer);
      if (metricsTimer) clearInterval(metricsTimer);
      flushTimer = metricsTimer = undefined;
    },
  };
}

/** A source that replays a loaded trace: the same views, nothing live. */
export function createTraceSource(trace: Trace, id: string): VisualizerSource {
  const last = trace.entries[trace.entries.length - 1];
  return {
    id,
    name: `${trace.source.name} (trace)`,
    live: false,
    snapshot: () => ({
      id,
      name: `${trace.source.name} (trace)`,
      live: false,
      state: last?.state ?? 'idle',
      statePath: last?.to ?? 'idle',
      machinePath: last?.machinePath ?? 'running.idle',
      context: last?.context ?? null,
      metrics: null,
      timers: [],
      entries: trace.entries,
      frames: trace.frames,
      now: last?.t ?? Date.parse(trace.createdAt),
      dropped: { entries: 0, frames: 0 },
      framesSkipped: 0,
      showText: trace.frames.some((frame) => frame.text !== undefined),
      note: trace.note ?? null,
    }),
    subscribe: () => () => {},
    trace: () => trace,
    close: () => {},
  };
}
