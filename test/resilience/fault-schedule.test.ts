/**
 * The named fault schedule (test/support/fault-schedules.ts) on real sockets: a real transport
 * (createRelayConnection) dials the library's dev connector through the fault proxy; each cell enters
 * one lifecycle state, applies one fault there, and asserts the documented outcome: the exact public
 * states that follow, when the proxy heals, and why the link went down. After every cell, nothing is
 * lost, duplicated or hung: every inbound event (each carries a bufferId and stays with the connector
 * until acked, replayed after every handshake) is handled exactly once by message id, every request
 * settles within a bound, stop() resolves and leaves `stopped`, and no connection is left at the
 * proxy. A failing cell writes its recording as a visualizer trace (test-results/traces/).
 */
import { afterAll, describe, it, type ExpectStatic } from 'vitest';
import type { ConnectionStateName } from '../../machines/connection.types.js';
import { startDevConnector, type DevConnector, type ReceivedFrame } from '../../src/dev-connector/dev-connector.js';
import { delay } from '../../src/dev-connector/outbound-policy.js';
import { sendAction } from '../../src/protocol/outbound.js';
import type { RequestOutcome } from '../../src/transport/pending-requests.js';
import { createRelayConnection, type RelayConnection, type StateChange } from '../../src/transport/relay-connection.js';
import { recordConnection, withFailureTrace, type ConnectionTraceRecorder } from '../support/failure-trace.js';
import { conditionWaiters } from '../support/condition-waiters.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import {
  DRAINED_ANSWER_DELAY_MS,
  FAULT_NAMES,
  FAULT_PATCHES,
  faultCells,
  LIFECYCLE_STATES,
  SCHEDULE_TIMINGS,
  STOPPING_BUDGET_S,
  type FaultCell,
} from '../support/fault-schedules.js';

/** Bound on anything a cell waits for: far above every timer of the schedule. */
const WAIT_MS = 10_000;
/** Budget of the final stop of a cell that ends serving. */
const FINAL_BUDGET_S = 2;
/** Outbound timeout of the cells' gateways: a request nobody answers settles by then at the latest. */
const OUTBOUND_TIMEOUT_MS = 2_000;

const TEST_FILE = 'test/resilience/fault-schedule.test.ts';

/**
 * A connector with a durable buffer on top of the dev connector: every inbound event is sent with a
 * bufferId, live when the gateway is serving and not idle, and kept until its `inbound_ack`; after
 * every handshake everything not yet acked is sent again, in order. Handling each exactly once is the
 * gateway's job (spec §9: ack after the handler, de-duplicate replays).
 */
interface DurableFeed {
  /** Message ids pushed so far, in order. */
  readonly pushed: readonly string[];
  /** Buffer ids not acked yet. */
  readonly unacked: ReadonlyMap<string, string>;
  push(count: number): void;
  dispose(): void;
}

function durableFeed(connector: DevConnector, onChange: () => void): DurableFeed {
  const unacked = new Map<string, string>();
  const messageOf = new Map<string, string>();
  const pushed: string[] = [];
  const live = (): boolean => !connector.gatewayStatus().idle && connector.links.some((link) => link.handshaken && link.closedAt === undefined);
  const onHandshake = (): void => {
    for (const line of unacked.values()) connector.sendRaw(line);
  };
  const onFrame = (received: ReceivedFrame): void => {
    if (received.frame.type !== 'inbound_ack') return;
    unacked.delete(received.frame.bufferId);
    onChange();
  };
  connector.events.on('handshake', onHandshake);
  connector.events.on('frame', onFrame);
  return {
    pushed,
    unacked,
    push(count) {
      for (let i = 0; i < count; i++) {
        const n = pushed.length + 1;
        const messageId = `ev-${n}`;
        const bufferId = `fb-${n}`;
        const event = { text: `event ${n}`, message_type: 'text', message_id: messageId, source: { platform: 'relay', chat_id: 'fault', chat_type: 'dm', user_id: 'u-fault' } };
        const line = `${JSON.stringify({ type: 'inbound', event, bufferId })}\n`;
        unacked.set(bufferId, line);
        messageOf.set(bufferId, messageId);
        pushed.push(messageId);
        if (live()) connector.sendRaw(line);
      }
    },
    dispose() {
      connector.events.off('handshake', onHandshake);
      connector.events.off('frame', onFrame);
    },
  };
}

/** One cell's world: the connector, the proxy, the gateway and what they did. */
interface Harness {
  readonly cell: FaultCell;
  readonly connector: DevConnector;
  readonly proxy: FaultProxy;
  readonly connection: RelayConnection;
  readonly feed: DurableFeed;
  /** The run's recording (written as a trace when the cell fails). */
  readonly recorder: ConnectionTraceRecorder;
  /** Every state change of the gateway. */
  readonly changes: StateChange[];
  /** Index into `changes` where the fault was applied (null before). */
  faultAt: number | null;
  /** Message id -> times handled. */
  readonly handled: Map<string, number>;
  readonly requests: Array<{ readonly label: string; readonly outcome: Promise<RequestOutcome>; settled?: RequestOutcome }>;
  pongs: number;
  /** Called (once) with the next ping the gateway sends. */
  onPing: (() => void) | null;
  readonly steps: string[];
  step(text: string): void;
  applyFault(): void;
  request(label: string): Promise<RequestOutcome>;
  waitUntil(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Changes since the fault was applied. */
  afterFault(): ConnectionStateName[];
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function harness(cell: FaultCell, onTestFinished: (fn: () => Promise<void>) => void): Promise<Harness> {
  const connector = await startDevConnector();
  const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: connector.port }, seed: cell.name.length, onTestFinished });
  const waits = conditionWaiters();
  const notify = waits.notify;
  const recorder = recordConnection({ name: cell.name });
  const handled = new Map<string, number>();
  const connection = createRelayConnection({
    url: proxy.url,
    random: () => 1,
    settings: SCHEDULE_TIMINGS,
    outboundTimeoutMs: OUTBOUND_TIMEOUT_MS,
    inspect: recorder.inspect,
    router: {
      inbound: (frame) => {
        const id = frame.event.message_id ?? 'none';
        return {
          sessionKey: 'fault',
          messageKey: `relay:fault:${id}`,
          run: () => {
            handled.set(id, (handled.get(id) ?? 0) + 1);
            notify();
          },
        };
      },
      passthrough: () => null,
    },
  });
  recorder.observe(connection);
  const h: Harness = {
    cell,
    connector,
    proxy,
    connection,
    feed: durableFeed(connector, notify),
    recorder,
    changes: [],
    faultAt: null,
    handled,
    requests: [],
    pongs: 0,
    onPing: null,
    steps: [],
    step: (text) => void h.steps.push(text),
    applyFault() {
      h.faultAt = h.changes.length;
      h.step(`fault on: ${cell.fault} (in ${connection.statePath})`);
      proxy.configure(FAULT_PATCHES[cell.fault]);
    },
    request(label) {
      const outcome = connection.request(sendAction('fault', label));
      const entry: Harness['requests'][number] = { label, outcome };
      void outcome.then((settled) => {
        entry.settled = settled;
        notify();
      });
      h.requests.push(entry);
      return outcome;
    },
    waitUntil: (check, what, timeoutMs = WAIT_MS) =>
      waits.waitUntil(
        check,
        timeoutMs,
        () =>
          new Error(
            `${cell.name}: timed out after ${timeoutMs} ms waiting for ${what} (states after the fault: ${h.afterFault().join(' > ') || 'none'}; now ${connection.statePath})`,
          ),
      ),
    afterFault: () => (h.faultAt === null ? [] : h.changes.slice(h.faultAt).map((change) => change.state)),
  };
  connection.onStateChange((change) => {
    h.changes.push(change);
    h.step(`state ${change.state}${change.cause ? ` (${change.cause.summary})` : ''}`);
    healIfDue(h);
    notify();
  });
  connection.actor.subscribe(() => notify());
  connection.observeFrames((event) => {
    if (event.direction === 'in' && event.kind === 'pong') h.pongs++;
    if (event.direction === 'out' && event.kind === 'ping' && h.onPing) {
      const onPing = h.onPing;
      h.onPing = null;
      // Before the ping's bytes reach the proxy: the ping (and its pong) meet the fault.
      onPing();
    }
    notify();
  });
  onTestFinished(async () => {
    recorder.stop();
    h.feed.dispose();
    await connection.stop({ budgetS: 1 });
    await proxy.close();
    await connector.close();
  });
  return h;
}

/** Heal the proxy at the cell's documented moment (synchronously, in the state listener). */
function healIfDue(h: Harness): void {
  const healAt = h.cell.healAt;
  if (healAt === 'end' || h.faultAt === null) return;
  const entries = h.afterFault().filter((state) => state === healAt.state).length;
  const latest = h.changes.at(-1);
  if (latest?.state !== healAt.state || entries !== healAt.nth) return;
  h.step(`heal (at ${healAt.state} #${healAt.nth})`);
  h.proxy.clear();
  // A held descriptor (handshaking × upgrade stall) is sent from here on.
  h.connector.faults.omitDescriptor = false;
}

const settledOk = (outcome: RequestOutcome | undefined): boolean => outcome?.ok === true && outcome.result.success === true;

async function startServing(h: Harness): Promise<void> {
  await h.connection.start();
  await h.waitUntil(() => h.handled.size >= h.feed.pushed.length, 'the events pushed before the start');
  const before = await h.request('before the fault');
  if (!settledOk(before)) throw new Error(`${h.cell.name}: the request before the fault failed: ${JSON.stringify(before)}`);
  h.step('serving; events and a request done');
}

/** Enter the cell's state through the proxy and apply the fault there (and what the state needs next). */
async function enterAndApply(h: Harness): Promise<{ idleResult?: Promise<boolean> }> {
  const { connection, connector, cell } = h;
  const reachState = async (state: ConnectionStateName): Promise<void> => h.waitUntil(() => connection.state === state, `state ${state}`);
  switch (cell.state) {
    case 'dialing': {
      void connection.start().catch(() => undefined);
      if (connection.state !== 'dialing') throw new Error(`${cell.name}: not dialing after start() but ${connection.state}`);
      // The socket is not even connected yet: the whole upgrade meets the fault.
      h.applyFault();
      return {};
    }
    case 'handshaking': {
      connector.faults.omitDescriptor = true;
      void connection.start().catch(() => undefined);
      await reachState('handshaking');
      // "Hello sent" means the connector has it: the gateway is waiting for the descriptor only.
      await connector.waitForFrame((r) => r.frame.type === 'hello', WAIT_MS);
      h.applyFault();
      if (cell.fault !== 'upgrade stall') {
        connector.faults.omitDescriptor = false;
        h.step(`descriptor released (${connector.sendDescriptor()} link)`);
      }
      return {};
    }
    case 'serving': {
      await startServing(h);
      h.applyFault();
      h.feed.push(2);
      void h.request('during the fault');
      await afterServingFault(h);
      return {};
    }
    case 'awaitingPong': {
      await startServing(h);
      const pinged = new Promise<void>((resolve) => {
        h.onPing = () => {
          h.applyFault();
          resolve();
        };
      });
      await pinged;
      if (!connection.statePath.startsWith('serving.awaitingPong')) throw new Error(`${cell.name}: the ping went out in ${connection.statePath}`);
      h.feed.push(2);
      void h.request('during the fault');
      await afterServingFault(h);
      return {};
    }
    case 'goingIdle': {
      await startServing(h);
      const idleResult = connection.goIdle();
      if (connection.state !== 'goingIdle') throw new Error(`${cell.name}: goIdle() left ${connection.state}`);
      // going_idle is written but the proxy has not read it yet (same turn): it meets the fault.
      h.applyFault();
      h.feed.push(2);
      // Idle after the ack: wake it, through the fault.
      void h.waitUntil(() => h.afterFault()[0] === 'idle', 'idle').then(
        () => {
          h.step('reconnectNow() from idle');
          connection.reconnectNow();
        },
        () => undefined,
      );
      return { idleResult };
    }
    case 'idle': {
      await startServing(h);
      if (!(await connection.goIdle())) throw new Error(`${cell.name}: goIdle() was not acked`);
      await reachState('idle');
      h.applyFault();
      h.feed.push(2);
      void h.request('during the fault');
      h.step('reconnectNow()');
      connection.reconnectNow();
      return {};
    }
    case 'reconnecting': {
      await startServing(h);
      connector.dropLinks();
      await reachState('reconnecting');
      h.applyFault();
      h.feed.push(2);
      void h.request('during the fault');
      return {};
    }
    case 'dormant': {
      await startServing(h);
      if (!(await connection.goDormant())) throw new Error(`${cell.name}: goDormant() was not acked`);
      if (connection.state !== 'dormant') throw new Error(`${cell.name}: not dormant but ${connection.state}`);
      h.applyFault();
      h.feed.push(2);
      void h.request('during the fault');
      return {};
    }
    case 'held': {
      await startServing(h);
      if (!connection.holdRedial()) throw new Error(`${cell.name}: holdRedial() refused`);
      connector.dropLinks();
      await reachState('held');
      h.applyFault();
      h.feed.push(2);
      void h.request('during the fault');
      h.step('releaseRedial()');
      connection.releaseRedial();
      return {};
    }
    case 'stopping':
      throw new Error('stopping cells run in runStoppingCell');
  }
}

/** After a fault on a serving link: the slow close needs a close to show, the stall a redial. */
async function afterServingFault(h: Harness): Promise<void> {
  if (h.cell.fault === 'slow close') {
    await h.waitUntil(() => h.handled.size >= h.feed.pushed.length && h.requests.every((r) => r.settled), 'the traffic of the fault');
    await h.waitUntil(() => h.connection.statePath === 'serving.live', 'the link proven alive');
    h.step('connector closes with 1012');
    h.connector.closeLinks(1012, 'service restart');
  }
  if (h.cell.fault === 'upgrade stall') {
    await h.waitUntil(() => h.connection.statePath === 'serving.live' && h.requests.every((r) => r.settled), 'the link proven alive');
    h.step('reconnectNow()');
    h.connection.reconnectNow();
  }
}

/** The text a link-down is explained by: last error, close code and reason. */
function whyDown(change: StateChange): string {
  const context = change.context;
  return `${context.lastError ?? ''} ${context.lastClose ? `${context.lastClose.code} ${context.lastClose.reason}` : ''}`;
}

async function runCell(h: Harness, expect: ExpectStatic): Promise<void> {
  const { cell } = h;
  h.feed.push(2);
  h.step('2 events pushed before the start (held by the connector)');
  const { idleResult } = await enterAndApply(h);

  // The documented reaction, state by state, and nothing more.
  await h.waitUntil(() => h.afterFault().length >= cell.states.length, `the states ${cell.states.join(' > ')}`);
  await settle();
  expect(h.afterFault(), 'states after the fault').toEqual(cell.states);
  if (cell.because !== undefined) {
    const down = h.changes.slice(h.faultAt ?? 0).find((change) => change.state === 'reconnecting' || change.state === 'dormant');
    expect(down ? whyDown(down) : 'no link-down', 'why the link went down').toContain(cell.because);
  }
  if (idleResult) expect(await idleResult, 'goIdle() result').toBe(cell.states[0] === 'idle');

  if (cell.healAt === 'end') {
    // A benign fault still on: the keepalive passes through it (a pong), and raises no false close.
    const pongs = h.pongs;
    await h.waitUntil(() => h.pongs > pongs, 'a pong through the fault');
  }
  h.feed.push(2);
  const after = await h.request('after recovery');
  await h.waitUntil(() => h.feed.unacked.size === 0 && h.feed.pushed.every((id) => h.handled.has(id)), 'every event handled and acked');
  await h.waitUntil(() => h.requests.every((r) => r.settled), 'every request settled', OUTBOUND_TIMEOUT_MS + 1000);
  expect(h.afterFault(), 'states after the fault, once settled').toEqual(cell.states);
  expect(settledOk(after), `request after recovery: ${JSON.stringify(after)}`).toBe(true);
  expect([...h.handled.entries()].filter(([, times]) => times !== 1), 'events handled more than once').toEqual([]);
  expect([...h.handled.keys()].sort(), 'events handled').toEqual([...h.feed.pushed].sort());
  if (cell.healAt === 'end' && (cell.state === 'serving' || cell.state === 'awaitingPong')) {
    // A benign fault on a serving link: every request got its real result.
    for (const r of h.requests) expect(settledOk(r.settled), `request ${r.label}: ${JSON.stringify(r.settled)}`).toBe(true);
  }

  await stopAndCheck(h, FINAL_BUDGET_S, expect);
  expect(h.afterFault().at(-1)).toBe('stopped');
}

/** stop() resolves (within its budget, bounded), `stopped`, and once healed no connection is left at the proxy. */
async function stopAndCheck(h: Harness, budgetS: number, expect: ExpectStatic): Promise<void> {
  h.step(`stop({ budgetS: ${budgetS} })`);
  await stopWithin(h, h.connection.stop({ budgetS }), budgetS);
  expect(h.connection.state).toBe('stopped');
  h.step('heal; wait for the proxy to have no connection');
  h.proxy.clear();
  await h.proxy.waitForOpen(0, WAIT_MS);
}

async function stopWithin(h: Harness, stopping: Promise<void>, budgetS: number): Promise<void> {
  // The stop's own budget bounds it; the extra second only tells a hang from a slow machine.
  const boundMs = budgetS * 1000 + 1000;
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${h.cell.name}: stop() did not resolve within ${boundMs} ms (budget ${budgetS} s; now ${h.connection.statePath})`)), boundMs);
  });
  try {
    await Promise.race([stopping, hung]);
  } finally {
    clearTimeout(timer);
  }
}

async function runStoppingCell(h: Harness, expect: ExpectStatic): Promise<void> {
  const { cell, connection, connector } = h;
  h.feed.push(2);
  await startServing(h);
  connector.setOutboundPolicy(delay(DRAINED_ANSWER_DELAY_MS));
  const draining = h.request('drained by the stop');
  await connector.waitForFrame((r) => r.frame.type === 'outbound' && r.frame.action.op === 'send' && r.frame.action.content === 'drained by the stop', WAIT_MS);
  h.step(`stop({ budgetS: ${STOPPING_BUDGET_S} }) with the request written`);
  const stopping = connection.stop({ budgetS: STOPPING_BUDGET_S });
  if (connection.statePath !== 'goingIdle.stopping') throw new Error(`${cell.name}: stop() left ${connection.statePath}`);
  h.applyFault();
  h.feed.push(2);
  await stopWithin(h, stopping, STOPPING_BUDGET_S);
  expect(h.afterFault(), 'states after the fault').toEqual(cell.states);
  expect(connection.state).toBe('stopped');
  const outcome = await draining;
  if (cell.drained === 'success') expect(settledOk(outcome), `drained request: ${JSON.stringify(outcome)}`).toBe(true);
  else expect(outcome, 'drained request').toMatchObject({ ok: false, failure: { success: false, ambiguous: true } });
  // Nothing twice; whatever was not handled is still with the connector (never acked, so never lost).
  expect([...h.handled.entries()].filter(([, times]) => times !== 1), 'events handled more than once').toEqual([]);
  const unackedIds = [...h.feed.unacked.keys()].map((bufferId) => `ev-${bufferId.slice('fb-'.length)}`);
  for (const id of h.feed.pushed) expect(h.handled.has(id) || unackedIds.includes(id), `event ${id} handled or still with the connector`).toBe(true);
  await h.waitUntil(() => h.requests.every((r) => r.settled), 'every request settled', OUTBOUND_TIMEOUT_MS + 1000);
  h.proxy.clear();
  await h.proxy.waitForOpen(0, WAIT_MS);
}

const cells = faultCells();
const failed: string[] = [];
let passed = 0;

describe.concurrent('fault schedule: every lifecycle state x every fault, through the fault proxy', () => {
  for (const cell of cells) {
    it(`${cell.name}: ${cell.says}`, async ({ expect, onTestFinished }) => {
      const h = await harness(cell, onTestFinished);
      try {
        await withFailureTrace(cell.name, h.recorder, () => (cell.state === 'stopping' ? runStoppingCell(h, expect) : runCell(h, expect)), {
          schedule: h.steps,
          rerun: `npx vitest run ${TEST_FILE} -t "${cell.name}"`,
        });
        passed++;
      } catch (error) {
        failed.push(cell.name);
        throw error;
      }
    }, 30_000);
  }
});

afterAll(() => {
  const summary = `fault schedule: ${cells.length} cells over ${LIFECYCLE_STATES.length} states x ${FAULT_NAMES.length} faults`;
  if (failed.length === 0 && passed === cells.length) console.log(`${summary}, all outcomes as documented`);
  else console.log(`${summary}: ${passed} as documented, ${failed.length} failed (${failed.join('; ')})${passed + failed.length < cells.length ? `, ${cells.length - passed - failed.length} not run` : ''}`);
});
