/**
 * Replays model paths (test/support/model-graph.ts) on a real connection: the real transport
 * (`createRelayConnection`) against the real dev connector over loopback sockets, each step made by
 * a real stimulus (a public API call, or the connector doing what the event means), then awaited:
 * the real system must reach the state and guard flags the pure machine reaches, by the transitions
 * the pure machine takes. A failing step writes the run's trace (see test/support/failure-trace.ts).
 * Shared by the model test and the sneak-path matrix.
 * @module
 */
import { expect } from 'vitest';
import type { InspectionEvent } from 'xstate';
import type { ConnectionEvent, ConnectionSettings } from '../../machines/connection.types.js';
import { encodeFrame } from '../../src/codec/frame-encoder.js';
import { startDevConnector, type DevConnector } from '../../src/dev-connector/dev-connector.js';
import { never } from '../../src/dev-connector/outbound-policy.js';
import { sendAction } from '../../src/protocol/outbound.js';
import type { RequestOutcome } from '../../src/transport/pending-requests.js';
import { createRelayConnection, type RelayConnection } from '../../src/transport/relay-connection.js';
import { recordConnection, withFailureTrace, type ConnectionTraceRecorder } from './failure-trace.js';
import { keysPerStep } from './model-explore.js';
import { CoverageRecorder, eventLabel, guardFlags, statePath, type ModelEvent, type ModelPath } from './model-graph.js';

/** Timings short enough to run, long enough that a step (a few ms) never races a timer. */
export const TIMINGS: Partial<ConnectionSettings> = {
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

/** Events that change nothing about a dial in progress: the one that ends it comes after them. */
const BESIDE_A_DIAL: ReadonlySet<string> = new Set(['HOLD_REDIAL', 'RELEASE_REDIAL']);

/** Prepare the connector so the dial that is about to start ends the way the path needs. */
export function arrangeDial(connector: DevConnector, upcoming: readonly ModelEvent[]): void {
  const next = upcoming.find((event) => !BESIDE_A_DIAL.has(event.type));
  // What an earlier arrangement left armed belongs to a dial that never reached the connector (a
  // socket replaced before it dialled): this dial is the one the path is about.
  connector.faults.refuseUpgrades = 0;
  connector.faults.stallUpgrades = 0;
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

/** A real connection under test, with what it has going on besides: the connector, the backlog gate, requests. */
export interface ModelRun {
  readonly connection: RelayConnection;
  readonly connector: DevConnector;
  /** The gate deliveries wait on now (a new one after each drain, so a later backlog builds again). */
  backlog: Backlog;
  /** Requests written (the connector answers none by itself), oldest first. */
  readonly written: Array<{ readonly requestId: string; readonly outcome: Promise<RequestOutcome> }>;
  /** How many of them, from the first, the connector was made to answer. */
  answered: number;
  /** Steps made by injecting the event (see {@link inject}). */
  injected: number;
  /** Frames of the connector up to the last going_idle a GOING_IDLE_ACK step answered. */
  idleAskedUpTo: number;
  /** This run's transitions, states and key sequence. */
  readonly coverage: CoverageRecorder;
  readonly recorder: ConnectionTraceRecorder;
}

/** Write one request and wait until the connector has it: the stop that follows has something to drain. */
export async function writeRequest(run: ModelRun): Promise<void> {
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

/** Resolves as soon as `check` holds for the real machine (re-checked on every snapshot it emits). */
function untilContext(run: ModelRun, check: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (check()) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (real system in ${run.connection.statePath})`));
    }, timeoutMs);
    const subscription = run.connection.actor.subscribe(() => {
      if (!check()) return;
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve();
    });
  });
}

/** Let promise callbacks of the previous step run (a goIdle()/goDormant() outcome clears itself in one). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Make `event` happen on the real system by a real stimulus (delayed transitions: nothing, time does it). */
export async function perform(event: ModelEvent, run: ModelRun, upcoming: readonly ModelEvent[]): Promise<void> {
  const { connection, connector } = run;
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
      if (!request) {
        // Nothing written waits (a stop with nothing to drain, or a drain already over): the
        // transport never says so, so only an injected event can take this edge.
        inject(run, event);
        return;
      }
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
      const acks = (): number => connection.context.idleAcks + connection.context.intakeAcks;
      const before = acks();
      // The newest going_idle on the newest link, if one is unanswered: the connector answers it.
      // Otherwise (a second ack for one request) the connector sends an unsolicited ack, as a
      // confused peer would.
      const link = connector.links.at(-1)!.id;
      const asked = connector.received.findIndex((r, i) => i >= run.idleAskedUpTo && r.link === link && r.frame.type === 'going_idle');
      if (asked >= 0) run.idleAskedUpTo = asked + 1;
      // Links closed with a going_idle unanswered are answered too (nobody reads those any more).
      if (asked < 0 || connector.ackGoingIdle() === 0) connector.sendRaw(encodeFrame({ type: 'going_idle_ack' }));
      // A flow-control ack changes no state: wait until the machine has counted it. Not by polling:
      // a late ack re-dials at once, and the steps beside that dial (a hold) must come before it opens.
      await untilContext(run, () => acks() > before, 'the ack counted');
      expect(acks()).toBe(before + 1);
      return;
    }
    case 'LINK_ALIVE':
      // Any inbound traffic proves the link alive; a blank line is the smallest. A ping that came
      // due after traffic found the link alive by itself: nothing to send.
      if (connection.statePath === 'serving.awaitingPong') connector.sendRaw('\n');
      return;
    case 'INTAKE_HIGH':
      // The data plane raises flow control once per link; while it is held only an injected event repeats it.
      if (connection.context.intake === 'held') {
        inject(run, event);
        return;
      }
      // One running and two waiting (half of maxQueuedInbound): the data plane raises flow control.
      for (let i = 0; i < 3; i++) connector.pushInbound({ text: `backlog ${i}`, source: { platform: 'telegram', chat_id: 'model' } });
      return;
    case 'INTAKE_DRAINED': {
      const drained = run.backlog;
      run.backlog = newBacklog();
      drained.release();
      return;
    }
    default:
      // SOCKET_OPEN and DIAL_FAILED were arranged before the dial; delayed transitions just need time.
      return;
  }
}

/**
 * Send `event` to the real connection's machine directly: for the few edges of the graph that no
 * real peer or caller can produce (the transport never emits them there), counted in
 * {@link ModelRun.injected}.
 */
export function inject(run: ModelRun, event: ModelEvent): void {
  run.injected++;
  run.connection.actor.send(event as ConnectionEvent);
}

/** The real actor's transition keys so far. */
function realKeys(run: ModelRun): readonly string[] {
  return run.coverage.sequences.get(run.connection.actor.sessionId) ?? [];
}

/**
 * Transitions the real run may take between a step's planned ones, timers that change nothing a
 * step checks: serving's stable-serving mark, and the zero-length drain grace of a stop with nothing
 * to drain (it fires first, marking drained what already is; paths other than the pair walks leave it out).
 */
const UNPLANNED_TIMERS = /^connection\.running\.link\.open\.(serving xstate\.after\.stableServing|goingIdle\.stopping xstate\.after\.drainGrace)\./;

/**
 * Wait until the real system rests in the step's state and flags, having taken the step's
 * transitions in order, from `cursor.at` on. Only the timers of {@link UNPLANNED_TIMERS} may come
 * between them; any other transition between them fails the step. Advances `cursor.at` past them.
 */
export function waitForStep(
  run: ModelRun,
  step: ModelPath['steps'][number],
  keys: readonly string[],
  cursor: { at: number },
  timeoutMs: number,
): Promise<void> {
  const { connection } = run;
  const taken = (): number | undefined => {
    const real = realKeys(run);
    let at = cursor.at;
    for (const key of keys) {
      const found = real.indexOf(key, at);
      if (found < 0) return undefined;
      // Only the timers of UNPLANNED_TIMERS may come between: any other transition is a detour.
      if (real.slice(at, found).some((between) => !UNPLANNED_TIMERS.test(between))) return undefined;
      at = found + 1;
    }
    return at;
  };
  const matches = (): boolean => {
    const snapshot = connection.actor.getSnapshot();
    return statePath(snapshot) === step.state && JSON.stringify(guardFlags(snapshot.context)) === JSON.stringify(step.flags) && taken() !== undefined;
  };
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      cursor.at = taken()!;
      resolve();
    };
    if (matches()) {
      done();
      return;
    }
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      const snapshot = connection.actor.getSnapshot();
      reject(
        new Error(
          `expected ${step.state} ${JSON.stringify(step.flags)} by ${keys.join(', ') || '(no transition)'} after ${eventLabel(step.event)}, ` +
            `real system is in ${statePath(snapshot)} ${JSON.stringify(guardFlags(snapshot.context))} after ${realKeys(run).slice(cursor.at).join(', ') || 'no transition'}`,
        ),
      );
    }, timeoutMs);
    const subscription = connection.actor.subscribe(() => {
      if (!matches()) return;
      clearTimeout(timer);
      subscription.unsubscribe();
      done();
    });
  });
}

/** Options of {@link startModelRun}. */
export interface ModelRunOptions {
  readonly settings: Partial<ConnectionSettings>;
  /** The run's trace name (see test/support/failure-trace.ts). */
  readonly traceName: string;
  /** Also told about every inspection event (a coverage recorder shared by a whole file). */
  readonly inspect?: (event: InspectionEvent) => void;
  /** The command that re-runs this run's test, for the failure message and the trace's note. */
  readonly rerun?: string;
}

/** `npx vitest run FILE -t PATTERN` for the test named `name` (its regex characters escaped). */
export function rerunTest(file: string, name: string): string {
  return `npx vitest run ${file} -t "${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/"/g, '\\"')}"`;
}

/** A dev connector with the model's faults, and a connection to it (not started). */
export async function startModelRun(options: ModelRunOptions): Promise<ModelRun> {
  const connector = await startDevConnector();
  connector.faults.omitDescriptor = true;
  connector.faults.holdGoingIdle = true;
  connector.faults.halfOpen = true;
  // Requests are answered by the DRAIN_DONE step only.
  connector.setOutboundPolicy(never);
  const coverage = new CoverageRecorder();
  const recorder = recordConnection({ name: options.traceName });
  const run: { -readonly [K in keyof ModelRun]: ModelRun[K] } = {
    connection: undefined as unknown as RelayConnection,
    connector,
    backlog: newBacklog(),
    written: [],
    answered: 0,
    idleAskedUpTo: 0,
    injected: 0,
    coverage,
    recorder,
  };
  run.connection = createRelayConnection({
    url: connector.url,
    random: () => 1,
    settings: { ...TIMINGS, ...options.settings },
    inspect: (event: InspectionEvent) => {
      coverage.inspect(event);
      recorder.inspect(event);
      options.inspect?.(event);
    },
    ...BACKLOG,
    // The gate is the one of the frame's arrival: a drain releases what arrived before it, not what comes after.
    router: {
      inbound: () => {
        const gate = run.backlog.gate;
        return { sessionKey: 'model', run: () => gate };
      },
      passthrough: () => null,
    },
  });
  recorder.observe(run.connection);
  return run;
}

/**
 * End a run: stop the connection (the connector now acks going idle at once, so a stop from serving
 * does not wait out the ack timeout), close the connector, and check what was written: answered
 * requests succeeded, the others were closed, ambiguous.
 */
export async function endModelRun(run: ModelRun): Promise<void> {
  run.recorder.stop();
  run.backlog.release();
  run.connector.faults.holdGoingIdle = false;
  run.connector.ackGoingIdle();
  await run.connection.stop();
  await run.connector.close();
  for (const { outcome } of run.written.slice(0, run.answered)) await expect(outcome).resolves.toMatchObject({ ok: true });
  for (const { outcome } of run.written.slice(run.answered)) {
    await expect(outcome).resolves.toEqual({ ok: false, failure: { success: false, error: 'relay transport closed', ambiguous: true, code: 'closed' } });
  }
}

/**
 * Play the steps of `path` on `run` (from where it rests now), each by a real stimulus, each
 * awaited. `then` are events that come after the path (a dial is arranged for them too).
 */
export async function playSteps(run: ModelRun, path: ModelPath, settings: Partial<ConnectionSettings>, then: readonly ModelEvent[] = []): Promise<void> {
  const cursor = { at: realKeys(run).length };
  const keys = keysPerStep(settings, path.steps.map((s) => s.event));
  for (let i = 0; i < path.steps.length; i++) {
    const step = path.steps[i]!;
    const upcoming = [...path.steps.slice(i + 1).map((s) => s.event), ...then];
    if (step.state === 'dialing') arrangeDial(run.connector, upcoming);
    await perform(step.event, run, upcoming);
    await waitForStep(run, step, keys[i]!, cursor, 3000);
  }
}

/**
 * Replay `path` on a fresh real connection; a failing step writes the run's trace as `traceName`.
 * @returns the run's coverage (its transitions and pairs) and how many steps were injected.
 */
export async function replay(path: ModelPath, options: ModelRunOptions): Promise<{ readonly coverage: CoverageRecorder; readonly injected: number }> {
  const run = await startModelRun(options);
  try {
    await withFailureTrace(options.traceName, run.recorder, () => playSteps(run, path, options.settings), {
      schedule: path.steps.map((s) => `${eventLabel(s.event)} -> ${s.state}`),
      ...(options.rerun !== undefined ? { rerun: options.rerun } : {}),
    });
  } finally {
    await endModelRun(run);
  }
  return { coverage: run.coverage, injected: run.injected };
}
