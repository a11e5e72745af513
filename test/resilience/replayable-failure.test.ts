/**
 * Self-test of replayable failures (issue 15, item 4): a deliberately broken build — the transport's
 * machine with one guard mutated, test-only, through a module mock — must make a property over real
 * sockets fail, shrink to the minimal case, and leave a trace the visualizer opens whose note holds
 * the seed, the counterexample path and the minimal schedule; the failure's message says how to open
 * the trace (`relay-gateway visualize --trace FILE`) and how to re-run the test with the seed, and
 * re-running with that seed and path fails the same way. The same property passes on the real build.
 *
 * The mutation: `closeMeansDisable` always false, so a second 4401 (on the fresh-token re-dial after
 * a revocation) no longer disables the gateway (relay-connector-contract.md §10): it backs off and
 * dials again, the worst way a revoked credential can be handled.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { ConnectionStateName } from '../../machines/connection.types.js';
import { sendAction } from '../../src/protocol/outbound.js';
import { createRelayConnection } from '../../src/transport/relay-connection.js';
import { parseTrace } from '../../src/visualizer/trace.js';
import { failureTraceHint, failureTracePath, recordConnection, replayLines } from '../support/failure-trace.js';
import { deferred, inboundFrame, usePlainConnector } from '../support/plain-connector.js';
import { assertReplayable, campaignEnvironment, rerunCommand, type ReplayableProperty } from '../support/replayable-property.js';

const mutation = vi.hoisted(() => ({ enabled: false }));

// The transport builds its machine through this module; the mock builds the same machine, with the
// one guard replaced while `mutation.enabled` is set. Nothing outside this file sees the mutant.
vi.mock('../../src/transport/shared-machine.js', async () => {
  const { createConnectionMachine } = await import('../../machines/connection.machine.js');
  const { socketLogic } = await import('../../src/transport/socket-actor.js');
  return {
    sharedConnectionMachine: (random: () => number, now: () => number) => {
      const machine = createConnectionMachine({ random, now });
      return mutation.enabled
        ? machine.provide({ actors: { socket: socketLogic }, guards: { closeMeansDisable: () => false } })
        : machine.provide({ actors: { socket: socketLogic } });
    },
  };
});

const TEST_FILE = 'test/resilience/replayable-failure.test.ts';

/** What happens before the revocation: some live inbound, maybe a request in flight. */
interface Before {
  readonly inbound: number;
  readonly request: boolean;
}

const before: fc.Arbitrary<Before> = fc.record({ inbound: fc.integer({ min: 0, max: 4 }), request: fc.boolean() });

/** The property: a 4401 after a handshake, then a 4401 on the fresh-token re-dial, ends `disabled` and dials no more. */
function revocationProperty(name: string, numRuns: number): ReplayableProperty<Before> {
  return {
    name,
    arbitrary: before,
    testFile: TEST_FILE,
    numRuns,
    schedule: (value) => [
      `handshake, then ${value.inbound} live inbound event(s)${value.request ? ' and one request in flight' : ''}`,
      'connector closes 4401 (revoked?)',
      'gateway re-dials at once with a fresh token; handshake',
      'connector closes 4401 again',
      'expected: disabled, no further dial',
    ],
    run: async (value, recording) => {
      const connector = await usePlainConnector({ answer: () => 'never' });
      const recorder = recordConnection({ name });
      recording.use(recorder);
      const handled: string[] = [];
      const allHandled = deferred();
      const connection = createRelayConnection({
        url: connector.url,
        inspect: recorder.inspect,
        random: () => 0.5,
        outboundTimeoutMs: 2000,
        settings: { backoff: { baseMs: 20, factor: 1, capMs: 20, stableMs: 10_000 } },
        router: {
          inbound: (frame) => ({ sessionKey: frame.event.source.chat_id, run: () => {
            if (handled.push(frame.event.text) === value.inbound) allHandled.resolve();
          },
        }),
          passthrough: () => null,
        },
      });
      recorder.observe(connection);
      const states: ConnectionStateName[] = [];
      const servings = [deferred(), deferred()];
      connection.onStateChange((change) => {
        states.push(change.state);
        if (change.state === 'serving') servings[states.filter((state) => state === 'serving').length - 1]?.resolve();
      });
      const afterSecondClose = deferred();
      try {
        await connection.start();
        for (let i = 0; i < value.inbound; i++) connector.latest().send(inboundFrame('c1', `live ${i}`));
        const request = value.request ? connection.request(sendAction('c1', 'in flight')) : undefined;
        if (value.inbound > 0) await allHandled.promise;
        connector.latest().socket.close(4401, 'unauthorized');
        await connector.waitForHandshake(2);
        // The connector's side of the handshake is done; wait for the gateway's (serving again).
        await servings[1]!.promise;
        const afterRedial = states.length;
        const unsubscribe = connection.onStateChange(() => afterSecondClose.resolve());
        connector.latest().socket.close(4401, 'unauthorized');
        await afterSecondClose.promise;
        unsubscribe();
        expect(states.slice(afterRedial), 'state after the second 4401').toEqual(['disabled']);
        if (request) await expect(request).resolves.toMatchObject({ ok: false });
        expect(connector.links.length, 'dials').toBe(2);
      } finally {
        recorder.stop();
        await connection.stop();
        await connector.close();
      }
    },
  };
}

describe('replayable failures', () => {
  it('the real build: a second 4401 disables; the property passes and writes no trace', async () => {
    mutation.enabled = false;
    const name = 'replayable self-test (real build)';
    rmSync(failureTracePath(name), { force: true });
    const report = await assertReplayable(revocationProperty(name, 8), {});
    expect(report.runs).toBe(8);
    expect(existsSync(failureTracePath(name))).toBe(false);
  }, 30_000);

  it('a build with one guard mutated fails, shrinks, and leaves a trace with the seed, the minimal schedule and the wrong transition', async () => {
    mutation.enabled = true;
    const name = 'replayable self-test (mutated closeMeansDisable)';
    const path = failureTracePath(name);
    rmSync(path, { force: true });
    try {
      const failure = await assertReplayable(revocationProperty(name, 8), { seed: 42 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(Error);
      const message = (failure as Error).message;
      // The message says where the trace is, how to open it and how to re-run the failing case.
      expect(message).toContain(`relay-gateway visualize --trace ${path}`);
      const rerun = /re-run: RELAY_SEED=(-?\d+) RELAY_SEED_PATH=([\d:]+) npx vitest run test\/resilience\/replayable-failure\.test\.ts/.exec(message);
      expect(rerun, message).not.toBeNull();
      expect(Number(rerun![1])).toBe(42);
      expect(message).toContain('state after the second 4401');
      expect(message).toContain('handshake, then 0 live inbound event(s)\n');

      // The trace opens in the visualizer's format; its note holds the seed, path and minimal schedule.
      const trace = parseTrace(JSON.parse(readFileSync(path, 'utf8')));
      expect(trace.source).toEqual({ kind: 'test', name });
      const note = trace.note ?? '';
      expect(note).toContain(`seed: 42, path: ${rerun![2]}`);
      expect(note).toContain('schedule:\n  handshake, then 0 live inbound event(s)\n');
      // Shrunk: no inbound, no request (the smallest input that still fails).
      expect(note).not.toContain('request in flight');
      // The recording shows the mutant's wrong arrow: after the second 4401 it backs off instead of disabling.
      const visited = trace.entries.map((entry) => entry.state);
      expect(visited).toContain('reconnecting');
      expect(visited).not.toContain('disabled');
      // ...and the guard that was mutated, tried and false where the real one holds.
      expect(trace.entries.flatMap((entry) => entry.guards).filter((g) => g.guard === 'closeMeansDisable' && !g.result).length).toBeGreaterThan(0);
      expect(trace.frames.some((frame) => frame.type === 'hello')).toBe(true);

      // Re-running with the seed and path replays the shrunk case at once, and fails the same way.
      rmSync(path, { force: true });
      const again = await assertReplayable(revocationProperty(name, 8), { seed: 42, path: rerun![2]! }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((again as Error).message).toContain('failed after 1 runs');
      expect(parseTrace(JSON.parse(readFileSync(path, 'utf8'))).note).toContain('schedule:\n  handshake, then 0 live inbound event(s)\n');
    } finally {
      mutation.enabled = false;
    }
  }, 60_000);
});

describe('campaign environment and replay lines', () => {
  it('reads the seed, the path and the soak switch', () => {
    expect(campaignEnvironment({})).toEqual({});
    expect(campaignEnvironment({ RELAY_SEED: '-7', RELAY_SEED_PATH: '3:0:1' })).toEqual({ seed: -7, path: '3:0:1' });
    expect(campaignEnvironment({ RELAY_SOAK: '1' })).toEqual({ soakMs: 300_000 });
    expect(campaignEnvironment({ RELAY_SOAK: '1', RELAY_SOAK_SECONDS: '20' })).toEqual({ soakMs: 20_000 });
    // Only "1" switches the soak on; the duration alone changes nothing.
    expect(campaignEnvironment({ RELAY_SOAK: 'yes', RELAY_SOAK_SECONDS: '20' })).toEqual({});
  });

  it.each([
    [{ RELAY_SEED: 'abc' }, 'RELAY_SEED: expected an integer >= -2147483648, received "abc"'],
    [{ RELAY_SEED: '1.5' }, 'RELAY_SEED: expected an integer >= -2147483648, received "1.5"'],
    [{ RELAY_SEED: '1', RELAY_SEED_PATH: 'x:1' }, 'RELAY_SEED_PATH: expected a fast-check path like 12:0:3, received "x:1"'],
    [{ RELAY_SEED_PATH: '1:2' }, 'RELAY_SEED_PATH: needs RELAY_SEED (the seed it was found with)'],
    [{ RELAY_SOAK: '1', RELAY_SOAK_SECONDS: '0' }, 'RELAY_SOAK_SECONDS: expected an integer >= 1, received "0"'],
  ])('names the bad variable and value: %j', (env, message) => {
    expect(() => campaignEnvironment(env)).toThrow(message);
  });

  it('writes the re-run command, the note lines and the hint', () => {
    expect(rerunCommand('test/x.test.ts', 5)).toBe('RELAY_SEED=5 npx vitest run test/x.test.ts');
    expect(rerunCommand('test/x.test.ts', 5, '1:2')).toBe('RELAY_SEED=5 RELAY_SEED_PATH=1:2 npx vitest run test/x.test.ts');
    const replay = { seed: 5, path: '1:2', schedule: ['a', 'b'], rerun: 'R' };
    expect(replayLines(replay)).toEqual(['seed: 5, path: 1:2', 're-run: R', 'schedule:', '  a', '  b']);
    expect(replayLines(undefined)).toEqual([]);
    expect(failureTraceHint('t.json', replay)).toBe(
      '\n(trace written to t.json\n open it with: relay-gateway visualize --trace t.json   (from a checkout: npx tsx src/cli/main.ts visualize --trace t.json)\n seed: 5, path: 1:2\n re-run: R)',
    );
  });
});
