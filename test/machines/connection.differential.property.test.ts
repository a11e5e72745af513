/**
 * The hierarchical machine behaves exactly like the flat one it was refactored from (kept as an
 * oracle in test/support/oracle/). fast-check feeds both the same random streams of events (every
 * event type, with the payloads guards care about) and of simulated time; after every step the
 * public state, the state path, the whole context, the status and the set of live socket actors
 * must be equal. A deliberately mutated copy must be caught, or the comparison proves nothing.
 * A mismatch's counterexample is run once more with a recorder on the hierarchical actor and written
 * as a visualizer trace under test-results/traces/ (the mutants' are too: that proves it works).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock, type AnyActorRef, type AnyStateMachine, type AnyTransitionDefinition, type InspectionEvent } from 'xstate';
import { createConnectionMachine } from '../../machines/connection.machine.js';
import type { ConnectionEvent, ConnectionSettings, SocketCommand, SocketInput } from '../../machines/connection.types.js';
import { connectionStateOf, connectionStatePathOf, machinePathOf } from '../../machines/public-state.js';
import { recordActor } from '../../src/visualizer/trace-recorder.js';
import { parseTrace } from '../../src/visualizer/trace.js';
import { failureNote, failureTraceHint, writeFailureTrace } from '../support/failure-trace.js';
import { createFlatConnectionMachine } from '../support/oracle/flat-connection.machine.js';
import { LEGACY_EVENT_VARIANTS, isIgnoreTransition } from '../support/model-graph.js';

/**
 * One step: any event (stale and out-of-place ones included), an event the oracle would act on in its
 * current state (picked by index, so random streams also get deep into the chart), or time passing.
 */
type Step =
  | { readonly kind: 'event'; readonly event: ConnectionEvent }
  | { readonly kind: 'meaningful'; readonly pick: number }
  | { readonly kind: 'tick'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...LEGACY_EVENT_VARIANTS).map((event) => ({ kind: 'event' as const, event })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'event' as const, event: { type: 'STOP' } as const }) },
  { weight: 4, arbitrary: fc.nat().map((pick) => ({ kind: 'meaningful' as const, pick })) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 199, 200, 399, 500, 999, 1000, 2000, 5000, 15_000, 30_000).map((ms) => ({ kind: 'tick' as const, ms })) },
);

/**
 * Events the oracle would take a transition for (not merely count as ignored) in its current state.
 * STOP is left to the "any event" steps: it ends a run, and picked as often as the others it would
 * keep most runs shallow.
 */
function actionable(actor: AnyActorRef): ConnectionEvent[] {
  const snapshot = actor.getSnapshot() as { machine: { getTransitionData(snapshot: unknown, event: unknown): readonly AnyTransitionDefinition[] } };
  return LEGACY_EVENT_VARIANTS.filter((event) => {
    if (event.type === 'STOP') return false;
    const taken = snapshot.machine.getTransitionData(snapshot, event);
    return taken.length > 0 && !taken.every(isIgnoreTransition);
  });
}

const settings: fc.Arbitrary<Partial<ConnectionSettings>> = fc.record({
  reconnect: fc.boolean(),
  dialTimeoutMs: fc.constantFrom(200, 1000),
  handshakeTimeoutMs: fc.constantFrom(200, 1000),
  goIdleTimeoutMs: fc.constantFrom(500, 2000),
  stopGoIdleTimeoutMs: fc.constantFrom(200, 1000),
  pingIntervalMs: fc.constantFrom(500, 1000),
  pongTimeoutMs: fc.constantFrom(200, 500),
  backoff: fc.constantFrom({ baseMs: 100, factor: 2, capMs: 1000, stableMs: 1000 }, { baseMs: 1000, factor: 2, capMs: 30_000, stableMs: 10_000 }),
});

const socket = fromCallback<SocketCommand, SocketInput>(() => undefined);

/** A seeded random source, so both machines draw the same jitter in the same order. */
function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

interface Observed {
  readonly state: string;
  readonly path: string;
  readonly status: string;
  readonly context: unknown;
  readonly sockets: readonly string[];
}

/** `value` with only the keys `shape` has, deeply: the new machine's context seen in the oracle's terms. */
function projectOnto(shape: unknown, value: unknown): unknown {
  if (typeof shape !== 'object' || shape === null || Array.isArray(shape) || typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(shape).map((key) => [key, projectOnto((shape as Record<string, unknown>)[key], (value as Record<string, unknown>)[key])]));
}

function observe(actor: AnyActorRef, flat: boolean): Observed {
  const snapshot = actor.getSnapshot() as { value: unknown; status: string; context: unknown; children: Record<string, unknown>; hasTag(tag: string): boolean };
  const path = machinePathOf(snapshot.value);
  return {
    // The flat machine's public state was its top-level state; the new one's is a tag.
    state: flat ? path.split('.')[0]! : connectionStateOf(snapshot),
    path: flat ? path : connectionStatePathOf(snapshot),
    status: snapshot.status,
    context: snapshot.context,
    sockets: Object.keys(snapshot.children).sort(),
  };
}

/** Oracle states visited by the runs, so a shallow generator cannot pass unnoticed. */
const visited = new Set<string>();

type Candidate = (random: () => number, now: () => number) => AnyStateMachine;
interface Run {
  readonly seed: number;
  readonly settings: Partial<ConnectionSettings>;
  readonly steps: readonly Step[];
}

/** Run both machines through `steps`; returns the first difference, or null. `inspect` observes the candidate's actor. */
function firstDifference(candidate: Candidate, run: Run, inspect?: (event: InspectionEvent) => void): string | null {
  const clocks = [new SimulatedClock(), new SimulatedClock()] as const;
  const randoms = [seeded(run.seed), seeded(run.seed)] as const;
  const machines = [
    createFlatConnectionMachine({ random: randoms[0], now: () => clocks[0].now() }).provide({ actors: { socket } }),
    candidate(randoms[1], () => clocks[1].now()),
  ];
  const actors = machines.map((machine, i) => createActor(machine, { clock: clocks[i]!, input: { settings: run.settings }, ...(i === 1 && inspect ? { inspect } : {}) }));
  for (const actor of actors) actor.start();
  try {
    const compare = (after: string): string | null => {
      const flat = observe(actors[0]!, true);
      const observed = observe(actors[1]!, false);
      // Dormancy, the hold and the drain are newer than the oracle: compare what it knows.
      const hierarchical = { ...observed, context: projectOnto(flat.context, observed.context) };
      visited.add(flat.path);
      try {
        expect(hierarchical).toEqual(flat);
        return null;
      } catch (error) {
        return `after ${after}: ${(error as Error).message.split('\n').slice(0, 40).join('\n')}`;
      }
    };
    let difference = compare('start');
    for (const [i, next] of run.steps.entries()) {
      if (difference) break;
      if (actors[0]!.getSnapshot().status !== 'active') break;
      let what: string;
      if (next.kind === 'tick') {
        for (const clock of clocks) clock.increment(next.ms);
        what = `tick ${next.ms}`;
      } else {
        const options = next.kind === 'event' ? [next.event] : actionable(actors[0]!);
        const event = options[next.kind === 'event' ? 0 : next.pick % Math.max(1, options.length)];
        if (!event) continue;
        for (const actor of actors) actor.send(event);
        what = JSON.stringify(event);
      }
      difference = compare(`step ${i}: ${what}`);
    }
    return difference;
  } finally {
    for (const actor of actors) actor.stop();
  }
}

const runs = fc.record({ seed: fc.integer(), settings, steps: fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }) });
const RUNS = Number(process.env.RELAY_DIFFERENTIAL_RUNS ?? 20_000);

const hierarchical: Candidate = (random, now) => createConnectionMachine({ random, now }).provide({ actors: { socket } });

/**
 * Run a counterexample once more with a recorder on the candidate's actor and write its trace as
 * `name`, the mismatch (after `heading`) as its note. Entry times are wall-clock: the recorder does
 * not see the simulated clock.
 */
function traceCounterexample(candidate: Candidate, run: Run, name: string, heading: string): { readonly difference: string | null; readonly path: string } {
  // A copy of the candidate's machine, for the recorder's drawing and timers (its delays, mutated or not).
  const recorder = recordActor({ name, machine: candidate(seeded(run.seed), () => 0) });
  const difference = firstDifference(candidate, run, recorder.inspect);
  recorder.stop();
  const path = writeFailureTrace(name, recorder.toTrace(failureNote(`${heading}:\n${difference ?? '(no mismatch when run again)'}`)));
  return { difference, path };
}

describe('the hierarchical machine against the flat oracle', () => {
  it(`same public state, path, context, status and sockets after every step (${RUNS} runs)`, () => {
    const result = fc.check(fc.property(runs, (run) => firstDifference(hierarchical, run) === null), { numRuns: RUNS });
    if (result.failed) {
      const run = result.counterexample?.[0];
      const heading = `mismatch (seed ${result.seed}, path ${result.counterexample ? result.counterexamplePath : '?'})`;
      if (!run) throw new Error(`${heading}:\n`);
      const { difference, path } = traceCounterexample(hierarchical, run, 'differential hierarchical vs flat', heading);
      throw new Error(`${heading}:\n${difference ?? ''}${failureTraceHint(path)}`);
    }
    console.log(`differential: ${result.numRuns} runs, 0 mismatches, oracle states visited: ${[...visited].sort().join(', ')}`);
    expect(result.numRuns).toBe(RUNS);
    expect([...visited].sort()).toEqual(
      ['dialing', 'disabled', 'goingIdle.requested', 'goingIdle.stopping', 'handshaking', 'idle', 'reconnecting', 'serving.awaitingPong', 'serving.live', 'stopped'].sort(),
    );
  }, 600_000);

  it.each([
    ['a guard inverted (intakeHeld always true)', 'guard-inverted', { guards: { intakeHeld: () => true } }],
    ['an action dropped (the ignored-event count)', 'action-dropped', { actions: { countIgnoredEvent: () => undefined } }],
    ['a timing changed (dialTimeout doubled)', 'timing-changed', { delays: { dialTimeout: ({ context }: { context: { settings: ConnectionSettings } }) => 2 * context.settings.dialTimeoutMs } }],
  ] as const)('catches a mutated copy: %s, and writes its counterexample as a trace', (_name, key, mutation) => {
    const mutant: Candidate = (random, now) => createConnectionMachine({ random, now }).provide({ actors: { socket }, ...mutation });
    // A fixed seed: the check is reproducible, and 3,000 runs is far below what the real run uses.
    const result = fc.check(fc.property(runs, (run) => firstDifference(mutant, run) === null), { numRuns: 3_000, seed: 20261201 });
    expect(result.failed).toBe(true);

    // What a failing run of the real property writes (kept under test-results/traces/ to open).
    const run = result.counterexample![0];
    const { difference, path } = traceCounterexample(mutant, run, `differential-mutant-${key}`, `mutant ${key}: mismatch (seed ${result.seed})`);
    expect(difference).toMatch(/^after (start|step \d+: .+): /);
    const trace = parseTrace(readFileSync(path, 'utf8'));
    expect(trace.source).toEqual({ kind: 'test', name: `differential-mutant-${key}` });
    expect(trace.entries.length).toBeGreaterThanOrEqual(1);
    expect(trace.note).toContain(difference!.split('\n')[0]);
  }, 120_000);
});
