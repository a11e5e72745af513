/**
 * `relay-gateway dev-connector` and the later protocol: the new control lines (`send <platform>`,
 * `press`, `decline`, `undecline`, `identities`, `wake`), the descriptors file (one descriptor per
 * platform, validated with clear errors), and the command run in-process with a real gateway on
 * 127.0.0.1 driving a prompt press, a decline and an upload through stdin.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseControlLine } from '../../src/cli/dev-connector-control.js';
import { runDevConnector } from '../../src/cli/dev-connector-command.js';
import type { CliIo, StopSignal } from '../../src/cli/cli-io.js';
import { parseDescriptorsText, readDescriptorsFile } from '../../src/dev-connector/dev-descriptors.js';
import { ConfigError } from '../../src/errors.js';
import { createRelayGateway, type RelayGateway } from '../../src/gateway/create-relay-gateway.js';
import type { PromptAnswer } from '../../src/gateway/later-op-types.js';

const SECRET = 'later-cli-Secret-3131';
const gateways: RelayGateway[] = [];
const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const gw of gateways.splice(0)) await gw.stop();
  for (const stop of stops.splice(0)) await stop();
});

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-dev-later-'));
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

describe('dev connector control lines: the later protocol', () => {
  it.each([
    ['send discord dc-1 hello  there', { op: 'inbound', platform: 'discord', chatId: 'dc-1', text: 'hello there' }],
    ['{"op":"inbound","platform":"telegram","chatId":"tg-1","text":"x"}', { op: 'inbound', platform: 'telegram', chatId: 'tg-1', text: 'x' }],
    ['press abc123.0000beef yes', { op: 'press', promptId: 'abc123.0000beef', optionId: 'yes' }],
    ['{"op":"press","promptId":"p.1","optionId":"no","userId":"ada"}', { op: 'press', promptId: 'p.1', optionId: 'no', userId: 'ada' }],
    ['decline dc-1', { op: 'decline', chatId: 'dc-1' }],
    ['undecline dc-1', { op: 'undecline', chatId: 'dc-1' }],
    ['identities', { op: 'identities' }],
    ['wake', { op: 'wake' }],
    ['wake g2', { op: 'wake', gatewayId: 'g2' }],
  ])('%s', (line, command) => {
    expect(parseControlLine(line)).toEqual({ ok: true, command });
  });

  it.each([
    ['send', 'platform: expected lowercase letters, digits, "_" or "-" only'],
    ['send Discord dc-1 hi', 'platform: expected lowercase letters, digits, "_" or "-" only (e.g. "relay"), received "Discord"'],
    ['send discord', 'chatId: expected a non-empty string, received ""'],
    ['press', 'promptId: expected a non-empty string'],
    ['press p.1', 'optionId: expected a non-empty string, received ""'],
    ['decline', 'chatId: expected a non-empty string'],
    ['{"op":"decline","chatId":"c","why":1}', 'why'],
  ])('%s is refused naming the field', (line, message) => {
    const parsed = parseControlLine(line);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok === false && parsed.error).toContain(message);
    expect(parsed.ok === false && parsed.error).toContain('(type "help" for the commands)');
  });
});

describe('descriptors file', () => {
  it('reads YAML (or JSON) into one descriptor per platform, in file order, with dev defaults', () => {
    const yaml = ['telegram:', '  max_message_length: 4096', '  len_unit: utf16', '  supported_ops: [send, edit, prompt]', 'discord:', '  max_message_length: 2000', '  supports_edit: false', ''].join('\n');
    const descriptors = parseDescriptorsText(yaml);
    expect([...descriptors.keys()]).toEqual(['telegram', 'discord']);
    expect(descriptors.get('telegram')).toMatchObject({ platform: 'telegram', max_message_length: 4096, len_unit: 'utf16', supported_ops: ['send', 'edit', 'prompt'], supports_draft_streaming: false });
    expect(descriptors.get('discord')).toMatchObject({ platform: 'discord', max_message_length: 2000, len_unit: 'chars', supports_edit: false, supports_draft_streaming: true });
    expect(descriptors.get('discord')?.supported_ops).toContain('get_chat_info');
    expect([...parseDescriptorsText('{"slack": {"len_unit": "chars"}}').keys()]).toEqual(['slack']);
  });

  it.each([
    ['discord:\n  len_unit: bytes\n', '--descriptors: descriptors file: discord.len_unit: expected one of "chars", "utf16", received "bytes"'],
    ['discord:\n  max_message_length: 0\n', 'discord.max_message_length: expected a positive number, received 0'],
    ['discord:\n  supported_ops: [send, sned]\n', 'discord.supported_ops.1: expected one of "send"'],
    ['discord:\n  max_len: 10\n', 'discord.max_len: unknown key'],
    ['Discord:\n  len_unit: chars\n', 'Discord: expected a platform name of lowercase letters'],
    ['{}', '(root): expected a mapping with at least one platform'],
    ['- telegram\n', '(root): expected'],
    ['discord: [\n', 'invalid YAML/JSON at line'],
  ])('%j is refused with a message naming the place', (text, message) => {
    let error: unknown;
    try {
      parseDescriptorsText(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^--descriptors: descriptors file: /u);
    expect((error as Error).message).toContain(message);
  });

  it('a missing file is a config error naming the flag and the file', () => {
    expect(() => readDescriptorsFile('/nonexistent/descriptors.yaml')).toThrow('--descriptors: descriptors file "/nonexistent/descriptors.yaml" does not exist');
  });
});

/** The command in-process: stdin is a stream the test writes to, stdout lines are collected. */
function inProcess(options: { descriptorsFile?: string; secretFile?: string }) {
  const stdin = new PassThrough();
  const stdout: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let signal: ((name: StopSignal) => void) | undefined;
  const io: CliIo = {
    stdout: (line) => {
      stdout.push(JSON.parse(line) as Record<string, unknown>);
      for (const waiter of [...waiters]) waiter();
    },
    stderr: (line) => void stderr.push(line),
    env: {},
    stdin,
    onStopSignal: (handler) => {
      signal = handler;
      return () => (signal = undefined);
    },
    now: Date.now,
  };
  const exited = runDevConnector({ port: 0, platform: 'relay', gatewayId: 'g1', json: true, ...options }, io);
  stops.push(async () => {
    signal?.('SIGTERM');
    await exited.catch(() => undefined);
  });
  const waitFor = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = stdout.find(predicate);
        if (!hit) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching line; have: ${stdout.map((l) => String(l.event)).join(', ')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { stdout, stderr, exited, waitFor, send: (line: string) => stdin.write(`${line}\n`), stop: () => signal?.('SIGTERM') };
}

describe('relay-gateway dev-connector with the later protocol (in-process)', () => {
  it('answers each identity with its file descriptor, presses prompts, declines chats, reports uploads', async () => {
    const descriptorsFile = tempFile('descriptors.yaml', 'telegram:\n  max_message_length: 4096\n  len_unit: utf16\ndiscord:\n  max_message_length: 2000\n  supported_ops: [send, delete]\n');
    const cli = inProcess({ descriptorsFile, secretFile: tempFile('secret', SECRET) });
    const listening = await cli.waitFor((l) => l.event === 'listening');
    expect(cli.stdout.filter((l) => l.event === 'descriptor')).toEqual([
      expect.objectContaining({ platform: 'telegram', maxMessageLength: 4096, lenUnit: 'utf16' }),
      expect.objectContaining({ platform: 'discord', maxMessageLength: 2000, lenUnit: 'chars', supportedOps: ['send', 'delete'] }),
    ]);

    const gw = createRelayGateway({ url: listening.url as string, gatewayId: 'g1', secret: SECRET, identities: [{ platform: 'telegram', botId: 'bot-9' }, { platform: 'discord', botId: '' }] });
    gateways.push(gw);
    const messages: string[] = [];
    let onSecond = (): void => undefined;
    gw.onMessage((event) => {
      messages.push(`${event.source.platform}:${event.source.chat_id}:${event.text}`);
      if (messages.length === 2) onSecond();
    });
    const answered = new Promise<PromptAnswer>((resolve) => gw.onPromptResponse(resolve));
    await gw.start();
    await cli.waitFor((l) => l.event === 'frame' && l.type === 'hello' && l.platform === 'discord');

    // `say` speaks for the first platform of the file; `send` names one.
    const both = new Promise<void>((resolve) => (onSecond = resolve));
    cli.send('say tg-1 hello from telegram');
    cli.send('send discord dc-1 hello from discord');
    await both;
    expect(messages).toEqual(['telegram:tg-1:hello from telegram', 'discord:dc-1:hello from discord']);
    expect(gw.capabilitiesFor('dc-1')?.maxMessageLength).toBe(2000);

    cli.send('identities');
    const identities = await cli.waitFor((l) => l.event === 'identities');
    expect(identities).toMatchObject({ fallback: { platform: 'relay' }, descriptors: [{ platform: 'telegram', lenUnit: 'utf16' }, { platform: 'discord', maxMessageLength: 2000 }] });
    expect(identities.links).toEqual([{ link: 1, gateway: 'g1', hellos: [{ platform: 'telegram', botId: 'bot-9' }, { platform: 'discord', botId: '' }] }]);

    // A prompt's frame line carries what `press` needs.
    const sent = await gw.prompt('tg-1', 'Ship it?', { kind: 'approval', options: [{ id: 'ship', label: 'Ship' }, { id: 'wait', label: 'Wait' }] });
    const promptLine = await cli.waitFor((l) => l.event === 'frame' && l.op === 'prompt');
    expect(promptLine).toMatchObject({ platform: 'telegram', botId: 'bot-9', chatId: 'tg-1', promptId: sent.promptId, options: ['ship', 'wait'] });
    cli.send(`press ${String(sent.promptId)} ship`);
    expect(await cli.waitFor((l) => l.event === 'pressed')).toEqual({ event: 'pressed', promptId: sent.promptId, optionId: 'ship', label: 'Ship', chatId: 'tg-1', platform: 'telegram', gatewayId: 'g1', buffered: false, bufferId: null });
    expect(await answered).toMatchObject({ option_id: 'ship', label: 'Ship', known_option: true });
    cli.send('press nope.12345678 ship');
    expect(await cli.waitFor((l) => l.event === 'error')).toMatchObject({ message: expect.stringContaining('press: no prompt "nope.12345678" came through this connector') });

    cli.send('decline dc-1');
    expect(await cli.waitFor((l) => l.event === 'declined')).toEqual({ event: 'declined', chatId: 'dc-1', already: false });
    expect(await gw.send('dc-1', 'x')).toMatchObject({ success: false, code: 'egress_declined', error: 'discord egress declined: target is not an approved destination for this connection' });
    cli.send('undecline dc-1');
    expect(await cli.waitFor((l) => l.event === 'undeclined')).toEqual({ event: 'undeclined', chatId: 'dc-1', wasDeclined: true });
    expect(await gw.send('dc-1', 'y')).toMatchObject({ success: true });

    // Uploads are reported, never with the token.
    const upload = await fetch(`${String(listening.url)}/relay/media`, { method: 'POST', body: 'no credential' });
    expect(upload.status).toBe(401);
    expect(await cli.waitFor((l) => l.event === 'media')).toMatchObject({ status: 401, authorized: false, id: null });

    cli.send('wake');
    expect(await cli.waitFor((l) => l.event === 'wake')).toMatchObject({ gatewayId: 'g1', connected: true, idle: false, note: 'the gateway is serving' });
    cli.send('status');
    expect(await cli.waitFor((l) => l.event === 'status')).toMatchObject({ openLinks: 1, declined: [], prompts: 1, uploads: 1 });

    cli.stop();
    expect(await cli.exited).toBe(0);
    expect(JSON.stringify(cli.stdout) + cli.stderr.join('\n')).not.toContain(SECRET);
  });

  it('wake on a dormant gateway says it redials by itself, and shows what waits for it', async () => {
    const cli = inProcess({});
    const listening = await cli.waitFor((l) => l.event === 'listening');
    const gw = createRelayGateway({ url: listening.url as string });
    gateways.push(gw);
    gw.onMessage(() => undefined);
    await gw.start();
    expect(await gw.goDormant()).toBe(true);
    await cli.waitFor((l) => l.event === 'close' && l.code === 1000);
    cli.send('say c1 while you sleep');
    expect(await cli.waitFor((l) => l.event === 'pushed')).toMatchObject({ buffered: true });
    cli.send('wake');
    const wake = await cli.waitFor((l) => l.event === 'wake');
    expect(wake).toMatchObject({ gatewayId: 'anonymous', idle: true, buffered: 1 });
    expect(String(wake.note)).toContain('redials by itself');
    cli.stop();
    expect(await cli.exited).toBe(0);
  });

  it('a bad descriptors file fails before anything listens, naming the flag', async () => {
    const descriptorsFile = tempFile('bad.yaml', 'discord:\n  len_unit: bytes\n');
    const cli = inProcess({ descriptorsFile });
    await expect(cli.exited).rejects.toThrow('--descriptors: descriptors file');
    await expect(cli.exited).rejects.toThrow('discord.len_unit: expected one of "chars", "utf16", received "bytes"');
    expect(cli.stdout).toEqual([]);
  });
});
