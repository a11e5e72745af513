/**
 * What an operator sees when a connection does not work, and the inputs that must get a clear answer:
 * the CLI as a real process, every case of issue "For operators" with the command and the line or
 * exit code expected.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useConnector } from '../support/fixtures.js';
import { runCliProcess } from '../support/cli-process.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A plain HTTP server (no WebSocket, no TLS) that answers every request, upgrades included, with 200. */
async function plainHttpServer(): Promise<number> {
  const server = createServer((_request, response) => response.end('hello'));
  server.on('upgrade', (_request, socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A port held open by this test, so a CLI that wants it finds it in use. */
async function takenPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const dir = mkdtempSync(join(tmpdir(), 'relay-operator-'));
const file = (name: string, text: string, mode = 0o600): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
};

describe('every state line says why and what comes next', () => {
  it.each([
    ['a refused port', async () => `http://127.0.0.1:${await closedPort()}`, 'refused', /connection refused: nothing listens there \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/u],
    ['a name that does not resolve', () => Promise.resolve('http://relay-gateway-test.invalid'), 'dns', /the host name does not resolve \(getaddrinfo (ENOTFOUND|EAI_AGAIN)/u],
    ['a plain HTTP server', async () => `http://127.0.0.1:${await plainHttpServer()}`, 'http', /answered with HTTP 200 instead of a WebSocket/u],
    ['TLS against a plain server', async () => `https://127.0.0.1:${await plainHttpServer()}`, 'tls', /TLS failed/u],
  ])('%s: cause, message, failure count and retry delay in --json; the same in words without', async (_what, url, cause, message) => {
    const target = await url();
    const json = runCliProcess(['connect', '--url', target, '--json']);
    const line = await json.waitForJson((l) => l.state === 'reconnecting');
    expect(line).toMatchObject({ event: 'state', state: 'reconnecting', failures: 1, cause, retryInMs: expect.any(Number) });
    expect(String(line.message)).toMatch(message);
    json.child.kill('SIGTERM');
    expect(await json.exited).toBe(0);

    const readable = runCliProcess(['connect', '--url', target]);
    const text = await readable.waitForStderr((l) => l.includes('state reconnecting'));
    expect(text).toMatch(message);
    expect(text).toMatch(/^\S+Z state reconnecting \(failure 1 in a row\): .*; next dial in \d+\.\d s$/u);
    readable.child.kill('SIGTERM');
    expect(await readable.exited).toBe(0);
  });

  it('a 4401 after a handshake: the fresh-token re-dial says so, and serving shows no failure count', async () => {
    const connector = await useConnector();
    const cli = runCliProcess(['connect', '--url', connector.url, '--json']);
    await cli.waitForJson((l) => l.state === 'serving');
    connector.closeLinks(4401, 'unauthorized');
    const redial = await cli.waitForJson((l) => l.state === 'dialing' && l.redial !== undefined);
    expect(redial).toMatchObject({ redial: 'fresh-token', cause: 'unauthorized', closeCode: 4401, closeReason: 'unauthorized' });
    await connector.waitForHandshake(2);
    await expect.poll(() => cli.json().filter((l) => l.state === 'serving').length).toBe(2);
    expect(cli.json().filter((l) => l.state === 'serving').every((l) => l.failures === undefined)).toBe(true);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });
});

describe('fail fast on bad input, with one message style', () => {
  it('the library rejects a URL it cannot use at construction (ERR_CONFIG_INVALID naming the option)', async () => {
    const { createRelayGateway } = await import('../../src/gateway/create-relay-gateway.js');
    expect(() => createRelayGateway({ url: 'nope' })).toThrow('url: expected an absolute ws, wss, http or https URL, received "nope"');
    expect(() => createRelayGateway({ url: 'http://127.0.0.1:1', gatewayId: 'gw' })).toThrow(/^secret: expected a secret to go with gatewayId "gw"/u);
  });

  it('start() says what happened and carries the last error as its cause', async () => {
    const { createRelayGateway } = await import('../../src/gateway/create-relay-gateway.js');
    const gw = createRelayGateway({ url: `http://127.0.0.1:${await closedPort()}`, reconnect: false });
    const error = (await gw.start().catch((e: unknown) => e)) as Error & { code?: string; cause?: unknown };
    expect(error.code).toBe('ERR_GATEWAY_STOPPED');
    expect(error.message).toMatch(/^the gateway stopped before it was serving: connection refused: nothing listens there \(connect ECONNREFUSED/u);
    expect(error.cause).toBeInstanceOf(Error);
    expect(String((error.cause as Error).message)).toMatch(/ECONNREFUSED/u);
    await gw.stop();
  });

  it('a bad dev-connector command is answered in the same style', async () => {
    const cli = runCliProcess(['dev-connector', '--json']);
    await cli.waitForJson((l) => l.event === 'listening');
    cli.send('{"op":"nope"}');
    const error = await cli.waitForJson((l) => l.event === 'error');
    // The list of commands grows with the dev connector; the style is what is checked here.
    expect(error.message).toMatch(/^op: expected one of "inbound", "interrupt", "drop", "close", "revoke", "restore", "status", "help"(, "[a-z_]+")*, received "nope" \(type "help" for the commands\)$/u);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });
});

describe('secrets and hostile input', () => {
  it.each([
    ['/dev/zero', () => '/dev/zero', 'expected secret file "/dev/zero" to be a regular file, received a character device'],
    ['a directory', () => dir, 'to be a regular file, received a directory'],
    ['a file over 64 KiB', () => file('big-secret', 'x'.repeat(70 * 1024)), 'of at most 64 KiB, received 70 KiB'],
    ['a FIFO with no writer', () => {
      const path = join(dir, `fifo-${process.hrtime.bigint()}`);
      expect(spawnSync('mkfifo', [path]).status).toBe(0);
      return path;
    }, 'to be a regular file, received a FIFO (named pipe)'],
  ])('--secret-file %s: exit 2 at once with a clear message', async (_what, path, message) => {
    const cli = runCliProcess(['connect', '--url', 'http://127.0.0.1:1', '--gateway-id', 'gw', '--secret-file', path()]);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr.join('\n')).toContain(message);
  });

  it('--config /dev/zero: exit 2 at once instead of reading forever', async () => {
    const cli = runCliProcess(['connect', '--config', '/dev/zero']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr.join('\n')).toContain('expected config file "/dev/zero" to be a regular file, received a character device');
  });

  it('a secret file readable by others works, with a warning that says how to fix it', async () => {
    const connector = await useConnector({ secrets: { gw: 'Shared-Secret-77' } });
    const path = file('open-secret', 'Shared-Secret-77\n', 0o644);
    const cli = runCliProcess(['connect', '--url', connector.url, '--gateway-id', 'gw', '--secret-file', path]);
    await cli.waitForStderr((l) => l.endsWith('state serving'));
    expect(cli.stderr[0]).toBe(`relay-gateway: warning: secret file "${path}" is readable by group or others (mode 644); restrict it with: chmod 600 ${path}`);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr.join('\n')).not.toContain('Shared-Secret-77');
  });

  it('an unquoted secret starting with "*" in YAML: exit 2, and no fragment of the secret in the message', async () => {
    const canary = 'CanaryAlias-Secret-5150';
    const path = file('alias.yaml', `gateway:\n  relay_url: http://127.0.0.1:1\n  relay_id: gw\n  relay_secret: *${canary}\n`);
    const cli = runCliProcess(['connect', '--config', path]);
    expect(await cli.exited).toBe(2);
    const printed = cli.stderr.join('\n');
    expect(printed).toContain('cannot load YAML: an alias ("*name") refers to no anchor');
    for (let i = 0; i + 5 <= canary.length; i++) expect(printed).not.toContain(canary.slice(i + 1, i + 6));
  });
});

describe('the small ones', () => {
  it('--version prints the package version; --help shows the timeout defaults', async () => {
    const version = runCliProcess(['--version']);
    expect(await version.exited).toBe(0);
    expect(version.stdout).toEqual([expect.stringMatching(/^\d+\.\d+\.\d+/u)]);
    const help = runCliProcess(['connect', '--help']);
    expect(await help.exited).toBe(0);
    const text = help.stdout.join('\n');
    expect(text).toContain('(default: 30000, 30 s)');
    expect(text).toContain('(default: 15000, 15 s)');
  });

  it.each([
    ['dev-connector --port', (port: number) => ['dev-connector', '--port', String(port)], '--port: port'],
    ['connect --visualize', (port: number) => ['connect', '--url', 'http://127.0.0.1:1', `--visualize=${port}`], '--visualize: port'],
    ['connect --health-port', (port: number) => ['connect', '--url', 'http://127.0.0.1:1', '--health-port', String(port)], '--health-port: port'],
  ])('%s on a port in use: exit 2 naming the port, no stack trace, no false "reconnect is off" line', async (_what, args, named) => {
    const port = await takenPort();
    const cli = runCliProcess(args(port));
    expect(await cli.exited).toBe(2);
    const printed = [...cli.stdout, ...cli.stderr].join('\n');
    expect(printed).toContain(`${named} ${port} on 127.0.0.1 is already in use`);
    expect(printed).not.toMatch(/\n\s+at |unexpected error|reconnect is off/u);
  });

  it('demo --json into a reader that goes away (| head -n 1): a quiet exit, no EPIPE crash', async () => {
    const child = spawn('sh', ['-c', `${process.execPath} --import tsx src/cli/main.ts demo --json | head -n 1; echo "status \${PIPESTATUS:-0}" >&2`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/EPIPE|Error|at /u);
  });

  it('dev-connector stops at the end of stdin (exit 0), and --no-stdin keeps it running', async () => {
    const cli = runCliProcess(['dev-connector', '--json']);
    await cli.waitForJson((l) => l.event === 'listening');
    cli.child.stdin.end();
    expect(await cli.exited).toBe(0);
    expect(cli.json().at(-1)).toEqual({ event: 'stopped', signal: 'EOF' });

    const detached = runCliProcess(['dev-connector', '--json', '--no-stdin']);
    await detached.waitForJson((l) => l.event === 'listening');
    detached.child.stdin.end();
    detached.child.kill('SIGTERM');
    expect(await detached.exited).toBe(0);
    expect(detached.json().at(-1)).toEqual({ event: 'stopped', signal: 'SIGTERM' });
  });

  it('the start-up lines: warnings first, then where the URL and the credentials came from (the file named)', async () => {
    const connector = await useConnector({ secrets: { gw: 'file-secret' } });
    const config = file('relay.yaml', `gateway:\n  relay_url: ${connector.url}\n  relay_id: gw\n  relay_secret: file-secret\n  relay_ulr: typo\n`);
    const cli = runCliProcess(['connect', '--config', config], { GATEWAY_RELAY_ID: 'lonely' });
    await cli.waitForStderr((l) => l.endsWith('state serving'));
    expect(cli.stderr[0]).toBe(
      `relay-gateway: warning: gateway.relay_ulr in ${config} is not a relay setting (the relay reads gateway.relay_url, gateway.relay_id, gateway.relay_secret); it is ignored`,
    );
    expect(cli.stderr[1]).toBe(
      `relay-gateway: warning: GATEWAY_RELAY_ID is set without GATEWAY_RELAY_SECRET, so it is ignored (the environment pair is used only when both are set); credentials: from the config file ${config}`,
    );
    expect(cli.stderr[2]).toContain(`connecting to ${connector.url} as platform relay, gateway gw (secret set); url from config file ${config}, credentials from config file ${config}`);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });
});
