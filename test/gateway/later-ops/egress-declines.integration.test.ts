/**
 * protocol-later §8 row `egress declines` (§4): every op answered with `code: "egress_declined"`, then
 * with the connector's text only. Content lanes surface the decline (never success, never a second
 * frame to that chat); degrade lanes return false / none and log one warning per (op, chat).
 */
import { describe, expect, it } from 'vitest';
import { isEgressDecline } from '../../../src/protocol/egress-decline.js';
import type { SendResult } from '../../../src/protocol/outbound.js';
import { captureLogger, inbound, startConnector, startGateway, type Answer, type Json } from './support.js';

const DECLINE_TEXT = 'telegram egress declined: target is not an approved destination for this connection';
const BY_CODE: Json = { success: false, code: 'egress_declined' };
const BY_TEXT: Json = { success: false, error: DECLINE_TEXT };

type Lane = (chat: string) => Promise<SendResult>;

const isMarker = (action: Json): boolean => typeof action.content === 'string' && action.content.startsWith('marker-');

describe('egress declines (protocol-later §4)', () => {
  it('content lanes surface the decline as is and never write a second frame to that chat; degrade lanes warn once per (op, chat)', async () => {
    let decline: Json = BY_CODE;
    const connector = await startConnector({ answer: (o): Answer => (isMarker(o.action) ? { success: true } : decline) });
    const gw = await startGateway(connector, { identities: [{ platform: 'telegram', botId: 'bot-9' }] });
    const declines: Array<{ op: string; chatId: string }> = [];
    gw.onDecline((notice) => void declines.push({ op: notice.op, chatId: notice.chatId }));
    const handled: string[] = [];
    gw.onMessage((event) => void handled.push(event.source.chat_id));

    const content: Record<string, Lane> = {
      send: (chat) => gw.send(chat, 'hello'),
      sendForPlatform: (chat) => gw.sendForPlatform('telegram', chat, 'scheduled hello'),
      edit: (chat) => gw.edit(chat, 'msg-1', 'edited'),
      followUp: (chat) => gw.followUp(chat, 'telegram.interaction', 'late reply'),
      draftInterim: (chat) => gw.draft(chat, 1, 'partial'),
      draftSeal: (chat) => gw.draft(chat, 2, 'sealed text', { final: true }),
      sendMedia: (chat) => gw.sendMedia(chat, 'https://cdn.example/a.png', { kind: 'image', caption: 'caption' }),
      prompt: (chat) => gw.prompt(chat, 'Approve?', { kind: 'approval', options: [{ id: 'ok', label: 'OK' }] }),
      taskCard: (chat) => gw.taskCard(chat, 'turn:root', [{ id: 'c', title: 'T', status: 'running' }], { replyTo: 'anchor' }),
      taskCardStop: (chat) => gw.taskCardStop(chat, 'turn:root'),
    };

    for (const [phase, answer] of [
      ['code', BY_CODE],
      ['text', BY_TEXT],
    ] as const) {
      decline = answer;
      for (const [name, lane] of Object.entries(content)) {
        const chat = `${phase}-${name}`;
        const result = await lane(chat);
        expect(result, `${phase} ${name}`).toMatchObject({ success: false });
        expect(result.ambiguous, `${phase} ${name}`).toBeUndefined();
        expect(isEgressDecline(result), `${phase} ${name}`).toBe(true);
        if (phase === 'code') expect(result.code, `${phase} ${name}`).toBe('egress_declined');
        else expect(result.error, `${phase} ${name}`).toBe(DECLINE_TEXT);
      }
    }
    await connector.flush(gw);
    for (const phase of ['code', 'text']) {
      for (const name of Object.keys(content)) {
        const chat = `${phase}-${name}`;
        expect(connector.outboundsTo(chat), `frames to ${chat}`).toHaveLength(1);
      }
    }
    // Tagged like any send: the fronted platform and its bot id.
    expect(connector.outboundsTo('code-sendForPlatform')[0]?.frame).toMatchObject({ platform: 'telegram', botId: 'bot-9' });
    // A declined prompt was unregistered.
    expect(gw.metrics().promptsPending).toBe(0);
    expect(declines).toHaveLength(20);
    expect(handled).toEqual([]);
  });

  it('degrade lanes (typing, delete, thread_create, thread_rename) return false / none and log one warning per (op, chat)', async () => {
    let decline: Json = BY_CODE;
    const connector = await startConnector({ answer: (o): Answer => (isMarker(o.action) ? { success: true } : decline) });
    const { logger, lines } = captureLogger();
    const gw = await startGateway(connector, { logger });
    // A learned chat, so the decline is not a missing-scope artefact.
    gw.onMessage(() => undefined);
    connector.latest().send(inbound('deg-1', 'hi', { scopeId: 'tenant-1', bufferId: 'seen-1' }));
    await connector.waitForFrame((s) => s.frame.type === 'inbound_ack' && s.frame.bufferId === 'seen-1');

    const degrade: Record<string, (chat: string) => Promise<SendResult & { thread?: string | null }>> = {
      typing: (chat) => gw.typing(chat),
      delete: (chat) => gw.deleteMessage(chat, 'msg-2'),
      thread_create: (chat) => gw.threadCreate(chat, 'topic'),
      thread_rename: (chat) => gw.threadRename(`thread-of-${chat}`, 'renamed', { parentChatId: chat, onlyIfConnectorCreated: true }),
    };
    const calls: Array<[Json, string]> = [
      [BY_CODE, 'deg-1'],
      [BY_TEXT, 'deg-1'],
      [BY_CODE, 'deg-1'],
      [BY_TEXT, 'deg-2'],
    ];
    for (const [answer, chat] of calls) {
      decline = answer;
      for (const [op, lane] of Object.entries(degrade)) {
        const result = await lane(chat);
        expect(result.success, `${op} ${chat}`).toBe(false);
        expect(isEgressDecline(result), `${op} ${chat}`).toBe(true);
        if (op === 'thread_create') expect(result.thread).toBeNull();
      }
    }
    await connector.flush(gw);
    for (const op of Object.keys(degrade)) {
      const warned = lines.filter((l) => l.level === 'warn' && l.message.includes(`'${op}'`));
      expect(
        warned.map((l) => l.fields?.chat_id),
        `warnings for ${op}`,
      ).toEqual(['deg-1', 'deg-2']);
      // One frame per call, nothing re-sent through another op.
      expect(connector.outbounds.filter((o) => o.action.op === op)).toHaveLength(calls.length);
    }
    // The connector's text is reported verbatim, never parsed.
    const textWarning = lines.find((l) => l.level === 'warn' && l.fields?.chat_id === 'deg-2');
    expect(textWarning?.fields?.error).toBe(DECLINE_TEXT);
    expect(connector.outbounds.filter((o) => o.action.op === 'send' && !isMarker(o.action))).toEqual([]);
  });

  it('an ambiguous key in the connector result is dropped: a decline stays a decline', async () => {
    const connector = await startConnector({ answer: (): Answer => ({ success: false, code: 'egress_declined', ambiguous: true, error: DECLINE_TEXT }) });
    const gw = await startGateway(connector);
    const result = await gw.send('amb-chat', 'hello');
    expect(result).toEqual({ success: false, code: 'egress_declined', error: DECLINE_TEXT });
    expect(isEgressDecline(result)).toBe(true);
  });
});
