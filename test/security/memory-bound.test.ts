/**
 * A hostile peer floods the gateway while its handlers are stuck. The concurrency cap and the
 * reader's backpressure keep the gateway's memory bounded: the backlog stays in the peer's socket
 * buffers, not in the gateway's heap. The connector runs in its own process so only the gateway's
 * heap is measured.
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
  it('20,000 frames of 1 KiB against stuck handlers: heap growth stays far below the flood size', async () => {
    const peer = await startConnectorProcess();
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    let handled = 0;
    const connection = createRelayConnection({
      url: peer.url,
      concurrency: 4,
      maxQueuedInbound: 16,
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
      await expect.poll(() => connection.metrics().readerPaused).toBe(true);
      const during = heap();
      const metrics = connection.metrics();
      expect(metrics.handlersRunning).toBe(4);
      expect(metrics.inboundQueued).toBeLessThanOrEqual(16 + 64); // cap plus what one socket read can carry
      // 20,000 x 1 KiB is ~20 MiB on the wire (and far more as objects); the gateway holds a few MiB at most.
      expect(during - before).toBeLessThan(8 * 1024 * 1024);
      release();
      await expect.poll(() => handled, { timeout: 15_000 }).toBe(20_000);
      expect(connection.metrics().readerPaused).toBe(false);
    } finally {
      await connection.stop();
    }
  }, 30_000);
});
