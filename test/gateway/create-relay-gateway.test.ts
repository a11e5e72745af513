/**
 * The public API against the real dev connector over loopback sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startDevConnector, type DevConnector, type DevConnectorOptions } from '../../src/dev-connector/dev-connector.js';
import { createRelayGateway, type RelayGateway } from '../../src/gateway/create-relay-gateway.js';
import type { RelayGatewayOptions } from '../../src/gateway/gateway-options.js';
import { descriptorFromPlatformEntry } from '../../src/protocol/descriptor.js';
import type { RelayDisabledError } from '../../src/errors.js';
import { ConfigError, InvalidStateError } from '../../src/errors.js';
import type { MessageEvent } from '../../src/protocol/inbound-event.js';
import { startEchoBot } from '../../examples/echo-bot.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connector(options: DevConnectorOptions = {}): Promise<DevConnector> {
  const dev = await startDevConnector(options);
  cleanups.push(() => dev.close());
  return dev;
}

function gateway(dev: DevConnector, options: Partial<RelayGatewayOptions> = {}): RelayGateway {
  const gw = createRelayGateway({ url: dev.url, random: () => 1, reconnect: { baseMs: 20, capMs: 100 }, ...options });
  cleanups.push(() => gw.stop());
  return gw;
}

function collect(gw: RelayGateway) {
  const events: Array<{ event: MessageEvent; sessionKey: string; bufferId: string | undefined }> = [];
  gw.onMessage((event, ctx) => {
    events.push({ event, sessionKey: ctx.sessionKey, bufferId: ctx.bufferId });
  });
  return events;
}

const outbound = (dev: DevConnector) =>
  dev.received.filter((r) => r.frame.type === 'outbound').map((r) => (r.frame as { action: Record<string, unknown> }).action);

const discordGroup = { platform: 'discord', chat_id: 'chan-1', chat_type: 'group', scope_id: 'guild-1', user_id: 'alice' };

describe('createRelayGateway: options', () => {
  it('rejects a bad option naming it, what was expected and what arrived', () => {
    expect(() => createRelayGateway({ url: 'http://127.0.0.1:1', timeouts: { outboundMs: -5 } })).toThrow(ConfigError);
    expect(() => createRelayGateway({ url: 'http://127.0.0.1:1', timeouts: { outboundMs: -5 } })).toThrow(/timeouts\.outboundMs/);
    expect(() => createRelayGateway({ url: '' })).toThrow(/url/);
    expect(() => createRelayGateway({ url: 'http://x', concurrency: 1.5 })).toThrow(/concurrency/);
    expect(() => createRelayGateway({ url: 'http://x', reconect: true } as unknown as RelayGatewayOptions)).toThrow(/reconect/);
  });

  it('accepts the spread of resolveRelayConfig()', () => {
    const gw = createRelayGateway({ url: 'http://127.0.0.1:1', platform: 'relay', botId: '', gatewayId: null, secret: null, source: { url: 'env', credentials: 'none' } });
    expect(gw.state).toBe('idle');
  });
});

describe('createRelayGateway: inbound', () => {
  it('start() resolves serving; ctx.sessionKey follows the session-key options', async () => {
    const dev = await connector();
    const gw = gateway(dev, { sessionKeys: { groupSessionsPerUser: false } });
    const events = collect(gw);
    await gw.start();
    expect(gw.state).toBe('serving');
    dev.pushInbound({ text: 'hi', source: discordGroup });
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]?.sessionKey).toBe('agent:main:discord:group:chan-1');
    expect(events[0]?.event.source.scope_id).toBe('guild-1');
  });

  it('one message handler at a time', async () => {
    const dev = await connector();
    const gw = gateway(dev);
    const remove = gw.onMessage(() => undefined);
    expect(() => gw.onMessage(() => undefined)).toThrow(InvalidStateError);
    remove();
    expect(() => gw.onMessage(() => undefined)).not.toThrow();
  });

  it('an interrupt aborts ctx.signal of that session only and tells onInterrupt', async () => {
    const dev = await connector();
    const gw = gateway(dev);
    const aborted: string[] = [];
    const interrupts: Array<[string, string]> = [];
    let running = 0;
    gw.onMessage(async (_event, ctx) => {
      running++;
      await new Promise<void>((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          aborted.push(ctx.sessionKey);
          resolve();
        });
        setTimeout(resolve, 300);
      });
    });
    gw.onInterrupt((sessionKey, chatId) => interrupts.push([sessionKey, chatId]));
    await gw.start();
    dev.pushInbound({ text: 'a', source: { platform: 'telegram', chat_id: '1' } });
    dev.pushInbound({ text: 'b', source: { platform: 'telegram', chat_id: '2' } });
    await expect.poll(() => running).toBe(2);
    dev.pushInterrupt('agent:main:telegram:dm:1', '1');
    await expect.poll(() => interrupts.length).toBe(1);
    expect(aborted).toEqual(['agent:main:telegram:dm:1']);
    expect(interrupts).toEqual([['agent:main:telegram:dm:1', '1']]);
  });
});

describe('createRelayGateway: outbound', () => {
  it('re-attaches the tenant scope on send, edit and typing, never on follow_up; never overwrites', async () => {
    const dev = await connector();
    const gw = gateway(dev);
    const events = collect(gw);
    await gw.start();
    dev.pushInbound({ text: 'hi', source: discordGroup });
    await expect.poll(() => events.length).toBe(1);
    expect(await gw.send('chan-1', 'reply', { replyTo: 'm1' })).toEqual({ success: true, messageId: 'm-1' });
    // No message id in the answer means the edited one (protocol-later §3.8).
    expect(await gw.edit('chan-1', 'm-1', 'edited', { metadata: { user_id: 'explicit' } })).toEqual({ success: true, messageId: 'm-1' });
    expect(await gw.typing('chan-1')).toEqual({ success: true });
    expect(await gw.send('unseen-chat', 'x')).toMatchObject({ success: true });
    expect(await gw.followUp('agent:main:discord:group:chan-1:alice', 'discord.interaction_token', 'late')).toMatchObject({ success: true });
    const actions = outbound(dev);
    expect(actions[0]).toEqual({ op: 'send', chat_id: 'chan-1', content: 'reply', reply_to: 'm1', metadata: { scope_id: 'guild-1', guild_id: 'guild-1', user_id: 'alice' } });
    expect(actions[1]).toMatchObject({ op: 'edit', metadata: { scope_id: 'guild-1', guild_id: 'guild-1', user_id: 'explicit' } });
    expect(actions[2]).toEqual({ op: 'typing', chat_id: 'chan-1', metadata: { scope_id: 'guild-1', guild_id: 'guild-1', user_id: 'alice' } });
    expect(actions[3]).toMatchObject({ chat_id: 'unseen-chat', metadata: {} });
    expect(actions[4]).toEqual({ op: 'follow_up', session_key: 'agent:main:discord:group:chan-1:alice', kind: 'discord.interaction_token', content: 'late', metadata: {} });
  });

  it('edit is refused locally when the descriptor says supports_edit: false (nothing sent)', async () => {
    const dev = await connector({ descriptor: descriptorFromPlatformEntry({ name: 'sms', label: 'SMS', max_message_length: 160 }, { supports_edit: false }) });
    const gw = gateway(dev);
    await gw.start();
    expect(await gw.edit('c', 'm', 'x')).toEqual({ success: false, error: 'Not supported', code: 'not_supported' });
    expect(outbound(dev)).toEqual([]);
  });

  it('getChatInfo projects the result; transport failures resolve, never reject', async () => {
    const dev = await connector();
    const gw = gateway(dev);
    expect(await gw.getChatInfo('c9')).toEqual({ success: false, error: 'relay transport not connected', code: 'not_connected', name: 'c9', type: 'dm' });
    expect(await gw.send('c9', 'x')).toEqual({ success: false, error: 'relay transport not connected', code: 'not_connected' });
    await gw.start();
    expect(await gw.getChatInfo('c9')).toEqual({ success: true, name: 'chat c9', type: 'group' });
    // Bad input is a result too, naming the field; nothing is written.
    expect(await gw.send('', 'x')).toEqual({ success: false, code: 'invalid_action', error: 'send.chat_id: expected a non-empty string, received ""' });
  });

  it('capabilities follow the descriptor and change when a reconnect brings a new one', async () => {
    const dev = await connector({ descriptor: descriptorFromPlatformEntry({ name: 'telegram', label: 'T', max_message_length: 4096 }, { len_unit: 'utf16', markdown_dialect: 'markdown_v2' }) });
    const gw = gateway(dev);
    expect(gw.capabilities).toBeNull();
    await gw.start();
    expect(gw.capabilities).toMatchObject({ maxMessageLength: 4096, supportsCodeBlocks: true, supportsEdit: true });
    expect(gw.capabilities?.messageLength('😀')).toBe(2);
    dev.setDescriptor(descriptorFromPlatformEntry({ name: 'discord', label: 'D', max_message_length: 2000 }, { supported_ops: ['send'] }));
    dev.closeLinks(1012, 'restart');
    await expect.poll(() => gw.capabilities?.maxMessageLength).toBe(2000);
    expect(gw.capabilities?.messageLength('😀')).toBe(1);
    expect(gw.capabilities?.supportsOp('react')).toBe(false);
    expect(gw.descriptor?.platform).toBe('discord');
  });
});

describe('createRelayGateway: passthrough', () => {
  const discordForward = (body: unknown) => ({
    platform: 'discord',
    botId: 'b',
    method: 'POST',
    path: '/interactions',
    headers: [],
    bodyB64: Buffer.from(JSON.stringify(body)).toString('base64'),
  });
  const slash = { id: 'i-1', type: 2, guild_id: 'g-1', channel_id: 'ch-1', member: { user: { id: 'u-1', username: 'ann' } }, data: { name: 'ping' } };

  it('a handler that returns a plain value (not a promise) still completes: its buffered event is acked once', async () => {
    const dev = await connector();
    const gw = gateway(dev);
    const seen: string[] = [];
    // An expression-bodied arrow returns push()'s number: JavaScript callers write this all the time.
    gw.onMessage((event) => seen.push(event.text) as unknown as void);
    const bufferId = dev.pushInbound({ text: 'while away', source: { platform: 'telegram', chat_id: 'c-1' } });
    expect(bufferId).toBeDefined();
    await gw.start();
    await dev.waitForFrame((r) => r.frame.type === 'inbound_ack' && (r.frame as { bufferId: string }).bufferId === bufferId);
    expect(seen).toEqual(['while away']);
    expect(gw.metrics().inboundAcked).toBe(1);
    expect(dev.buffered()).toHaveLength(0);
  });

  it('a Discord interaction reaches onMessage (and onPassthrough raw); a buffered one is acked once', async () => {
    const dev = await connector();
    const gw = gateway(dev);
    const events = collect(gw);
    const raw: string[] = [];
    gw.onPassthrough((forward, ctx) => {
      raw.push(`${forward.platform}:${ctx.event?.text ?? ''}`);
    });
    const bufferId = dev.pushPassthrough(discordForward(slash));
    await gw.start();
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]?.event.text).toBe('/ping');
    expect(events[0]?.bufferId).toBe(bufferId);
    expect(raw).toEqual(['discord:/ping']);
    await dev.waitForFrame((r) => r.frame.type === 'inbound_ack');
    expect(dev.received.filter((r) => r.frame.type === 'inbound_ack')).toHaveLength(1);
  });

  it('other platforms go to onPassthrough; without one they are reported and dropped (and a buffered one acked)', async () => {
    const dev = await connector();
    const gw = gateway(dev);
    collect(gw);
    const bufferId = dev.pushPassthrough({ platform: 'slack', botId: 'b', method: 'POST', path: '/events', bodyB64: '' });
    await gw.start();
    await dev.waitForFrame((r) => r.frame.type === 'inbound_ack' && r.frame.bufferId === bufferId);
    expect(gw.metrics().passthroughDropped).toBe(1);
    const seen: string[] = [];
    gw.onPassthrough((forward) => void seen.push(forward.path));
    dev.pushPassthrough({ platform: 'slack', botId: 'b', method: 'POST', path: '/events/2', bodyB64: '' });
    await expect.poll(() => seen).toEqual(['/events/2']);
  });
});

describe('createRelayGateway: disabled, metrics, logging', () => {
  it('onDisabled fires exactly once with relay_disabled; metrics are plain data', async () => {
    const dev = await connector({ secrets: { g: 'known-secret-value' } });
    const lines: string[] = [];
    const capture = (level: string) => (message: string, fields?: object) => void lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    const gw = gateway(dev, { gatewayId: 'g', secret: 'known-secret-value', logger: { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') } });
    const disabled: RelayDisabledError[] = [];
    gw.onDisabled((error) => disabled.push(error));
    await gw.start();
    dev.revoke('g');
    await expect.poll(() => gw.state).toBe('disabled');
    expect(disabled).toHaveLength(1);
    expect(disabled[0]).toMatchObject({ code: 'ERR_RELAY_DISABLED', reason: 'relay_disabled', message: 'relay disabled: credential revoked' });
    const metrics = gw.metrics();
    expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics);
    expect(metrics).toMatchObject({ state: 'disabled', dials: 2, handshakes: 1 });
    expect(metrics.reconnectsByCode).toEqual({ '4401': 1 });
    expect(lines.length).toBeGreaterThan(0);
    const token = dev.links[0]?.authorization?.slice('Bearer '.length) ?? 'no-token';
    for (const line of lines) {
      expect(line).not.toContain('known-secret-value');
      expect(line).not.toContain(token);
    }
  });
});

describe('examples/echo-bot.ts', () => {
  it('runs against the dev connector and echoes', async () => {
    const dev = await connector();
    const bot = await startEchoBot({ GATEWAY_RELAY_URL: dev.url });
    cleanups.push(() => bot.stop());
    dev.pushInbound({ text: 'ping', message_id: 'm-7', source: { platform: 'telegram', chat_id: '5' } });
    const frame = await dev.waitForFrame((r) => r.frame.type === 'outbound');
    expect((frame.frame as { action: unknown }).action).toEqual({ op: 'send', chat_id: '5', content: 'echo: ping', reply_to: 'm-7', metadata: {} });
  });
});

describe('createRelayGateway: teardown', () => {
  it('after stop() no socket, timer or listener remains: the process exits by itself', async () => {
    const { execFile } = await import('node:child_process');
    const fixture = new URL('../fixtures/gateway-exit-after-stop.ts', import.meta.url).pathname;
    const started = Date.now();
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', fixture], { timeout: 15_000 }, (error, out) => (error ? reject(new Error(`${error.message}\n${out}`)) : resolve(out)));
    });
    // The unanswered request alone holds a 60 s timer: a prompt exit proves it was cleared.
    expect(Date.now() - started).toBeLessThan(12_000);
    const report = JSON.parse(stdout) as { state: string; outcome: unknown; inspected: boolean; resources: string[] };
    expect(report.state).toBe('stopped');
    expect(report.outcome).toMatchObject({ success: false, ambiguous: true });
    expect(report.inspected).toBe(true);
    // Nothing is active at the end: no server, socket or timer.
    expect(report.resources).toEqual([]);
  }, 20_000);
});
