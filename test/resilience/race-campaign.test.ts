/**
 * The race campaign (issue 15, item 3): fast-check's scheduler decides, run after run, the order of
 * everything asynchronous that the test controls on a real connection over real sockets: every
 * frame the connector sends (descriptors, replays of its buffer, inbound events, results, idle acks,
 * closes including 4401), every call the test makes (`stop()`, `goIdle()`, `goDormant()`,
 * `reconnectNow()`, `holdRedial()`, `releaseRedial()`, requests), and when time passes (short
 * timeouts racing answers). Between two released tasks it either lets what was sent arrive (a
 * ping/pong round trip) or releases the next one at once, so frames can be in flight when a socket
 * drops. The invariants of race-run.ts are checked during and after every run; each property adds
 * its own.
 *
 * Each property is replayable: a failure shrinks, writes the minimal run's trace under
 * test-results/traces/ (its note holds the seed, the path and the scheduler's report) and says how to
 * re-run it. `RELAY_SOAK=1` turns the campaign into a soak of `RELAY_SOAK_SECONDS` (default 300),
 * shared evenly by the properties, and prints how many schedules each tried.
 *
 * Replays are exact in the schedule (seed, path, the ops and the scheduler's picks) but not in the
 * microseconds between real socket events: a run that depends on a frame being in flight at one
 * moment may need a few re-runs to fail again (the trace shows what happened that time).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createRelayGateway } from '../../src/gateway/create-relay-gateway.js';
import { createRelayConnection, type RelayConnection } from '../../src/transport/relay-connection.js';
import { recordConnection, traceFailure } from '../support/failure-trace.js';
import { activeResources, startRaceConnector, type RaceConnector, type RaceConnectorOptions, type ResultPolicy } from '../support/race-harness.js';
import {
  assertNoViolations,
  connectionTarget,
  describeOp,
  gatewayTarget,
  reportLines,
  runRace,
  type RaceOp,
  type RaceOutcome,
  type RaceRun,
  type RaceTarget,
} from '../support/race-run.js';
import { assertReplayable, campaignEnvironment, type CampaignReport } from '../support/replayable-property.js';

const TEST_FILE = 'test/resilience/race-campaign.test.ts';
const PROPERTIES = 5;
const env = campaignEnvironment();
/** A soak shares its time among the properties, so RELAY_SOAK_SECONDS is the whole campaign's length. */
const share = env.soakMs !== undefined ? { ...env, soakMs: Math.max(1000, Math.floor(env.soakMs / PROPERTIES)) } : env;
/** Room for the property's runs (or its soak share), its shrinking, and a slow machine. */
const TIMEOUT_MS = (share.soakMs ?? 0) + 120_000;

const reports: Array<{ name: string; report: CampaignReport; reached: string }> = [];

afterAll(() => {
  if (reports.length === 0) return;
  const runs = reports.reduce((sum, r) => sum + r.report.runs, 0);
  const seconds = reports.reduce((sum, r) => sum + r.report.elapsedMs, 0) / 1000;
  console.log(`race campaign total: ${runs} schedules over ${reports.length} properties, ${seconds.toFixed(1)} s${env.soakMs !== undefined ? ' (soak)' : ''}`);
});

function printReport(name: string, report: CampaignReport, reached: Record<string, number>): void {
  const seen = Object.entries(reached)
    .map(([what, n]) => `${what} ${n}`)
    .join(', ');
  reports.push({ name, report, reached: seen });
  console.log(`race campaign ${name}: ${report.runs} schedules, seed ${report.seed}, ${(report.elapsedMs / 1000).toFixed(1)} s${report.soak ? ' (soak)' : ''}${seen ? ` [${seen}]` : ''}`);
}

/** What one run of a property is given: the scheduler, the ops, and when to let frames arrive. */
interface RaceValue {
  readonly s: fc.Scheduler;
  readonly ops: readonly RaceOp[];
  readonly settles: readonly boolean[];
}

const settles = fc.array(fc.boolean(), { minLength: 1, maxLength: 6 });
const tick = (max: number): fc.Arbitrary<RaceOp> => fc.integer({ min: 0, max }).map((ms) => ({ kind: 'tick' as const, ms }));
const call = <K extends RaceOp['kind']>(kind: K): fc.Arbitrary<RaceOp> => fc.constant({ kind } as RaceOp);

/** The trace's schedule: the ops as generated, then the scheduler's report (what ran, in order). */
const scheduleOf = (value: RaceValue): string[] => ['ops:', ...value.ops.map((op) => `  ${describeOp(op)}`), 'scheduler:', ...reportLines(value.s).map((line) => `  ${line}`)];

/** Message ids whose handler ran, and how often. */
type Handled = Map<string, number>;

/** A connection for one run: fast backoff, short dormant cadence and hold ceiling, recorded. */
function raceConnection(
  connector: RaceConnector,
  handled: Handled,
  recorder: ReturnType<typeof recordConnection>,
  options: { outboundTimeoutMs?: number; goIdleTimeoutMs?: number; slowHandlers?: boolean } = {},
): RelayConnection {
  const connection = createRelayConnection({
    url: connector.url,
    inspect: recorder.inspect,
    random: () => 0.5,
    outboundTimeoutMs: options.outboundTimeoutMs ?? 2000,
    settings: {
      backoff: { baseMs: 5, factor: 2, capMs: 20, stableMs: 60_000 },
      goIdleTimeoutMs: options.goIdleTimeoutMs ?? 150,
      stopGoIdleTimeoutMs: 150,
      dormantBaseMs: 10,
      dormantCapMs: 40,
      redialHoldMaxMs: 200,
    },
    router: {
      inbound: (frame) => {
        const messageId = frame.event.message_id ?? '';
        return {
          sessionKey: frame.event.source.chat_id,
          messageKey: `${frame.event.source.platform}:${frame.event.source.chat_id}:${messageId}`,
          run: () => {
            handled.set(messageId, (handled.get(messageId) ?? 0) + 1);
            // A slow handler finishes when the scheduler says so: its ack races drops and replays.
            if (options.slowHandlers) return connector.decide(`handler ${messageId} done`, () => undefined);
          },
        };
      },
      passthrough: () => null,
    },
  });
  recorder.observe(connection);
  return connection;
}

/**
 * One run of a connection property: a connector, a recorded connection, the race, the checks.
 * `check` adds the property's own invariants (returned as violations).
 */
async function connectionRun(
  name: string,
  value: RaceValue,
  recording: { use(recorder: ReturnType<typeof recordConnection>): void },
  setup: {
    connector?: RaceConnectorOptions;
    connection?: Parameters<typeof raceConnection>[3];
    quiet?: (run: RaceRun, target: RaceTarget, connector: RaceConnector) => boolean;
    check?: (run: RaceRun, connection: RelayConnection, connector: RaceConnector, handled: Handled) => string[];
    /** Offer the ops once serving (default) or from the first dial. */
    fromServing?: boolean;
  },
): Promise<RaceRun> {
  const baseline = activeResources();
  const connector = await startRaceConnector(setup.connector);
  connector.use(value.s);
  const handled: Handled = new Map();
  const recorder = recordConnection({ name });
  recording.use(recorder);
  const connection = raceConnection(connector, handled, recorder, setup.connection);
  const target = connectionTarget(connection);
  try {
    const run = await runRace(
      {
        scheduler: value.s,
        connector,
        target,
        ops: value.ops,
        settles: value.settles,
        handled,
        ...(setup.quiet ? { quiet: (r: RaceRun) => setup.quiet!(r, target, connector) } : {}),
        fromServing: setup.fromServing ?? true,
      },
      baseline,
    );
    assertNoViolations(run, setup.check?.(run, connection, connector, handled) ?? []);
    return run;
  } finally {
    recorder.stop();
    await connection.stop();
    await connector.close();
  }
}

const outcomes = (run: RaceRun, prefix: string): Array<{ label: string; outcome: RaceOutcome }> =>
  run.tracked.filter((t) => t.label.startsWith(prefix)).map((t) => ({ label: t.label, outcome: t.value as RaceOutcome }));

/**
 * Found by the campaign (every property whose ops hold two `reconnectNow()` calls shrinks to it; e.g.
 * trace test-results/traces/race-campaign-gateway-calls-in-every-order.json): two `reconnectNow()` calls
 * released back to back while serving. The first replaces the serving socket (closing it, which takes
 * a round trip); the second replaces the socket actor that was still waiting for the first socket to
 * be gone, before it dialled. That actor, disposed without a socket, marks itself gone at once instead
 * of after its predecessor, so the third dials while the first socket is still open: two sockets at
 * the connector (src/transport/socket-actor.ts, the dispose path `if (!ws) { markGone(); ... }`).
 * The schedule is hard-coded (tasks released in the order they were offered: descriptor L1, then the
 * two calls back to back), so it replays the same way every time.
 */
describe('race campaign regressions (explicit schedules)', () => {
  it('two reconnectNow() back to back while serving never open a second socket before the first is gone', async () => {
    const name = 'race campaign regression two reconnectNow back to back';
    const inOrder = fc.schedulerFor(Array.from({ length: 64 }, (_, i) => i + 1));
    const value: RaceValue = { s: inOrder, ops: [{ kind: 'reconnectNow' }, { kind: 'reconnectNow' }], settles: [false] };
    let recorder: ReturnType<typeof recordConnection> | undefined;
    try {
      await connectionRun(name, value, { use: (r) => (recorder = r) }, {});
    } catch (error) {
      if (recorder) throw traceFailure(name, recorder, error, { schedule: scheduleOf(value), rerun: `npx vitest run ${TEST_FILE} -t "two reconnectNow"` });
      throw error;
    }
    expect(reportLines(inOrder).slice(0, 3)).toEqual(['#1 descriptor L1 (resolved)', '#2 call: reconnectNow() (resolved)', '#3 call: reconnectNow() (resolved)']);
  });
});

describe('race campaign (fast-check scheduler over real sockets)', () => {
  it(
    'inbound arriving while reconnecting: buffered events handled exactly once after the redial, nothing twice',
    async () => {
      const reached = { runs: 0, replays: 0, 'in-flight drops': 0, redelivered: 0 };
      const name = 'race campaign inbound while reconnecting';
      const script = fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }).map((count) => ({ kind: 'push' as const, count })) },
        { weight: 1, arbitrary: call('again') },
        { weight: 2, arbitrary: call('drop') },
        { weight: 1, arbitrary: fc.constant({ kind: 'close' as const, code: 1012 }) },
        { weight: 1, arbitrary: tick(15) },
        { weight: 1, arbitrary: call('reconnectNow') },
      );
      const report = await assertReplayable<RaceValue & { slow: boolean }>(
        {
          name,
          testFile: TEST_FILE,
          numRuns: 150,
          arbitrary: fc.record({ s: fc.scheduler(), ops: fc.array(script, { minLength: 2, maxLength: 12 }), settles, slow: fc.boolean() }),
          schedule: (value) => [`slow handlers: ${value.slow}`, ...scheduleOf(value)],
          run: async (value, recording) => {
            reached.runs++;
            const run = await connectionRun(name, value, recording, {
              connection: { slowHandlers: value.slow },
              // The run ends once the gateway serves again and the connector holds nothing.
              quiet: (_run, target, connector) => target.state === 'serving' && connector.held().length === 0,
              check: (r, connection, connector, handled) => {
                const problems: string[] = [];
                for (const id of new Set(r.pushed.held)) if (handled.get(id) !== 1) problems.push(`buffered ${id} handled ${handled.get(id) ?? 0} times, not once`);
                if (connector.links.filter((l) => l.frames.some((f) => f.type === 'inbound_ack')).length > 1) reached.redelivered++;
                if (r.pushed.held.length > 0) reached.replays++;
                if (connection.metrics().duplicatesDropped > 0) reached['in-flight drops']++;
                return problems;
              },
            });
            expect(run.seen.has('serving')).toBe(true);
          },
        },
        share,
      );
      printReport('inbound while reconnecting', report, reached);
    },
    TIMEOUT_MS,
  );

  it(
    'results racing timeouts: each request settles once, with its own result or as timed out; late results counted, never lost',
    async () => {
      const reached = { runs: 0, ok: 0, timeout: 0, late: 0, 'link lost': 0 };
      const name = 'race campaign results racing timeouts';
      const script = fc.oneof(
        { weight: 3, arbitrary: tick(40) },
        { weight: 1, arbitrary: call('drop') },
        { weight: 1, arbitrary: fc.constant({ kind: 'close' as const, code: 1012 }) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }).map((count) => ({ kind: 'push' as const, count })) },
      );
      const ops = fc.tuple(fc.array(call('request'), { minLength: 1, maxLength: 5 }), fc.array(script, { minLength: 1, maxLength: 6 })).map(([a, b]) => [...a, ...b]);
      const policy = fc.constantFrom<ResultPolicy>('result', 'result', 'twice', 'never');
      const report = await assertReplayable<RaceValue & { timeoutMs: number; answers: ResultPolicy[] }>(
        {
          name,
          testFile: TEST_FILE,
          numRuns: 150,
          arbitrary: fc.record({ s: fc.scheduler(), ops, settles, timeoutMs: fc.integer({ min: 10, max: 60 }), answers: fc.array(policy, { minLength: 1, maxLength: 6 }) }),
          schedule: (value) => [`outboundTimeoutMs: ${value.timeoutMs}`, `answers: ${value.answers.join(', ')}`, ...scheduleOf(value)],
          run: async (value, recording) => {
            reached.runs++;
            await connectionRun(name, value, recording, {
              connector: { answer: (n) => value.answers[n % value.answers.length] ?? 'result' },
              connection: { outboundTimeoutMs: value.timeoutMs },
              check: (r, connection) => {
                const problems: string[] = [];
                const requests = outcomes(r, 'request ');
                for (const { label, outcome } of requests) {
                  const text = label.slice('request '.length);
                  if (outcome.ok && outcome.messageId !== text) problems.push(`${label} got the result of ${outcome.messageId ?? 'nothing'}`);
                  if (outcome.ok) reached.ok++;
                  else if (outcome.code === 'timeout') reached.timeout++;
                  else if (outcome.code === 'connection_lost') reached['link lost']++;
                }
                const m = connection.metrics();
                // A result the connector sent before its descriptor is dropped (nothing before the handshake).
                const read = r.framesIn.filter((f) => f.type === 'outbound_result').length - m.framesBeforeHandshake;
                const ok = requests.filter((q) => q.outcome.ok).length;
                if (ok + m.lateResults !== read) problems.push(`results read ${read} != settled ok ${ok} + late ${m.lateResults}`);
                const timedOut = requests.filter((q) => q.outcome.code === 'timeout').length;
                if (timedOut !== m.requestTimeouts) problems.push(`timeouts counted ${m.requestTimeouts} != requests that timed out ${timedOut}`);
                reached.late += m.lateResults;
                return problems;
              },
            });
          },
        },
        share,
      );
      printReport('results racing timeouts', report, reached);
    },
    TIMEOUT_MS,
  );

  it(
    'an ack racing a close: goIdle()/goDormant() settle, true only with an ack read, never a second socket',
    async () => {
      const reached = { runs: 0, 'idle true': 0, 'idle false': 0, dormant: 0, 'late acks': 0 };
      const name = 'race campaign ack racing a close';
      const script = fc.oneof(
        { weight: 2, arbitrary: call('drop') },
        { weight: 2, arbitrary: fc.constantFrom(1000, 1012, 4401).map((code) => ({ kind: 'close' as const, code })) },
        // Up to past the longest ack timeout: an ack released after it is a late one.
        { weight: 1, arbitrary: tick(150) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }).map((count) => ({ kind: 'push' as const, count })) },
      );
      const calls = fc.oneof(
        { weight: 3, arbitrary: call('goIdle') },
        { weight: 3, arbitrary: call('goDormant') },
        { weight: 1, arbitrary: call('reconnectNow') },
        { weight: 1, arbitrary: call('request') },
        { weight: 1, arbitrary: call('stop') },
      );
      const ops = fc.tuple(fc.array(calls, { minLength: 1, maxLength: 4 }), fc.array(script, { minLength: 1, maxLength: 4 })).map(([a, b]) => [...a, ...b]);
      const report = await assertReplayable<RaceValue & { goIdleMs: number }>(
        {
          name,
          testFile: TEST_FILE,
          numRuns: 300,
          arbitrary: fc.record({ s: fc.scheduler(), ops, settles, goIdleMs: fc.integer({ min: 20, max: 120 }) }),
          schedule: (value) => [`goIdleTimeoutMs: ${value.goIdleMs}`, ...scheduleOf(value)],
          run: async (value, recording) => {
            reached.runs++;
            await connectionRun(name, value, recording, {
              connection: { goIdleTimeoutMs: value.goIdleMs },
              // Never at rest serving on a link the connector buffers for (it acked going_idle): a late
              // ack re-dials for the replay (regression: test/resilience/late-idle-ack.test.ts). Were the
              // gateway to stay there, the run would hang and fail.
              quiet: (_run, target, connector) => !(target.state === 'serving' && connector.links.some((link) => link.idle && !link.closed)),
              check: (r, connection) => {
                const problems: string[] = [];
                const idle = r.tracked.filter((t) => t.label === 'goIdle()' || t.label === 'goDormant()');
                const trues = idle.filter((i) => i.value === true).length;
                for (const i of idle) {
                  if (typeof i.value !== 'boolean') problems.push(`${i.label} settled with ${String(i.value)}, not a boolean`);
                  // True only with an ack read between the call and its outcome (concurrent calls share one).
                  const acked = r.framesIn.slice(i.framesAtCall, i.framesAtSettle).some((f) => f.type === 'going_idle_ack');
                  if (i.value === true && !acked) problems.push(`${i.label} resolved true with no going_idle_ack read while it waited`);
                }
                if (outcomes(r, 'goDormant()').some((i) => (i.outcome as unknown) === true) && !r.seen.has('dormant')) problems.push('goDormant() true but never dormant');
                reached['idle true'] += trues;
                reached['idle false'] += idle.length - trues;
                if (r.seen.has('dormant')) reached.dormant++;
                // Late acks of a goIdle()/goDormant() that gave up: each re-dials for the replay (this
                // property never raises flow control, the other cause of a replay re-dial).
                reached['late acks'] += connection.context.replayRedials;
                return problems;
              },
            });
          },
        },
        share,
      );
      printReport('ack racing a close', report, reached);
    },
    TIMEOUT_MS,
  );

  it(
    'stop(), goIdle(), reconnectNow(), goDormant(), holdRedial()/releaseRedial() and requests in every order on a gateway: stop never undone, all settle',
    async () => {
      const reached = { runs: 0, 'stop scheduled': 0, dormant: 0, held: 0, idle: 0 };
      const name = 'race campaign gateway calls in every order';
      const calls = fc.constantFrom<RaceOp['kind']>('stop', 'goIdle', 'goDormant', 'reconnectNow', 'hold', 'release', 'request').map((kind) => ({ kind }) as RaceOp);
      const script = fc.oneof(
        { weight: 2, arbitrary: fc.integer({ min: 1, max: 2 }).map((count) => ({ kind: 'push' as const, count })) },
        { weight: 1, arbitrary: call('drop') },
        { weight: 1, arbitrary: tick(15) },
      );
      const ops = fc.tuple(fc.array(calls, { minLength: 2, maxLength: 8 }), fc.array(script, { maxLength: 3 })).map(([a, b]) => [...a, ...b]);
      const report = await assertReplayable<RaceValue & { fromServing: boolean }>(
        {
          name,
          testFile: TEST_FILE,
          numRuns: 400,
          arbitrary: fc.record({ s: fc.scheduler(), ops, settles, fromServing: fc.boolean() }),
          schedule: (value) => [`ops offered ${value.fromServing ? 'once serving' : 'from the first dial'}`, ...scheduleOf(value)],
          run: async (value, recording) => {
            reached.runs++;
            if (value.ops.some((op) => op.kind === 'stop')) reached['stop scheduled']++;
            const baseline = activeResources();
            const connector = await startRaceConnector();
            connector.use(value.s);
            const handled: Handled = new Map();
            const recorder = recordConnection({ name });
            recording.use(recorder);
            const gateway = createRelayGateway({
              url: connector.url,
              random: () => 0.5,
              inspect: recorder.inspect,
              reconnect: { baseMs: 5, factor: 2, capMs: 20, stableMs: 60_000 },
              timeouts: { goIdleMs: 100, stopGoIdleMs: 100, outboundMs: 500 },
            });
            recorder.observe(gateway);
            gateway.onMessage((event) => {
              const id = event.message_id ?? '';
              handled.set(id, (handled.get(id) ?? 0) + 1);
            });
            try {
              // The gateway's dormant cadence (1 s) and hold ceiling (60 s) are not options: a run may end in them.
              const restStates = ['serving', 'idle', 'stopped', 'disabled', 'dormant', 'held'] as const;
              const run = await runRace(
                { scheduler: value.s, connector, target: gatewayTarget(gateway), ops: value.ops, settles: value.settles, handled, fromServing: value.fromServing, restStates },
                baseline,
              );
              for (const state of ['dormant', 'held', 'idle'] as const) if (run.seen.has(state)) reached[state]++;
              assertNoViolations(run);
            } finally {
              recorder.stop();
              await gateway.stop();
              await connector.close();
            }
          },
        },
        share,
      );
      printReport('calls in every order', report, reached);
    },
    TIMEOUT_MS,
  );

  it(
    'a second 4401 racing the fresh-token redial: disabled, no dial after it; a 4401 after a handshake redials at once',
    async () => {
      const reached = { runs: 0, 'fresh-token': 0, disabled: 0, 'before hello': 0 };
      const name = 'race campaign second 4401';
      const calls = fc.constantFrom<RaceOp['kind']>('reconnectNow', 'request', 'goIdle', 'stop', 'hold', 'release').map((kind) => ({ kind }) as RaceOp);
      const script = fc.oneof(
        { weight: 1, arbitrary: tick(10) },
        { weight: 1, arbitrary: call('drop') },
        { weight: 1, arbitrary: fc.constant({ kind: 'close' as const, code: 4401 }) },
      );
      // The first 4401 comes from the script; each later link gets one too, offered at its upgrade,
      // so the scheduler puts it before the hello is answered, after the descriptor, or never before a call.
      const ops = fc
        .tuple(fc.array(calls, { maxLength: 3 }), fc.array(script, { maxLength: 3 }))
        .map(([a, b]): RaceOp[] => [{ kind: 'close', code: 4401 }, ...a, ...b]);
      const report = await assertReplayable<RaceValue & { upgrades: number }>(
        {
          name,
          testFile: TEST_FILE,
          numRuns: 300,
          arbitrary: fc.record({ s: fc.scheduler(), ops, settles, upgrades: fc.integer({ min: 1, max: 3 }) }),
          schedule: (value) => [`a 4401 offered on links 2..${value.upgrades + 1}`, ...scheduleOf(value)],
          run: async (value, recording) => {
            reached.runs++;
            const run = await connectionRun(name, value, recording, {
              connector: {
                onUpgrade: (link, connector) => {
                  if (link.id < 2 || link.id > value.upgrades + 1) return;
                  void connector.decide(`close 4401 L${link.id}`, () => {
                    if (!link.closed) {
                      if (!link.frames.some((f) => f.type === 'hello')) reached['before hello']++;
                      link.socket.close(4401, 'unauthorized');
                    }
                  });
                },
              },
              check: (r, _connection, connector) => {
                const problems: string[] = [];
                const disabledAt = r.changes.findIndex((c) => c.state === 'disabled');
                if (disabledAt !== -1) {
                  reached.disabled++;
                  const linksThen = r.changes[disabledAt]!.context.dials;
                  if (connector.links.length > linksThen) problems.push(`${connector.links.length - linksThen} dial(s) reached the connector after disabled`);
                }
                if (r.changes.some((c) => c.redial === 'fresh-token')) reached['fresh-token']++;
                return problems;
              },
            });
            expect(run.changes.length).toBeGreaterThan(0);
          },
        },
        share,
      );
      printReport('second 4401', report, reached);
    },
    TIMEOUT_MS,
  );
});
