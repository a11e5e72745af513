/**
 * The visualizer's HTTP server over real loopback sockets: page and API routes, the SSE stream's
 * first message (snapshot with history) and live entries, option validation, and a clean close.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelayGateway, type RelayGateway } from '../../src/gateway/create-relay-gateway.js';
import { serveVisualizer, type VisualizerServer } from '../../src/visualizer/serve-visualizer.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { useConnector } from '../support/fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ gateway: RelayGateway; visualizer: VisualizerServer; connector: Awaited<ReturnType<typeof useConnector>> }> {
  const connector = await useConnector();
  const gateway = createRelayGateway({ url: connector.url, reconnect: { baseMs: 30, capMs: 60 } });
  cleanups.push(() => gateway.stop());
  const visualizer = await serveVisualizer(gateway, { historySize: 4 });
  cleanups.push(() => visualizer.close());
  return { gateway, visualizer, connector };
}

interface SseEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** Open the SSE stream; `next()` resolves with each event in order. Closed after the test. */
function openStream(url: string): { next(): Promise<SseEvent> } {
  const queued: SseEvent[] = [];
  const waiting: Array<(event: SseEvent) => void> = [];
  const req = request(new URL('events', url), (res) => {
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || !data) continue;
        const parsed = { event, data: JSON.parse(data) as Record<string, unknown> };
        const waiter = waiting.shift();
        if (waiter) waiter(parsed);
        else queued.push(parsed);
      }
    });
  });
  req.on('error', () => undefined); // destroyed at cleanup
  req.end();
  cleanups.push(() => {
    req.destroy();
    return Promise.resolve();
  });
  return {
    next: () => {
      const ready = queued.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

describe('serveVisualizer', () => {
  it('serves the page, its assets, the layout and a snapshot; 404 and 405 otherwise', async () => {
    const { gateway, visualizer } = await setup();
    await gateway.start();
    expect(visualizer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(visualizer.url);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('id="active-state"');
    expect((await fetch(new URL('app.js', visualizer.url))).headers.get('content-type')).toContain('javascript');
    expect((await fetch(new URL('app.css', visualizer.url))).status).toBe(200);
    const machine = (await (await fetch(new URL('api/machine', visualizer.url))).json()) as { machineId: string; states: unknown[] };
    expect(machine.machineId).toBe('connection');
    const snapshot = (await (await fetch(new URL('api/snapshot', visualizer.url))).json()) as Record<string, unknown>;
    expect(snapshot).toMatchObject({ state: 'serving', path: 'serving.live', context: { attempt: 0, descriptor: { platform: 'relay' } }, metrics: { handshakes: 1 } });
    expect((snapshot.history as unknown[]).length).toBe(3); // START, SOCKET_OPEN, DESCRIPTOR
    expect((await fetch(new URL('nope', visualizer.url))).status).toBe(404);
    expect((await fetch(visualizer.url, { method: 'POST' })).status).toBe(405);
  });

  it('streams a snapshot with the bounded history first, then live entries', async () => {
    const { gateway, visualizer, connector } = await setup();
    await gateway.start();
    connector.closeLinks(1012, 'restart');
    await connector.waitForHandshake(2);
    const first = await openStream(visualizer.url).next();
    expect(first.event).toBe('snapshot');
    const history = first.data.history as Array<{ seq: number; to: string }>;
    expect(history).toHaveLength(4); // historySize 4: only the newest entries
    expect(history.at(-1)).toMatchObject({ to: 'serving.live' });
    expect(history.map((h) => h.seq)).toEqual([4, 5, 6, 7]);
  });

  it('sends live entries with context and metrics on a state change', async () => {
    const { gateway, visualizer, connector } = await setup();
    await gateway.start();
    const stream = openStream(visualizer.url);
    expect((await stream.next()).event).toBe('snapshot');
    connector.closeLinks(1012, 'restart');
    let entry = await stream.next();
    while (entry.event !== 'entry') entry = await stream.next(); // a metrics tick may come first
    expect(entry.data).toMatchObject({ entry: { event: 'SOCKET_CLOSED', from: 'serving.live', to: 'reconnecting', attempt: 1 }, context: { lastClose: { code: 1012, reason: 'restart' } }, metrics: { dials: 1 } });
  });

  it.each([
    [{ host: '0.0.0.0' }, 'host'],
    [{ port: 70_000 }, 'port'],
    [{ historySize: 0 }, 'historySize'],
  ])('refuses %j naming the option', async (options, name) => {
    const connector = await useConnector();
    const gateway = createRelayGateway({ url: connector.url });
    const error = await serveVisualizer(gateway, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(name);
  });

  it('close() detaches from the gateway and closes the port, and is idempotent', async () => {
    const { gateway, visualizer } = await setup();
    expect((await openStream(visualizer.url).next()).event).toBe('snapshot');
    await visualizer.close();
    await visualizer.close();
    await expect(fetch(visualizer.url)).rejects.toThrow();
    // The gateway runs on without the observer (no error, no retained listener work).
    await gateway.start();
    expect(gateway.state).toBe('serving');
  });
});
