/**
 * The named fault schedule: every lifecycle state of a gateway, entered on a real connection through
 * the fault proxy (test/support/fault-proxy.ts), with every fault applied there, and what the
 * documentation says must follow (spec §9 going idle and acks, §11 close codes, §12 timeouts and
 * keepalive; protocol-later §5 dormant, hold, drain). Read by test/resilience/fault-schedule.test.ts.
 *
 * Each cell lists the public states the gateway enters **from the moment the fault is applied**, in
 * order, until it is settled again, and when the fault ends (the proxy heals): at the n-th entry of
 * a state, or only at the end of the cell (a benign fault, kept on through the final stop).
 * @module
 */
import type { ConnectionSettings, ConnectionStateName } from '../../machines/connection.types.js';
import type { FaultPatch } from './fault-proxy.js';

/** The lifecycle states the schedule enters (public names, plus serving's `awaitingPong` and goingIdle's `stopping`). */
export const LIFECYCLE_STATES = ['dialing', 'handshaking', 'serving', 'awaitingPong', 'goingIdle', 'idle', 'reconnecting', 'dormant', 'held', 'stopping'] as const;

/** One of {@link LIFECYCLE_STATES}. */
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

/** The faults applied in every state. */
export const FAULT_NAMES = ['latency+jitter', 'bandwidth', 'fragmentation', 'reset', 'half-open up', 'half-open down', 'half-open both', 'slow close', 'upgrade stall'] as const;

/** One of {@link FAULT_NAMES}. */
export type FaultName = (typeof FAULT_NAMES)[number];

/**
 * Timings of the schedule's gateways: short, so that a cell runs in a second or two, and far above
 * what a benign fault costs (a round trip of at most 2 x 50 ms of latency, a few ms of 1-byte writes
 * or of 20 kB/s for frames under 1 kB), so that none of them trips a timer.
 */
export const SCHEDULE_TIMINGS: Partial<ConnectionSettings> = {
  dialTimeoutMs: 600,
  handshakeTimeoutMs: 600,
  goIdleTimeoutMs: 500,
  stopGoIdleTimeoutMs: 400,
  pingIntervalMs: 300,
  pongTimeoutMs: 400,
  // No jitter (random = 1) and no growth: every backoff is 150 ms; the ladder never resets mid-cell.
  backoff: { baseMs: 150, factor: 1, capMs: 150, stableMs: 60_000 },
  dormantBaseMs: 300,
  dormantCapMs: 600,
  redialHoldMaxMs: 10_000,
};

/** Budget of the stop in `stopping` cells (drain grace = 4 - 3.5 = 0.5 s; ack wait 400 ms). */
export const STOPPING_BUDGET_S = 4;

/** How late the connector answers the request that a `stopping` cell's stop drains: within the grace. */
export const DRAINED_ANSWER_DELAY_MS = 250;

/** What each fault sets on the proxy (see test/support/fault-proxy.ts for their exact meaning). */
export const FAULT_PATCHES: Readonly<Record<FaultName, FaultPatch>> = {
  'latency+jitter': { both: { latencyMs: 30, jitterMs: 20 } },
  bandwidth: { both: { bytesPerSecond: 20_000 } },
  fragmentation: { both: { fragment: true } },
  reset: { reset: true },
  'half-open up': { up: { halfOpen: true } },
  'half-open down': { down: { halfOpen: true } },
  'half-open both': { both: { halfOpen: true } },
  'slow close': { slowCloseMs: 300 },
  // The connector accepts the upgrade; its 101 response is cut after a few bytes and held.
  'upgrade stall': { stallUpgrade: 'response' },
};

/** When a cell's fault ends: at the n-th entry of a state after it was applied, or at the end of the cell. */
export type HealAt = { readonly state: ConnectionStateName; readonly nth: number } | 'end';

/** The documented outcome of one cell. */
export interface CellOutcome {
  /** The outcome in words. */
  readonly says: string;
  /** Public states entered from the fault on, in order, until the gateway is settled again. */
  readonly states: readonly ConnectionStateName[];
  /** When the proxy heals. */
  readonly healAt: HealAt;
  /**
   * Text found in why the first link-down after the fault happened (its last error, or close code
   * and reason), when the fault takes a link down.
   */
  readonly because?: string;
  /** `stopping` cells: the result of the request the stop drains (`ambiguous` = a closed, ambiguous failure). */
  readonly drained?: 'success' | 'ambiguous';
}

/** One named cell of the schedule. */
export interface FaultCell extends CellOutcome {
  /** `<state> × <fault>`. */
  readonly name: string;
  readonly state: LifecycleState;
  readonly fault: FaultName;
}

/** A successful dial: the socket opens, the descriptor comes, serving. */
const REDIAL: readonly ConnectionStateName[] = ['dialing', 'handshaking', 'serving'];

const at = (state: ConnectionStateName, nth = 1): HealAt => ({ state, nth });

/** A fault that must change nothing: timers are far above what it costs. */
const benign = (says: string, states: readonly ConnectionStateName[]): CellOutcome => ({ says, states, healAt: 'end' });

/** The outcomes of a state that has no socket (idle woken, reconnecting, held released): the next dial meets the fault. */
function nextDial(waking: string): Readonly<Record<FaultName, CellOutcome>> {
  const fine = benign(`${waking}; the dial gets through the fault: serving, no false close`, REDIAL);
  const timedOut = (what: string): CellOutcome => ({
    says: `${waking}; ${what}: the dial times out, backoff, then serving once it heals`,
    states: ['dialing', 'reconnecting', ...REDIAL],
    healAt: at('reconnecting'),
    because: 'dial timed out',
  });
  return {
    'latency+jitter': fine,
    bandwidth: fine,
    fragmentation: fine,
    reset: { says: `${waking}; the dial is reset: it fails, backoff, then serving once it heals`, states: ['dialing', 'reconnecting', ...REDIAL], healAt: at('reconnecting'), because: 'ECONNRESET' },
    'half-open up': timedOut('the upgrade request is held'),
    'half-open down': timedOut('the upgrade response is held'),
    'half-open both': timedOut('nothing passes'),
    'slow close': fine,
    'upgrade stall': timedOut('the upgrade stalls mid-response'),
  };
}

/** The outcomes of a serving link (live, or with a ping in flight). */
function servingLink(where: string): Readonly<Record<FaultName, CellOutcome>> {
  const fine = benign(`${where}: nothing changes, keepalive pongs pass, every request gets its real result`, []);
  const keepalive = (what: string): CellOutcome => ({
    says: `${where}, ${what}: keepalive finds no pong within ping + pong timeouts, backoff, then serving once it heals`,
    states: ['reconnecting', ...REDIAL],
    healAt: at('reconnecting'),
    because: 'no pong',
  });
  return {
    'latency+jitter': fine,
    bandwidth: fine,
    fragmentation: fine,
    reset: { says: `${where}: the reset closes the link (1006), backoff, then serving once it heals; requests in flight fail ambiguous`, states: ['reconnecting', ...REDIAL], healAt: at('reconnecting'), because: '1006' },
    'half-open up': keepalive('pings held'),
    'half-open down': keepalive('pongs held'),
    'half-open both': keepalive('nothing passes'),
    'slow close': {
      says: `${where}, then the connector closes (1012): the FIN arrives late, the close is seen, backoff, serving again`,
      states: ['reconnecting', ...REDIAL],
      healAt: 'end',
      because: '1012',
    },
    'upgrade stall': {
      says: `${where}: the open link is untouched; reconnectNow() then re-dials into the stall: dial timeout, backoff, serving once it heals`,
      states: ['dialing', 'reconnecting', ...REDIAL],
      healAt: at('reconnecting'),
      because: 'dial timed out',
    },
  };
}

/**
 * The schedule: for each state, for each fault, the documented outcome. `stopping` always ends in
 * `stopped` within its budget; what differs is whether the drained request gets its real result.
 */
export const FAULT_SCHEDULE: Readonly<Record<LifecycleState, Readonly<Record<FaultName, CellOutcome>>>> = {
  dialing: (() => {
    const fine = benign('upgrade in flight: it completes through the fault, serving, no false close', ['handshaking', 'serving']);
    const timedOut = (what: string): CellOutcome => ({
      says: `upgrade in flight, ${what}: the dial times out, backoff, then serving once it heals`,
      states: ['reconnecting', ...REDIAL],
      healAt: at('reconnecting'),
      because: 'dial timed out',
    });
    return {
      'latency+jitter': fine,
      bandwidth: fine,
      fragmentation: fine,
      reset: { says: 'upgrade in flight, reset: the dial fails, backoff, then serving once it heals', states: ['reconnecting', ...REDIAL], healAt: at('reconnecting'), because: 'ECONNRESET' },
      'half-open up': timedOut('the request held'),
      'half-open down': timedOut('the response held'),
      'half-open both': timedOut('nothing passes'),
      'slow close': fine,
      'upgrade stall': timedOut('the response cut mid-way'),
    };
  })(),
  handshaking: (() => {
    const fine = benign('hello sent, the descriptor then comes through the fault: serving', ['serving']);
    const noDescriptor = (what: string): CellOutcome => ({
      says: `hello sent, ${what}: no descriptor within the handshake timeout, backoff, then serving once it heals`,
      states: ['reconnecting', ...REDIAL],
      healAt: at('reconnecting'),
      because: 'no descriptor',
    });
    return {
      'latency+jitter': fine,
      bandwidth: fine,
      fragmentation: fine,
      reset: { says: 'hello sent, reset: the link closes (1006), backoff, then serving once it heals', states: ['reconnecting', ...REDIAL], healAt: at('reconnecting'), because: '1006' },
      'half-open up': {
        says: 'hello sent, gateway -> connector held: the descriptor still arrives (serving), then keepalive finds no pong, backoff, serving once it heals',
        states: ['serving', 'reconnecting', ...REDIAL],
        healAt: at('reconnecting'),
        because: 'no pong',
      },
      'half-open down': noDescriptor('the descriptor held'),
      'half-open both': noDescriptor('nothing passes'),
      'slow close': fine,
      'upgrade stall': {
        says: 'hello sent, no descriptor: handshake timeout, then the redial stalls mid-upgrade: dial timeout, backoff, serving once it heals',
        states: ['reconnecting', 'dialing', 'reconnecting', ...REDIAL],
        healAt: at('reconnecting', 2),
        because: 'no descriptor',
      },
    };
  })(),
  serving: servingLink('serving'),
  awaitingPong: servingLink('serving with a ping in flight'),
  goingIdle: (() => {
    const noAck = (what: string): CellOutcome => ({
      says: `going_idle sent, ${what}: no ack, goIdle() false after its timeout, serving again; then keepalive finds no pong, backoff, serving once it heals`,
      states: ['serving', 'reconnecting', ...REDIAL],
      healAt: at('reconnecting'),
      because: 'no pong',
    });
    const acked = (what: string): CellOutcome => benign(`going_idle sent, ${what}: acked, goIdle() true, idle (the socket closes); reconnectNow() dials through the fault: serving`, ['idle', ...REDIAL]);
    return {
      'latency+jitter': acked('delayed'),
      bandwidth: acked('throttled'),
      fragmentation: acked('in 1-byte writes'),
      reset: { says: 'going_idle sent, reset: goIdle() false, the link closes (1006), backoff, then serving once it heals', states: ['reconnecting', ...REDIAL], healAt: at('reconnecting'), because: '1006' },
      'half-open up': noAck('the frame held'),
      'half-open down': noAck('the ack held'),
      'half-open both': noAck('nothing passes'),
      'slow close': acked('then the close is slow (the redial waits for the old socket to be gone)'),
      'upgrade stall': {
        says: 'going_idle sent: acked, idle; reconnectNow() then dials into the stall: dial timeout, backoff, serving once it heals',
        states: ['idle', 'dialing', 'reconnecting', ...REDIAL],
        healAt: at('reconnecting'),
        because: 'dial timed out',
      },
    };
  })(),
  idle: nextDial('idle after the ack (no socket), woken by reconnectNow()'),
  reconnecting: nextDial('waiting out a backoff'),
  dormant: (() => {
    const fine = benign('dormant after goDormant() + ack (no socket): the dormant redial gets through the fault, serving', REDIAL);
    const again = (what: string, because: string): CellOutcome => ({
      says: `dormant: the dormant redial ${what}: dormant again (its own cadence, no backoff ladder), then serving once it heals`,
      states: ['dialing', 'dormant', ...REDIAL],
      healAt: at('dormant'),
      because,
    });
    return {
      'latency+jitter': fine,
      bandwidth: fine,
      fragmentation: fine,
      reset: again('is reset', 'ECONNRESET'),
      'half-open up': again('times out (request held)', 'dial timed out'),
      'half-open down': again('times out (response held)', 'dial timed out'),
      'half-open both': again('times out (nothing passes)', 'dial timed out'),
      'slow close': fine,
      'upgrade stall': again('stalls mid-upgrade and times out', 'dial timed out'),
    };
  })(),
  held: nextDial('held by holdRedial() after a backoff, released by releaseRedial()'),
  stopping: (() => {
    const drains = (what: string): CellOutcome => ({ says: `stop() with a written request: ${what}; the result comes within the drain grace; stopped within the budget`, states: ['stopped'], healAt: 'end', drained: 'success' });
    return {
      'latency+jitter': drains('acked late'),
      bandwidth: drains('acked, throttled'),
      fragmentation: drains('acked in 1-byte writes'),
      reset: { says: 'stop() with a written request, reset: closed while stopping, stopped at once; the request fails ambiguous', states: ['stopped'], healAt: 'end', drained: 'ambiguous' },
      'half-open up': drains('going_idle held, so the ack wait runs out'),
      'half-open down': {
        says: 'stop() with a written request, connector -> gateway held: no ack, no result; the grace and the ack wait run out, the close is forced; the request fails ambiguous',
        states: ['stopped'],
        healAt: 'end',
        drained: 'ambiguous',
      },
      'half-open both': {
        says: 'stop() with a written request, nothing passes: the grace and the ack wait run out, the close is forced; the request fails ambiguous',
        states: ['stopped'],
        healAt: 'end',
        drained: 'ambiguous',
      },
      'slow close': drains('acked; the close is slow, still within the budget'),
      'upgrade stall': drains('no upgrade follows a stop, the stall changes nothing'),
    };
  })(),
};

/** Every cell of {@link FAULT_SCHEDULE}, named `<state> × <fault>`, state by state. */
export function faultCells(): FaultCell[] {
  return LIFECYCLE_STATES.flatMap((state) => FAULT_NAMES.map((fault) => ({ name: `${state} × ${fault}`, state, fault, ...FAULT_SCHEDULE[state][fault] })));
}
