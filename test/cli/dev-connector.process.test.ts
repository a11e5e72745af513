/**
 * `relay-gateway dev-connector` as a real process, driven through stdin (JSON and text commands)
 * with a real gateway connected to it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelayGateway, type RelayGateway } from '../../src/gateway/create-relay-gateway.js';
import type { MessageEvent } from '../../src/protocol/inbound-event.js';
import { runCliProcess } from '../support/cli-process.js';

const SECRET = 'dev-connector-Secret-5555';
const gateways: RelayGateway[] = [];
afterEach(async () => {
  for (const gw of gateways.splice(0)) await gw.stop();
});

describe('relay-gateway dev-connector', () => {
  it('serves a gateway and obeys JSON and text commands until SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-dev-'));
    writeFileSync(join(dir, 'secret'), SECRET);
    const cli = runCliProcess(['dev-connector', '--json', '--platform', 'telegram', '--secret-file', join(dir, 'secret'), '--gateway-id', 'g1']);
    const listening = await cli.waitForJson((l) => l.event === 'listening');
    expect(listening).toMatchObject({ platform: 'telegram', gatewayId: 'g1', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/u) });

    const received: MessageEvent[] = [];
    const gw = createRelayGateway({ url: listening.url as string, gatewayId: 'g1', secret: SECRET, platform: 'telegram', reconnect: { baseMs: 50, capMs: 100 } });
    gateways.push(gw);
    gw.onMessage((event) => void received.push(event));
    await gw.start();
    expect(gw.descriptor?.platform).toBe('telegram');
    await cli.waitForJson((l) => l.event === 'handshake');

    cli.send('{"op":"inbound","chatId":"c1","text":"hi from json"}');
    cli.send('say c2 hello   from text');
    await expect.poll(() => received.map((e) => [e.source.chat_id, e.text])).toEqual([
      ['c1', 'hi from json'],
      ['c2', 'hello from text'],
    ]);
    expect(cli.json().filter((l) => l.event === 'pushed')).toEqual([
      { event: 'pushed', chatId: 'c1', buffered: false, bufferId: null },
      { event: 'pushed', chatId: 'c2', buffered: false, bufferId: null },
    ]);

    // A reply from the gateway shows up as an outbound frame line.
    await gw.send('c1', 'answer');
    expect(await cli.waitForJson((l) => l.event === 'frame' && l.type === 'outbound')).toMatchObject({ op: 'send', chatId: 'c1', content: 'answer', gateway: 'g1' });

    // Bad commands are reported with the field at fault, and the connector keeps going.
    cli.send('{"op":"inbound","text":"no chat"}');
    expect(await cli.waitForJson((l) => l.event === 'error')).toMatchObject({ message: expect.stringContaining('chatId: expected') });
    cli.send('close 99');
    await expect.poll(() => cli.json().filter((l) => l.event === 'error').length).toBe(2);
    expect(String(cli.json().filter((l) => l.event === 'error')[1]?.message)).toContain('code: expected a close code from 1000 to 4999');

    cli.send('revoke');
    await expect.poll(() => gw.state).toBe('disabled');
    expect(cli.json()).toContainEqual({ event: 'revoked', gatewayId: 'g1' });

    cli.send('status');
    expect(await cli.waitForJson((l) => l.event === 'status')).toMatchObject({ openLinks: 0 });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.json().at(-1)).toEqual({ event: 'stopped', signal: 'SIGTERM' });
    expect([...cli.stdout, ...cli.stderr].join('\n')).not.toContain(SECRET);
  });

  it('prints readable lines and a connect hint without --json', async () => {
    const cli = runCliProcess(['dev-connector']);
    // Run from a checkout, the hint is the command that works there (no relay-gateway on the PATH).
    const hint = await cli.waitForStderr((line) => line.includes('connect --url'));
    expect(hint).toMatch(/connect a gateway with: npm run cli -- connect --url http:\/\/127\.0\.0\.1:\d+$/u);
    expect(cli.stdout[0]).toMatch(/^listening url=http:\/\/127\.0\.0\.1:\d+ port=\d+ platform=relay gatewayId=null$/u);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });

  it('exits 2 for a bad port', async () => {
    const cli = runCliProcess(['dev-connector', '--port', '70000']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr.join('\n')).toContain("'--port <n>'");
  });
});
