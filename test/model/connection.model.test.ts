/**
 * Model-based tests: paths generated from the connection machine's graph (xstate/graph) are replayed
 * against the real transport and the real dev connector over loopback sockets, checking the state,
 * the guard-relevant flags and the transitions taken after every step (test/support/model-replay.ts).
 * Coverage of states, transitions, guarded branches and transition pairs is computed from the real
 * runs and must be 100% of the machine's graph: besides the paths that cover every transition,
 * walks are generated for the pairs of consecutive transitions they leave out
 * (test/support/model-explore.ts says how a step into a choice state counts). Which paths took each
 * pair is written to test-results/model-pairs.json. A path that fails writes its run (the machine's
 * timeline and the socket's frames) as a visualizer trace under test-results/traces/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionMachine } from '../../machines/connection.machine.js';
import type { ConnectionSettings } from '../../machines/connection.types.js';
import { allowedPairs, exploreModel, pairCoveringWalks, pairsOfPath, PROFILE_STABLE_MS, realTimeCanTake, type ModelGraph, type ServingProfile } from '../support/model-explore.js';
import {
  allStateIds,
  allTransitions,
  CoverageRecorder,
  guardedBranches,
  pathFromLabels,
  selectCoveringPaths,
  shortestPaths,
  simplePathsTo,
  type ModelEvent,
  type ModelPath,
} from '../support/model-graph.js';
import { replay, rerunTest, TIMINGS } from '../support/model-replay.js';

const coverage = new CoverageRecorder();
const executed: string[] = [];
/** Which runs took each pair of consecutive transitions (real runs only). */
const pairRuns = new Map<string, string[]>();
/** Steps no real stimulus can make (see test/support/model-replay.ts `inject`), over every run. */
let injectedSteps = 0;

const SERVE = ['START', 'SOCKET_OPEN', 'DESCRIPTOR'];
const DORMANT = [...SERVE, 'GO_DORMANT', 'GOING_IDLE_ACK'];

/**
 * Scale-to-zero stories (protocol-later §5) the covering paths need not tell, as event labels: the
 * shortest paths never visit a state twice with the same flags (a second dormant wait), and the set
 * cover keeps one path per transition, not per order of two timers.
 */
const SCENARIOS: Readonly<Record<string, readonly string[]>> = {
  // A failed dormant dial sleeps again on its own cadence; the first handshake wakes it, and a drop
  // after that backs off on the normal ladder.
  'dormant: dial fails, sleeps again, wakes on the handshake, then the normal ladder': [
    ...DORMANT, 'after dormantWait', 'DIAL_FAILED', 'after dormantWait', 'SOCKET_OPEN', 'DESCRIPTOR', 'SOCKET_CLOSED(1006)',
  ],
  'dormant: goDormant() without an ack keeps serving': [...SERVE, 'GO_DORMANT', 'after goIdleTimeout'],
  'dormant: stop() while dormant cancels the redial': [...DORMANT, 'STOP'],
  // The hold covers every redial: the dormant one, and the next after a failed dial.
  'hold: every redial waits, the dormant one and the next': [
    ...DORMANT, 'HOLD_REDIAL', 'after dormantWait', 'RELEASE_REDIAL', 'HOLD_REDIAL', 'DIAL_FAILED', 'after dormantWait', 'after redialHoldMax',
  ],
  'hold: stop() ends a held wait without dialing': [...SERVE, 'HOLD_REDIAL', 'SOCKET_CLOSED(1006)', 'after backoff', 'STOP'],
  // A stop that drains: both the ack and the drain, in every order.
  'drain: the grace runs out before the ack wait': [...SERVE, 'STOP(draining)', 'after drainGrace', 'after stopGoIdleTimeout'],
  'drain: the ack wait runs out, then the grace': [...SERVE, 'STOP(draining)', 'after stopGoIdleTimeout', 'after drainGrace'],
  'drain: drained before the ack': [...SERVE, 'STOP(draining)', 'DRAIN_DONE', 'GOING_IDLE_ACK'],
  'drain: a stop while going idle drains too': [...SERVE, 'GO_IDLE', 'STOP(draining)', 'GOING_IDLE_ACK', 'DRAIN_DONE'],
};

/**
 * Per configuration, besides the covering shortest paths: simple paths into `disabled` (a revocation
 * reached several ways), one through `held` (the fresh-token retry after a 4401 waits for the hold,
 * then the second 4401 revokes), and the scenarios.
 */
const CONFIGS: ReadonlyArray<{
  name: string;
  settings: Partial<ConnectionSettings>;
  simpleToDisabled: number;
  throughHeldToDisabled: number;
  scenarios: Readonly<Record<string, readonly string[]>>;
}> = [
  { name: 'reconnect on', settings: { reconnect: true }, simpleToDisabled: 3, throughHeldToDisabled: 1, scenarios: SCENARIOS },
  { name: 'reconnect off', settings: { reconnect: false }, simpleToDisabled: 0, throughHeldToDisabled: 0, scenarios: {} },
];

/** Real time a step of a walk costs with {@link TIMINGS}: what the planner of pair walks minimises. */
const DELAYS: Readonly<Record<string, number>> = {
  dialTimeout: 500,
  handshakeTimeout: 500,
  goIdleTimeout: 500,
  stopGoIdleTimeout: 500,
  pingDelay: 1000,
  pongTimeout: 400,
  backoff: 400,
  stableServing: 600,
  dormantWait: 400,
  redialHoldMax: 600,
  drainGrace: 300,
};
const stepCost = (event: ModelEvent): number => (event.type.startsWith('xstate.after.') ? (DELAYS[event.type.split('.')[2] ?? ''] ?? 500) : 5);

/** A run of the plan: its path, and the settings it runs with (a walk may need its own stable-serving mark). */
interface PlannedRun {
  readonly path: ModelPath;
  readonly settings: Partial<ConnectionSettings>;
}

/**
 * The real-time orders of serving's timers, in the order walks are planned for them: what the first
 * leaves out (a mark after a ping, a ping with no mark) the next ones take.
 */
const PROFILES: readonly ServingProfile[] = ['stableFirst', 'stableAfterPing', 'noStable'];

let generationMs = 0;
const graphs: ModelGraph[] = [];
/** Pairs of the graph as drawn (timers in any order, stimuli anywhere), for the report. */
const drawnPairs: string[] = [];
/** Pairs the plan takes on the pure machine, over every configuration so far. */
const planned = new Set<string>();
const plans = CONFIGS.map((config) => {
  const started = performance.now();
  const shortest = shortestPaths(config.settings);
  const paths = [
    ...selectCoveringPaths(shortest, config.settings),
    ...simplePathsTo(config.settings, 'disabled', config.simpleToDisabled),
    ...simplePathsTo(config.settings, 'disabled', config.throughHeldToDisabled, 'held'),
    ...Object.entries(config.scenarios).map(([name, labels]) => ({ ...pathFromLabels(config.settings, labels), name: `${name}: ${labels.join(', ')}` })),
  ];
  // A path whose timers real time fires as planned takes its pairs; the others still count what they really take.
  for (const path of paths) {
    if (realTimeCanTake(path)) for (const pair of pairsOfPath(config.settings, path.steps.map((s) => s.event))) planned.add(pair);
  }
  const walks: PlannedRun[] = [];
  for (const profile of PROFILES) {
    const graph = exploreModel(config.settings, profile);
    graphs.push(graph);
    const wanted = new Set([...allowedPairs(graph)].filter((pair) => !planned.has(pair)));
    for (const walk of pairCoveringWalks(graph, wanted, stepCost)) {
      for (const pair of pairsOfPath(config.settings, walk.steps.map((s) => s.event))) planned.add(pair);
      const backoff = { ...TIMINGS.backoff!, stableMs: PROFILE_STABLE_MS[profile] };
      walks.push({ path: { ...walk, name: `pairs #${walks.length + 1} (${profile}): ${walk.name}` }, settings: { ...config.settings, backoff } });
    }
  }
  drawnPairs.push(...allowedPairs(exploreModel(config.settings, 'graph')));
  generationMs += performance.now() - started;
  return { config, shortest, runs: [...paths.map((path) => ({ path, settings: config.settings })), ...walks], walks: walks.length };
});

for (const { config, shortest, runs, walks } of plans) {
  describe(`model paths, ${config.name} (${runs.length - walks} paths chosen from ${shortest.length} shortest + simple paths, ${walks} walks for pairs)`, () => {
    it.each(runs.map((r) => [r.path.name, r] as const))('%s', async (_name, run) => {
      const taken = await replay(run.path, {
        settings: run.settings,
        traceName: `model (${config.name}): ${run.path.name}`,
        inspect: coverage.inspect,
        rerun: rerunTest('test/model/connection.model.test.ts', run.path.name),
      });
      executed.push(run.path.name);
      injectedSteps += taken.injected;
      for (const pair of taken.coverage.pairs()) {
        const names = pairRuns.get(pair) ?? [];
        if (!pairRuns.has(pair)) pairRuns.set(pair, names);
        names.push(`${config.name}: ${run.path.name}`);
      }
    }, 30_000);
  });
}

/** Where the pairs and the runs that took them are written, for people to read. */
const PAIRS_FILE = 'test-results/model-pairs.json';

const KEEPALIVE = /xstate\.after\.(pingDelay|pongTimeout)\.| LINK_ALIVE #/;
const TRAFFIC_OR_BACKLOG = / (GOING_IDLE_ACK|INTAKE_HIGH|INTAKE_DRAINED) #/;

/**
 * Why a pair of the drawing is left out of the allowed pairs: every one needs a reason here (a test
 * fails otherwise), so the left-out list cannot grow by accident.
 */
const LEFT_OUT_REASONS: ReadonlyArray<{ readonly applies: (first: string, second: string) => boolean; readonly reason: string }> = [
  {
    applies: (first, second) => first === second && first.includes(' xstate.after.'),
    reason: 'a delayed transition fires once per entry of its state: the drawing lets its self-loop run twice, real time never does',
  },
  {
    applies: (first, second) => (KEEPALIVE.test(first) && (TRAFFIC_OR_BACKLOG.test(second) || KEEPALIVE.test(second))) || (TRAFFIC_OR_BACKLOG.test(first) && KEEPALIVE.test(second)),
    reason:
      'the keepalive beside traffic on the link: a frame from the connector (an ack, the backlog that raised flow control, the blank line that proves the link alive) ' +
      'makes the next ping find the link alive at once and the one after it come due within milliseconds, and while a ping is out a frame proves the link alive ' +
      'before its own event: real time orders the two one way only, which no plan can choose',
  },
];

/** The reason a left-out pair is left out, or undefined. */
function leftOutReason(pair: string): string | undefined {
  const [first = '', second = ''] = pair.split(' => ');
  return LEFT_OUT_REASONS.find((rule) => rule.applies(first, second))?.reason;
}

describe('coverage of the real runs', () => {
  const ratio = (covered: number, total: number): string => `${covered}/${total} (${((100 * covered) / total).toFixed(1)}%)`;
  const covered = (keys: Set<string>, seen: Set<string>): number => [...keys].filter((key) => seen.has(key)).length;
  const allPairs = (): Set<string> => new Set(graphs.flatMap((graph) => [...allowedPairs(graph)]));

  afterAll(() => {
    const states = allStateIds(connectionMachine.root);
    const transitions = allTransitions(connectionMachine.root);
    const branches = guardedBranches(connectionMachine.root);
    const pairs = allPairs();
    const taken = coverage.pairs();
    mkdirSync('test-results', { recursive: true });
    const byPair = Object.fromEntries([...pairs].sort().map((pair) => [pair, pairRuns.get(pair) ?? []]));
    const drawn = new Set(drawnPairs);
    const unreal = [...drawn].filter((pair) => !pairs.has(pair)).sort();
    // `leftOut`: pairs of the drawn graph real time cannot take, each with its reason (LEFT_OUT_REASONS).
    const leftOut = unreal.map((pair) => ({ pair, reason: leftOutReason(pair) ?? 'NO REASON GIVEN' }));
    const report = { allowed: pairs.size, taken: covered(pairs, taken), drawn: drawn.size, leftOut, pairs: byPair };
    writeFileSync(PAIRS_FILE, `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      `model-based coverage: states ${ratio(covered(states, coverage.states), states.size)}, ` +
        `transitions ${ratio(covered(transitions, coverage.transitions), transitions.size)}, ` +
        `guarded branches ${ratio(covered(branches, coverage.transitions), branches.size)}, ` +
        `pairs ${ratio(covered(pairs, taken), pairs.size)} (of ${drawn.size} drawn, ${unreal.length} left out that real time cannot take, each with its reason), paths run ${executed.length} (${injectedSteps} steps injected), ` +
        `paths generated in ${(generationMs / 1000).toFixed(1)} s (pairs and their paths in ${PAIRS_FILE})`,
    );
  });

  it('every state, every transition and every guarded branch of the machine was taken against the real system', () => {
    const missingStates = [...allStateIds(connectionMachine.root)].filter((s) => !coverage.states.has(s));
    const missingTransitions = [...allTransitions(connectionMachine.root)].filter((t) => !coverage.transitions.has(t));
    const missingBranches = [...guardedBranches(connectionMachine.root)].filter((t) => !coverage.transitions.has(t));
    expect(missingStates).toEqual([]);
    expect(missingTransitions).toEqual([]);
    expect(missingBranches).toEqual([]);
  });

  it('every pair of the drawing left out of the allowed ones has its reason', () => {
    const allowed = allPairs();
    const unexplained = [...new Set(drawnPairs)].filter((pair) => !allowed.has(pair) && leftOutReason(pair) === undefined);
    expect(unexplained).toEqual([]);
  });

  it('every pair of consecutive transitions the graph allows was taken against the real system', () => {
    const taken = coverage.pairs();
    expect([...allPairs()].filter((pair) => !taken.has(pair))).toEqual([]);
  });
});
