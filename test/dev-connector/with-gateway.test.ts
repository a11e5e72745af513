/**
 * The dev connector against the real gateway over 127.0.0.1: a gateway with two identities gets a
 * descriptor per platform and caps per chat; a pressed prompt reaches `onPromptResponse`; a declined
 * chat surfaces as `egress_declined`; a local file is uploaded with a fresh bearer and served back;
 * a gateway that goes dormant gets its buffer replayed on the connection it redials by itself, and
 * only it does.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelayGateway, type RelayGateway } from '../../src/gateway/create-relay-gateway.js';
import type { RelayGatewayOptions } from '../../src/gateway/gateway-options.js';
import type { PromptAnswer } from '../../src/gateway/later-op-types.js';
import type { MessageEvent } from '../../src/protocol/inbound-event.js';
import { devDescriptor } from '../../src/dev-connector/dev-descriptors.js';
import type { LinkRecord } from '../../src/dev-connector/dev-connector.js';
import type { DevConnector } from '../../src/dev-connector/dev-connector.js';
import { relayUserAgent } from '../../src/http/user-agent.js';
import { useConnector } from '../support/fixtures.js';

const SECRET = 'with-gateway-Secret-77';
const gateways: RelayGateway[] = [];
afterEach(async () => {
  for (const gw of gateways.splice(0)) await gw.stop();
});

function gateway(dev: DevConnector, options: Partial<RelayGatewayOptions> = {}): RelayGateway {
  const gw = createRelayGateway({ url: dev.url, reconnect: { baseMs: 50, capMs: 200 }, ...options });
  gateways.push(gw);
  return gw;
}

/** Resolves with the next value a callback registration hands over. */
function next<T>(register: (listener: (value: T) => void) => unknown): Promise<T> {
  return new Promise<T>((resolve) => void register(resolve));
}

const closeOf = (dev: DevConnector, gatewayId: string): Promise<LinkRecord> =>
  new Promise((resolve) => {
    const onClose = (link: LinkRecord): void => {
      if (link.gateway !== gatewayId) return;
      dev.events.off('close', onClose);
      resolve(link);
    };
    dev.events.on('close', onClose);
  });

const telegram = devDescriptor('telegram', { max_message_length: 4096, len_unit: 'utf16' });
const discord = devDescriptor('discord', { max_message_length: 2000, len_unit: 'chars', supported_ops: ['send', 'delete'] });

describe('dev connector + gateway', () => {
  it('two identities: a descriptor per hello, so each chat gets its own platform limits and ops', async () => {
    const dev = await useConnector({ descriptors: { telegram, discord } });
    const gw = gateway(dev, { identities: [{ platform: 'telegram', botId: 'bot-9' }, { platform: 'discord', botId: '' }] });
    const seen: MessageEvent[] = [];
    let delivered = (): void => undefined;
    gw.onMessage((event) => {
      seen.push(event);
      if (seen.length === 2) delivered();
    });
    await gw.start();
    await dev.waitForFrame((r) => r.frame.type === 'hello' && r.frame.platform === 'discord');
    const both = new Promise<void>((resolve) => (delivered = resolve));
    dev.pushInbound({ text: 'a', source: { platform: 'telegram', chat_id: 'tg-1' } });
    dev.pushInbound({ text: 'b', source: { platform: 'discord', chat_id: 'dc-1' } });
    await both;
    expect(gw.capabilitiesFor('tg-1')?.maxMessageLength).toBe(4096);
    expect(gw.capabilitiesFor('dc-1')?.maxMessageLength).toBe(2000);
    expect(gw.capabilitiesFor('dc-1')?.messageLength('😀')).toBe(1);
    expect(gw.capabilitiesFor('tg-1')?.messageLength('😀')).toBe(2);
    // The discord descriptor lists no prompts: refused locally, nothing written.
    const before = dev.received.length;
    expect(await gw.prompt('dc-1', 'ok?', { kind: 'approval', options: [{ id: 'y', label: 'Yes' }] })).toMatchObject({ success: false, code: 'not_supported' });
    expect(dev.received.length).toBe(before);
    // Replies are tagged with the chat's platform (and the bot id where there is one).
    await gw.send('tg-1', 'to telegram');
    await gw.send('dc-1', 'to discord');
    const tags = dev.received.flatMap((r) => (r.frame.type === 'outbound' ? [[r.frame.platform, r.frame.botId]] : []));
    expect(tags).toEqual([
      ['telegram', 'bot-9'],
      ['discord', undefined],
    ]);
  });

  it('a pressed prompt reaches onPromptResponse once, never the message handler', async () => {
    const dev = await useConnector();
    const gw = gateway(dev);
    const messages: MessageEvent[] = [];
    const firstMessage = next<MessageEvent>((resolve) => gw.onMessage((event) => (messages.push(event), resolve(event))));
    const answered = next<PromptAnswer>((resolve) => gw.onPromptResponse(resolve));
    await gw.start();
    dev.pushInbound({ text: 'deploy?', source: { platform: 'telegram', chat_id: 'tg-1', user_id: 'ada' } });
    await firstMessage;
    const sent = await gw.prompt('tg-1', 'Deploy now?', { kind: 'approval', options: [{ id: 'go', label: 'Deploy' }, { id: 'stop', label: 'Cancel', style: 'danger' }] });
    expect(sent).toMatchObject({ success: true, messageId: expect.any(String), promptId: expect.stringMatching(/^[0-9a-f]{6}\.[0-9a-f]{8}$/u) });
    expect(dev.prompts.map((p) => [p.promptId, p.chatId, p.platform])).toEqual([[sent.promptId, 'tg-1', 'telegram']]);

    expect(dev.press(sent.promptId!, 'go')).toMatchObject({ label: 'Deploy', bufferId: undefined });
    const answer = await answered;
    expect(answer).toMatchObject({ prompt_id: sent.promptId, option_id: 'go', label: 'Deploy', prompt_message_id: sent.messageId, known_option: true, source: { platform: 'telegram', chat_id: 'tg-1', user_id: 'ada' } });
    expect(messages.map((m) => m.text)).toEqual(['deploy?']);
  });

  it('a declined chat: the send fails with the connector code and text, and onDecline is told', async () => {
    const dev = await useConnector();
    const gw = gateway(dev);
    const notice = next<{ op: string; chatId: string; error: string }>((resolve) => gw.onDecline(resolve));
    await gw.start();
    dev.decline('c-1');
    expect(await gw.send('c-1', 'hello')).toMatchObject({
      success: false,
      code: 'egress_declined',
      error: 'relay egress declined: target is not an approved destination for this connection',
    });
    expect(await notice).toMatchObject({ op: 'send', chatId: 'c-1' });
    expect(await gw.send('c-2', 'elsewhere')).toMatchObject({ success: true });
    dev.undecline('c-1');
    expect(await gw.send('c-1', 'hello again')).toMatchObject({ success: true });
  });

  it('sendMedia uploads a local file with a fresh bearer; the frame names a source_url the connector serves', async () => {
    const dev = await useConnector({ secrets: { 'gw-m': SECRET } });
    const gw = gateway(dev, { gatewayId: 'gw-m', secret: SECRET });
    await gw.start();
    const dir = mkdtempSync(join(tmpdir(), 'relay-dev-media-'));
    const file = join(dir, 'chart.png');
    writeFileSync(file, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]));
    expect(await gw.sendMedia('c-1', file, { kind: 'image', caption: 'the chart', filename: 'chart.png' })).toMatchObject({ success: true, messageId: expect.any(String) });
    const frame = await dev.waitForFrame((r) => r.frame.type === 'outbound' && r.frame.action.op === 'send_media');
    const action = frame.frame.type === 'outbound' && frame.frame.action.op === 'send_media' ? frame.frame.action : undefined;
    const id = dev.uploads[0]?.id;
    expect(action?.source_url).toBe(`${dev.url}/relay/media/${id}`);
    expect(action?.source_url).not.toContain(dir);
    expect(dev.uploads[0]).toMatchObject({ status: 200, filename: 'chart.png', contentType: 'image/png', userAgent: relayUserAgent(), hadAuthorization: true, authorized: true, gateway: 'gw-m' });
    const served = await fetch(action!.source_url);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]));
  });

  it('dormant: going idle, ack, close 1000; what is pushed meanwhile is buffered for that gateway only and replayed when it redials', async () => {
    const dev = await useConnector({ secrets: { 'gw-a': SECRET, 'gw-b': SECRET } });
    const a = gateway(dev, { gatewayId: 'gw-a', secret: SECRET });
    const b = gateway(dev, { gatewayId: 'gw-b', secret: SECRET });
    const gotA: MessageEvent[] = [];
    const gotB: MessageEvent[] = [];
    a.onMessage((event) => void gotA.push(event));
    const bLive = next<MessageEvent>((resolve) => b.onMessage((event) => (gotB.push(event), resolve(event))));
    await a.start();
    await b.start();

    const closed = closeOf(dev, 'gw-a');
    expect(await a.goDormant()).toBe(true);
    expect((await closed).closeCode).toBe(1000);
    expect(dev.gatewayStatus('gw-a')).toEqual({ gateway: 'gw-a', openLinks: 0, idle: true, buffered: 0, revoked: false });

    const handshakes = dev.links.filter((l) => l.handshaken).length;
    const first = dev.pushInbound({ text: 'while dormant 1', message_id: 'd1', source: { platform: 'telegram', chat_id: 'c-a' } }, 'gw-a');
    const second = dev.pushInbound({ text: 'while dormant 2', message_id: 'd2', source: { platform: 'telegram', chat_id: 'c-a' } }, 'gw-a');
    expect([first, second]).toEqual([expect.stringMatching(/^buf-/u), expect.stringMatching(/^buf-/u)]);
    // The other gateway is not affected: its traffic is live, not buffered.
    expect(dev.pushInbound({ text: 'live for b', source: { platform: 'telegram', chat_id: 'c-b' } }, 'gw-b')).toBeUndefined();
    expect((await bLive).text).toBe('live for b');
    expect(dev.buffered('gw-b')).toEqual([]);

    // Nothing wakes it from the connector side: it redials on the dormant cadence (1 s) by itself.
    const relinked = await dev.waitForHandshake(handshakes + 1, 5000);
    expect(relinked.gateway).toBe('gw-a');
    await dev.waitForFrame((r) => r.gateway === 'gw-a' && r.frame.type === 'inbound_ack' && r.frame.bufferId === second);
    expect(gotA.map((e) => e.text)).toEqual(['while dormant 1', 'while dormant 2']);
    expect(gotB.map((e) => e.text)).toEqual(['live for b']);
    expect(dev.buffered('gw-a')).toEqual([]);
    expect(dev.gatewayStatus('gw-a')).toMatchObject({ openLinks: 1, idle: false });
  });
});
