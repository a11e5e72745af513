/**
 * The sneak-path matrix: every event of the connection machine fired in every state it can rest in,
 * on a real connection (the real transport against the real dev connector over loopback sockets).
 *
 * Each cell reaches its state by the shortest path of the model graph (each step a real stimulus,
 * as in the model test), then sends the cell's event to the running connection's machine: a sneak
 * path is an event arriving where the diagram did not plan for it, whatever produced it (a frame in
 * flight from a closed socket, a call racing a state change). The outcome must be the one the
 * diagram gives: either the transition the pure machine takes (same transitions, same state, same
 * guard flags on the real system), or the event is ignored and counted (`ignoredEvents` + 1,
 * nothing else changes). After every cell the connection still stops cleanly, with every request
 * settled. In the final states (`stopped`, `disabled`) the machine is gone; there the cells are the
 * public calls, which must change nothing and open no socket (a stop is never undone).
 *
 * A failing cell writes its run as a visualizer trace under test-results/traces/.
 */
import pLimit from 'p-limit';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConnectionEvent, ConnectionSettings } from '../../machines/connection.types.js';
import { withFailureTrace } from '../support/failure-trace.js';
import { campaignEnvironment } from '../support/replayable-property.js';
import { exploreModel, modelPathOf, modelStateKey, predict, SNEAK_VARIANTS, type ModelState } from '../support/model-explore.js';
import { eventLabel, guardFlags, statePath, type ModelEvent } from '../support/model-graph.js';
import { endModelRun, inject, playSteps, rerunTest, startModelRun, waitForStep, type ModelRun } from '../support/model-replay.js';

/** The configurations the matrix runs in: a drop redials, or ends the connection. */
const CONFIGS: ReadonlyArray<{ readonly name: string; readonly settings: Partial<ConnectionSettings> }> = [
  { name: 'reconnect on', settings: { reconnect: true } },
  { name: 'reconnect off', settings: { reconnect: false } },
];

/**
 * With `RELAY_SOAK=1` every model state is a row (each state path with each combination of guard
 * flags it can rest with); otherwise one row per state path.
 */
const EVERY_FLAG_COMBINATION = campaignEnvironment().soakMs !== undefined;

/**
 * Cells running at once over the whole file: enough to keep the matrix short, few enough that no
 * timer of the model's timings (400 ms and up) is late on a loaded machine.
 */
const cellSlots = pLimit(24);

/** How a cell came out. */
type Outcome = 'handled' | 'ignored' | 'refused';

/** Real time a prefix costs (timers dominate): a row's cheapest way in is the one run. */
const timersIn = (prefix: readonly ModelEvent[]): number => prefix.filter((event) => event.type.startsWith('xstate.after.')).length;

/** The rows of the matrix for `settings`: a model state per state path (or per state path and flags). */
function restingStates(settings: Partial<ConnectionSettings>): ModelState[] {
  const rows = new Map<string, ModelState>();
  const cost = (s: ModelState): number => timersIn(s.prefix) * 100 + s.prefix.length;
  for (const state of exploreModel(settings, 'stableFirst').states.values()) {
    const row = EVERY_FLAG_COMBINATION ? modelStateKey(state.path, state.flags) : state.path;
    const known = rows.get(row);
    if (!known || cost(state) < cost(known)) rows.set(row, state);
  }
  return [...rows.values()].sort((a, b) => a.path.localeCompare(b.path) || a.prefix.length - b.prefix.length);
}

const ROWS = CONFIGS.map((config) => ({ ...config, states: restingStates(config.settings) }));
const outcomes = new Map<string, Outcome>();
let cellsPlanned = 0;

/** The real actor's transition keys so far. */
const realKeys = (run: ModelRun): readonly string[] => run.coverage.sequences.get(run.connection.actor.sessionId) ?? [];

/**
 * The public call each event stands for, made on a connection that has ended, with what it must
 * answer: start() says why it will never serve (revoked, or stopped); the others refuse or do nothing.
 */
const CALLS_AFTER_THE_END: Readonly<Record<string, (connection: ModelRun['connection'], event: ConnectionEvent, state: ModelState) => unknown>> = {
  START: (c, _e, state) => expect(c.start()).rejects.toMatchObject({ code: state.path === 'disabled' ? 'ERR_RELAY_DISABLED' : 'ERR_GATEWAY_STOPPED' }),
  STOP: (c, event) => c.stop('drainMs' in event && event.drainMs ? { budgetS: 4 } : undefined),
  GO_IDLE: (c) => expect(c.goIdle()).resolves.toBe(false),
  GO_DORMANT: (c) => expect(c.goDormant()).resolves.toBe(false),
  HOLD_REDIAL: (c) => expect(c.holdRedial()).toBe(false),
  RELEASE_REDIAL: (c) => expect(c.releaseRedial()).toBe(false),
  RECONNECT_NOW: (c) => c.reconnectNow(),
};

/** Let the effects of a call run (a socket would be dialled by now if the call opened one). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

/** Reach `state`, fire `event` there, and check the outcome against the diagram. */
async function runCell(settings: Partial<ConnectionSettings>, state: ModelState, event: ConnectionEvent, name: string): Promise<Outcome> {
  const run = await startModelRun({ settings, traceName: name });
  let outcome: Outcome = 'handled';
  try {
    await withFailureTrace(
      name,
      run.recorder,
      async () => {
        // A dial the prefix leaves in progress never completes by itself: the cell's event comes first.
        await playSteps(run, modelPathOf(settings, state.prefix), settings, [{ type: 'STOP' }]);
        const snapshot = run.connection.actor.getSnapshot();
        if (state.status !== 'active') {
          const links = run.connector.links.length;
          await CALLS_AFTER_THE_END[event.type]!(run.connection, event, state);
          await settle();
          expect(run.connection.statePath, 'a call after the end changes no state').toBe(state.path);
          expect(run.connector.links.length, 'a call after the end opens no socket').toBe(links);
          outcome = 'refused';
          return;
        }
        const predicted = predict(settings, state.prefix, event);
        const keysBefore = realKeys(run).length;
        const ignoredBefore = snapshot.context.ignoredEvents;
        inject(run, event);
        const after = run.connection.actor.getSnapshot();
        expect(after.status, 'the machine never crashes').not.toBe('error');
        if (predicted.ignored) {
          outcome = 'ignored';
          expect(after.context.ignoredEvents, 'an ignored event is counted').toBe(ignoredBefore + 1);
          expect(realKeys(run).length, 'an ignored event takes no transition').toBe(keysBefore);
          expect(statePath(after), 'an ignored event leaves the state as it was').toBe(state.path);
          expect(guardFlags(after.context), 'an ignored event leaves the guard flags as they were').toEqual(state.flags);
          return;
        }
        await waitForStep(run, { event, state: predicted.state.path, flags: predicted.state.flags }, predicted.keys, { at: keysBefore }, 3000);
      },
      { schedule: [...state.prefix.map(eventLabel), `${eventLabel(event)} (sneak)`], rerun: rerunTest('test/model/connection.sneak-paths.test.ts', state.path) },
    );
  } finally {
    await endModelRun(run);
  }
  return outcome;
}

/** The events fired in a model state: all of them while the machine runs; the public calls after the end. */
const eventsIn = (state: ModelState): readonly ConnectionEvent[] =>
  state.status === 'active' ? SNEAK_VARIANTS : SNEAK_VARIANTS.filter((event) => event.type in CALLS_AFTER_THE_END);

for (const { name, settings, states } of ROWS) {
  // One test per state path (its model states, one or every flag combination, side by side in the
  // file's slots). Not `describe.concurrent`: the support code asserts with the global `expect`,
  // which belongs to the one test running.
  const paths = [...new Set(states.map((state) => state.path))];
  describe(`sneak paths, ${name}: ${SNEAK_VARIANTS.length} events in each of ${states.length} ${EVERY_FLAG_COMBINATION ? 'model states' : 'states'}`, () => {
    for (const path of paths) {
      const rows = states.filter((state) => state.path === path);
      const cells = rows.flatMap((state, index) => eventsIn(state).map((event) => ({ state, event, row: rows.length > 1 ? ` #${index}` : '' })));
      cellsPlanned += cells.length;
      const final = rows[0]!.status !== 'active';
      it(`${path}${rows.length > 1 ? ` (${rows.length} flag combinations)` : ''}${final ? ' (final: the public calls)' : ''}`, async () => {
        const results = await Promise.allSettled(
          cells.map(({ state, event, row }) => cellSlots(() => runCell(settings, state, event, `sneak path (${name}): ${eventLabel(event)} in ${path}${row}`))),
        );
        const failed: string[] = [];
        results.forEach((result, i) => {
          const { state, event, row } = cells[i]!;
          const label = `${eventLabel(event)}${row}${row ? ` ${JSON.stringify(state.flags)}` : ''}`;
          if (result.status === 'fulfilled') outcomes.set(`${name} ${path} ${label}`, result.value);
          else failed.push(`${label}: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`);
        });
        expect(failed, `cells of ${path} that did not come out as the diagram says`).toEqual([]);
      }, EVERY_FLAG_COMBINATION ? 600_000 : 60_000);
    }
  });
}

afterAll(() => {
  const count = (outcome: Outcome): number => [...outcomes.values()].filter((o) => o === outcome).length;
  const rows = ROWS.map(({ name, states }) => `${states.length} ${EVERY_FLAG_COMBINATION ? 'model states' : 'states'} ${name}`).join(', ');
  console.log(
    `sneak paths ${outcomes.size}/${cellsPlanned} (${SNEAK_VARIANTS.length} events x ${rows}; the final states with the public calls only): ` +
      `${count('handled')} handled as drawn, ${count('ignored')} ignored and counted, ${count('refused')} refused after the end`,
  );
});
