/**
 * Model-based tests: paths generated from the connection machine's graph (xstate/graph) are replayed
 * against the real transport and the real dev connector over loopback sockets, checking the state
 * (and the guard-relevant flags) after every step. Coverage of states and transitions is computed
 * from the real runs and must be 100% of the machine's graph. A path that fails writes its run (the
 * machine's timeline and the socket's frames) as a visualizer trace under test-results/traces/.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import type { ConnectionSettings } from '../../machines/connection.types.js';
import { encodeFrame } from '../../src/codec/frame-encoder.js';
import { startDevConnector, type DevConnector } from '../../src/dev-connector/dev-connector.js';
import { never } from '../../src/dev-connector/outbound-policy.js';
import { sendAction } from '../../src/protocol/outbound.js';
import type { RequestOutcome } from '../../src/transport/pending-requests.js';
import { createRelayConnection, type RelayConnection } from '../../src/transport/relay-connection.js';
import { recordConnection, withFailureTrace } from '../support/failure-trace.js';
import {
  allStateIds,
  allTransitions,
  CoverageRecorder,
  guardedBranches,
  eventLabel,
  guardFlags,
  pathFromLabels,
  selectCoveringPaths,
  shortestPaths,
  simplePathsTo,
  statePath,
  type ModelEvent,
  type ModelPath,
} from '../support/model-graph.js';

/** Timings short enough to run, long enough that a step (a few ms) never races a timer. */
const TIMINGS: Partial<ConnectionSettings> = {
  dialTimeoutMs: 500,
  handshakeTimeoutMs: 500,
  goIdleTimeoutMs: 500,
  stopGoIdleTimeoutMs: 500,
  pingIntervalMs: 1000,
  pongTimeoutMs: 400,
  backoff: { baseMs: 400, factor: 1, capMs: 400, stableMs: 600 },
  // The dormant cadence doubles once within the run (400, then 800 ms); a hold gives up after 600 ms.
  dormantBaseMs: 400,
  dormantCapMs: 800,
  redialHoldMaxMs: 600,
};

/**
 * Stop budgets for a stop that drains (protocol-later §5.3: grace = budget - 3.5 s, at most 5 s; the
 * ack wait is the 500 ms above). The graph fires the two timers of `stopping` in either order, real
 * time only in one: a path where the grace runs out first gets a 300 ms grace, any other 1.5 s (the
 * default budget of 5 s).
 */
const SHORT_GRACE_BUDGET_S = 3.8;
const LONG_GRACE_BUDGET_S = 5;

const INVALID_DESCRIPTOR = `${JSON.stringify({ type: 'descriptor', descriptor: { contract_version: 1, platform: 'relay' } })}\n`;

const coverage = new CoverageRecorder();
const executed: string[] = [];

/** Events that change nothing about a dial in progress: the one that ends it comes after them. */
const BESIDE_A_DIAL: ReadonlySet<string> = new Set(['HOLD_REDIAL', 'RELEASE_REDIAL']);

/** Prepare the connector so the dial that is about to start ends the way the path needs. */
function arrangeDial(connector: DevConnector, upcoming: readonly ModelEvent[]): void {
  const next = upcoming.find((event) => !BESIDE_A_DIAL.has(event.type));
  if (next?.type === 'SOCKET_OPEN') return;
  if (next?.type === 'DIAL_FAILED') connector.faults.refuseUpgrades = 1;
  // A dial timeout, or a user event while dialling, needs an upgrade that never completes.
  else connector.faults.stallUpgrades = 1;
}

/** Deliveries of the model runs wait on this gate, so a backlog can be built and drained on cue. */
interface Backlog {
  gate: Promise<void>;
  release: () => void;
}

function newBacklog(): Backlog {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { gate, release };
}

/** Backlog options of the model runs: flow control starts at 2 waiting deliveries. */
const BACKLOG = { concurrency: 1, maxQueuedInbound: 4 } as const;

/** What a run has going on besides the connection: the connector, the backlog gate, a request to drain. */
interface Run {
  readonly connection: RelayConnection;
  readonly connector: DevConnector;
  readonly backlog: Backlog;
  /** Requests written (the connector answers none by itself), oldest first. */
  readonly written: Array<{ readonly requestId: string; readonly outcome: Promise<RequestOutcome> }>;
  /** How many of them, from the first, the connector was made to answer. */
  answered: number;
}

/** Write one request and wait until the connector has it: the stop that follows has something to drain. */
async function writeRequest(run: Run): Promise<void> {
  const from = run.connector.received.length;
  const outcome = run.connection.request(sendAction('model', `drain ${run.written.length + 1}`));
  const arrived = await run.connector.waitForFrame((r) => r.frame.type === 'outbound' && run.connector.received.indexOf(r) >= from, 2000);
  if (arrived.frame.type !== 'outbound') throw new Error('unreachable');
  run.written.push({ requestId: arrived.frame.requestId, outcome });
}

/** Which of the two timers of a draining stop the path lets run out first (drain grace or ack wait). */
function graceFirst(upcoming: readonly ModelEvent[]): boolean {
  const first = upcoming.map(eventLabel).find((label) => label === 'after drainGrace' || label === 'after stopGoIdleTimeout');
  return first === 'after drainGrace';
}

/** Let promise callbacks of the previous step run (a goIdle()/goDormant() outcome clears itself in one). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function perform(event: ModelEvent, run: Run, upcoming: readonly ModelEvent[]): Promise<void> {
  const { connection, connector, backlog } = run;
  switch (event.type) {
    case 'START':
      void connection.start().catch(() => undefined);
      return;
    case 'STOP':
      if ('drainMs' in event && event.drainMs) {
        // A written request still waiting: stop() awaits it beside going idle (the drain).
        await writeRequest(run);
        void connection.stop({ budgetS: graceFirst(upcoming) ? SHORT_GRACE_BUDGET_S : LONG_GRACE_BUDGET_S });
      } else void connection.stop();
      return;
    case 'DRAIN_DONE': {
      // The connector answers what was written: nothing is left pending, the drain is over.
      const request = run.written[run.answered];
      if (!request) throw new Error('DRAIN_DONE without a written request');
      run.answered++;
      connector.sendRaw(encodeFrame({ type: 'outbound_result', requestId: request.requestId, result: { success: true, message_id: 'drained' } }));
      await expect(request.outcome).resolves.toMatchObject({ ok: true });
      return;
    }
    case 'GO_IDLE':
      await settle();
      void connection.goIdle();
      return;
    case 'GO_DORMANT':
      await settle();
      void connection.goDormant();
      return;
    case 'HOLD_REDIAL':
      expect(connection.holdRedial()).toBe(true);
      return;
    case 'RELEASE_REDIAL':
      // The graph releases only a hold in effect (a release of nothing changes nothing).
      expect(connection.releaseRedial()).toBe(true);
      return;
    case 'RECONNECT_NOW':
      connection.reconnectNow();
      return;
    case 'DESCRIPTOR': {
      const link = connector.links.at(-1)!;
      await connector.waitForFrame((r) => r.link === link.id && r.frame.type === 'hello');
      expect(connector.sendDescriptor()).toBe(1);
      return;
    }
    case 'HANDSHAKE_INVALID': {
      const link = connector.links.at(-1)!;
      await connector.waitForFrame((r) => r.link === link.id && r.frame.type === 'hello');
      connector.sendRaw(INVALID_DESCRIPTOR);
      return;
    }
    case 'SOCKET_CLOSED':
      if ('code' in event && event.code === 1006) connector.dropLinks();
      else if ('code' in event) connector.closeLinks(event.code, event.reason);
      return;
    case 'GOING_IDLE_ACK': {
      await connector.waitForFrame((r) => r.frame.type === 'going_idle' && r.link === connector.links.at(-1)!.id);
      const acks = (): number => connection.context.idleAcks + connection.context.intakeAcks;
      const before = acks();
      expect(connector.ackGoingIdle()).toBe(1);
      // A flow-control ack changes no state: wait until the machine has counted it.
      await expect.poll(acks).toBe(before + 1);
      return;
    }
    case 'LINK_ALIVE':
      // Any inbound traffic proves the link alive; a blank line is the smallest.
      connector.sendRaw('\n');
      return;
    case 'INTAKE_HIGH':
      // One running and two waiting (half of maxQueuedInbound): the data plane raises flow control.
      for (let i = 0; i < 3; i++) connector.pushInbound({ text: `backlog ${i}`, source: { platform: 'telegram', chat_id: 'model' } });
      return;
    case 'INTAKE_DRAINED':
      backlog.release();
      return;
    default:
      // SOCKET_OPEN and DIAL_FAILED were arranged before the dial; delayed transitions just need time.
      return;
  }
}

function waitForStep(connection: RelayConnection, step: ModelPath['steps'][number], timeoutMs: number): Promise<void> {
  const matches = (): boolean => {
    const snapshot = connection.actor.getSnapshot();
    return statePath(snapshot) === step.state && JSON.stringify(guardFlags(snapshot.context)) === JSON.stringify(step.flags);
  };
  return new Promise<void>((resolve, reject) => {
    if (matches()) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      const snapshot = connection.actor.getSnapshot();
      reject(
        new Error(
          `expected ${step.state} ${JSON.stringify(step.flags)} after ${eventLabel(step.event)}, ` +
            `real system is in ${statePath(snapshot)} ${JSON.stringify(guardFlags(snapshot.context))}`,
        ),
      );
    }, timeoutMs);
    const subscription = connection.actor.subscribe(() => {
      if (!matches()) return;
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve();
    });
  });
}

/** Replay `path`; a failing step writes the run's trace as `traceName` (see test/support/failure-trace.ts). */
async function replay(path: ModelPath, settings: Partial<ConnectionSettings>, traceName: string): Promise<void> {
  const connector = await startDevConnector();
  connector.faults.omitDescriptor = true;
  connector.faults.holdGoingIdle = true;
  connector.faults.halfOpen = true;
  // Requests are answered by the DRAIN_DONE step only.
  connector.setOutboundPolicy(never);
  const backlog = newBacklog();
  const recorder = recordConnection({ name: traceName });
  const connection = createRelayConnection({
    url: connector.url,
    random: () => 1,
    settings: { ...TIMINGS, ...settings },
    inspect: (event: InspectionEvent) => {
      coverage.inspect(event);
      recorder.inspect(event);
    },
    ...BACKLOG,
    router: { inbound: () => ({ sessionKey: 'model', run: () => backlog.gate }), passthrough: () => null },
  });
  recorder.observe(connection);
  const run: Run = { connection, connector, backlog, written: [], answered: 0 };
  try {
    await withFailureTrace(traceName, recorder, async () => {
      for (let i = 0; i < path.steps.length; i++) {
        const step = path.steps[i]!;
        const upcoming = path.steps.slice(i + 1).map((s) => s.event);
        if (step.state === 'dialing') arrangeDial(connector, upcoming);
        await perform(step.event, run, upcoming);
        await waitForStep(connection, step, 3000);
      }
    });
    executed.push(path.name);
  } finally {
    recorder.stop();
    backlog.release();
    await connection.stop();
    await connector.close();
  }
  // A request the connector never answered was written: after the stop it is closed, and ambiguous.
  for (const { outcome } of run.written.slice(0, run.answered)) await expect(outcome).resolves.toMatchObject({ ok: true });
  for (const { outcome } of run.written.slice(run.answered)) {
    await expect(outcome).resolves.toEqual({ ok: false, failure: { success: false, error: 'relay transport closed', ambiguous: true, code: 'closed' } });
  }
}

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

let generationMs = 0;
for (const config of CONFIGS) {
  const started = performance.now();
  const shortest = shortestPaths(config.settings);
  const paths = [
    ...selectCoveringPaths(shortest, config.settings),
    ...simplePathsTo(config.settings, 'disabled', config.simpleToDisabled),
    ...simplePathsTo(config.settings, 'disabled', config.throughHeldToDisabled, 'held'),
    ...Object.entries(config.scenarios).map(([name, labels]) => ({ ...pathFromLabels(config.settings, labels), name: `${name}: ${labels.join(', ')}` })),
  ];
  generationMs += performance.now() - started;
  describe(`model paths, ${config.name} (${paths.length} paths chosen from ${shortest.length} shortest + simple paths)`, () => {
    it.each(paths.map((p) => [p.name, p] as const))('%s', async (_name, path) => {
      await replay(path, config.settings, `model (${config.name}): ${path.name}`);
    }, 30_000);
  });
}

describe('coverage of the real runs', () => {
  const ratio = (covered: number, total: number): string => `${covered}/${total} (${((100 * covered) / total).toFixed(1)}%)`;
  const covered = (keys: Set<string>, seen: Set<string>): number => [...keys].filter((key) => seen.has(key)).length;

  afterAll(() => {
    const states = allStateIds(connectionMachine.root);
    const transitions = allTransitions(connectionMachine.root);
    const branches = guardedBranches(connectionMachine.root);
    console.log(
      `model-based coverage: states ${ratio(covered(states, coverage.states), states.size)}, ` +
        `transitions ${ratio(covered(transitions, coverage.transitions), transitions.size)}, ` +
        `guarded branches ${ratio(covered(branches, coverage.transitions), branches.size)}, paths run ${executed.length}, ` +
        `paths generated in ${(generationMs / 1000).toFixed(1)} s`,
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
});
