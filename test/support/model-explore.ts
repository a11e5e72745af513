/**
 * The connection machine's model graph with the transitions of every edge: a breadth-first search
 * over model states (public state path + guard flags, as the model test uses them), where each
 * edge records the transition keys it takes (the event's transition, then a choice state's
 * `always` branch when it leads into one). Transition pairs, and the sneak-path matrix's
 * predictions, are read from it.
 *
 * How a step counts: a step's keys are the microsteps it takes, in order, as {@link CoverageRecorder}
 * sees them (ignore transitions left out). An event into the choice state `linkDown` takes two
 * (`… SOCKET_CLOSED #0`, then `connection.running.linkDown always #n`), and so does an ack or a
 * drain in `stopping` that makes the stop ready (the event's transition, then `stopping always #0`).
 * Each microstep is one transition of the sequence, so such a step makes a pair of its own
 * (event transition, always branch), and the next step pairs with the always branch.
 * @module
 */
import { createActor, SimulatedClock, type AnyStateNode, type AnyTransitionDefinition, type InspectionEvent } from 'xstate';
import type { ConnectionEvent, ConnectionSettings } from '../../machines/connection.types.js';
import {
  EVENT_VARIANTS,
  eventLabel,
  graphMachine,
  guardFlags,
  isIgnoreTransition,
  meaningfulEvents,
  statePath,
  transitionKey,
  type GuardFlags,
  type ModelEvent,
  type ModelPath,
} from './model-graph.js';

/** What a pure actor looks like to the exploration (the fields read off its snapshot). */
interface Snapshot {
  readonly value: unknown;
  readonly status: string;
  readonly context: GuardFlags & { readonly ignoredEvents: number };
  readonly _nodes: readonly AnyStateNode[];
  readonly machine: { getTransitionData(snapshot: unknown, event: unknown): readonly AnyTransitionDefinition[] };
  hasTag(tag: string): boolean;
}

/** One model state: where it rests, and the shortest way there. */
export interface ModelState {
  /** `statePath` + the guard flags, as text (unique per model state). */
  readonly key: string;
  readonly path: string;
  readonly flags: GuardFlags;
  /** `active`, or `done` for the final states. */
  readonly status: string;
  /** The shortest event sequence from the initial state (breadth-first). */
  readonly prefix: readonly ModelEvent[];
}

/** One step of the pure machine from a model state. */
export interface ModelEdge {
  readonly from: string;
  readonly event: ModelEvent;
  /** Transition keys taken, in order (ignore transitions left out; empty when the event is ignored). */
  readonly keys: readonly string[];
  readonly to: string;
  /** Whether the event only counted as ignored (`context.ignoredEvents` grew, nothing else). */
  readonly ignored: boolean;
}

/** The explored graph of one configuration. */
export interface ModelGraph {
  readonly settings: Partial<ConnectionSettings>;
  readonly states: ReadonlyMap<string, ModelState>;
  /** The edges of {@link meaningfulEvents} (delayed transitions included), by source state. */
  readonly edges: ReadonlyMap<string, readonly ModelEdge[]>;
}

/** The key of a model state: its public state path and guard flags. */
export function modelStateKey(path: string, flags: GuardFlags): string {
  return `${path} ${JSON.stringify(flags)}`;
}

/** Records the non-ignore transition keys of an actor's microsteps, in order. */
function keyCollector(): { keys: string[]; inspect: (event: InspectionEvent) => void } {
  const keys: string[] = [];
  return {
    keys,
    inspect: (event) => {
      if (event.type !== '@xstate.microstep') return;
      const transitions = (event as InspectionEvent & { _transitions?: AnyTransitionDefinition[] })._transitions ?? [];
      for (const t of transitions) if (!isIgnoreTransition(t)) keys.push(transitionKey(t));
    },
  };
}

/** A pure actor (do-nothing socket, clock that never advances) after `events`. */
function pureActor(settings: Partial<ConnectionSettings>, events: readonly ModelEvent[]) {
  const { machine, input } = graphMachine(settings);
  const collector = keyCollector();
  const actor = createActor(machine, { input, clock: new SimulatedClock(), inspect: collector.inspect });
  actor.start();
  for (const event of events) actor.send(event as ConnectionEvent);
  return { actor, collector, snapshot: (): Snapshot => actor.getSnapshot() };
}

/** Where a pure actor rests, as a model state key. */
function keyOf(snapshot: Snapshot): string {
  return modelStateKey(statePath(snapshot), guardFlags(snapshot.context));
}

/**
 * What `event` does in the model state reached by `prefix`: the keys taken, where it ends, whether
 * it was only counted as ignored.
 */
export function predict(settings: Partial<ConnectionSettings>, prefix: readonly ModelEvent[], event: ModelEvent): ModelEdge & { readonly state: ModelState } {
  const { actor, collector, snapshot } = pureActor(settings, prefix);
  try {
    const before = snapshot();
    const from = keyOf(before);
    collector.keys.length = 0;
    actor.send(event as ConnectionEvent);
    const after = snapshot();
    const to = keyOf(after);
    const ignored = collector.keys.length === 0 && after.context.ignoredEvents === before.context.ignoredEvents + 1;
    const state: ModelState = { key: to, path: statePath(after), flags: guardFlags(after.context), status: after.status, prefix: [...prefix, event] };
    return { from, event, keys: [...collector.keys], to, ignored, state };
  } finally {
    actor.stop();
  }
}

/**
 * Which order real time fires serving's two clocks in (the stable-serving mark from serving's entry;
 * the ping, then the pong wait, from `live`'s): the graph fires them in any order, a real run in the
 * one its timings make. `stableFirst`: the mark comes before the first ping (the model test's
 * timings, 600 ms and 1 s); `stableAfterPing`: it comes while the first ping waits for its pong;
 * `noStable`: it never comes. {@link PROFILE_STABLE_MS} gives the `stableMs` of each.
 */
export type ServingProfile = 'stableFirst' | 'stableAfterPing' | 'noStable';

/** The graph as drawn, every timer in any order and every stimulus anywhere: what the pairs are counted against. */
export type GraphProfile = ServingProfile | 'graph';

/** `backoff.stableMs` of each profile with a 1 s ping interval and a 400 ms pong wait. */
export const PROFILE_STABLE_MS: Readonly<Record<ServingProfile, number>> = { stableFirst: 600, stableAfterPing: 1200, noStable: 60_000 };

/** What real time has done since serving (and stopping) was entered: what decides the timers allowed next. */
interface TimerPhase {
  readonly stable: boolean;
  readonly pings: number;
  /** Delayed events of `stopping` that fired since it was entered (a timer fires once per entry). */
  readonly stopTimers: readonly string[];
  /** Entered `stopping` with nothing to drain: its zero-length drain grace fires at once, first. */
  readonly zeroGrace: boolean;
  /**
   * The connector sent something on this link since the keepalive's last check (the handshake, or
   * the last ping due): the next ping due finds the link alive at once (socket-actor.ts).
   */
  readonly traffic: boolean;
  /** A ping came due after traffic: the socket reports the link alive before anything else happens. */
  readonly forcedAlive: boolean;
}

const NO_PHASE: TimerPhase = { stable: false, pings: 0, stopTimers: [], zeroGrace: false, traffic: false, forcedAlive: false };

/** Events whose real stimulus is a frame from the connector (traffic on the link). */
const TRAFFIC: ReadonlySet<string> = new Set(['INTAKE_HIGH', 'GOING_IDLE_ACK', 'LINK_ALIVE', 'DRAIN_DONE']);

function timerName(event: ModelEvent): string | undefined {
  return event.type.startsWith('xstate.after.') ? event.type.split('.')[2] : undefined;
}

/** Whether real time can fire `event` next (anything that is not a timer always can). */
function timerAllowed(event: ModelEvent, phase: TimerPhase, profile: GraphProfile, fromPath: string): boolean {
  if (profile === 'graph') return true;
  const timer = timerName(event);
  // A ping due after traffic finds the link alive at once, and then (the quiet already a whole
  // interval long) the next ping is due at once or within a few ms, racing the plan's next step: real
  // time takes such a ping only in an order no plan can fix, so plans wait for pings after quiet only.
  if (timer === 'pingDelay' && phase.traffic) return false;
  if (phase.forcedAlive) return event.type === 'LINK_ALIVE';
  // While a ping is out, any frame from the connector proves the link alive first.
  if (fromPath === 'serving.awaitingPong' && (event.type === 'INTAKE_HIGH' || event.type === 'GOING_IDLE_ACK')) return false;
  if (phase.zeroGrace && !phase.stopTimers.includes('drainGrace')) return timer === 'drainGrace';
  if (timer === undefined) return true;
  if (timer === 'drainGrace' || timer === 'stopGoIdleTimeout') return !phase.stopTimers.includes(timer);
  if (timer === 'stableServing') return !phase.stable && (profile === 'stableFirst' ? phase.pings === 0 : profile === 'stableAfterPing' ? phase.pings === 1 : false);
  if (timer === 'pingDelay') return profile === 'noStable' || phase.stable || (profile === 'stableAfterPing' && phase.pings === 0);
  if (timer === 'pongTimeout') return profile === 'noStable' || phase.stable;
  return true;
}

function nextPhase(phase: TimerPhase, event: ModelEvent, fromFlags: GuardFlags, toPath: string, toFlags: GuardFlags): TimerPhase {
  const timer = timerName(event);
  const serving = toPath.startsWith('serving');
  const stopping = toPath === 'goingIdle.stopping';
  const wasStopping = phase.stopTimers.length > 0 || phase.zeroGrace || event.type === 'STOP';
  return {
    stable: serving && (phase.stable || timer === 'stableServing'),
    // Counted to 2: only none, one and more than one tell the profiles' orders apart.
    pings: serving ? Math.min(2, phase.pings + (timer === 'pingDelay' ? 1 : 0)) : 0,
    stopTimers: stopping && timer !== undefined ? [...new Set([...phase.stopTimers, timer])].sort() : stopping ? phase.stopTimers : [],
    zeroGrace: stopping && (event.type === 'STOP' ? toFlags.drained : wasStopping && phase.zeroGrace),
    // A repeated INTAKE_HIGH (intake already held) and a forced LINK_ALIVE are no frame from the connector.
    traffic:
      event.type === 'DESCRIPTOR' || timer === 'pingDelay'
        ? false
        : TRAFFIC.has(event.type) && !(event.type === 'INTAKE_HIGH' && fromFlags.intake === 'held') && !(event.type === 'LINK_ALIVE' && phase.forcedAlive)
          ? true
          : phase.traffic,
    forcedAlive: timer === 'pingDelay' && phase.traffic,
  };
}

/** What each event of {@link meaningfulEvents} does from a model state (by settings and state): the same for every profile. */
const stepMemo = new Map<string, Array<{ edge: ModelEdge; reached: ModelState }>>();

function stepsFrom(settings: Partial<ConnectionSettings>, state: ModelState): Array<{ edge: ModelEdge; reached: ModelState }> {
  const memoKey = `${JSON.stringify(settings)} ${modelStateKey(state.path, state.flags)}`;
  const known = stepMemo.get(memoKey);
  if (known) return known;
  const probe = pureActor(settings, state.prefix);
  const events = meaningfulEvents(probe.snapshot());
  probe.actor.stop();
  const steps = events.map((event) => {
    const { state: reached, ...edge } = predict(settings, state.prefix, event);
    return { edge, reached };
  });
  stepMemo.set(memoKey, steps);
  return steps;
}

/**
 * Breadth-first over the model states of `settings`, following {@link meaningfulEvents} where real
 * time (with the timings of `profile`) allows them: a delayed transition fires once per entry of
 * its state, serving's two clocks fire in the profile's order, and a stop with nothing to drain
 * ends its zero drain grace before anything else happens. Model states that differ only in what
 * their timers have done are told apart.
 */
export function exploreModel(settings: Partial<ConnectionSettings>, profile: GraphProfile = 'stableFirst'): ModelGraph {
  const initial = pureActor(settings, []);
  const first = initial.snapshot();
  const phases = new Map<string, TimerPhase>();
  const fullKey = (key: string, phase: TimerPhase): string => `${key} ${JSON.stringify(phase)}`;
  const start: ModelState = { key: fullKey(keyOf(first), NO_PHASE), path: statePath(first), flags: guardFlags(first.context), status: first.status, prefix: [] };
  phases.set(start.key, NO_PHASE);
  initial.actor.stop();
  const states = new Map<string, ModelState>([[start.key, start]]);
  const edges = new Map<string, ModelEdge[]>();
  let frontier: ModelState[] = [start];
  while (frontier.length > 0) {
    const next: ModelState[] = [];
    for (const state of frontier) {
      const phase = phases.get(state.key)!;
      const out: ModelEdge[] = [];
      for (const { edge, reached } of stepsFrom(settings, state)) {
        const event = edge.event;
        if (!timerAllowed(event, phase, profile, state.path)) continue;
        const reachedPhase = profile === 'graph' ? NO_PHASE : nextPhase(phase, event, state.flags, reached.path, reached.flags);
        const key = fullKey(reached.key, reachedPhase);
        out.push({ ...edge, from: state.key, to: key });
        if (!states.has(key)) {
          states.set(key, { ...reached, key });
          phases.set(key, reachedPhase);
          next.push({ ...reached, key });
        }
      }
      edges.set(state.key, out);
    }
    frontier = next;
  }
  return { settings, states, edges };
}

/** Whether real time with `profile`'s timings can take `path` as planned (see {@link exploreModel}). */
export function realTimeCanTake(path: ModelPath, profile: ServingProfile = 'stableFirst'): boolean {
  let phase = NO_PHASE;
  let from = { state: 'idle', flags: path.steps[0]?.flags };
  for (const step of path.steps) {
    if (!timerAllowed(step.event, phase, profile, from.state)) return false;
    phase = nextPhase(phase, step.event, from.flags ?? step.flags, step.state, step.flags);
    from = { state: step.state, flags: step.flags };
  }
  return true;
}

/** A pair of consecutive transitions, as text: `t1 => t2`. */
export function pairKey(first: string, second: string): string {
  return `${first} => ${second}`;
}

/** The consecutive pairs of a sequence of transition keys. */
export function pairsOfSequence(keys: readonly string[]): string[] {
  const pairs: string[] = [];
  for (let i = 1; i < keys.length; i++) pairs.push(pairKey(keys[i - 1]!, keys[i]!));
  return pairs;
}

/**
 * Every pair (t1, t2) of consecutive transitions the graph allows: within an edge (an event's
 * transition and the `always` branch it leads to), and from the last transition of an edge to the
 * first of every edge out of the state it reaches.
 */
export function allowedPairs(graph: ModelGraph): Set<string> {
  const pairs = new Set<string>();
  for (const out of graph.edges.values()) {
    for (const edge of out) {
      for (const pair of pairsOfSequence(edge.keys)) pairs.add(pair);
      const last = edge.keys.at(-1);
      if (last === undefined) continue;
      for (const next of graph.edges.get(edge.to) ?? []) if (next.keys[0] !== undefined) pairs.add(pairKey(last, next.keys[0]));
    }
  }
  return pairs;
}

/** The pairs a path takes on the pure machine (its whole key sequence from the start). */
export function pairsOfPath(settings: Partial<ConnectionSettings>, events: readonly ModelEvent[]): string[] {
  const { actor, collector } = pureActor(settings, events);
  actor.stop();
  return pairsOfSequence(collector.keys);
}

/** A model path (the model test's form) from events, with the state and flags after each step. */
export function modelPathOf(settings: Partial<ConnectionSettings>, events: readonly ModelEvent[], name?: string): ModelPath {
  const { actor, snapshot } = pureActor(settings, []);
  const steps: Array<ModelPath['steps'][number]> = [];
  for (const event of events) {
    actor.send(event as ConnectionEvent);
    const after = snapshot();
    steps.push({ event, state: statePath(after), flags: guardFlags(after.context) });
  }
  actor.stop();
  return { name: name ?? steps.map((s) => `${eventLabel(s.event)} -> ${s.state}`).join(', '), steps };
}

/** Real time a step costs on the model test's timings: a delayed transition waits its delay; anything else a few ms. */
export type StepCost = (event: ModelEvent) => number;

/**
 * Walks that together take every allowed pair of `graphs` not in `covered`. Each walk starts at the
 * initial state and, greedily, takes an edge that makes an uncovered pair where there is one (the
 * cheapest), else the cheapest route (Dijkstra over (state, last transition), costs from `cost`,
 * so routes avoid waiting on timers) to the nearest such edge, until it ends in a final state,
 * reaches `maxSteps`, or nothing uncovered is reachable. Longer walks than one path per pair: the
 * real cost is dominated by timers and by setting up a connector, and both are shared this way.
 */
export function pairCoveringWalks(graph: ModelGraph, wanted: ReadonlySet<string>, cost: StepCost, maxSteps = 24): ModelPath[] {
  const uncovered = new Set(wanted);
  const initial = [...graph.states.values()][0]!;
  const gainOf = (last: string | undefined, edge: ModelEdge): string[] => {
    const pairs = pairsOfSequence(edge.keys);
    if (last !== undefined && edge.keys[0] !== undefined) pairs.unshift(pairKey(last, edge.keys[0]));
    return pairs.filter((pair) => uncovered.has(pair));
  };
  /** The cheapest route from (state, last) to an edge with a gain, that edge included; or undefined. */
  const route = (from: string, last: string | undefined): ModelEdge[] | undefined => {
    const node = (state: string, key: string | undefined): string => `${state}\u0000${key ?? ''}`;
    const best = new Map<string, number>([[node(from, last), 0]]);
    const back = new Map<string, { prev: string; edge: ModelEdge }>();
    const queue: Array<{ at: string; last: string | undefined; id: string; dist: number }> = [{ at: from, last, id: node(from, last), dist: 0 }];
    while (queue.length > 0) {
      queue.sort((a, b) => a.dist - b.dist);
      const current = queue.shift()!;
      if (current.dist > (best.get(current.id) ?? Infinity)) continue;
      for (const edge of graph.edges.get(current.at) ?? []) {
        if (gainOf(current.last, edge).length > 0) {
          const steps = [edge];
          for (let id = current.id; back.has(id); id = back.get(id)!.prev) steps.unshift(back.get(id)!.edge);
          return steps;
        }
        const nextLast = edge.keys.at(-1) ?? current.last;
        const id = node(edge.to, nextLast);
        const dist = current.dist + cost(edge.event);
        if (dist < (best.get(id) ?? Infinity)) {
          best.set(id, dist);
          back.set(id, { prev: current.id, edge });
          queue.push({ at: edge.to, last: nextLast, id, dist });
        }
      }
    }
    return undefined;
  };
  const walks: ModelPath[] = [];
  while (uncovered.size > 0) {
    const events: ModelEvent[] = [];
    let at = initial.key;
    let last: string | undefined;
    let progressed = false;
    while (events.length < maxSteps) {
      const steps = route(at, last);
      if (!steps || events.length + steps.length > maxSteps) break;
      for (const edge of steps) {
        for (const pair of gainOf(last, edge)) uncovered.delete(pair);
        events.push(edge.event);
        at = edge.to;
        last = edge.keys.at(-1) ?? last;
      }
      progressed = true;
    }
    if (!progressed) break;
    walks.push(modelPathOf(graph.settings, events));
  }
  return walks;
}

/** The transition keys each step of `events` takes on the pure machine (empty for an ignored event). */
export function keysPerStep(settings: Partial<ConnectionSettings>, events: readonly ModelEvent[]): string[][] {
  const { actor, collector } = pureActor(settings, []);
  const perStep: string[][] = [];
  for (const event of events) {
    const from = collector.keys.length;
    actor.send(event as ConnectionEvent);
    perStep.push(collector.keys.slice(from));
  }
  actor.stop();
  return perStep;
}

/** Every event variant fired from outside (delayed transitions are the machine's own timers). */
export const SNEAK_VARIANTS: readonly ConnectionEvent[] = EVENT_VARIANTS;
