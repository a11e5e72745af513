/**
 * The visualizer's HTTP server over real loopback sockets: page, favicon and API routes; the SSE
 * stream (snapshot first, then batches); DNS-rebinding and cross-site protection (Host, Origin);
 * commands (off by default, token required); several gateways; trace download and upload; option
 * validation; a clean close. And the packaging promise: elkjs is not a runtime dependency.
 */
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelayGateway } from '../../src/gateway/create-relay-gateway.js';
import { createGatewayRegistry } from '../../src/visualizer/gateway-registry.js';
import { serveTrace, serveVisualizer, type VisualizerOptions } from '../../src/visualizer/serve-visualizer.js';
import { TOKEN_HEADER } from '../../src/visualizer/request-guard.js';
import { buildTrace, parseTrace } from '../../src/visualizer/trace.js';
import type { SourceBatch, SourceSnapshot } from '../../src/visualizer/visualizer-source.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { useConnector } from '../support/fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: VisualizerOptions = {}) {
  const connector = await useConnector();
  const gateway = createRelayGateway({ url: connector.url, reconnect: { baseMs: 30, capMs: 60 } });
  cleanups.push(() => gateway.stop());
  const visualizer = await serveVisualizer(gateway, options);
  cleanups.push(() => visualizer.close());
  return { gateway, visualizer, connector, base: visualizer.url.replace(/#.*$/u, '') };
}

/** A raw request, so `Host` and `Origin` can be anything. */
function raw(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: init.method ?? 'GET', headers: init.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

/** Open the SSE stream; `next(type)` resolves with the next event of that type. Closed after the test. */
function openStream(base: string, query = ''): { next(type: string): Promise<SseEvent>; all: SseEvent[] } {
  const all: SseEvent[] = [];
  const waiting: Array<{ type: string; resolve: (event: SseEvent) => void }> = [];
  let read = 0;
  const pump = (): void => {
    for (let i = 0; i < waiting.length; i++) {
      const w = waiting[i]!;
      const index = all.findIndex((e, j) => j >= read && e.event === w.type);
      if (index === -1) continue;
      read = index + 1;
      waiting.splice(i, 1);
      w.resolve(all[index]!);
      i--;
    }
  };
  const req = request(new URL(`events${query}`, base), (res) => {
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/mu.exec(block)?.[1];
        const data = /^data: (.*)$/mu.exec(block)?.[1];
        if (event && data) all.push({ event, data: JSON.parse(data) as unknown });
      }
      pump();
    });
  });
  req.on('error', () => undefined); // destroyed at cleanup
  req.end();
  cleanups.push(() => {
    req.destroy();
    return Promise.resolve();
  });
  return { all, next: (type) => new Promise((resolve) => { waiting.push({ type, resolve }); pump(); }) };
}

const tokenOf = (url: string): string => new URLSearchParams(new URL(url).hash.slice(1)).get('token') ?? '';

describe('serveVisualizer: routes and stream', () => {
  it('serves the page, its assets and favicon, the drawing, the sources and a snapshot; 404 otherwise', async () => {
    const { gateway, visualizer, base } = await setup();
    await gateway.start();
    expect(visualizer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/u); // read-only: no token in the URL
    const page = await fetch(base);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('rel="icon"');
    for (const asset of ['app.js', 'app.css', 'favicon.svg', 'favicon.ico']) expect((await fetch(new URL(asset, base))).status, asset).toBe(200);
    expect((await fetch(new URL('favicon.ico', base))).headers.get('content-type')).toBe('image/svg+xml');
    const machine = (await (await fetch(new URL('api/machine', base))).json()) as { machineId: string; version: number };
    expect(machine).toMatchObject({ machineId: 'connection', version: 2 });
    const sources = (await (await fetch(new URL('api/sources', base))).json()) as { control: boolean; sources: Array<{ id: string }> };
    expect(sources).toEqual({ mode: 'live', control: false, sources: [{ id: 'gateway-1', name: 'gateway-1', live: true }] });
    const snapshot = (await (await fetch(new URL('api/sources/gateway-1/snapshot', base))).json()) as SourceSnapshot;
    expect(snapshot).toMatchObject({ state: 'serving', statePath: 'serving.live', machinePath: 'running.link.open.serving.live', context: { attempt: 0, descriptor: { platform: 'relay' } }, metrics: { handshakes: 1 } });
    expect(snapshot.entries.map((e) => e.event)).toEqual(['START', 'SOCKET_OPEN', 'DESCRIPTOR']);
    expect(snapshot.frames.map((f) => f.type)).toEqual(['open', 'hello', 'descriptor']);
    expect((await fetch(new URL('nope', base))).status).toBe(404);
    expect((await fetch(new URL('api/sources/nope/snapshot', base))).status).toBe(404);
  });

  it('streams the sources and a snapshot, then batches with entries, frames and metrics', async () => {
    const { gateway, base, connector } = await setup({ historySize: 4, batchMs: 20 });
    await gateway.start();
    connector.closeLinks(1012, 'restart');
    await connector.waitForHandshake(2);
    const stream = openStream(base);
    const snapshot = (await stream.next('snapshot')).data as SourceSnapshot;
    expect(snapshot.entries.map((e) => e.seq)).toEqual([4, 5, 6, 7]); // historySize 4: the newest only
    connector.closeLinks(1012, 'again');
    let batch = (await stream.next('batch')).data as SourceBatch;
    while (batch.entries.length === 0) batch = (await stream.next('batch')).data as SourceBatch;
    expect(batch.entries[0]).toMatchObject({ event: 'SOCKET_CLOSED', from: 'serving.live', to: 'reconnecting', context: { lastClose: { code: 1012, reason: 'again' } } });
    expect(batch.metrics).toMatchObject({ dials: 2 });
    expect(batch.frames.map((f) => f.type)).toContain('close');
  });

  it('batches a burst: 2,000 machine events reach a page in a handful of messages, none lost', async () => {
    const { gateway, base, connector } = await setup({ historySize: 5000, batchMs: 50 });
    await gateway.start();
    const stream = openStream(base);
    const snapshot = (await stream.next('snapshot')).data as SourceSnapshot;
    const first = snapshot.entries.at(-1)!.seq;
    // Unsolicited going_idle_acks: each one is a machine event (ignored and counted while serving).
    for (let i = 0; i < 2000; i++) connector.sendRaw(`${JSON.stringify({ type: 'going_idle_ack' })}\n`);
    const seen: number[] = [];
    while (seen.length < 2000) {
      const batch = (await stream.next('batch')).data as SourceBatch;
      seen.push(...batch.entries.map((e) => e.seq));
      expect(batch.dropped.entries).toBe(0);
    }
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, i) => first + 1 + i));
    const batches = stream.all.filter((e) => e.event === 'batch' && (e.data as SourceBatch).entries.length > 0).length;
    expect(batches).toBeLessThan(200);
    expect(gateway.metrics().ignoredMachineEvents).toBe(2000);
  });
});

describe('serveVisualizer: who may ask', () => {
  it('refuses a foreign Host (DNS rebinding) and a foreign Origin with 403, on every route', async () => {
    const { base, visualizer } = await setup();
    const host = `127.0.0.1:${visualizer.port}`;
    for (const path of ['/', '/api/machine', '/api/sources', '/events', '/api/sources/gateway-1/snapshot']) {
      expect((await raw(base, path, { headers: { host: 'evil.example' } })).status, path).toBe(403);
      expect((await raw(base, path, { headers: { host: `evil.example:${visualizer.port}` } })).status, path).toBe(403);
      expect((await raw(base, path, { headers: { host, origin: 'http://evil.example' } })).status, path).toBe(403);
    }
    const refused = await raw(base, '/api/sources', { headers: { host: 'evil.example' } });
    expect(refused.body).not.toContain('gateway-1');
    expect((await raw(base, '/api/sources', { headers: { host } })).status).toBe(200);
    expect((await raw(base, '/api/sources', { headers: { host: `localhost:${visualizer.port}`, origin: `http://localhost:${visualizer.port}` } })).status).toBe(200);
  });

  it('without control every command is refused (403), token or not', async () => {
    const { base, visualizer } = await setup();
    const host = `127.0.0.1:${visualizer.port}`;
    const response = await raw(base, '/api/sources/gateway-1/commands', { method: 'POST', headers: { host, 'content-type': 'application/json', [TOKEN_HEADER]: 'anything' }, body: '{"command":"reconnectNow"}' });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'ERR_CONTROL_OFF' });
  });

  it('with control: no token or a wrong one is 403, a bad body 400, the right token reconnects the gateway', async () => {
    const { gateway, visualizer, base, connector } = await setup({ control: true });
    await gateway.start();
    expect(visualizer.url).toMatch(/#token=[\w-]{22}$/u);
    const token = tokenOf(visualizer.url);
    const host = `127.0.0.1:${visualizer.port}`;
    const post = (headers: Record<string, string>, body = '{"command":"reconnectNow"}') =>
      raw(base, '/api/sources/gateway-1/commands', { method: 'POST', headers: { host, 'content-type': 'application/json', ...headers }, body });
    expect((await post({})).status).toBe(403);
    expect(JSON.parse((await post({ [TOKEN_HEADER]: `${token.slice(0, -1)}x` })).body)).toMatchObject({ code: 'ERR_BAD_TOKEN' });
    expect((await post({ [TOKEN_HEADER]: token, origin: 'http://evil.example' })).status).toBe(403);
    const bad = await post({ [TOKEN_HEADER]: token }, '{"command":"explode"}');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', issues: [{ path: 'command' }] });
    expect((await post({ [TOKEN_HEADER]: token }, 'not json')).status).toBe(400);
    expect(gateway.metrics().dials).toBe(1);
    const accepted = await post({ [TOKEN_HEADER]: token });
    expect(accepted.status).toBe(202);
    await connector.waitForHandshake(2);
    expect(gateway.metrics().dials).toBe(2);
  });
});

describe('serveVisualizer: several gateways, traces', () => {
  it('shows a list of gateways, and a registry as it changes', async () => {
    const connector = await useConnector();
    const a = createRelayGateway({ url: connector.url });
    const b = createRelayGateway({ url: connector.url });
    cleanups.push(() => a.stop(), () => b.stop());
    const registry = createGatewayRegistry([{ name: 'EU primary', gateway: a }]);
    const visualizer = await serveVisualizer(registry);
    cleanups.push(() => visualizer.close());
    const list = async () => ((await (await fetch(new URL('api/sources', visualizer.url))).json()) as { sources: Array<{ id: string; name: string }> }).sources;
    expect(await list()).toEqual([{ id: 'eu-primary', name: 'EU primary', live: true }]);
    const stream = openStream(visualizer.url, '?source=eu-primary');
    await stream.next('snapshot');
    const remove = registry.add(b, { name: 'US' });
    expect(await list()).toEqual([
      { id: 'eu-primary', name: 'EU primary', live: true },
      { id: 'us', name: 'US', live: true },
    ]);
    const announced = (await stream.next('sources')).data as { sources: unknown[] };
    expect(announced.sources).toHaveLength(2);
    await b.start();
    const snapshot = (await (await fetch(new URL('api/sources/us/snapshot', visualizer.url))).json()) as SourceSnapshot;
    expect(snapshot).toMatchObject({ name: 'US', state: 'serving' });
    remove();
    expect((await list()).map((s) => s.id)).toEqual(['eu-primary']);

    const pair = await serveVisualizer([a, b]);
    cleanups.push(() => pair.close());
    expect(((await (await fetch(new URL('api/sources', pair.url))).json()) as { sources: Array<{ id: string }> }).sources.map((s) => s.id)).toEqual(['gateway-1', 'gateway-2']);
  });

  it('downloads a trace that parses, and validates an uploaded one (400 with the field at fault)', async () => {
    const { gateway, base, connector } = await setup();
    await gateway.start();
    connector.closeLinks(1012, 'restart');
    await connector.waitForHandshake(2);
    const response = await fetch(new URL('api/sources/gateway-1/trace', base));
    expect(response.headers.get('content-disposition')).toContain('relay-gateway-trace-gateway-1.json');
    const trace = parseTrace(await response.text());
    expect(trace.source).toEqual({ kind: 'gateway', name: 'gateway-1' });
    expect(trace.entries.map((e) => e.to)).toContain('reconnecting');
    expect(trace.machine.structureHash).toMatch(/^[0-9a-f]{16}$/u);

    const echoed = await fetch(new URL('api/trace', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(trace) });
    expect(echoed.status).toBe(200);
    const loaded = (await echoed.json()) as { trace: unknown; snapshot: SourceSnapshot };
    expect(loaded.trace).toEqual(trace);
    expect(loaded.snapshot).toMatchObject({ live: false, name: 'gateway-1 (trace)', entries: trace.entries, frames: trace.frames });
    const broken = await fetch(new URL('api/trace', base), { method: 'POST', body: JSON.stringify({ ...trace, version: 9 }) });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ code: 'ERR_TRACE_INVALID', issues: [{ path: 'version' }] });
  });

  it('serveTrace replays a trace: the same snapshot shape, not live, no commands', async () => {
    const trace = buildTrace({
      source: { kind: 'test', name: 'model path 3' },
      machine: { id: 'connection', structureHash: 'x' },
      note: 'expected serving, got reconnecting',
      entries: [],
    });
    const visualizer = await serveTrace(trace);
    cleanups.push(() => visualizer.close());
    const sources = (await (await fetch(new URL('api/sources', visualizer.url))).json()) as { mode: string; control: boolean };
    expect(sources).toMatchObject({ mode: 'trace', control: false });
    const snapshot = (await (await fetch(new URL('api/sources/trace/snapshot', visualizer.url))).json()) as SourceSnapshot;
    expect(snapshot).toMatchObject({ live: false, name: 'model path 3 (trace)', note: 'expected serving, got reconnecting', metrics: null });
  });
});

describe('serveVisualizer: options, close, packaging', () => {
  it.each([
    [{ host: '0.0.0.0' }, 'host'],
    [{ port: 70_000 }, 'port'],
    [{ historySize: 0 }, 'historySize'],
    [{ control: 'yes' }, 'control'],
    [{ batchMs: 0 }, 'batchMs'],
  ])('refuses %j naming the option', async (options, name) => {
    const connector = await useConnector();
    const gateway = createRelayGateway({ url: connector.url });
    const error = await serveVisualizer(gateway, options as VisualizerOptions).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(name);
  });

  it('close() detaches from the gateway and closes the port, and is idempotent', async () => {
    const { gateway, visualizer, base } = await setup();
    await openStream(base).next('snapshot');
    await visualizer.close();
    await visualizer.close();
    await expect(fetch(base)).rejects.toThrow();
    await gateway.start();
    expect(gateway.state).toBe('serving');
  });

  it('elkjs is a devDependency only: the drawing ships precomputed', () => {
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; exports: Record<string, unknown> };
    expect(Object.keys(manifest.dependencies)).not.toContain('elkjs');
    expect(Object.keys(manifest.devDependencies)).toContain('elkjs');
    expect(Object.keys(manifest.exports)).toContain('./visualizer');
  });
});

