/**
 * Paths for model-based testing, generated from the connection machine's graph with `xstate/graph`.
 * The per-state event list is built here (a user-supplied list replaces xstate's automatic one), with
 * payload variants so every guarded branch can be reached, and delayed transitions as
 * `xstate.after.*` events.
 */
import { createActor, fromCallback, SimulatedClock, type AnyStateNode, type AnyTransitionDefinition, type InspectionEvent } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { createConnectionMachine } from '../../machines/connection.machine.js';
import { connectionStatePathOf, type TaggedSnapshot } from '../../machines/public-state.js';
import type { ConnectionEvent, ConnectionSettings, SocketCommand, SocketInput } from '../../machines/connection.types.js';
import { descriptorFromPlatformEntry } from '../../src/protocol/descriptor.js';

/** A model event: a machine event or a delayed transition's internal event. */
export type ModelEvent = ConnectionEvent | { readonly type: `xstate.after.${string}` };

const DESCRIPTOR = descriptorFromPlatformEntry({ name: 'relay', label: 'Relay (dev connector)', max_message_length: 4096 });

/**
 * The events the flat oracle knows, with the payload variants guards care about (the differential
 * test and the ignore table's comparison use these).
 */
export const LEGACY_EVENT_VARIANTS: readonly ConnectionEvent[] = [
  { type: 'START' },
  { type: 'STOP' },
  { type: 'GO_IDLE' },
  { type: 'RECONNECT_NOW' },
  { type: 'SOCKET_OPEN' },
  { type: 'DIAL_FAILED', error: 'refused' },
  { type: 'DESCRIPTOR', descriptor: DESCRIPTOR },
  { type: 'HANDSHAKE_INVALID', error: 'invalid descriptor' },
  { type: 'SOCKET_CLOSED', code: 1006, reason: '' },
  { type: 'SOCKET_CLOSED', code: 4401, reason: 'unauthorized' },
  { type: 'SOCKET_CLOSED', code: 4401, reason: 'expired' },
  { type: 'GOING_IDLE_ACK' },
  { type: 'LINK_ALIVE', quietMs: 0 },
  { type: 'INTAKE_HIGH' },
  { type: 'INTAKE_DRAINED' },
];

/** Every event with the payload variants guards care about: the legacy ones, dormancy, the hold, the drain. */
export const EVENT_VARIANTS: readonly ConnectionEvent[] = [
  ...LEGACY_EVENT_VARIANTS,
  { type: 'STOP', drainMs: 300 },
  { type: 'GO_DORMANT' },
  { type: 'HOLD_REDIAL' },
  { type: 'RELEASE_REDIAL' },
  { type: 'DRAIN_DONE' },
];

function actionName(action: unknown): string | undefined {
  return typeof action === 'string' ? action : (action as { type?: string } | undefined)?.type;
}

/** True for the counted-and-ignored transitions (covered by the ignored-events test, not by paths). */
export function isIgnoreTransition(t: { target?: readonly unknown[] | undefined; actions: readonly unknown[] }): boolean {
  return t.target === undefined && t.actions.length === 1 && actionName(t.actions[0]) === 'countIgnoredEvent';
}

/** Machine for graph traversal: a socket actor that does nothing. */
export function graphMachine(settings: Partial<ConnectionSettings>) {
  const socket = fromCallback<SocketCommand, SocketInput>(() => undefined);
  return { machine: createConnectionMachine({ random: () => 1, now: () => 0 }).provide({ actors: { socket } }), input: { settings } };
}

/** The context fields guards depend on: part of a model state's identity. */
export interface GuardFlags {
  readonly handshakeSeen: boolean;
  readonly provisional: boolean;
  readonly stopping: boolean;
  readonly intake: 'open' | 'held';
  readonly dormant: boolean;
  readonly redialHeld: boolean;
  readonly idleIntent: 'idle' | 'dormant';
  readonly drained: boolean;
  readonly stopAcked: boolean;
  readonly idleAskUnanswered: boolean;
}

interface SnapshotLike extends TaggedSnapshot {
  readonly value: unknown;
  readonly status: string;
  readonly context: GuardFlags;
  readonly _nodes: readonly AnyStateNode[];
  readonly machine: { getTransitionData(snapshot: unknown, event: unknown): readonly AnyTransitionDefinition[] };
}

/** The guard-relevant flags of a snapshot's context. */
export function guardFlags(context: GuardFlags): GuardFlags {
  const { handshakeSeen, provisional, stopping, intake, dormant, redialHeld, idleIntent, drained, stopAcked, idleAskUnanswered } = context;
  return { handshakeSeen, provisional, stopping, intake, dormant, redialHeld, idleIntent, drained, stopAcked, idleAskUnanswered };
}

function runs(taken: readonly AnyTransitionDefinition[], action: string): boolean {
  return taken.some((t) => t.actions.some((a) => actionName(a) === action));
}

/**
 * Events that would only repeat what another edge of the same state already does, left out so the
 * graph stays small enough to search: a hold while a hold is in effect (repeated calls are one hold),
 * a release with nothing held (it clears nothing; in `held` the hold is always in effect), and a stop
 * with a drain where no drain can start (outside serving and going idle the payload is never read: it
 * is the plain stop's transition). Every transition they take is still taken by the edges kept.
 */
function isRepeat(event: ConnectionEvent, context: GuardFlags, taken: readonly AnyTransitionDefinition[]): boolean {
  if (event.type === 'HOLD_REDIAL') return context.redialHeld;
  if (event.type === 'RELEASE_REDIAL') return !context.redialHeld;
  if (event.type === 'STOP' && event.drainMs) return !runs(taken, 'beginStop');
  return false;
}

/**
 * Events that do something in the snapshot (final states excluded): the transition the machine would
 * take, guards evaluated, is not one that only counts the event as ignored.
 */
export function meaningfulEvents(snapshot: SnapshotLike, variants: readonly ConnectionEvent[] = EVENT_VARIANTS): ModelEvent[] {
  if (snapshot.status !== 'active') return [];
  const events: ModelEvent[] = [];
  for (const event of variants) {
    const taken = snapshot.machine.getTransitionData(snapshot, event);
    if (taken.length === 0 || taken.every((t) => isIgnoreTransition(t))) continue;
    if (isRepeat(event, snapshot.context, taken)) continue;
    events.push(event);
  }
  for (const node of snapshot._nodes) for (const t of node.after) events.push({ type: t.eventType as `xstate.after.${string}` });
  return events;
}

/** A readable name for an event, including the payload that matters to guards. */
export function eventLabel(event: ModelEvent): string {
  if (event.type === 'SOCKET_CLOSED' && 'code' in event) return `SOCKET_CLOSED(${event.code}${event.reason ? ` ${event.reason}` : ''})`;
  if (event.type === 'STOP' && 'drainMs' in event && event.drainMs) return 'STOP(draining)';
  if (event.type.startsWith('xstate.after.')) return `after ${event.type.split('.')[2]}`;
  return event.type;
}

/** A snapshot's public state path (`serving.live`): unique for every state a snapshot can rest in. */
export function statePath(snapshot: TaggedSnapshot): string {
  return connectionStatePathOf(snapshot);
}

function stateKey(snapshot: SnapshotLike): string {
  const { handshakeSeen, provisional, stopping, intake, dormant, redialHeld, idleIntent, drained, stopAcked, idleAskUnanswered } = snapshot.context;
  return (
    `${statePath(snapshot)}${handshakeSeen ? ' hs' : ''}${provisional ? ' prov' : ''}${stopping ? ' stopping' : ''}${intake === 'held' ? ' held' : ''}` +
    `${dormant ? ' dormant' : ''}${redialHeld ? ' hold' : ''}${idleIntent === 'dormant' ? ' to-dormant' : ''}${drained ? '' : ' draining'}` +
    `${stopping && stopAcked ? ' acked' : ''}${idleAskUnanswered ? ' ask-unanswered' : ''}`
  );
}

/** One generated path: the events to replay and the state (path + guard-relevant flags) after each. */
export interface ModelPath {
  readonly name: string;
  readonly steps: ReadonlyArray<{ readonly event: ModelEvent; readonly state: string; readonly flags: GuardFlags }>;
}

/** The branches a transition belongs to: its event's list on its source, or the source's `always` list. */
function branchesOf(t: AnyTransitionDefinition): readonly AnyTransitionDefinition[] {
  const always = t.source.always ?? [];
  return always.includes(t) ? always : (t.source.transitions.get(t.eventType) ?? []);
}

/**
 * Stable name of a machine transition: source state, event (`always` for a choice state's eventless
 * branches), and its index among that event's branches.
 */
export function transitionKey(t: AnyTransitionDefinition): string {
  const branches = branchesOf(t);
  const always = (t.source.always ?? []).includes(t);
  return `${t.source.id} ${always ? 'always' : t.eventType} #${branches.indexOf(t)}`;
}

/** Every transition of the machine that does more than count an ignored event, choice branches included. */
export function allTransitions(root: AnyStateNode): Set<string> {
  const keys = new Set<string>();
  const walk = (node: AnyStateNode): void => {
    for (const branches of node.transitions.values()) for (const t of branches) if (!isIgnoreTransition(t)) keys.add(transitionKey(t));
    for (const t of node.always ?? []) keys.add(transitionKey(t));
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(root);
  return keys;
}

/**
 * The guarded branches: every branch of a transition that has a guard, or that is the fallback of
 * branches that do (what is left when every guard before it fails). Their coverage shows that each
 * outcome of each condition was taken, not only each arrow. A fallback that only counts the event as
 * ignored is left out: the ignored-events test checks those in every state and guard context.
 */
export function guardedBranches(root: AnyStateNode): Set<string> {
  const keys = new Set<string>();
  const walk = (node: AnyStateNode): void => {
    const lists = [...node.transitions.values(), ...(node.always ? [node.always] : [])];
    for (const branches of lists) {
      if (!branches.some((t) => t.guard)) continue;
      for (const t of branches) if (!isIgnoreTransition(t)) keys.add(transitionKey(t));
    }
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(root);
  return keys;
}

/** Every state node id of the machine (compound and atomic). */
export function allStateIds(root: AnyStateNode): Set<string> {
  const ids = new Set<string>();
  const walk = (node: AnyStateNode): void => {
    for (const child of Object.values(node.states)) {
      ids.add(child.id);
      walk(child);
    }
  };
  walk(root);
  return ids;
}

/**
 * Records the transitions and states actors go through, from their inspection events, and the
 * sequence of transition keys of each actor (one key per microstep, ignore transitions left out: an
 * event into a choice state is two keys, its own and the `always` branch), from which the pairs of
 * consecutive transitions are read.
 */
export class CoverageRecorder {
  readonly transitions = new Set<string>();
  readonly states = new Set<string>();
  /** Transition keys in the order each actor took them, by the actor's session id. */
  readonly sequences = new Map<string, string[]>();

  /** Pass as the actor's `inspect` option. */
  readonly inspect = (event: InspectionEvent): void => {
    if (event.type !== '@xstate.microstep') return;
    const microstep = event as InspectionEvent & { _transitions?: AnyTransitionDefinition[]; snapshot: { _nodes?: AnyStateNode[] } };
    const actor = event.actorRef.sessionId;
    for (const t of microstep._transitions ?? []) {
      if (isIgnoreTransition(t)) continue;
      const key = transitionKey(t);
      this.transitions.add(key);
      let sequence = this.sequences.get(actor);
      if (!sequence) this.sequences.set(actor, (sequence = []));
      sequence.push(key);
    }
    for (const node of microstep.snapshot._nodes ?? []) if (node.parent) this.states.add(node.id);
  };

  /** Every pair of consecutive transitions some actor took, as `t1 => t2`. */
  pairs(): Set<string> {
    const pairs = new Set<string>();
    for (const sequence of this.sequences.values()) for (let i = 1; i < sequence.length; i++) pairs.add(`${sequence[i - 1]} => ${sequence[i]}`);
    return pairs;
  }
}

/** Replay a path on the pure machine and return the transitions it takes. */
export function transitionsOf(path: ModelPath, settings: Partial<ConnectionSettings>): Set<string> {
  const { machine, input } = graphMachine(settings);
  const recorder = new CoverageRecorder();
  const actor = createActor(machine, { input, inspect: recorder.inspect });
  actor.start();
  for (const step of path.steps) actor.send(step.event as ConnectionEvent);
  actor.stop();
  return recorder.transitions;
}

/**
 * A path given by its event labels (as {@link eventLabel} writes them: `GO_DORMANT`, `after
 * dormantWait`, `STOP(draining)`), with the state and flags after each step from the pure machine: a
 * scenario the shortest paths cannot contain, such as a state visited twice with the same flags (the
 * dormant wait after a failed dormant dial). Throws when a label is not an edge of the state reached.
 */
export function pathFromLabels(settings: Partial<ConnectionSettings>, labels: readonly string[]): ModelPath {
  const { machine, input } = graphMachine(settings);
  // A simulated clock that never advances: delayed transitions happen only as the path's own steps.
  const actor = createActor(machine, { input, clock: new SimulatedClock() });
  actor.start();
  const steps: Array<ModelPath['steps'][number]> = [];
  try {
    for (const label of labels) {
      const snapshot = actor.getSnapshot() as unknown as SnapshotLike;
      const event = meaningfulEvents(snapshot).find((candidate) => eventLabel(candidate) === label);
      if (!event) throw new Error(`pathFromLabels: no edge "${label}" from ${stateKey(snapshot)} (after ${labels.slice(0, steps.length).join(', ') || 'nothing'})`);
      actor.send(event as ConnectionEvent);
      const next = actor.getSnapshot() as unknown as SnapshotLike;
      steps.push({ event, state: statePath(next), flags: guardFlags(next.context) });
    }
  } finally {
    actor.stop();
  }
  return { name: steps.map((s) => `${eventLabel(s.event)} -> ${s.state}`).join(', '), steps };
}

/** Greedy set cover: the fewest paths (roughly) that together take every transition the full set takes. */
export function selectCoveringPaths(paths: readonly ModelPath[], settings: Partial<ConnectionSettings>): ModelPath[] {
  const covers = paths.map((path) => ({ path, keys: transitionsOf(path, settings) }));
  const uncovered = new Set(covers.flatMap((c) => [...c.keys]));
  const chosen: ModelPath[] = [];
  while (uncovered.size > 0) {
    let best = covers[0];
    let bestGain = -1;
    for (const candidate of covers) {
      let gain = 0;
      for (const key of candidate.keys) if (uncovered.has(key)) gain++;
      // Prefer more new transitions, then shorter paths (less real time to run).
      if (gain > bestGain || (gain === bestGain && best && candidate.path.steps.length < best.path.steps.length)) {
        best = candidate;
        bestGain = gain;
      }
    }
    if (!best || bestGain <= 0) break;
    chosen.push(best.path);
    for (const key of best.keys) uncovered.delete(key);
  }
  return chosen;
}

/** Options of the traversal shared by both path generators. */
function traversal(settings: Partial<ConnectionSettings>) {
  const { machine, input } = graphMachine(settings);
  return { machine, input };
}

function toModelPath(path: { steps: ReadonlyArray<{ event: unknown; state: unknown }> }): ModelPath {
  const steps = path.steps.slice(1).map((step) => {
    const snapshot = step.state as SnapshotLike;
    return { event: step.event as ModelEvent, state: statePath(snapshot), flags: guardFlags(snapshot.context) };
  });
  return { name: steps.map((s) => `${eventLabel(s.event)} -> ${s.state}`).join(', ') || '(initial)', steps };
}

/** Shortest paths to every (state, incoming edge) pair: "via EVENT from PREV" makes each edge its own vertex. */
export function shortestPaths(settings: Partial<ConnectionSettings>): ModelPath[] {
  const { machine, input } = traversal(settings);
  /* eslint-disable @typescript-eslint/no-explicit-any -- xstate/graph's generics do not fit a provided machine */
  return getShortestPaths(machine as any, {
    input,
    events: (snapshot: unknown) => meaningfulEvents(snapshot as SnapshotLike),
    serializeState: (snapshot: unknown, event: unknown, prev: unknown) =>
      `${stateKey(snapshot as SnapshotLike)} via ${event ? eventLabel(event as ModelEvent) : 'init'} from ${prev ? stateKey(prev as SnapshotLike) : '-'}`,
  } as any)
    .map(toModelPath)
    .filter((p) => p.steps.length > 0);
}

/**
 * The `count` shortest simple paths (no state, with its guard flags, visited twice) into the state
 * `target`, passing through the state `through` when given. A breadth-first search over the
 * adjacency map that stops at the first length that yields `count` paths: xstate's `getSimplePaths`
 * enumerates every simple path of the graph once per vertex before filtering, which took minutes
 * (and does not finish with dormancy, the hold and the drain in the graph).
 */
export function simplePathsTo(settings: Partial<ConnectionSettings>, target: string, count: number, through?: string): ModelPath[] {
  if (count <= 0) return [];
  const { machine, input } = traversal(settings);
  const isTarget = (snapshot: unknown): boolean => statePath(snapshot as SnapshotLike) === target;
  const key = (snapshot: unknown): string => stateKey(snapshot as SnapshotLike);
  const adjacency = getAdjacencyMap(machine as any, {
    input,
    events: (snapshot: unknown) => meaningfulEvents(snapshot as SnapshotLike),
    serializeState: key,
    toState: isTarget,
  } as any) as Record<string, { state: unknown; transitions: Record<string, { event: unknown; state: unknown }> }>;
  /* eslint-enable @typescript-eslint/no-explicit-any */
  const initial = Object.keys(adjacency)[0]!;
  type Prefix = { readonly at: string; readonly seen: ReadonlySet<string>; readonly steps: ReadonlyArray<{ event: unknown; state: unknown }> };
  let frontier: Prefix[] = [{ at: initial, seen: new Set([initial]), steps: [{ event: { type: 'xstate.init' }, state: adjacency[initial]!.state }] }];
  const found: ModelPath[] = [];
  while (frontier.length > 0 && found.length < count) {
    const next: Prefix[] = [];
    for (const partial of frontier) {
      for (const { event, state } of Object.values(adjacency[partial.at]?.transitions ?? {})) {
        const at = key(state);
        if (partial.seen.has(at)) continue;
        const steps = [...partial.steps, { event, state }];
        if (!isTarget(state)) next.push({ at, seen: new Set([...partial.seen, at]), steps });
        else if (through === undefined || steps.some((step) => statePath(step.state as SnapshotLike) === through)) found.push(toModelPath({ steps }));
      }
    }
    frontier = next;
  }
  return found.slice(0, count);
}
