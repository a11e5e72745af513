/**
 * `relay-gateway connect` with several identities (protocol-later §1.1), as a real process against a
 * plain `ws` connector on 127.0.0.1:0 (test/support/plain-connector.ts): one hello per identity in
 * order, the identity flags over the environment over the config file, `--json` `prompt` and
 * `decline` lines and their readable forms, `--echo` per platform (the chat's platform tag and the
 * chat's length limit, prompt answers never echoed), and the messages for bad identity input.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliProcess, type CliProcess } from '../support/cli-process.js';
import { PLAIN_DESCRIPTOR, inboundFrame, usePlainConnector, type OutboundAnswer, type PlainConnector} from '../support/plain-connector.js';

type Json = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'relay-cli-identities-'));
let files = 0;
function configFile(text: string): string {
  const path = join(dir, `relay-${files++}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** Telegram: 4096 UTF-16 units, prompts allowed. Discord: 2000 code points, legacy ops only. */
const TELEGRAM = { ...PLAIN_DESCRIPTOR, platform: 'telegram', max_message_length: 4096, len_unit: 'utf16', supported_ops: ['send', 'edit', 'typing', 'follow_up', 'prompt'] };
const DISCORD = { ...PLAIN_DESCRIPTOR, platform: 'discord', label: 'Discord', max_message_length: 2000, len_unit: 'chars', supported_ops: [] };
const DESCRIPTORS: Readonly<Record<string, Json>> = { telegram: TELEGRAM, discord: DISCORD };

const DECLINE_TEXT = 'telegram egress declined: target is not an approved destination for this connection';

/** Declines every send or prompt to `blocked` (with the code) and `blocked-text` (text only). */
function answer(action: Json, requestId: string): OutboundAnswer {
  if (action.chat_id === 'blocked') return { result: { success: false, code: 'egress_declined', error: DECLINE_TEXT } };
  if (action.chat_id === 'blocked-text') return { result: { success: false, error: DECLINE_TEXT } };
  return { result: { success: true, message_id: `m-${requestId}` } };
}

/** A connector that answers each hello with that platform's descriptor once all `count` hellos are in. */
async function multiConnector(count: number): Promise<PlainConnector> {
  const connector = await usePlainConnector({ autoDescriptor: false, answer });
  void connector
    .waitUntil(() => connector.links.length > 0 && connector.latest().frames.filter((f) => f.type === 'hello').length >= count, 'the hellos', 60_000)
    .then(() => {
      const link = connector.latest();
      for (const hello of link.frames.filter((f) => f.type === 'hello')) link.send({ type: 'descriptor', descriptor: DESCRIPTORS[String(hello.platform)] ?? PLAIN_DESCRIPTOR });
      link.handshaken = true;
    })
    .catch(() => undefined);
  return connector;
}

const hellos = (connector: PlainConnector): Json[] => connector.seen.filter((s) => s.frame.type === 'hello').map((s) => s.frame);
const outbound = (connector: PlainConnector): Json[] => connector.seen.filter((s) => s.frame.type === 'outbound').map((s) => s.frame);
const actionOf = (frame: Json): Json => frame.action as Json;

async function serving(cli: CliProcess, json = true): Promise<void> {
  if (json) await cli.waitForJson((l) => l.event === 'state' && l.state === 'serving');
  else await cli.waitForStderr((l) => / state serving$/u.test(l));
}

async function stop(cli: CliProcess): Promise<void> {
  cli.child.kill('SIGTERM');
  expect(await cli.exited).toBe(0);
}

function pressFrame(chat: string, promptId: string, optionId: string, extra: { platform?: string; label?: string } = {}): Json {
  return {
    type: 'inbound',
    event: {
      text: `/${optionId}`,
      message_type: 'command',
      source: { platform: extra.platform ?? 'telegram', chat_id: chat, chat_type: 'dm', user_id: `u-${chat}` },
      prompt_response: { prompt_id: promptId, option_id: optionId, ...(extra.label !== undefined ? { label: extra.label } : {}) },
    },
  };
}

describe('connect --platforms/--bot-ids: one hello per identity, per-platform echo', () => {
  it('tags each echo with its chat\'s platform and cuts it to that chat\'s limit and unit', async () => {
    const connector = await multiConnector(2);
    const cli = runCliProcess([
      'connect', '--url', connector.url, '--json', '--echo',
      '--platforms', ' telegram, discord ,',
      '--bot-ids', '{"telegram":{"botId":" bot-9 ","username":"@tg_bot"}}',
    ]);
    await serving(cli);
    expect(hellos(connector)).toEqual([
      { type: 'hello', platform: 'telegram', botId: 'bot-9' },
      { type: 'hello', platform: 'discord', botId: '' },
    ]);
    const link = connector.latest();

    // 3000 emoji: 3000 code points, 6000 UTF-16 units; both over their platform's limit.
    const long = '😀'.repeat(3000);
    link.send(inboundFrame('tg-1', long, { platform: 'telegram', messageId: 't1' }));
    link.send(inboundFrame('dc-1', long, { platform: 'discord', messageId: 'd1' }));
    link.send(inboundFrame('dc-2', 'short', { platform: 'discord', messageId: 'd2' }));
    await connector.waitUntil(() => outbound(connector).length >= 3, 'three echoes');
    const byChat = new Map(outbound(connector).map((frame) => [String(actionOf(frame).chat_id), frame]));

    const tg = byChat.get('tg-1') as Json;
    expect(tg).toMatchObject({ platform: 'telegram', botId: 'bot-9', action: { op: 'send' } });
    const tgText = String(actionOf(tg).content);
    expect(tgText.length).toBe(4095); // UTF-16 units: 2 per emoji, never half of one, plus "…"
    expect(tgText.startsWith('echo: 😀')).toBe(true);
    expect(tgText.endsWith('😀…')).toBe(true);

    const dc = byChat.get('dc-1') as Json;
    expect(dc.platform).toBe('discord');
    expect(dc).not.toHaveProperty('botId'); // fronted, but its bot id is ""
    const dcText = String(actionOf(dc).content);
    expect([...dcText]).toHaveLength(2000); // code points
    expect(dcText.endsWith('…')).toBe(true);

    expect(actionOf(byChat.get('dc-2') as Json).content).toBe('echo: short');

    for (const chatId of ['tg-1', 'dc-1', 'dc-2']) await cli.waitForJson((l) => l.event === 'reply' && l.chatId === chatId);
    const replies = cli.json().filter((l) => l.event === 'reply');
    expect(replies).toEqual(
      expect.arrayContaining([
        { event: 'reply', chatId: 'tg-1', success: true, truncated: true },
        { event: 'reply', chatId: 'dc-1', success: true, truncated: true },
        { event: 'reply', chatId: 'dc-2', success: true },
      ]),
    );
    await stop(cli);
  });

  it('--json: a prompt line for each answer, never echoed; a decline line for each egress decline', async () => {
    const connector = await multiConnector(2);
    const cli = runCliProcess(['connect', '--url', connector.url, '--json', '--echo', '--platforms', 'telegram,discord']);
    await serving(cli);
    const link = connector.latest();

    // A prompt where the chat supports it (telegram lists "prompt").
    link.send(inboundFrame('tg-1', '/prompt Deploy now?', { platform: 'telegram', messageId: 'p1' }));
    const promptReply = await cli.waitForJson((l) => l.event === 'reply' && l.chatId === 'tg-1');
    expect(promptReply).toMatchObject({ success: true, promptId: expect.stringMatching(/^[0-9a-f]{6}\.[0-9a-f]{8}$/u) });
    const promptId = String(promptReply.promptId);
    const sentPrompt = outbound(connector).find((f) => actionOf(f).op === 'prompt') as Json;
    expect(sentPrompt).toMatchObject({ platform: 'telegram', action: { chat_id: 'tg-1', content: 'Deploy now?', prompt_kind: 'approval', prompt_id: promptId, reply_to: 'p1' } });
    expect((actionOf(sentPrompt).options as Json[]).map((o) => o.id)).toEqual(['approve', 'deny']);

    // Where it does not (discord: legacy ops only), the plain echo.
    link.send(inboundFrame('dc-1', '/prompt Deploy now?', { platform: 'discord', messageId: 'p2' }));
    await cli.waitForJson((l) => l.event === 'reply' && l.chatId === 'dc-1');
    expect(actionOf(outbound(connector).at(-1) as Json)).toMatchObject({ op: 'send', chat_id: 'dc-1', content: 'echo: /prompt Deploy now?' });

    const before = outbound(connector).length;
    link.send(pressFrame('tg-1', promptId, 'approve', { label: 'Approve' }));
    expect(await cli.waitForJson((l) => l.event === 'prompt')).toEqual({
      event: 'prompt',
      promptId,
      optionId: 'approve',
      knownOption: true,
      promptKind: 'approval',
      label: 'Approve',
      platform: 'telegram',
      chatId: 'tg-1',
    });

    // A second prompt, answered with an option it does not have.
    link.send(inboundFrame('tg-2', '/prompt', { platform: 'telegram', messageId: 'p3' }));
    const second = String((await cli.waitForJson((l) => l.event === 'reply' && l.chatId === 'tg-2')).promptId);
    link.send(pressFrame('tg-2', second, 'maybe'));
    expect(await cli.waitForJson((l) => l.event === 'prompt' && l.promptId === second)).toMatchObject({ optionId: 'maybe', knownOption: false, label: null, chatId: 'tg-2' });

    // A marker message: once its echo is out, nothing was echoed for the presses.
    link.send(inboundFrame('dc-9', 'marker', { platform: 'discord', messageId: 'mk' }));
    await cli.waitForJson((l) => l.event === 'reply' && l.chatId === 'dc-9');
    const after = outbound(connector).slice(before).map(actionOf);
    expect(after.map((a) => [a.op, a.chat_id])).toEqual([
      ['prompt', 'tg-2'],
      ['send', 'dc-9'],
    ]);
    expect(cli.json().filter((l) => l.event === 'inbound').map((l) => l.chatId)).toEqual(['tg-1', 'dc-1', 'tg-2', 'dc-9']);

    // Declines: with the code, and recognised by the text alone; a declined prompt too.
    link.send(inboundFrame('blocked', 'hi', { platform: 'telegram', messageId: 'b1' }));
    expect(await cli.waitForJson((l) => l.event === 'decline' && l.chatId === 'blocked')).toEqual({
      event: 'decline',
      op: 'send',
      chatId: 'blocked',
      code: 'egress_declined',
      error: DECLINE_TEXT,
    });
    expect(await cli.waitForJson((l) => l.event === 'reply' && l.chatId === 'blocked')).toEqual({ event: 'reply', chatId: 'blocked', success: false, error: DECLINE_TEXT });
    link.send(inboundFrame('blocked-text', 'hi', { platform: 'telegram', messageId: 'b2' }));
    expect(await cli.waitForJson((l) => l.event === 'decline' && l.chatId === 'blocked-text')).toEqual({
      event: 'decline',
      op: 'send',
      chatId: 'blocked-text',
      code: null,
      error: DECLINE_TEXT,
    });
    link.send(inboundFrame('blocked', '/prompt Again?', { platform: 'telegram', messageId: 'b3' }));
    expect(await cli.waitForJson((l) => l.event === 'decline' && l.op === 'prompt')).toMatchObject({ chatId: 'blocked', code: 'egress_declined' });
    // No fallback after a decline: exactly one frame per declined message.
    expect(outbound(connector).filter((f) => String(actionOf(f).chat_id).startsWith('blocked')).map((f) => actionOf(f).op)).toEqual(['send', 'send', 'prompt']);

    await stop(cli);
    expect(cli.stdout.every((line) => typeof (JSON.parse(line) as Json).event === 'string')).toBe(true);
  });

  it('without --json: the identities in the start-up line, one readable line per prompt answer and decline', async () => {
    const connector = await multiConnector(2);
    const cli = runCliProcess(['connect', '--url', connector.url, '--echo', '--platforms', 'telegram,discord', '--bot-ids', '{"discord":{"botId":"d-1"}}']);
    await serving(cli, false);
    expect(cli.stderr[0]).toMatch(
      /Z connecting to http:\/\/127\.0\.0\.1:\d+ as platforms telegram, discord \(bot d-1\), unauthenticated; url from flag, identities from --platforms \+ --bot-ids$/u,
    );
    const link = connector.latest();
    link.send(inboundFrame('tg-1', '/prompt Ship it?', { platform: 'telegram', messageId: 'p1' }));
    const sent = await cli.waitForStderr((l) => / prompt [0-9a-f]{6}\.[0-9a-f]{8} to tg-1: sent$/u.test(l));
    const promptId = /prompt ([0-9a-f.]+) to/u.exec(sent)?.[1] ?? '';
    link.send(pressFrame('tg-1', promptId, 'deny', { label: 'Deny' }));
    expect(await cli.waitForStderr((l) => l.includes('prompt answer'))).toMatch(
      new RegExp(`Z prompt answer in tg-1 \\(telegram\\): option "deny" "Deny" of approval prompt ${promptId.replace('.', '\\.')}$`, 'u'),
    );
    link.send(inboundFrame('blocked', 'hi', { platform: 'telegram', messageId: 'b1' }));
    expect(await cli.waitForStderr((l) => l.includes(' decline: '))).toMatch(new RegExp(`Z decline: the connector refused send to blocked \\(egress_declined\\): ${DECLINE_TEXT}$`, 'u'));
    await stop(cli);
    expect(cli.stdout).toEqual([]);
  });
});

describe('connect: where the identities come from', () => {
  /** Run until serving, return the hellos of that run, stop. */
  async function hellosOf(args: readonly string[], env: Record<string, string>, count: number): Promise<{ hellos: Json[]; stderr: readonly string[] }> {
    const connector = await multiConnector(count);
    const cli = runCliProcess(['connect', '--url', connector.url, '--json', ...args], env);
    await serving(cli);
    const seen = hellos(connector);
    await stop(cli);
    return { hellos: seen, stderr: cli.stderr };
  }

  const FILE = `gateway:\n  relay_identities:\n    - platform: slack\n      bot_id: s-1\n    - platform: matrix\n`;

  it('the config file, when nothing else names identities', async () => {
    const { hellos: got, stderr } = await hellosOf(['--config', configFile(FILE)], {}, 2);
    expect(got).toEqual([
      { type: 'hello', platform: 'slack', botId: 's-1' },
      { type: 'hello', platform: 'matrix', botId: '' },
    ]);
    expect(stderr).toEqual([]);
  });

  it('the single-identity variables beat the file; the list beats both and the ignored variables are named', async () => {
    const config = configFile(FILE);
    expect((await hellosOf(['--config', config], { GATEWAY_RELAY_BOT_ID: 'b-7' }, 1)).hellos).toEqual([{ type: 'hello', platform: 'relay', botId: 'b-7' }]);
    const { hellos: got, stderr } = await hellosOf(
      ['--config', config],
      { GATEWAY_RELAY_PLATFORMS: 'discord,telegram', GATEWAY_RELAY_BOT_IDS: '{"telegram":{"botId":"t-9"}}', GATEWAY_RELAY_PLATFORM: 'slack', GATEWAY_RELAY_BOT_ID: 'x' },
      2,
    );
    expect(got).toEqual([
      { type: 'hello', platform: 'discord', botId: '' },
      { type: 'hello', platform: 'telegram', botId: 't-9' },
    ]);
    expect(stderr).toEqual([
      'relay-gateway: warning: GATEWAY_RELAY_PLATFORM and GATEWAY_RELAY_BOT_ID are ignored: GATEWAY_RELAY_PLATFORMS is set, and the list wins over the single identity',
    ]);
  });

  it('the §1.1 example: bad GATEWAY_RELAY_BOT_IDS counts as {} with one warning naming it, and the run goes on', async () => {
    const { hellos: got, stderr } = await hellosOf([], { GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_BOT_IDS: '{oops' }, 1);
    expect(got).toEqual([{ type: 'hello', platform: 'discord', botId: '' }]);
    expect(stderr).toEqual([
      'relay-gateway: warning: GATEWAY_RELAY_BOT_IDS is not valid JSON (expected {"<platform>":{"botId":"…","username":"…"}}), so it counts as {} and every bot id is ""',
    ]);
  });

  it('flags beat the environment: --platforms over GATEWAY_RELAY_PLATFORMS, --platform over the list', async () => {
    const env = { GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_BOT_IDS: '{"telegram":{"botId":"env-t"},"discord":{"botId":"env-d"}}' };
    // --platforms replaces the list; the environment's bot ids still pair with it.
    expect((await hellosOf(['--platforms', 'telegram,telegram'], env, 1))).toEqual({
      hellos: [{ type: 'hello', platform: 'telegram', botId: 'env-t' }],
      stderr: ['relay-gateway: warning: --platforms names "telegram" more than once; the first occurrence keeps its position and the later copies are dropped'],
    });
    // --bot-ids replaces the map.
    expect((await hellosOf(['--bot-ids', '{"discord":{"botId":"flag-d"}}'], env, 1)).hellos).toEqual([{ type: 'hello', platform: 'discord', botId: 'flag-d' }]);
    // A single-identity flag asks for that one identity: the environment's list is not used.
    expect((await hellosOf(['--platform', 'slack', '--bot-id', 'flag-s'], env, 1)).hellos).toEqual([{ type: 'hello', platform: 'slack', botId: 'flag-s' }]);
  });
});

describe('connect: bad identity input exits 2 and says which setting, what it got and what it expected', () => {
  it.each([
    { args: ['--bot-ids', '{oops'], env: {}, message: `--bot-ids: expected a JSON object keyed by platform, {"<platform>":{"botId":"<id>","username":"<name>"}}, received '{oops' (not valid JSON)` },
    { args: ['--bot-ids', '{"telegram":"123"}'], env: {}, message: `received '{"telegram":"123"}' (telegram: expected an object, received "123")` },
    { args: ['--bot-ids', '{"telegram":{"botId":42}}'], env: {}, message: '(telegram.botId: expected a string, received 42)' },
    { args: ['--bot-ids', '{"telegram":{"bot_id":"1"}}'], env: {}, message: '(telegram.bot_id: unknown key; an entry has botId and username)' },
    { args: ['--platforms', 'telegram,Discord'], env: {}, message: '--platforms: expected lowercase letters, digits, "_" or "-" only (e.g. "relay"), received "Discord"' },
    { args: ['--platforms', ' , '], env: {}, message: '--platforms: expected at least one platform name, received " , "' },
    { args: ['--platforms', ''], env: {}, message: '--platforms: expected a comma-separated list of platform names, received an empty value' },
    { args: [], env: { GATEWAY_RELAY_PLATFORMS: 'telegram,dis cord' }, message: 'GATEWAY_RELAY_PLATFORMS: expected lowercase letters, digits, "_" or "-" only (e.g. "relay"), received "dis cord"' },
    { args: ['--config', 'YAML:gateway:\n  relay_identities:\n    - platform: telegram\n    - bot_id: x\n'], env: {}, message: 'gateway.relay_identities[1]: expected platform to be a non-empty string, received nothing' },
    { args: ['--config', 'YAML:gateway:\n  relay_identities:\n    - platform: telegram\n      bot_id: [1]\n'], env: {}, message: 'gateway.relay_identities[0]: expected bot_id to be a string' },
    { args: ['--config', 'YAML:gateway:\n  relay_identities:\n    - telegram\n'], env: {}, message: 'gateway.relay_identities[0]: expected a mapping {platform, bot_id?, username?}, received a string' },
    { args: ['--config', 'YAML:gateway:\n  relay_identities: telegram\n'], env: {}, message: 'gateway.relay_identities: expected a list of {platform, bot_id?, username?} mappings, received a string' },
  ])('$message', async ({ args, env, message }) => {
    const resolved = args.map((arg) => (arg.startsWith('YAML:') ? configFile(arg.slice(5)) : arg));
    const cli = runCliProcess(['connect', '--url', 'http://127.0.0.1:1', ...resolved], env as Record<string, string>);
    expect(await cli.exited).toBe(2);
    const errors = cli.stderr.join('\n');
    expect(errors).toContain(`relay-gateway: `);
    expect(errors).toContain(message);
  });
});
