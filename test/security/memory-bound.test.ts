/**
 * A hostile peer floods the gateway while its handlers are stuck. The reader keeps reading (control
 * frames share the socket), so the gateway bounds its own backlog: at half the byte cap it asks the
 * connector to buffer, and past the cap it holds nothing more and counts what it refused. The
 * connector runs in its own process so only the gateway's heap is measured.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createRelayConnection } from '../../src/transport/relay-connection.js';
import { startConnectorProcess } from '../support/connector-process.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = (): number => {
  gc();
  return process.memoryUsage().heapUsed;
};

describe('memory under a flood', () => {
  it('20,000 frames of 1 KiB against stuck handlers: heap growth stays bounded by the 1 MiB cap, refusals counted', async () => {
    const peer = await startConnectorProcess();
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    let handled = 0;
    const cap = 1024 * 1024;
    const connection = createRelayConnection({
      url: peer.url,
      concurrency: 4,
      maxQueuedInboundBytes: cap,
      router: {
        inbound: (frame) => ({
          sessionKey: frame.event.source.chat_id,
          run: async () => {
            await stuck;
            handled++;
          },
        }),
        passthrough: () => null,
      },
    });
    try {
      await connection.start();
      const before = heap();
      await peer.command({ cmd: 'flood', count: 20_000, size: 1024 });
      await expect.poll(() => connection.metrics().framesIn, { timeout: 15_000 }).toBeGreaterThanOrEqual(20_001);
      const during = heap();
      const metrics = connection.metrics();
      expect(metrics.handlersRunning).toBe(4);
      expect(metrics.inboundQueuedBytes).toBeLessThanOrEqual(cap);
      expect(metrics.intakeHeld).toBe(true);
      expect(metrics.inboundQueued + metrics.handlersRunning + metrics.inboundShed).toBe(20_000);
      // 20,000 x 1 KiB is ~20 MiB on the wire (and far more as objects); the gateway holds about its cap.
      expect(during - before).toBeLessThan(8 * 1024 * 1024);
      release();
      await expect.poll(() => handled, { timeout: 15_000 }).toBe(metrics.inboundQueued + metrics.handlersRunning);
    } finally {
      await connection.stop();
    }
  }, 30_000);
});
