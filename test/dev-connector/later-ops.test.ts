/**
 * The later ops, connector side, frame by frame over a real socket: each op gets the answer a real
 * connector would give, the identity tag of every outbound frame is recorded, declined chats are
 * refused with the connector's code and text, and the buttons of a prompt can be pressed.
 */
import { describe, expect, it } from 'vitest';
import { delay, never } from '../../src/dev-connector/outbound-policy.js';
import { useConnector } from '../support/fixtures.js';
import { connectRaw, ofType, resultOf, type RawGateway } from './raw-gateway.js';

const meta = { metadata: {} };
const LATER_ACTIONS: Record<string, Record<string, unknown>> = {
  draft: { op: 'draft', chat_id: 'c1', draft_id: 0, content: 'typing…', final: false, ...meta },
  seal: { op: 'draft', chat_id: 'c1', draft_id: 0, content: 'done', final: true, ...meta },
  send_media: { op: 'send_media', chat_id: 'c1', media_kind: 'image', source_url: 'https://example.test/a.png', content: '', reply_to: null, ...meta },
  prompt: { op: 'prompt', chat_id: 'c1', content: 'ok?', prompt_kind: 'approval', prompt_id: 'abc123.0000beef', options: [{ id: 'yes', label: 'Yes' }], reply_to: null, ...meta },
  react: { op: 'react', chat_id: 'c1', message_id: 'm-1', emoji: '👀', remove: false, ...meta },
  delete: { op: 'delete', chat_id: 'c1', message_id: 'm-1', ...meta },
  thread_create: { op: 'thread_create', chat_id: 'c1', thread_name: 'handoff', ...meta },
  thread_rename: { op: 'thread_rename', chat_id: 'c1', message_id: 't-1', thread_name: 'renamed', only_if_connector_created: true, ...meta },
  task_card: { op: 'task_card', chat_id: 'c1', card_id: 'turn:root', chunks: [{ id: 'a', title: 'A', status: 'running' }], ...meta },
  task_card_stop: { op: 'task_card_stop', chat_id: 'c1', card_id: 'turn:root', ...meta },
};

async function serving(url: string, platforms: string[] = ['telegram']): Promise<RawGateway> {
  const raw = await connectRaw(url);
  for (const platform of platforms) raw.send({ type: 'hello', platform, botId: '' });
  await raw.waitFor(ofType('descriptor'), platforms.length);
  return raw;
}

let requests = 0;
async function request(raw: RawGateway, action: Record<string, unknown>, tag: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const requestId = `r-${++requests}`;
  raw.send({ type: 'outbound', requestId, action, ...tag });
  return (await raw.waitFor(resultOf(requestId))).result as Record<string, unknown>;
}

describe('dev connector: answers to the later ops', () => {
  it('answers each op as a connector does: ids where the op creates something, success elsewhere', async () => {
    const dev = await useConnector();
    const raw = await serving(dev.url);
    const results: Record<string, Record<string, unknown>> = {};
    for (const [name, action] of Object.entries(LATER_ACTIONS)) results[name] = await request(raw, action);
    expect(results.draft).toEqual({ success: true });
    expect(results.seal).toEqual({ success: true, message_id: expect.stringMatching(/^m-\d+$/u) });
    expect(results.send_media).toEqual({ success: true, message_id: expect.stringMatching(/^m-\d+$/u) });
    expect(results.prompt).toEqual({ success: true, message_id: expect.stringMatching(/^m-\d+$/u) });
    expect(results.thread_create).toEqual({ success: true, thread_id: expect.stringMatching(/^t-\d+$/u) });
    for (const name of ['react', 'delete', 'thread_rename', 'task_card', 'task_card_stop']) expect(results[name], name).toEqual({ success: true });
    // Every frame parsed as the contract's schema (an invalid one would be counted, not answered).
    expect(dev.invalidFromGateways).toBe(0);
  });

  it('records the identity tag (platform, botId) of each outbound frame', async () => {
    const dev = await useConnector();
    const raw = await serving(dev.url, ['telegram', 'discord']);
    await request(raw, { op: 'send', chat_id: 'tg-1', content: 'a', reply_to: null, metadata: {} }, { platform: 'telegram', botId: 'bot-9' });
    await request(raw, { op: 'send', chat_id: 'dc-1', content: 'b', reply_to: null, metadata: {} }, { platform: 'discord' });
    await request(raw, { op: 'send', chat_id: 'x', content: 'c', reply_to: null, metadata: {} });
    const tags = dev.received.filter((r) => r.frame.type === 'outbound').map((r) => (r.frame.type === 'outbound' ? [r.frame.platform, r.frame.botId] : []));
    expect(tags).toEqual([
      ['telegram', 'bot-9'],
      ['discord', undefined],
      [undefined, undefined],
    ]);
  });

  it('the outbound policy still rules the later ops (late answers, no answers)', async () => {
    const dev = await useConnector({ outboundPolicy: delay(30) });
    const raw = await serving(dev.url);
    expect(await request(raw, LATER_ACTIONS.thread_create!)).toMatchObject({ success: true, thread_id: expect.any(String) });
    dev.setOutboundPolicy(never);
    raw.send({ type: 'outbound', requestId: 'silent', action: LATER_ACTIONS.react });
    raw.send({ type: 'outbound', requestId: 'after', action: { op: 'get_chat_info', chat_id: 'c1' } });
    await dev.waitForFrame((r) => r.frame.type === 'outbound' && r.frame.requestId === 'after');
    expect(raw.frames.filter(ofType('outbound_result'))).toHaveLength(1);
  });
});

describe('dev connector: declines on demand', () => {
  it('answers every chat-addressed op into a declined chat with egress_declined and the tagged platform', async () => {
    const dev = await useConnector({ outboundPolicy: never });
    const raw = await serving(dev.url, ['telegram', 'discord']);
    expect(dev.decline('dc-1')).toBe(true);
    expect(dev.decline('dc-1')).toBe(false);
    expect(dev.declinedChats).toEqual(['dc-1']);
    const declined = {
      success: false,
      code: 'egress_declined',
      error: 'discord egress declined: target is not an approved destination for this connection',
    };
    const actions: Array<Record<string, unknown>> = [
      { op: 'send', chat_id: 'dc-1', content: 'x', reply_to: null, metadata: {} },
      { op: 'edit', chat_id: 'dc-1', message_id: 'm', content: 'x', metadata: {} },
      { op: 'typing', chat_id: 'dc-1', metadata: {} },
      ...Object.values(LATER_ACTIONS).map((action) => ({ ...action, chat_id: 'dc-1' })),
    ];
    for (const action of actions) expect(await request(raw, action, { platform: 'discord' }), String(action.op)).toEqual(declined);
  });

  it('names the platform the chat was pushed from when the frame carries no tag, and undecline restores delivery', async () => {
    const dev = await useConnector();
    const raw = await serving(dev.url);
    dev.pushInbound({ text: 'hi', source: { platform: 'telegram', chat_id: 'tg-1' } });
    await raw.waitFor(ofType('inbound'));
    dev.decline('tg-1');
    const send = { op: 'send', chat_id: 'tg-1', content: 'x', reply_to: null, metadata: {} };
    expect(await request(raw, send)).toMatchObject({ code: 'egress_declined', error: expect.stringMatching(/^telegram egress declined: /u) });
    // Other chats and lookups are not affected.
    expect(await request(raw, { ...send, chat_id: 'tg-2' })).toMatchObject({ success: true });
    expect(await request(raw, { op: 'get_chat_info', chat_id: 'tg-1' })).toEqual({ success: true, chat_info: { name: 'chat tg-1', type: 'group' } });
    expect(dev.undecline('tg-1')).toBe(true);
    expect(dev.undecline('tg-1')).toBe(false);
    expect(await request(raw, send)).toMatchObject({ success: true });
  });
});

describe('dev connector: pressing prompt buttons', () => {
  it('pushes a prompt_response with the label and the prompt message id to the chat and platform it went to', async () => {
    const dev = await useConnector();
    const raw = await serving(dev.url, ['telegram', 'discord']);
    dev.pushInbound({ text: 'deploy?', source: { platform: 'telegram', chat_id: 'tg-1', chat_type: 'group', user_id: 'ada', user_name: 'Ada', scope_id: 'team-1' } });
    await raw.waitFor(ofType('inbound'));
    const action = { ...LATER_ACTIONS.prompt!, chat_id: 'tg-1', options: [{ id: 'yes', label: 'Approve' }, { id: 'no', label: 'Deny', style: 'danger' }] };
    const sent = await request(raw, action, { platform: 'telegram', botId: 'bot-9' });
    expect(dev.prompts).toEqual([
      { promptId: 'abc123.0000beef', chatId: 'tg-1', platform: 'telegram', gateway: 'anonymous', kind: 'approval', content: 'ok?', options: [{ id: 'yes', label: 'Approve' }, { id: 'no', label: 'Deny' }], messageId: sent.message_id },
    ]);

    const outcome = dev.press('abc123.0000beef', 'yes');
    expect(outcome).toMatchObject({ optionId: 'yes', label: 'Approve', bufferId: undefined });
    const press = await raw.waitFor(ofType('inbound'), 2);
    expect(press.bufferId).toBeUndefined();
    expect(press.event).toMatchObject({
      text: '/yes',
      message_type: 'command',
      prompt_response: { prompt_id: 'abc123.0000beef', option_id: 'yes', label: 'Approve', prompt_message_id: sent.message_id },
      source: { platform: 'telegram', chat_id: 'tg-1', chat_type: 'group', user_id: 'ada', user_name: 'Ada', scope_id: 'team-1' },
    });
    // The press is an event of its own, not a replay of the message the chat was last seen with.
    expect((press.event as { message_id: string }).message_id).toMatch(/^press-\d+$/u);
  });

  it('an unknown option goes without a label; an unknown prompt is not pressed', async () => {
    const dev = await useConnector();
    const raw = await serving(dev.url);
    await request(raw, LATER_ACTIONS.prompt!);
    expect(dev.press('abc123.0000beef', 'maybe', { userId: 'grace' })).toMatchObject({ label: undefined });
    const press = await raw.waitFor(ofType('inbound'));
    expect(press.event).toMatchObject({ prompt_response: { option_id: 'maybe' }, source: { platform: 'telegram', user_id: 'grace' } });
    expect((press.event as { prompt_response: Record<string, unknown> }).prompt_response).not.toHaveProperty('label');
    expect(dev.press('nope.00000000', 'yes')).toBeUndefined();
  });

  it('a prompt that was declined can still be pressed (the gateway must answer with its notice)', async () => {
    const dev = await useConnector();
    const raw = await serving(dev.url);
    dev.decline('c1');
    expect(await request(raw, LATER_ACTIONS.prompt!)).toMatchObject({ code: 'egress_declined' });
    const outcome = dev.press('abc123.0000beef', 'yes');
    expect(outcome?.prompt.messageId).toBeUndefined();
    const press = await raw.waitFor(ofType('inbound'));
    expect((press.event as { prompt_response: Record<string, unknown> }).prompt_response).toEqual({ prompt_id: 'abc123.0000beef', option_id: 'yes', label: 'Yes' });
  });

  it('a press for a gateway that is not serving is buffered and replayed on its next handshake', async () => {
    const dev = await useConnector();
    const raw = await serving(dev.url);
    await request(raw, LATER_ACTIONS.prompt!);
    raw.socket.close(1000);
    await raw.closed;
    await new Promise<void>((resolve) => (dev.openLinks === 0 ? resolve() : dev.events.once('close', () => resolve())));
    const outcome = dev.press('abc123.0000beef', 'yes');
    expect(outcome?.bufferId).toMatch(/^buf-/u);
    const again = await serving(dev.url);
    const replayed = await again.waitFor(ofType('inbound'));
    expect(replayed).toMatchObject({ bufferId: outcome?.bufferId, event: { prompt_response: { option_id: 'yes' } } });
  });
});
