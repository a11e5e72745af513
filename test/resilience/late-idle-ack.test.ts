/**
 * Regression, found by the race campaign ("an ack racing a close", goIdle() with a 20-120 ms ack
 * timeout): goIdle() gave up waiting for its `going_idle_ack` and the gateway kept serving, as
 * documented; then the ack arrived after all. The connector, having acked, buffered everything new
 * for the gateway while the gateway, still serving, ignored the ack as unsolicited: inbound events
 * waited at the connector until some later redial, however long that took. Now a late ack of an
 * ask that gave up re-dials at once (reason `replay`), so the connector replays what it buffered.
 *
 * The campaign's shrunk trace of the defect is kept (test/fixtures/traces/, open it with
 * `relay-gateway visualize --trace FILE`): its machine steps replayed on today's machine take the fix.
 * The real case runs against the tests' own plain connector (a connector that acks late is within
 * the contract); a failing run writes the gateway's recording as a trace under test-results/traces/.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTrace } from '../../src/visualizer/trace.js';
import { recordConnection, withFailureTrace } from '../support/failure-trace.js';
import { pathFromLabels } from '../support/model-graph.js';
import type { RelayGateway } from '../../src/gateway/create-relay-gateway.js';
import { useRelayGateway } from '../support/fixtures.js';
import { acksOn, inboundFrame, usePlainConnector } from '../support/plain-connector.js';

const TEST_FILE = 'test/resilience/late-idle-ack.test.ts';
/** Inbound events the connector holds after the late ack. */
const BUFFERED = 5_000;

/** Resolves once the gateway's machine has processed an event of `type` (its snapshot after it). */
function machineTook(gw: RelayGateway, type: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const detach = gw.inspect((event) => {
      if (event.type !== '@xstate.snapshot' || event.event.type !== type) return;
      detach();
      resolve();
    });
  });
}
const FOUND = 'test/fixtures/traces/late-idle-ack-found-by-race-campaign.json';

describe('the race campaign trace of the defect (kept)', () => {
  const trace = parseTrace(readFileSync(FOUND, 'utf8'));
  const upToTheAck = trace.entries.slice(1, trace.entries.findIndex((entry, i) => i > 0 && entry.event === 'GOING_IDLE_ACK') + 1);

  it('is a trace the visualizer opens, with its seed, path and minimal schedule, showing the late ack ignored while serving', () => {
    expect(trace.note).toMatch(/seed: -?\d+, path: [\d:]+/);
    expect(trace.note).toContain('hung: nothing happened');
    expect(upToTheAck.map((entry) => entry.event)).toEqual(['START', 'SOCKET_OPEN', 'DESCRIPTOR', 'GO_IDLE', 'after goIdleTimeout', 'GOING_IDLE_ACK']);
    expect(upToTheAck.at(-1)).toMatchObject({ from: 'serving.live', to: 'serving.live', fired: [{ label: 'ignored' }] });
  });

  it("replayed on today's machine, the same steps re-dial at the late ack", () => {
    const path = pathFromLabels({ goIdleTimeoutMs: 50 }, upToTheAck.map((entry) => entry.event));
    expect(path.steps.at(-2)?.state).toBe('serving.live');
    expect(path.steps.at(-1)).toMatchObject({ state: 'dialing', flags: { idleAskUnanswered: true } });
  });
});

describe('a going_idle_ack that comes after goIdle() gave up', () => {
  it('re-dials at once so the connector replays what it buffered: every event handled once, the gateway serving', async () => {
    const name = 'late going_idle_ack after goIdle() gave up';
    const connector = await usePlainConnector({ autoIdleAck: false });
    const recorder = recordConnection({ name });
    const gw = useRelayGateway({ url: connector.url, inspect: recorder.inspect });
    recorder.observe(gw);
    const handled: string[] = [];
    gw.onMessage((event) => {
      handled.push(event.text);
    });
    try {
      await withFailureTrace(
        name,
        recorder,
        async () => {
          await gw.start();
          const first = connector.latest();
          // goIdle() gives up: the gateway keeps serving on the same socket.
          await expect(gw.goIdle(50)).resolves.toBe(false);
          expect(gw.state).toBe('serving');
          // The ack comes late; from then on the connector buffers for this gateway.
          connector.ackGoingIdle(first);
          // Thousands buffered, as a busy chat would pile up while the gateway wrongly thought it served.
          const buffered = Array.from({ length: BUFFERED }, (_, i) => inboundFrame(`c${i % 97}`, `late-${i}`, { messageId: `m${i}` }));
          expect(connector.push(buffered)).toHaveLength(BUFFERED);
          // The gateway re-dials for the replay; the new link gets all of it, each acked once.
          const second = await connector.waitForHandshake(2, 5000);
          await connector.waitUntil(() => acksOn(connector, second.id).length === BUFFERED, 'the replay acked', 15_000);
          expect(new Set(acksOn(connector, second.id)).size).toBe(BUFFERED);
          expect(connector.held()).toEqual([]);
          expect([...handled].sort()).toEqual(buffered.map((f) => (f.event as { text: string }).text).sort());
          expect(gw.state).toBe('serving');
          expect(gw.metrics()).toMatchObject({ reconnectsByCode: { replay: 1 }, replayRedials: 1 });
          // A further ack answers nothing: counted as ignored, no redial.
          const ignored = gw.metrics().ignoredMachineEvents;
          const acked = machineTook(gw, 'GOING_IDLE_ACK');
          connector.ackGoingIdle(second);
          await acked;
          expect(gw.metrics().ignoredMachineEvents).toBe(ignored + 1);
          expect(gw.state).toBe('serving');
          expect(connector.links).toHaveLength(2);
        },
        { rerun: `npx vitest run ${TEST_FILE}` },
      );
    } finally {
      recorder.stop();
    }
  });
});
