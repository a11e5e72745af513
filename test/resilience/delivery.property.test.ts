/**
 * Delivery guarantees over randomized schedules (fast-check) of inbound bursts (a few frames or
 * thousands, one or hundreds of lines per WebSocket message), drops, closes, going idle, buffering,
 * overlapping replays, reconnects and outbound requests, against the tests' own plain connector with
 * a durable buffer:
 * - every buffered event reaches the handler exactly once, and is acked, only after its handler;
 * - no event (live or buffered) is handled twice; live frames are never acked;
 * - every outbound request settles (success, failure or ambiguous).
 * Every run is recorded (the connection's timeline and frames); a failing run writes its recording as
 * a visualizer trace under test-results/traces/. fast-check shrinks by running smaller failing
 * schedules, each overwriting the file, so the trace left is the one of the reported counterexample.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sendAction } from '../../src/protocol/outbound.js';
import { createRelayConnection, type RelayConnection } from '../../src/transport/relay-connection.js';
import type { RequestOutcome } from '../../src/transport/pending-requests.js';
import { recordConnection, traceFailure } from '../support/failure-trace.js';
import { inboundFrame, usePlainConnector } from '../support/plain-connector.js';

type Op =
  | { kind: 'push'; count: number; linesPerMessage: number }
  | { kind: 'drop' }
  | { kind: 'close' }
  | { kind: 'goIdle' }
  | { kind: 'wake' }
  | { kind: 'request' }
  | { kind: 'goDormant' }
  | { kind: 'hold' }
  | { kind: 'release' }
  | { kind: 'tick'; ms: number };

const linesPerMessage = fc.constantFrom(1, 3, 250);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('push' as const), count: fc.integer({ min: 1, max: 4 }), linesPerMessage }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('push' as const), count: fc.integer({ min: 500, max: 2500 }), linesPerMessage }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'goIdle' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wake' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'request' as const }) },
  // Scale-to-zero (protocol-later §5): sleep and wake on the dormant cadence, redials held and released.
  { weight: 2, arbitrary: fc.constant({ kind: 'goDormant' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'hold' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'release' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 40 }).map((ms) => ({ kind: 'tick' as const, ms })) },
);

const settled = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not settle in ${ms} ms`)), ms))]);

/** Runs that went through each scale-to-zero state (printed: the schedules must reach them). */
const reached = { dormant: 0, held: 0, runs: 0 };

/** The failure trace's name (test-results/traces/delivery-property.json). */
const TRACE_NAME = 'delivery property';

describe('delivery guarantees (property-based)', () => {
  it('buffered events exactly once and acked after their handler, nothing twice, every request settles, at backlogs of thousands', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), fc.boolean(), fc.integer({ min: 0, max: 8 }), async (ops, overlapping, handlerMs) => {
        const connector = await usePlainConnector({
          duplicateReplays: overlapping,
          answer: (_action, requestId) => ({ result: { success: true, message_id: requestId }, delayMs: 5 }),
        });
        const handled: string[] = [];
        const finishedAt = new Map<string, number>();
        const recorder = recordConnection({ name: TRACE_NAME });
        const connection: RelayConnection = createRelayConnection({
          url: connector.url,
          inspect: recorder.inspect,
          random: () => 0.5,
          outboundTimeoutMs: 500,
          // A short dormant cadence and hold ceiling: a schedule that ends dormant or held still comes back.
          settings: {
            backoff: { baseMs: 10, factor: 2, capMs: 40, stableMs: 10_000 },
            goIdleTimeoutMs: 200,
            dormantBaseMs: 10,
            dormantCapMs: 40,
            redialHoldMaxMs: 300,
          },
          router: {
            inbound: (frame) => ({
              sessionKey: frame.event.source.chat_id,
              messageKey: `${frame.event.source.platform}:${frame.event.source.chat_id}:${frame.event.message_id ?? ''}`,
              run: async () => {
                // Most handlers finish at once; some take up to handlerMs, so bursts build a backlog.
                if (handled.length % 50 === 0) await new Promise((resolve) => setTimeout(resolve, handlerMs));
                handled.push(frame.event.text);
                finishedAt.set(frame.event.text, performance.now());
              },
            }),
            passthrough: () => null,
          },
        });
        recorder.observe(connection);
        const seen = new Set<string>();
        connection.onStateChange((change) => seen.add(change.state));
        const requests: Array<Promise<RequestOutcome>> = [];
        const bufferedIds = new Map<string, string>(); // bufferId -> text
        let n = 0;
        try {
          await connection.start();
          for (const step of ops) {
            switch (step.kind) {
              case 'push': {
                const frames = Array.from({ length: step.count }, () => {
                  const text = `msg-${++n}`;
                  return inboundFrame(`c${n % 7}`, text, { messageId: text });
                });
                const ids = connector.push(frames, step.linesPerMessage);
                ids.forEach((id, i) => bufferedIds.set(id, (frames[i]!.event as { text: string }).text));
                break;
              }
              case 'drop':
                for (const link of connector.links) link.socket.terminate();
                break;
              case 'close':
                for (const link of connector.links) link.socket.close(1012, 'restart');
                break;
              case 'goIdle':
                void connection.goIdle();
                break;
              case 'wake':
                connection.reconnectNow();
                break;
              case 'goDormant':
                void connection.goDormant();
                break;
              case 'hold':
                connection.holdRedial();
                break;
              case 'release':
                connection.releaseRedial();
                break;
              case 'request':
                requests.push(connection.request(sendAction('c', `r${requests.length}`)));
                break;
              case 'tick':
                await new Promise((resolve) => setTimeout(resolve, step.ms));
                break;
            }
          }
          // Bring it back to serving and let the backlog drain. A dormant gateway wakes by itself and a
          // held redial goes ahead at the hold ceiling at the latest: neither is helped here.
          await settled(
            new Promise<void>((resolve) => {
              const check = (): void => {
                if (connection.state === 'idle') connection.reconnectNow();
                const m = connection.metrics();
                if (connection.state === 'serving' && connector.held().length === 0 && m.handlersRunning === 0 && m.inboundQueued === 0) resolve();
                else setTimeout(check, 10);
              };
              check();
            }),
            30_000,
            'the backlog',
          );
          const outcomes = await settled(Promise.all(requests), 3000, 'outbound requests');
          for (const outcome of outcomes) expect(typeof (outcome.ok ? outcome.result : outcome.failure)).toBe('object');

          // Nothing handled twice.
          expect(new Set(handled).size).toBe(handled.length);
          // Every buffered event handled exactly once, and every ack of it sent after its handler finished.
          const acks = connector.seen.filter((s) => s.frame.type === 'inbound_ack');
          const handledOnce = new Set(handled);
          for (const [bufferId, text] of bufferedIds) {
            expect(handledOnce.has(text), `${bufferId} (${text}) handled`).toBe(true);
            const mine = acks.filter((a) => a.frame.bufferId === bufferId);
            expect(mine.length, `${bufferId} acked`).toBeGreaterThanOrEqual(1);
            for (const ackFrame of mine) expect(ackFrame.at).toBeGreaterThanOrEqual(finishedAt.get(text)!);
          }
          // Live frames are never acked.
          expect(acks.every((a) => bufferedIds.has(String(a.frame.bufferId)))).toBe(true);
          expect(connection.metrics()).toMatchObject({ inboundShed: 0, inboundDeferred: 0 });
        } catch (error) {
          throw traceFailure(TRACE_NAME, recorder, error);
        } finally {
          reached.runs++;
          if (seen.has('dormant')) reached.dormant++;
          if (seen.has('held')) reached.held++;
          recorder.stop();
          await connection.stop();
          await connector.close();
        }
      }),
      { numRuns: 40 },
    );
    console.log(`delivery property: ${reached.runs} runs, ${reached.dormant} went dormant, ${reached.held} held a redial`);
  }, 300_000);
});
