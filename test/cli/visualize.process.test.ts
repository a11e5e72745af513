/**
 * The CLI's visualizer as an operator runs it: `connect --visualize --visualize-control` prints a URL
 * whose token makes commands work (and nothing works without it); `visualize --trace FILE` replays a
 * recorded trace offline; bad input is a usage error (exit 2) that names the flag or field.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTrace } from '../../src/visualizer/trace.js';
import { TOKEN_HEADER } from '../../src/visualizer/request-guard.js';
import { runCliProcess } from '../support/cli-process.js';
import { useConnector } from '../support/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'relay-visualize-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('relay-gateway connect --visualize --visualize-control', () => {
  it('prints a URL with a token; a command with it reconnects, one without it is refused', async () => {
    const connector = await useConnector();
    const cli = runCliProcess(['connect', '--url', connector.url, '--json', '--visualize', '--visualize-control']);
    const line = await cli.waitForJson((l) => l.event === 'visualizer');
    const url = String(line.url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{22}$/u);
    await cli.waitForJson((l) => l.state === 'serving');
    const token = url.split('#token=')[1]!;
    const command = (headers: Record<string, string>) =>
      fetch(new URL('api/sources/gateway-1/commands', url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"command":"reconnectNow"}' });
    expect((await command({})).status).toBe(403);
    expect((await command({ [TOKEN_HEADER]: token })).status).toBe(202);
    await connector.waitForHandshake(2);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }, 30_000);

  it('--visualize-control without --visualize is a usage error', async () => {
    const cli = runCliProcess(['connect', '--url', 'http://127.0.0.1:1', '--visualize-control']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr.join('\n')).toContain('--visualize-control: needs --visualize');
  });
});

describe('relay-gateway visualize --trace', () => {
  it('serves a recorded trace offline until a signal', async () => {
    const trace = buildTrace({
      source: { kind: 'test', name: 'model path 7' },
      machine: { id: 'connection', structureHash: 'abc' },
      note: 'expected serving, got reconnecting',
      entries: [],
    });
    const cli = runCliProcess(['visualize', '--trace', file('ok.json', JSON.stringify(trace)), '--json']);
    const line = await cli.waitForJson((l) => l.event === 'visualizer');
    expect(line).toMatchObject({ trace: 'model path 7', entries: 0, frames: 0 });
    const sources = (await (await fetch(new URL('api/sources', String(line.url)))).json()) as { mode: string; sources: Array<{ name: string }> };
    expect(sources).toMatchObject({ mode: 'trace', sources: [{ name: 'model path 7 (trace)' }] });
    const page = await fetch(String(line.url));
    expect(page.status).toBe(200);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  }, 30_000);

  it.each([
    ['not JSON', 'not json {', 'not JSON'],
    ['another format', JSON.stringify({ format: 'pcap', version: 1 }), 'format'],
    ['a wrong field', JSON.stringify({ ...buildTrace({ source: { kind: 'test', name: 'x' }, machine: { id: 'c', structureHash: '' }, entries: [] }), entries: [{ seq: 'one' }] }), 'entries.0.seq'],
  ])('refuses %s with exit 2, naming what is wrong', async (_name, text, expected) => {
    const cli = runCliProcess(['visualize', '--trace', file(`bad-${expected.replace(/\W/gu, '')}.json`, text)]);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr.join('\n')).toContain(expected);
  });

  it('a missing file or a missing --trace is a usage error', async () => {
    const missing = runCliProcess(['visualize', '--trace', join(dir, 'nope.json')]);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr.join('\n')).toContain('does not exist');
    const none = runCliProcess(['visualize']);
    expect(await none.exited).toBe(2);
    expect(none.stderr.join('\n')).toContain('--trace');
  });
});
