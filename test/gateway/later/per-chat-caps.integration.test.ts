/**
 * protocol-later §1.4 "per-chat capabilities": everything descriptor-derived is resolved through the
 * chat's own descriptor (its learned platform's), never from the primary alone: length and its unit,
 * `supports_edit`, `supported_ops`, drafts, the markdown dialect.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RelayGateway } from '../../../src/gateway/create-relay-gateway.js';
import { actionOf, DISCORD, inbound, outboundsBeforeMarker, recordMessages, TELEGRAM, useTestConnector, useTestGateway, type TestConnector } from './support.js';

const notSupported = (op: string) => ({ success: false, code: 'not_supported', error: `connector does not advertise the '${op}' relay op` });

describe('per-chat capabilities: primary telegram 4096/utf16, discord 2000/chars', () => {
  let connector: TestConnector;
  let gw: RelayGateway;

  beforeEach(async () => {
    connector = await useTestConnector({
      descriptors: {
        // The primary: no edits, no later ops.
        telegram: { ...TELEGRAM, supports_edit: false, supported_ops: [] },
        discord: { ...DISCORD, supports_draft_streaming: true, supported_ops: ['send', 'edit', 'typing', 'follow_up', 'delete', 'draft', 'thread_rename'] },
      },
    });
    gw = useTestGateway(connector, { identities: [{ platform: 'telegram', botId: 'bot-9' }, { platform: 'discord' }] });
    const seen = recordMessages(gw);
    await gw.start();
    (await connector.waitForLink(1)).send(inbound('telegram', 'tg-1'), inbound('discord', 'dc-1'));
    await seen.until(2);
  });

  it('the limit and its unit are the chat\'s: 2000 emoji fit a discord chat (2000 code points), not a telegram one (4000 units)', () => {
    const text = '😀'.repeat(2000);
    const discord = gw.capabilitiesFor('dc-1');
    const telegram = gw.capabilitiesFor('tg-1');
    expect(discord?.maxMessageLength).toBe(2000);
    expect(discord?.messageLength(text)).toBe(2000);
    expect(telegram?.maxMessageLength).toBe(4096);
    expect(telegram?.messageLength(text)).toBe(4000);
    expect(discord?.messageLength(`${text}x`)).toBeGreaterThan(discord?.maxMessageLength ?? 0);
    // An unseen chat gets the primary's.
    expect(gw.capabilitiesFor('unseen')?.maxMessageLength).toBe(4096);
    expect(gw.capabilities?.maxMessageLength).toBe(4096);
  });

  it('the flags are the chat\'s: edit, drafts, code blocks, threads', () => {
    expect(gw.capabilitiesFor('dc-1')).toMatchObject({ supportsEdit: true, supportsDraftStreaming: true, supportsCodeBlocks: true, supportsThreads: true });
    expect(gw.capabilitiesFor('tg-1')).toMatchObject({ supportsEdit: false, supportsDraftStreaming: false, supportsCodeBlocks: false, supportsThreads: false });
    expect(gw.capabilitiesFor('dc-1')?.supportsOp('delete')).toBe(true);
    expect(gw.capabilitiesFor('tg-1')?.supportsOp('delete')).toBe(false);
  });

  it('delete is listed for discord only: refused in the telegram chat with no frame, written in the discord chat', async () => {
    expect(await gw.deleteMessage('tg-1', 'm-1')).toStrictEqual(notSupported('delete'));
    expect(await gw.deleteMessage('unseen', 'm-1')).toStrictEqual(notSupported('delete'));
    expect(await gw.deleteMessage('dc-1', 'm-2')).toMatchObject({ success: true });
    expect(await outboundsBeforeMarker(gw, connector, 1)).toStrictEqual([
      { type: 'outbound', requestId: expect.any(String), action: { op: 'delete', chat_id: 'dc-1', message_id: 'm-2', metadata: { user_id: 'u-dc-1' } }, platform: 'discord' },
    ]);
  });

  it('edit follows the chat\'s supports_edit: "Not supported" in the telegram chat, written in the discord chat', async () => {
    expect(await gw.edit('tg-1', 'm-1', 'changed')).toStrictEqual({ success: false, error: 'Not supported', code: 'not_supported' });
    expect(await gw.edit('dc-1', 'm-1', 'changed')).toMatchObject({ success: true });
    expect((await outboundsBeforeMarker(gw, connector, 1)).map((frame) => [actionOf(frame).op, actionOf(frame).chat_id])).toEqual([['edit', 'dc-1']]);
  });

  it('draft follows the chat\'s descriptor: written in the discord chat, refused in the telegram chat', async () => {
    expect(await gw.draft('tg-1', 1, 'partial')).toStrictEqual(notSupported('draft'));
    expect(await gw.draft('dc-1', 1, 'partial')).toMatchObject({ success: true });
    expect((await outboundsBeforeMarker(gw, connector, 1)).map((frame) => [actionOf(frame).op, actionOf(frame).chat_id])).toEqual([['draft', 'dc-1']]);
  });

  it('thread_rename is gated through its parent chat, not the thread id', async () => {
    expect(await gw.threadRename('dc-1', 'n', { parentChatId: 'tg-1', onlyIfConnectorCreated: true })).toStrictEqual(notSupported('thread_rename'));
    expect(await gw.threadRename('tg-1', 'n', { parentChatId: 'dc-1', onlyIfConnectorCreated: true })).toMatchObject({ success: true });
    expect((await outboundsBeforeMarker(gw, connector, 1)).map((frame) => [actionOf(frame).op, actionOf(frame).chat_id, actionOf(frame).message_id])).toEqual([
      ['thread_rename', 'dc-1', 'tg-1'],
    ]);
  });
});
