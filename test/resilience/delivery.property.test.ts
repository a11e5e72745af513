/**
 * Delivery guarantees over randomized schedules (fast-check) of inbound frames, drops, going idle,
 * buffering, reconnects and outbound requests, against the dev connector's durable buffer:
 * - every buffered event reaches the handler exactly once and is acked exactly once;
 * - no event (live or buffered) is handled twice;
 * - every outbound request settles (success, failure or ambiguous).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startDevConnector } from '../../src/dev-connector/dev-connector.js';
import { delay } from '../../src/dev-connector/outbound-policy.js';
import { sendAction } from '../../src/protocol/outbound.js';
import { createRelayConnection, type RelayConnection } from '../../src/transport/relay-connection.js';
import type { RequestOutcome } from '../../src/transport/pending-requests.js';

type Op =
  | { kind: 'push'; count: number }
  | { kind: 'drop' }
  | { kind: 'close' }
  | { kind: 'goIdle' }
  | { kind: 'wake' }
  | { kind: 'request' }
  | { kind: 'tick'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }).map((count) => ({ kind: 'push' as const, count })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'goIdle' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wake' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'request' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 40 }).map((ms) => ({ kind: 'tick' as const, ms })) },
);

const settled = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not settle in ${ms} ms`)), ms))]);

describe('delivery guarantees (property-based)', () => {
  it('buffered events exactly once, nothing twice, every request settles', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), fc.boolean(), fc.integer({ min: 0, max: 8 }), async (ops, overlapping, handlerMs) => {
        const connector = await startDevConnector({ outboundPolicy: delay(5) });
        connector.faults.duplicateReplays = overlapping;
        const handled: string[] = [];
        const connection: RelayConnection = createRelayConnection({
          url: connector.url,
          random: () => 0.5,
          outboundTimeoutMs: 500,
          settings: { backoff: { baseMs: 10, factor: 2, capMs: 40, stableMs: 10_000 }, goIdleTimeoutMs: 200 },
          router: {
            inbound: (frame) => ({
              sessionKey: frame.event.source.chat_id,
              messageKey: `${frame.event.source.platform}:${frame.event.source.chat_id}:${frame.event.message_id ?? ''}`,
              run: async () => {
                await new Promise((resolve) => setTimeout(resolve, handlerMs));
                handled.push(frame.event.text);
              },
            }),
            passthrough: () => null,
          },
        });
        const requests: Array<Promise<RequestOutcome>> = [];
        const bufferedIds = new Map<string, string>(); // bufferId -> text
        let n = 0;
        try {
          await connection.start();
          for (const step of ops) {
            switch (step.kind) {
              case 'push':
                for (let i = 0; i < step.count; i++) {
                  const text = `msg-${++n}`;
                  const bufferId = connector.pushInbound({ text, message_id: text, source: { platform: 'telegram', chat_id: `c${n % 3}` } });
                  if (bufferId) bufferedIds.set(bufferId, text);
                }
                break;
              case 'drop':
                connector.dropLinks();
                break;
              case 'close':
                connector.closeLinks(1012, 'restart');
                break;
              case 'goIdle':
                void connection.goIdle();
                break;
              case 'wake':
                connection.reconnectNow();
                break;
              case 'request':
                requests.push(connection.request(sendAction('c', `r${requests.length}`)));
                break;
              case 'tick':
                await new Promise((resolve) => setTimeout(resolve, step.ms));
                break;
            }
          }
          // Bring it back to serving and let the backlog drain.
          if (connection.state === 'idle') connection.reconnectNow();
          await settled(
            new Promise<void>((resolve) => {
              const check = (): void => {
                if (connection.state === 'idle') connection.reconnectNow();
                if (connection.state === 'serving' && connector.buffered().length === 0 && connection.metrics().handlersRunning === 0) resolve();
                else setTimeout(check, 10);
              };
              check();
            }),
            8000,
            'the backlog',
          );
          const outcomes = await settled(Promise.all(requests), 3000, 'outbound requests');
          for (const outcome of outcomes) expect(typeof (outcome.ok ? outcome.result : outcome.failure)).toBe('object');

          // Nothing handled twice.
          expect(new Set(handled).size).toBe(handled.length);
          // Every buffered event handled exactly once and acked exactly once.
          const acks = connector.received.filter((r) => r.frame.type === 'inbound_ack').map((r) => (r.frame as { bufferId: string }).bufferId);
          for (const [bufferId, text] of bufferedIds) {
            expect(handled.filter((h) => h === text)).toHaveLength(1);
            expect(acks.filter((a) => a === bufferId)).toHaveLength(1);
          }
          // Live frames are never acked.
          expect(acks.every((a) => bufferedIds.has(a))).toBe(true);
        } finally {
          await connection.stop();
          await connector.close();
        }
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
