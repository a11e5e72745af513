/**
 * `relay-gateway connect` as a real process against the dev connector: JSON output, echo, the exit
 * codes (0 graceful, 1 unexpected end, 2 usage, 3 disabled), SIGTERM going idle, precedence of flags
 * over environment over config file, and no secret in anything it prints.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useConnector } from '../support/fixtures.js';
import { runCliProcess } from '../support/cli-process.js';

const SECRET = 'cli-Secret-Value-0987654321';
const GATEWAY = 'cli-gateway';

function secretFile(content = `${SECRET}\n`): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-cli-'));
  const path = join(dir, 'secret');
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

const states = (lines: Array<Record<string, unknown>>): unknown[] => lines.filter((l) => l.event === 'state').map((l) => l.state);

describe('relay-gateway connect', () => {
  it('prints JSON lines, echoes messages, and on SIGTERM goes idle and exits 0', async () => {
    const connector = await useConnector({ secrets: { [GATEWAY]: SECRET } });
    const cli = runCliProcess(['connect', '--url', connector.url, '--gateway-id', GATEWAY, '--secret-file', secretFile(), '--json', '--echo']);
    await cli.waitForJson((l) => l.event === 'state' && l.state === 'serving');
    expect(states(cli.json())).toEqual(['dialing', 'handshaking', 'serving']);

    connector.pushInbound({ text: 'hello cli', message_id: 'm1', source: { platform: 'telegram', chat_id: 'c1', chat_type: 'dm', user_id: 'u1' } });
    const inbound = await cli.waitForJson((l) => l.event === 'inbound');
    expect(inbound).toEqual({ event: 'inbound', sessionKey: 'agent:main:telegram:dm:c1', chatId: 'c1', text: 'hello cli', messageType: 'text', bufferId: null });
    const reply = await cli.waitForJson((l) => l.event === 'reply');
    expect(reply).toEqual({ event: 'reply', chatId: 'c1', success: true });
    const sent = await connector.waitForFrame((r) => r.frame.type === 'outbound');
    expect(sent.frame).toMatchObject({ action: { op: 'send', chat_id: 'c1', content: 'echo: hello cli' } });

    connector.pushInterrupt('agent:main:telegram:dm:c1', 'c1');
    expect(await cli.waitForJson((l) => l.event === 'interrupt')).toEqual({ event: 'interrupt', sessionKey: 'agent:main:telegram:dm:c1', chatId: 'c1' });

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    await connector.waitForFrame((r) => r.frame.type === 'going_idle');
    expect(states(cli.json()).slice(-2)).toEqual(['goingIdle', 'stopped']);
    const printed = [...cli.stdout, ...cli.stderr].join('\n');
    expect(printed).not.toContain(SECRET);
    expect(printed).not.toMatch(/Bearer|token/i);
    // Every stdout line is JSON with an event field and the time it happened (ISO 8601).
    expect(cli.stdout.every((line) => typeof (JSON.parse(line) as { event?: unknown }).event === 'string')).toBe(true);
    for (const line of cli.jsonWithTime()) expect(line.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/u);
    // A stop that was asked for says so; the last close (none here) is not repeated as its cause.
    expect(cli.json().at(-1)).toEqual({ event: 'state', state: 'stopped', cause: 'stopped', message: 'stopped on request' });
  });

  it('exits 3 with a disabled line when the connector revokes the credential', async () => {
    const connector = await useConnector({ secrets: { [GATEWAY]: SECRET } });
    const cli = runCliProcess(['connect', '--json'], { GATEWAY_RELAY_URL: connector.url, GATEWAY_RELAY_ID: GATEWAY, GATEWAY_RELAY_SECRET: SECRET });
    await cli.waitForJson((l) => l.state === 'serving');
    connector.revoke(GATEWAY);
    expect(await cli.exited).toBe(3);
    const lines = cli.json();
    expect(lines).toContainEqual({ event: 'disabled', reason: 'relay_disabled' });
    expect(lines.find((l) => l.state === 'disabled')).toMatchObject({ event: 'state', state: 'disabled', closeCode: 4401 });
    expect([...cli.stdout, ...cli.stderr].join('\n')).not.toContain(SECRET);
  });

  it('exits 1 when the link drops and --no-reconnect is set, reporting the close', async () => {
    const connector = await useConnector();
    const cli = runCliProcess(['connect', '--url', connector.url, '--no-reconnect', '--json']);
    await cli.waitForJson((l) => l.state === 'serving');
    connector.closeLinks(1011, 'internal error');
    expect(await cli.exited).toBe(1);
    expect(cli.json().find((l) => l.state === 'stopped')).toMatchObject({ closeCode: 1011, closeReason: 'internal error' });
    expect(cli.json().some((l) => l.event === 'error')).toBe(true);
  });

  it('reports reconnects with the cause, the close, the failure count and the retry delay', async () => {
    const connector = await useConnector();
    const cli = runCliProcess(['connect', '--url', connector.url, '--json']);
    await cli.waitForJson((l) => l.state === 'serving');
    connector.closeLinks(1012, 'restart');
    const reconnecting = await cli.waitForJson((l) => l.state === 'reconnecting');
    expect(reconnecting).toEqual({
      event: 'state',
      state: 'reconnecting',
      failures: 1,
      retryInMs: expect.any(Number),
      cause: 'closed',
      message: 'the connector closed the link (close 1012 "restart")',
      closeCode: 1012,
      closeReason: 'restart',
    });
    // The first step of the ladder is 1 s, jittered to 50-100 %.
    expect(reconnecting.retryInMs).toBeGreaterThanOrEqual(500);
    expect(reconnecting.retryInMs).toBeLessThanOrEqual(1000);
    await connector.waitForHandshake(2);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });

  it('without --json logs readable timestamped lines on stderr and nothing on stdout', async () => {
    const connector = await useConnector();
    const cli = runCliProcess(['connect', '--url', connector.url]);
    await cli.waitForStderr((line) => / state serving$/u.test(line));
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout).toEqual([]);
    expect(cli.stderr[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z connecting to http:\/\/127\.0\.0\.1:\d+ as platform relay, unauthenticated/u);
  });

  it('flags beat the environment, which beats the config file', async () => {
    const connector = await useConnector({ secrets: { [GATEWAY]: SECRET } });
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-'));
    const config = join(dir, 'relay.yaml');
    // The file's URL is wrong; the environment's is wrong too; the flag's is right.
    writeFileSync(config, `gateway:\n  relay_url: http://127.0.0.1:1\n  relay_id: ${GATEWAY}\n  relay_secret: ${SECRET}\n`);
    const cli = runCliProcess(['connect', '--config', config, '--url', connector.url, '--json', '--platform', 'telegram'], {
      GATEWAY_RELAY_URL: 'http://127.0.0.1:2',
      GATEWAY_RELAY_PLATFORM: 'slack',
    });
    await cli.waitForJson((l) => l.state === 'serving');
    const hello = await connector.waitForFrame((r) => r.frame.type === 'hello');
    expect(hello.gateway).toBe(GATEWAY); // credentials from the file
    expect(hello.frame).toMatchObject({ platform: 'telegram' }); // flag over environment
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);

    // Without the flag, the environment's platform wins over the default.
    const second = runCliProcess(['connect', '--config', config, '--json'], { GATEWAY_RELAY_URL: connector.url, GATEWAY_RELAY_PLATFORM: 'slack' });
    await second.waitForJson((l) => l.state === 'serving');
    const hellos = connector.received.filter((r) => r.frame.type === 'hello');
    expect(hellos.at(-1)?.frame).toMatchObject({ platform: 'slack' });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it.each([
    { args: ['connect'], env: {}, names: '--url: no relay URL' },
    { args: ['connect', '--url', 'ftp://x'], env: {}, names: '--url:' },
    { args: ['connect'], env: { GATEWAY_RELAY_URL: 'not a url' }, names: 'GATEWAY_RELAY_URL:' },
    { args: ['connect', '--url', 'http://127.0.0.1:1', '--ping-interval', '0'], env: {}, names: "'--ping-interval <ms>'" },
    { args: ['connect', '--url', 'http://127.0.0.1:1', '--handshake-timeout', 'soon'], env: {}, names: "'--handshake-timeout <ms>'" },
    { args: ['connect', '--url', 'http://127.0.0.1:1', '--platform', 'Telegram'], env: {}, names: '--platform:' },
    { args: ['connect', '--url', 'http://127.0.0.1:1', '--gateway-id', 'g'], env: {}, names: '--secret-file:' },
    { args: ['connect', '--url', 'http://127.0.0.1:1', '--secret-file', '/nonexistent/secret'], env: {}, names: '--secret-file: secret file "/nonexistent/secret" does not exist' },
    { args: ['connect', '--url', 'http://127.0.0.1:1', '--secret', SECRET], env: {}, names: '--secret: a secret is never accepted as a flag' },
    { args: ['connect', '--url', 'http://127.0.0.1:1', '--bogus'], env: {}, names: "unknown option '--bogus'" },
    { args: ['connect', '--config', '/nonexistent/relay.yaml'], env: {}, names: '/nonexistent/relay.yaml: config file "/nonexistent/relay.yaml" does not exist' },
  ])('exits 2 and names the culprit: $names', async ({ args, env, names }) => {
    const cli = runCliProcess(args, env as Record<string, string>);
    expect(await cli.exited).toBe(2);
    const errors = cli.stderr.join('\n');
    expect(errors).toContain(names);
    expect(errors).not.toContain(SECRET);
  });

  it('warns when only one half of the environment credential pair is set (spec: it is then ignored)', async () => {
    const connector = await useConnector();
    const cli = runCliProcess(['connect', '--json'], { GATEWAY_RELAY_URL: connector.url, GATEWAY_RELAY_SECRET: SECRET });
    await cli.waitForJson((l) => l.state === 'serving');
    expect(cli.stderr.join('\n')).toContain('GATEWAY_RELAY_SECRET is set without GATEWAY_RELAY_ID, so it is ignored');
    expect((await connector.waitForFrame((r) => r.frame.type === 'hello')).gateway).toBe('anonymous');
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect([...cli.stdout, ...cli.stderr].join('\n')).not.toContain(SECRET);
  });

  it('an empty secret file is a usage error, not an unauthenticated run', async () => {
    const cli = runCliProcess(['connect', '--url', 'http://127.0.0.1:1', '--gateway-id', 'g', '--secret-file', secretFile('  \n')]);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr.join('\n')).toContain('is empty or whitespace only');
  });
});

describe('relay-gateway connect --visualize', () => {
  it('serves the visualizer on loopback and prints its URL', async () => {
    const connector = await useConnector();
    const cli = runCliProcess(['connect', '--url', connector.url, '--json', '--visualize']);
    const line = await cli.waitForJson((l) => l.event === 'visualizer');
    expect(line.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/u);
    await cli.waitForJson((l) => l.state === 'serving');
    const snapshot = (await (await fetch(new URL('api/sources/gateway-1/snapshot', line.url as string))).json()) as { state: string };
    expect(snapshot.state).toBe('serving');
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });
});
