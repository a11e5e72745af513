/**
 * The operators' endpoints over real sockets: `/healthz` follows the connection (503 -> 200 -> 503
 * across a drop -> 200 after the reconnect), `/metrics` is valid Prometheus text whose counters move
 * with the traffic, and the CLI serves both with `--health-port`.
 */
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { registerGatewayMetrics, serveHealth, type HealthServer } from '../../src/metrics/index.js';
import { useRelayGateway } from '../support/fixtures.js';
import { inboundFrame, usePlainConnector } from '../support/plain-connector.js';
import { runCliProcess } from '../support/cli-process.js';
import { afterEach } from 'vitest';

const servers: HealthServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

/**
 * A strict reading of the Prometheus text exposition format: every line is a `# HELP`, a `# TYPE`
 * or a sample `name{label="value",...} number`; every sample's family has a TYPE. Returns the samples.
 */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sample = new RegExp(`^(${NAME})(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*\\})? (-?(?:[0-9.]+(?:e[+-]?[0-9]+)?|\\+Inf|-Inf|NaN))$`, 'u');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = new RegExp(`^# HELP (${NAME}) .+$`, 'u').exec(line);
    if (help) continue;
    const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`, 'u').exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const match = sample.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    const family = match[1]!.replace(/_(bucket|sum|count)$/u, '');
    if (!types.has(match[1]!) && !types.has(family)) throw new Error(`sample without a TYPE: ${line}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

describe('/healthz and /metrics', () => {
  it('/healthz flips 503 -> 200 -> 503 -> 200 across a drop and a reconnect', async () => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url });
    const health = await serveHealth(gw);
    servers.push(health);
    expect(health.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/u);

    const before = await get(`${health.url}/healthz`);
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body)).toMatchObject({ state: 'idle', lastError: null });

    await gw.start();
    const serving = await get(`${health.url}/healthz`);
    expect(serving.status).toBe(200);
    const report = JSON.parse(serving.body) as { state: string; since: string; lastError: string | null };
    expect(report.state).toBe('serving');
    expect(Date.parse(report.since)).toBeLessThanOrEqual(Date.now());
    expect(Object.keys(report).sort()).toEqual(['lastError', 'since', 'state']);

    connector.latest().socket.terminate();
    await expect.poll(async () => (await get(`${health.url}/healthz`)).status).toBe(503);
    await connector.waitForHandshake(2);
    await expect.poll(async () => (await get(`${health.url}/healthz`)).status).toBe(200);
    expect((await get(`${health.url}/nope`)).status).toBe(404);
  });

  it('/metrics is strict Prometheus text, and its counters move with the traffic', async () => {
    const connector = await usePlainConnector({ answer: (_action, requestId) => ({ result: { success: true, message_id: requestId }, delayMs: 3 }) });
    const gw = useRelayGateway({ url: connector.url });
    gw.onMessage(async (event) => void (await gw.send(event.source.chat_id, 'pong')));
    const health = await serveHealth(gw);
    servers.push(health);
    await gw.start();

    const first = await get(`${health.url}/metrics`);
    expect(first.status).toBe(200);
    expect(first.type).toContain('text/plain');
    const a = parsePrometheus(first.body);
    expect(a.get('relay_gateway_state{state="serving"}')).toBe(1);
    expect(a.get('relay_gateway_state{state="reconnecting"}')).toBe(0);
    expect(a.get('relay_gateway_dials_total')).toBe(1);
    expect(a.get('relay_gateway_handshakes_total')).toBe(1);

    connector.latest().sendBatch(Array.from({ length: 5 }, (_, i) => inboundFrame(`c${i}`, 'ping')));
    await expect.poll(() => connector.seen.filter((s) => s.frame.type === 'outbound').length).toBe(5);
    await expect.poll(() => gw.metrics().pendingRequests).toBe(0);
    expect(await gw.send('c0', 'one more')).toMatchObject({ success: true });

    const b = parsePrometheus((await get(`${health.url}/metrics`)).body);
    expect(b.get('relay_gateway_inbound_total{outcome="delivered"}')).toBe(5);
    expect(b.get('relay_gateway_requests_total{op="send",result="success"}')).toBe(6);
    expect(b.get('relay_gateway_request_duration_seconds_count{op="send"}')).toBe(6);
    expect(b.get('relay_gateway_request_duration_seconds_bucket{le="+Inf",op="send"}')).toBe(6);
    expect(b.get('relay_gateway_frames_total{direction="in"}')).toBeGreaterThan(a.get('relay_gateway_frames_total{direction="in"}') ?? 0);

    connector.latest().socket.close(1012, 'restart');
    await connector.waitForHandshake(2);
    await expect.poll(() => gw.state).toBe('serving');
    const c = parsePrometheus((await get(`${health.url}/metrics`)).body);
    expect(c.get('relay_gateway_reconnects_total{cause="closed"}')).toBe(1);
    expect(c.get('relay_gateway_dials_total')).toBe(2);
  });

  it('on a registry of the application, with its own labels; unregister removes them', async () => {
    const connector = await usePlainConnector();
    const gw = useRelayGateway({ url: connector.url });
    const registry = new Registry();
    const registration = registerGatewayMetrics(gw, { registry, labels: { gateway: 'gw-7' } });
    await gw.start();
    const samples = parsePrometheus(await registry.metrics());
    expect(samples.get('relay_gateway_state{gateway="gw-7",state="serving"}')).toBe(1);
    registration.unregister();
    expect(await registry.metrics()).toBe('\n');
  });

  it('the CLI serves them with --health-port', async () => {
    const connector = await usePlainConnector();
    const cli = runCliProcess(['connect', '--url', connector.url, '--json', '--health-port', '0']);
    const line = await cli.waitForJson((l) => l.event === 'health');
    await cli.waitForJson((l) => l.state === 'serving');
    const url = String(line.url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/u);
    expect((await get(`${url}/healthz`)).status).toBe(200);
    expect(parsePrometheus((await get(`${url}/metrics`)).body).get('relay_gateway_state{state="serving"}')).toBe(1);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });
});
