/**
 * Turns the connection machine's inspection events into the visualizer's timeline: one entry per
 * event the root machine processed, with the transitions that fired (microsteps included, so a
 * close followed by the `linkDown` choice shows both arrows), the guards tried and their results,
 * the context after the step and what changed, and the `after` timers then running.
 *
 * The machine only sees control-plane events (frames never pass through it), so this costs nothing
 * on the data plane; and nothing at all unless a visualizer or recorder is attached.
 * @module
 */
import type { AnyStateMachine, AnyStateNode, InspectionEvent } from 'xstate';
import type { ConnectionContext } from '../../machines/connection.types.js';
import { connectionStateOf, connectionStatePathOf, machinePathOf, type TaggedSnapshot } from '../../machines/public-state.js';
import { guardText, isCountedIgnore } from '../diagrams/machine-graph.js';

/** What the page shows of the machine's context: serialisable and free of secrets. */
export interface VisualizerContext {
  readonly attempt: number;
  readonly dials: number;
  readonly handshakes: number;
  readonly handshakeSeen: boolean;
  readonly provisional: boolean;
  readonly backoffMs: number;
  readonly nextRetryAt: number | null;
  readonly servingSince: number | null;
  readonly lastClose: { readonly code: number; readonly reason: string } | null;
  readonly lastError: string | null;
  readonly descriptor: { readonly platform: string; readonly label: string; readonly maxMessageLength: number; readonly contractVersion: number } | null;
  readonly stopping: boolean;
  readonly intake: string;
  readonly intakeAcks: number;
  readonly replayRedials: number;
  readonly idleAcks: number;
  readonly ignoredEvents: number;
  readonly disabledReason: string | null;
  readonly reconnect: boolean;
}

/** One transition taken in a step. */
export interface FiredTransition {
  /** Machine path of the state that owns the transition. */
  readonly source: string;
  /** Machine path of its target, or null for a transition that only runs actions. */
  readonly target: string | null;
  /** `SOCKET_CLOSED`, `after backoff`, `[reconnectEnabled]`, `else`, or `ignored` (counted). */
  readonly label: string;
}

/** One guard evaluated in a step, in the order XState tried it. */
export interface GuardTried {
  /** Machine path of the state whose transition it guards. */
  readonly state: string;
  readonly guard: string;
  readonly result: boolean;
}

/** An `after` timer running once the step is over. */
export interface RunningTimer {
  /** Machine path of the state that runs it. */
  readonly state: string;
  /** Delay name, e.g. `backoff`. */
  readonly delay: string;
  /** When it fires (ms since epoch). */
  readonly dueAt: number;
}

/** One entry of the timeline. */
export interface TimelineEntry {
  /** Sequence number, from 1, so a page can tell what it already has. */
  readonly seq: number;
  /** When it happened (ms since epoch). */
  readonly t: number;
  /** Readable event: `SOCKET_CLOSED`, `after backoff`, ... */
  readonly event: string;
  /** Public state path before, e.g. `serving.live` (see `gateway.statePath`). */
  readonly from: string;
  /** Public state path after (same as `from` when the event changed nothing but context). */
  readonly to: string;
  /** Public state after, e.g. `serving`. */
  readonly state: string;
  /** The machine's full state path after, e.g. `running.link.open.serving.live` (the drawing's boxes). */
  readonly machinePath: string;
  readonly fired: readonly FiredTransition[];
  readonly guards: readonly GuardTried[];
  readonly context: VisualizerContext;
  /** Context fields that differ from the previous entry. */
  readonly changed: readonly string[];
  readonly timers: readonly RunningTimer[];
}

const AFTER_PREFIX = 'xstate.after.';

/** Readable event name: `xstate.after.backoff.connection.running.reconnecting` becomes `after backoff`. */
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
    handshakeSeen: context.handshakeSeen,
    provisional: context.provisional,
    backoffMs: context.backoffMs,
    nextRetryAt: context.nextRetryAt,
    servingSince: context.servingSince,
    lastClose: context.lastClose ? { code: context.lastClose.code, reason: context.lastClose.reason } : null,
    lastError: context.lastError,
    descriptor: descriptor
      ? { platform: descriptor.platform, label: descriptor.label, maxMessageLength: descriptor.max_message_length, contractVersion: descriptor.contract_version }
      : null,
    stopping: context.stopping,
    intake: context.intake,
    intakeAcks: context.intakeAcks,
    replayRedials: context.replayRedials,
    idleAcks: context.idleAcks,
    ignoredEvents: context.ignoredEvents,
    disabledReason: context.disabledReason,
    reconnect: context.settings.reconnect,
  };
}

/** Names of the fields of `after` that differ from `before`. */
export function changedFields(before: VisualizerContext | null, after: VisualizerContext): string[] {
  if (!before) return [];
  return (Object.keys(after) as Array<keyof VisualizerContext>).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

/** The part of XState's transition definition this module reads. */
interface TransitionDefinitionLike {
  readonly source: AnyStateNode;
  readonly target?: readonly AnyStateNode[] | undefined;
  readonly eventType: string;
  readonly guard?: unknown;
  readonly actions?: readonly unknown[];
}

const pathOf = (node: AnyStateNode): string => node.path.join('.');

function labelOf(transition: TransitionDefinitionLike, always: readonly TransitionDefinitionLike[]): string {
  if (isCountedIgnore(transition)) return 'ignored';
  const guard = guardText(transition.guard);
  if (always.includes(transition)) return guard ? `[${guard}]` : always.length > 1 ? 'else' : 'always';
  const head = eventLabel(transition.eventType);
  return guard ? `${head} [${guard}]` : head;
}

/** The guards XState evaluated to pick `taken`: every guarded candidate before it failed, its own passed. */
export function guardsTried(taken: TransitionDefinitionLike): GuardTried[] {
  const node = taken.source;
  const always = (node.always ?? []) as readonly TransitionDefinitionLike[];
  const candidates = always.includes(taken) ? always : ((node.transitions.get(taken.eventType) ?? []) as readonly TransitionDefinitionLike[]);
  const tried: GuardTried[] = [];
  for (const candidate of candidates) {
    const guard = guardText(candidate.guard);
    if (guard) tried.push({ state: pathOf(node), guard, result: candidate === taken });
    if (candidate === taken) break;
  }
  return tried;
}

/** State nodes of a configuration given by its machine path (`running.link.open.serving.live`). */
function activeNodes(machine: AnyStateMachine, machinePath: string): AnyStateNode[] {
  const nodes: AnyStateNode[] = [];
  let node: AnyStateNode | undefined = machine.root;
  for (const key of machinePath.split('.')) {
    node = node?.states[key];
    if (!node) break;
    nodes.push(node);
  }
  return nodes;
}

type DelayFunction = (args: { context: unknown; event: unknown }, params: unknown) => number;

/** Options of {@link createInspectionFeed}. */
export interface InspectionFeedOptions {
  /** The machine the inspected actor runs (its state nodes and delays). */
  readonly machine: AnyStateMachine;
  /** Public and machine paths and context at attach time. */
  readonly initial: { readonly path: string; readonly machinePath: string; readonly context: ConnectionContext };
  /** Wall clock. @default Date.now */
  readonly now?: () => number;
}

/**
 * Create an inspection observer that calls `onEntry` once per event the root machine processed.
 * Socket child actors are ignored; only the root's microsteps and snapshots count.
 */
export function createInspectionFeed(options: InspectionFeedOptions, onEntry: (entry: TimelineEntry) => void): (event: InspectionEvent) => void {
  const { machine } = options;
  const now = options.now ?? Date.now;
  const delays = (machine.implementations.delays ?? {}) as Record<string, DelayFunction | number | undefined>;
  let path = options.initial.path;
  let seq = 0;
  let previousContext: VisualizerContext | null = summarizeContext(options.initial.context);
  let active = new Set(activeNodes(machine, options.initial.machinePath).map(pathOf));
  // When each active state was entered: its `after` timers count from there.
  const enteredAt = new Map<string, number>([...active].map((p) => [p, now()]));
  let pending: TransitionDefinitionLike[] = [];

  const timersOf = (nodes: readonly AnyStateNode[], context: ConnectionContext, event: unknown): RunningTimer[] => {
    const timers: RunningTimer[] = [];
    for (const node of nodes) {
      const after = (node.config as { after?: Record<string, unknown> }).after;
      if (!after) continue;
      for (const delay of Object.keys(after)) {
        const implementation = delays[delay];
        const ms = typeof implementation === 'function' ? implementation({ context, event }, undefined) : typeof implementation === 'number' ? implementation : Number(delay);
        if (!Number.isFinite(ms)) continue;
        timers.push({ state: pathOf(node), delay, dueAt: (enteredAt.get(pathOf(node)) ?? now()) + ms });
      }
    }
    return timers;
  };

  return (inspection) => {
    if (inspection.actorRef.sessionId !== inspection.rootId) return;
    if (inspection.type === '@xstate.microstep') {
      pending.push(...(inspection._transitions as unknown as TransitionDefinitionLike[]));
      return;
    }
    if (inspection.type !== '@xstate.snapshot') return;
    const snapshot = inspection.snapshot as Partial<TaggedSnapshot> & { context?: ConnectionContext; status?: string };
    if (snapshot.value === undefined || snapshot.context === undefined || typeof snapshot.hasTag !== 'function') return;
    const tagged = snapshot as TaggedSnapshot;
    const transitions = pending;
    pending = [];
    const t = now();
    const machinePath = machinePathOf(snapshot.value);
    const nodes = activeNodes(machine, machinePath);
    const next = new Set(nodes.map(pathOf));
    // Entered: newly active, or re-entered because a transition targeted it or an ancestor.
    const targets = transitions.flatMap((transition) => (transition.target ?? []).map(pathOf));
    for (const node of nodes) {
      const p = pathOf(node);
      if (!active.has(p) || targets.some((target) => p === target || p.startsWith(`${target}.`))) enteredAt.set(p, t);
    }
    for (const p of [...enteredAt.keys()]) if (!next.has(p)) enteredAt.delete(p);
    active = next;

    const context = summarizeContext(snapshot.context);
    const to = connectionStatePathOf(tagged);
    const entry: TimelineEntry = {
      seq: ++seq,
      t,
      event: eventLabel(inspection.event.type),
      from: path,
      to,
      state: connectionStateOf(tagged),
      machinePath,
      fired: transitions.map((transition) => ({
        source: pathOf(transition.source),
        target: transition.target && transition.target.length > 0 ? pathOf(transition.target[0]!) : null,
        label: labelOf(transition, (transition.source.always ?? []) as readonly TransitionDefinitionLike[]),
      })),
      guards: transitions.flatMap(guardsTried),
      context,
      changed: changedFields(previousContext, context),
      timers: snapshot.status === 'active' ? timersOf(nodes, snapshot.context, inspection.event) : [],
    };
    previousContext = context;
    path = to;
    onEntry(entry);
  };
}
