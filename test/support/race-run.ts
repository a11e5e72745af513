/**
 * One run of the race campaign: the calls the test makes (on a connection or a gateway), the
 * connector's script, and the scheduler that orders them with the connector's answers; plus the
 * invariants watched while it runs and checked after it:
 * - at most one socket open at the connector at any time;
 * - every promise the test got settles;
 * - no inbound handler runs twice for one message id;
 * - a stop is never undone (after `stop()` only `goingIdle.stopping` and `stopped`; no upgrade after
 *   it resolved);
 * - a 4401 on the fresh-token re-dial disables, and a 4401 after a handshake re-dials at once;
 * - nothing (timer, socket, handle) is left once the run has stopped and its connector closed.
 * @module
 */
import type { Scheduler } from 'fast-check';
import type { ConnectionContext, ConnectionStateName } from '../../machines/connection.types.js';
import type { RelayGateway } from '../../src/gateway/create-relay-gateway.js';
import { sendAction } from '../../src/protocol/outbound.js';
import type { FrameTapListener } from '../../src/transport/frame-tap.js';
import type { Redial, RelayConnection } from '../../src/transport/relay-connection.js';
import { leakedResources, type RaceConnector } from './race-harness.js';

/** A settled request, reduced to what the invariants need. */
export interface RaceOutcome {
  readonly ok: boolean;
  /** The failure's code (`timeout`, `connection_lost`, `closed`, `not_connected`, ...). */
  readonly code?: string;
  /** The connector's message id (the campaign's connector answers with the request's text). */
  readonly messageId?: string;
}

/** A state change, reduced to what the invariants need. */
export interface RaceChange {
  readonly state: ConnectionStateName;
  readonly previous: ConnectionStateName;
  readonly path: string;
  readonly closeCode?: number;
  readonly closeReason?: string;
  readonly redial?: Redial;
  readonly context: ConnectionContext;
}

/** What a run drives: a `RelayConnection` or a `RelayGateway`, behind one face. */
export interface RaceTarget {
  start(): Promise<void>;
  stop(): Promise<void>;
  goIdle(): Promise<boolean>;
  goDormant(): Promise<boolean>;
  reconnectNow(): void;
  holdRedial(): boolean;
  releaseRedial(): boolean;
  /** Send `text` to chat `c1` and wait for the outcome. */
  request(text: string): Promise<RaceOutcome>;
  readonly state: ConnectionStateName;
  readonly statePath: string;
  onChange(listener: (change: RaceChange) => void): () => void;
  observeFrames(listener: FrameTapListener): () => void;
  /** Handlers running and deliveries waiting. */
  backlog(): number;
  /** Dials started so far. */
  dials(): number;
}

/** A `RelayConnection` as a {@link RaceTarget}. */
export function connectionTarget(connection: RelayConnection): RaceTarget {
  return {
    start: () => connection.start(),
    stop: () => connection.stop(),
    goIdle: () => connection.goIdle(),
    goDormant: () => connection.goDormant(),
    reconnectNow: () => connection.reconnectNow(),
    holdRedial: () => connection.holdRedial(),
    releaseRedial: () => connection.releaseRedial(),
    request: async (text) => {
      const outcome = await connection.request(sendAction('c1', text));
      if (!outcome.ok) return { ok: false, ...(outcome.failure.code ? { code: outcome.failure.code } : {}) };
      const messageId = outcome.result.message_id;
      return { ok: outcome.result.success === true, ...(typeof messageId === 'string' ? { messageId } : {}) };
    },
    get state() {
      return connection.state;
    },
    get statePath() {
      return connection.statePath;
    },
    onChange: (listener) =>
      connection.onStateChange((change) =>
        listener({
          state: change.state,
          previous: change.previous,
          path: change.path,
          ...(change.cause?.closeCode !== undefined ? { closeCode: change.cause.closeCode } : {}),
          ...(change.cause?.closeReason !== undefined ? { closeReason: change.cause.closeReason } : {}),
          ...(change.redial ? { redial: change.redial } : {}),
          context: change.context,
        }),
      ),
    observeFrames: (listener) => connection.observeFrames(listener),
    backlog: () => {
      const m = connection.metrics();
      return m.handlersRunning + m.inboundQueued;
    },
    dials: () => connection.metrics().dials,
  };
}

/** A `RelayGateway` (the public API) as a {@link RaceTarget}. */
export function gatewayTarget(gateway: RelayGateway): RaceTarget {
  return {
    start: () => gateway.start(),
    stop: () => gateway.stop(),
    goIdle: () => gateway.goIdle(),
    goDormant: () => gateway.goDormant(),
    reconnectNow: () => gateway.reconnectNow(),
    holdRedial: () => gateway.holdRedial(),
    releaseRedial: () => gateway.releaseRedial(),
    request: async (text) => {
      const result = await gateway.send('c1', text);
      return { ok: result.success, ...(result.code ? { code: result.code } : {}), ...(result.messageId ? { messageId: result.messageId } : {}) };
    },
    get state() {
      return gateway.state;
    },
    get statePath() {
      return gateway.statePath;
    },
    onChange: (listener) =>
      gateway.onStateChange((state, info) =>
        listener({
          state,
          previous: info.previous,
          path: info.path,
          ...(info.cause?.closeCode !== undefined ? { closeCode: info.cause.closeCode } : {}),
          ...(info.cause?.closeReason !== undefined ? { closeReason: info.cause.closeReason } : {}),
          ...(info.redial ? { redial: info.redial } : {}),
          context: gateway.context,
        }),
      ),
    observeFrames: (listener) => gateway.observeFrames(listener),
    backlog: () => {
      const m = gateway.metrics();
      return m.handlersRunning + m.inboundQueued;
    },
    dials: () => gateway.metrics().dials,
  };
}

/** A step of a run: the connector's (kept in order) or a call of the test's (released in any order). */
export type RaceOp =
  | { readonly kind: 'push'; readonly count: number }
  | { readonly kind: 'again' }
  | { readonly kind: 'drop' }
  | { readonly kind: 'close'; readonly code: number }
  | { readonly kind: 'tick'; readonly ms: number }
  | { readonly kind: 'stop' }
  | { readonly kind: 'goIdle' }
  | { readonly kind: 'goDormant' }
  | { readonly kind: 'reconnectNow' }
  | { readonly kind: 'hold' }
  | { readonly kind: 'release' }
  | { readonly kind: 'request' };

/** Ops the connector performs; the others are the test's calls. */
const CONNECTOR_OPS: ReadonlySet<RaceOp['kind']> = new Set(['push', 'again', 'drop', 'close', 'tick']);

/** True for a connector op (kept in order), false for a call (the scheduler orders it freely). */
export function isConnectorOp(op: RaceOp): boolean {
  return CONNECTOR_OPS.has(op.kind);
}

/** An op as one line of a schedule. */
export function describeOp(op: RaceOp): string {
  switch (op.kind) {
    case 'push':
      return `connector: push ${op.count}`;
    case 'close':
      return `connector: close ${op.code}`;
    case 'tick':
      return `connector: let ${op.ms} ms pass`;
    case 'again':
    case 'drop':
      return `connector: ${op.kind}`;
    default:
      return `call: ${op.kind}()`;
  }
}

/** The scheduler's report as readable lines: `#id label (status)`, in the order they ran, then the pending. */
export function reportLines(scheduler: Scheduler): string[] {
  return scheduler.report().map((item) => `#${item.taskId} ${item.label} (${item.status})`);
}

/** Runs of one property that reached each of these (printed, so a campaign shows what it covered). */
export interface RaceStats {
  runs: number;
  reached: Record<string, number>;
}

/** What a run needs. */
export interface RaceRunSetup {
  readonly scheduler: Scheduler;
  readonly connector: RaceConnector;
  readonly target: RaceTarget;
  readonly ops: readonly RaceOp[];
  /** Per released task, cycled: after it, let what was sent arrive (true) or release the next one at once (false). */
  readonly settles: readonly boolean[];
  /** The message ids the handler has run for (the router pushes here). */
  readonly handled: Map<string, number>;
  /** Besides the ops being done and every promise settled, when the run may end (e.g. the backlog replayed). */
  readonly quiet?: (run: RaceRun) => boolean;
  /**
   * Offer the ops once the target first serves (the races then start from a link that is up), rather
   * than at once (they then race the first dial and handshake too). @default false
   */
  readonly fromServing?: boolean;
  /**
   * States the run may end in once nothing is left to release: the others (dialing, handshaking,
   * reconnecting, ...) are about to offer a decision or fire a short timer. @default serving, idle, stopped, disabled
   */
  readonly restStates?: readonly ConnectionStateName[];
  /** Longest time nothing may happen before the run counts as hung. @default 4000 */
  readonly hangMs?: number;
}

/** A promise the test got, with its outcome once settled. */
export interface TrackedPromise {
  readonly label: string;
  settled: boolean;
  value?: unknown;
  /** How many frames the gateway had read when the call was made, and when it settled. */
  readonly framesAtCall: number;
  framesAtSettle?: number;
}

/** Where a run is, for its checks. */
export interface RaceRun {
  readonly setup: RaceRunSetup;
  readonly violations: string[];
  readonly tracked: TrackedPromise[];
  readonly changes: RaceChange[];
  /** Frames the gateway read, by type, in order, with the index of the change they came after. */
  readonly framesIn: Array<{ readonly type: string; readonly afterChange: number }>;
  /** Message ids the connector sent as held (buffered) and live. */
  readonly pushed: { held: string[]; live: string[] };
  stopCalled: boolean;
  stopResolved: boolean;
  /** Dials started when stop() was first called (every later upgrade at the connector is a new dial). */
  dialsAtStop: number | undefined;
  /** Upgrades of a dial already under way at stop() that the connector accepted after stop() resolved. */
  inFlightAfterStop: number;
  /** The live states seen (public names). */
  readonly seen: Set<string>;
}

/**
 * Run `setup` to its end: schedule the ops, release tasks one by one as the scheduler picks them
 * (connector answers included), then stop, close the connector, and check the invariants. Throws
 * with every violation found.
 */
export async function runRace(setup: RaceRunSetup, baseline: Record<string, number>): Promise<RaceRun> {
  const { scheduler: s, connector, target } = setup;
  const run: RaceRun = {
    setup,
    violations: [],
    tracked: [],
    changes: [],
    framesIn: [],
    pushed: { held: [], live: [] },
    stopCalled: false,
    stopResolved: false,
    dialsAtStop: undefined,
    inFlightAfterStop: 0,
    seen: new Set(),
  };
  let activity: Array<() => void> = [];
  const wake = (): void => {
    const woken = activity;
    activity = [];
    for (const resolve of woken) resolve();
  };
  const track = <T>(label: string, promise: Promise<T>): Promise<T> => {
    const entry: TrackedPromise = { label, settled: false, framesAtCall: run.framesIn.length };
    run.tracked.push(entry);
    const done = (value: unknown): void => {
      entry.settled = true;
      entry.value = value;
      entry.framesAtSettle = run.framesIn.length;
      wake();
    };
    promise.then(done, (error: unknown) => done(error instanceof Error ? `rejected: ${error.message}` : 'rejected'));
    return promise;
  };

  // Continuous checks on every state change.
  let provisional = false;
  let handshakeSeen = false;
  const offChange = target.onChange((change) => {
    run.changes.push(change);
    run.seen.add(change.state);
    const where = `change #${run.changes.length} ${change.previous} -> ${change.path}`;
    if (run.stopCalled && change.state !== 'stopped' && change.path !== 'goingIdle.stopping') run.violations.push(`stop undone: ${where} after stop()`);
    if (run.stopResolved) run.violations.push(`stop undone: ${where} after stop() resolved`);
    if (change.previous === 'disabled' || change.previous === 'stopped') run.violations.push(`left a terminal state: ${where}`);
    if (change.closeCode === 4401 && change.closeReason !== 'expired' && !run.stopCalled) {
      if (provisional && change.state !== 'disabled') run.violations.push(`a 4401 on the fresh-token re-dial did not disable: ${where}`);
      if (!provisional && handshakeSeen && !(change.state === 'dialing' && change.redial === 'fresh-token') && change.state !== 'held')
        run.violations.push(`a 4401 after a handshake did not re-dial at once with a fresh token: ${where} (redial ${change.redial ?? 'none'})`);
    }
    provisional = change.context.provisional;
    handshakeSeen = change.context.handshakeSeen;
    wake();
  });
  const offFrames = target.observeFrames((event) => {
    if (event.direction === 'in' && event.kind === 'frame') run.framesIn.push({ type: event.frame.type, afterChange: run.changes.length });
  });

  const callStop = (label: string): Promise<void> => {
    run.stopCalled = true;
    run.dialsAtStop ??= target.dials();
    return track(
      label,
      target.stop().then(() => {
        run.stopResolved = true;
        connector.mark();
        if (target.state !== 'stopped' && target.state !== 'disabled') run.violations.push(`stop() resolved in ${target.statePath}`);
      }),
    );
  };

  let lastPushed: string | undefined;
  let messageCounter = 0;
  let requestCounter = 0;
  const perform = async (op: RaceOp): Promise<void> => {
    switch (op.kind) {
      case 'push': {
        const ids = Array.from({ length: op.count }, () => `m${++messageCounter}`);
        lastPushed = ids.at(-1);
        const where = connector.push(ids);
        run.pushed[where].push(...ids);
        return;
      }
      case 'again':
        if (lastPushed) run.pushed[connector.push([lastPushed])].push(lastPushed);
        return;
      case 'drop':
        connector.drop();
        return;
      case 'close':
        connector.closeLink(op.code, op.code === 4401 ? 'unauthorized' : 'restart');
        return;
      case 'tick':
        // Time passing is the fault here (timeouts racing answers): a timer of the fault, not a wait for an event.
        await new Promise<void>((resolve) => setTimeout(resolve, op.ms));
        return;
      case 'stop':
        void callStop('stop()');
        return;
      case 'goIdle':
        void track('goIdle()', target.goIdle());
        return;
      case 'goDormant':
        void track('goDormant()', target.goDormant());
        return;
      case 'reconnectNow':
        target.reconnectNow();
        return;
      case 'hold':
        target.holdRedial();
        return;
      case 'release':
        target.releaseRedial();
        return;
      case 'request': {
        const text = `r${++requestCounter}`;
        void track(`request ${text}`, target.request(text));
        return;
      }
    }
  };

  // The connector's script in order (each step offered once the previous ran), the calls all at once.
  const script = setup.ops.filter(isConnectorOp);
  let scriptDone = script.length === 0;
  const calls = setup.ops.filter((o) => !isConnectorOp(o));
  let callsLeft = calls.length;
  const offer = (index: number): void => {
    const op = script[index];
    if (!op) {
      scriptDone = true;
      return;
    }
    void connector.decide(describeOp(op), () => perform(op)).then(() => offer(index + 1));
  };
  let offered = false;
  const offerOps = (): void => {
    if (offered) return;
    offered = true;
    offer(0);
    for (const op of calls) void connector.decide(describeOp(op), () => perform(op)).then(() => callsLeft--);
  };
  const offerWhenServing = setup.fromServing
    ? target.onChange((change) => {
        if (change.state === 'serving') offerOps();
      })
    : undefined;
  if (!setup.fromServing) offerOps();
  // start() settles only once serving (or ended): a run may rest before it (held, dormant), so it is
  // not awaited for the rest, only at the end.
  void track('start()', target.start());

  const hangMs = setup.hangMs ?? 4000;
  const restStates: ReadonlySet<ConnectionStateName> = new Set(setup.restStates ?? ['serving', 'idle', 'stopped', 'disabled']);
  const atRest = (): boolean =>
    s.count() === 0 &&
    restStates.has(target.state) &&
    (offered ? scriptDone && callsLeft === 0 : run.changes.some((c) => c.state === 'stopped' || c.state === 'disabled')) &&
    run.tracked.every((t) => t.settled || t.label === 'start()') &&
    target.backlog() === 0 &&
    (setup.quiet?.(run) ?? true);
  let released = 0;
  let stillOpenAfterStop = 0;
  try {
    for (;;) {
      if (run.violations.length > 0) break;
      if (s.count() > 0) {
        await s.waitNext(1);
        if (setup.settles.length > 0 && setup.settles[released % setup.settles.length]) await connector.settle();
        released++;
        if (released > 2000) {
          run.violations.push('runaway: more than 2000 tasks released');
          break;
        }
        continue;
      }
      if (atRest()) break;
      let timer: NodeJS.Timeout | undefined;
      const woke = await Promise.race([
        connector.nextActivity().then(() => true),
        new Promise<boolean>((resolve) => activity.push(() => resolve(true))),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), hangMs))),
      ]);
      clearTimeout(timer);
      if (!woke && !atRest()) {
        const pending = run.tracked.filter((t) => !t.settled).map((t) => t.label);
        run.violations.push(
          `hung: nothing happened for ${hangMs} ms in ${target.statePath}` +
            `${pending.length > 0 ? `; unsettled: ${pending.join(', ')}` : ''}${target.backlog() > 0 ? `; backlog ${target.backlog()}` : ''}` +
            `${!scriptDone || callsLeft > 0 ? '; ops left' : ''}`,
        );
        break;
      }
    }
  } finally {
    // The end: stop (unless a scheduled stop already did), then every promise must have settled. The
    // stop is not awaited here: it may wait for a going_idle_ack that only the scheduler can release.
    if (!run.stopCalled) void callStop('final stop()');
    const unsettledAtStop = (): string[] => run.tracked.filter((t) => !t.settled).map((t) => t.label);
    const deadline = Date.now() + 8000;
    while (unsettledAtStop().length > 0 && Date.now() < deadline) {
      // Tasks offered after the stop (answers to frames already sent) are released so nothing waits on them.
      if (s.count() > 0) await s.waitNext(1);
      else {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          connector.nextActivity(),
          new Promise<void>((resolve) => activity.push(resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, 250))),
        ]);
        clearTimeout(timer);
      }
    }
    for (const label of unsettledAtStop()) run.violations.push(`never settled: ${label}`);
    while (s.count() > 0) await s.waitNext(1);
    offChange();
    offFrames();
    offerWhenServing?.();
    await connector.settleEnds();
    stillOpenAfterStop = connector.upgradesAfterMarkStillOpen;
    await connector.close();
  }

  // After the run.
  if (connector.maxOpen > 1) run.violations.push(`more than one socket open at the connector: ${connector.overlaps.join('; ')}`);
  // A dial under way when stop() was called may still have its upgrade accepted after stop() resolved
  // (the request was on the wire when the gateway aborted it): allowed, counted, and closed at once.
  // A dial started after stop() was called is a stop undone.
  if (run.dialsAtStop !== undefined && connector.links.length > run.dialsAtStop)
    run.violations.push(`stop undone: ${connector.links.length - run.dialsAtStop} upgrade(s) of dials started after stop() reached the connector`);
  if (run.dialsAtStop !== undefined && target.dials() > run.dialsAtStop) run.violations.push(`stop undone: ${target.dials() - run.dialsAtStop} dial(s) started after stop()`);
  run.inFlightAfterStop = connector.upgradesSinceMark;
  if (stillOpenAfterStop > 0) run.violations.push(`${stillOpenAfterStop} socket(s) accepted after stop() resolved were left open by the gateway`);
  for (const [messageId, times] of setup.handled) if (times > 1) run.violations.push(`handler ran ${times} times for ${messageId}`);
  if (target.state !== 'stopped' && target.state !== 'disabled') run.violations.push(`ended in ${target.statePath}, not stopped`);
  const disabledAt = run.changes.findIndex((c) => c.state === 'disabled');
  if (disabledAt !== -1 && run.changes.slice(disabledAt + 1).length > 0) run.violations.push('changed state after disabled');
  const leaked = await leakedResources(baseline);
  if (leaked.length > 0) run.violations.push(`left after stop() and the connector's close: ${leaked.join(', ')}`);
  return run;
}

/** Throw one error naming every violation of `run` (with the state path it ended in). */
export function assertNoViolations(run: RaceRun, extra: readonly string[] = []): void {
  const all = [...run.violations, ...extra];
  if (all.length === 0) return;
  const states = run.changes.map((c) => c.path).join(' > ');
  throw new Error(`race invariants broken:\n${all.map((v) => `- ${v}`).join('\n')}\nstates: ${states}`);
}
