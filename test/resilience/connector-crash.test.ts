/**
 * The connector process is killed mid-stream (SIGKILL, no close frame) and restarted on the same
 * port: the gateway reconnects, re-handshakes, and the backlog buffered meanwhile is delivered.
 */
import { describe, expect, it } from 'vitest';
import { createRelayConnection } from '../../src/transport/relay-connection.js';
import { startConnectorProcess } from '../support/connector-process.js';

describe('connector process killed with SIGKILL', () => {
  it('reconnects to the restarted connector and receives the backlog', async () => {
    const first = await startConnectorProcess(0);
    const handled: Array<{ text: string; bufferId: string | undefined }> = [];
    const connection = createRelayConnection({
      url: first.url,
      random: () => 1,
      settings: { backoff: { baseMs: 400, factor: 2, capMs: 800, stableMs: 10_000 } },
      router: {
        inbound: (frame) => ({
          sessionKey: 's',
          run: () => {
            handled.push({ text: frame.event.text, bufferId: frame.bufferId });
            return Promise.resolve();
          },
        }),
        passthrough: () => null,
      },
    });
    try {
      await connection.start();
      await first.command({ cmd: 'inbound', text: 'before the crash', chatId: '1' });
      await expect.poll(() => handled.length).toBe(1);

      const lost = new Promise<void>((resolve) => connection.onStateChange((c) => c.state === 'reconnecting' && resolve()));
      first.child.kill('SIGKILL');
      await lost;
      expect(connection.context.lastClose?.code).toBe(1006);

      const second = await startConnectorProcess(first.port);
      const queued = [
        await second.command({ cmd: 'inbound', text: 'while you were away 1', chatId: '1' }),
        await second.command({ cmd: 'inbound', text: 'while you were away 2', chatId: '1' }),
      ];
      await expect.poll(() => handled.length, { timeout: 5000 }).toBe(3);
      expect(connection.state).toBe('serving');
      const buffered = queued.map((q) => q.bufferId);
      expect(handled.slice(1)).toEqual([
        { text: 'while you were away 1', bufferId: buffered[0] ?? undefined },
        { text: 'while you were away 2', bufferId: buffered[1] ?? undefined },
      ]);
      // The gateway was still backing off, so the restarted connector buffered both and replayed them.
      expect(buffered.every((id) => typeof id === 'string')).toBe(true);
      await expect.poll(async () => ((await second.command({ cmd: 'acks' })).acks as string[]).length).toBe(2);
    } finally {
      await connection.stop();
    }
  }, 20_000);
});
