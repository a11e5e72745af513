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
import { startDevConnector, type DevConnector } from '../../src/dev-connector/dev-connector.js';
import { createRelayConnection, type RelayConnection } from '../../src/transport/relay-connection.js';
import { recordConnection, withFailureTrace } from '../support/failure-trace.js';
import {
  allStateIds,
  allTransitions,
  CoverageRecorder,
  guardedBranches,
  eventLabel,
  guardFlags,
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
};

const INVALID_DESCRIPTOR = `${JSON.stringify({ type: 'descriptor', descriptor: { contract_version: 1, platform: 'relay' } })}\n`;

const coverage = new CoverageRecorder();
const executed: string[] = [];

/** Prepare the connector so the dial that is about to start ends the way the next step needs. */
function arrangeDial(connector: DevConnector, next: ModelEvent | undefined): void {
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

async function perform(event: ModelEvent, connection: RelayConnection, connector: DevConnector, backlog: Backlog): Promise<void> {
  switch (event.type) {
    case 'START':
      void connection.start().catch(() => undefined);
      return;
    case 'STOP':
      void connection.stop();
      return;
    case 'GO_IDLE':
      void connection.goIdle();
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
  try {
    await withFailureTrace(traceName, recorder, async () => {
      for (let i = 0; i < path.steps.length; i++) {
        const step = path.steps[i]!;
        if (step.state === 'dialing') arrangeDial(connector, path.steps[i + 1]?.event);
        await perform(step.event, connection, connector, backlog);
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
}

const CONFIGS: ReadonlyArray<{ name: string; settings: Partial<ConnectionSettings>; simpleToDisabled: number }> = [
  { name: 'reconnect on', settings: { reconnect: true }, simpleToDisabled: 3 },
  { name: 'reconnect off', settings: { reconnect: false }, simpleToDisabled: 0 },
];

for (const config of CONFIGS) {
  const shortest = shortestPaths(config.settings);
  const paths = [...selectCoveringPaths(shortest, config.settings), ...simplePathsTo(config.settings, 'disabled', config.simpleToDisabled)];
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
        `guarded branches ${ratio(covered(branches, coverage.transitions), branches.size)}, paths run ${executed.length}`,
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
