/**
 * protocol-later §8 rows `threads` (§3.5, §3.6), `delete, task_card*, react` (§3.4, §3.7) and
 * `auto-thread` (§3.8), against the tests' own connector over real sockets.
 */
import { describe, expect, it } from 'vitest';
import { captureLogger, descriptor, inbound, settledNow, startConnector, startGateway, type Answer } from './support.js';

const DECLINE_TEXT = 'telegram egress declined: target is not an approved destination for this connection';

describe('threads (protocol-later §3.5, §3.6)', () => {
  it('thread_create: empty name -> "handoff", 150 code points -> 100, message_id "th77" -> thread "th77"; thread_id wins over message_id', async () => {
    const connector = await startConnector({
      answer: (o): Answer =>
        o.action.thread_name === 'with both' ? { success: true, thread_id: 'tid-1', message_id: 'mid-1' } : { success: true, message_id: 'th77' },
    });
    const gw = await startGateway(connector);

    expect(await gw.threadCreate('tc-parent', '   ')).toMatchObject({ success: true, thread: 'th77' });
    // Astral characters: code points, not UTF-16 units, are counted.
    const long = '😀'.repeat(150);
    expect(await gw.threadCreate('tc-parent', long, { messageId: 'anchor-3' })).toMatchObject({ success: true, thread: 'th77' });
    expect(await gw.threadCreate('tc-parent', 'with both')).toMatchObject({ success: true, thread: 'tid-1' });

    const actions = connector.outboundsTo('tc-parent').map((o) => o.action);
    expect(actions).toEqual([
      { op: 'thread_create', chat_id: 'tc-parent', thread_name: 'handoff', metadata: {} },
      { op: 'thread_create', chat_id: 'tc-parent', thread_name: '😀'.repeat(100), metadata: {}, message_id: 'anchor-3' },
      { op: 'thread_create', chat_id: 'tc-parent', thread_name: 'with both', metadata: {} },
    ]);
    expect(Array.from(String(actions[1]?.thread_name))).toHaveLength(100);
  });

  it('thread_create: a failure or an answer with neither id gives thread null', async () => {
    const connector = await startConnector({
      answer: (o): Answer => (o.action.thread_name === 'fails' ? { success: false, error: 'nope' } : { success: true }),
    });
    const gw = await startGateway(connector);
    expect(await gw.threadCreate('tc-null', 'fails')).toMatchObject({ success: false, thread: null });
    expect(await gw.threadCreate('tc-null', 'no ids')).toMatchObject({ success: true, thread: null });
  });

  it('thread_rename asking both guards: only only_if_connector_created is written; chat_id, scope, user and platform tag are the parent chat’s', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector);
    const seen: string[] = [];
    gw.onMessage((event) => void seen.push(event.source.chat_id));
    // The parent chat is learned from inbound: its tenant scope, author and platform.
    connector.latest().send(inbound('parent-1', 'hello', { platform: 'discord', chatType: 'group', scopeId: 'guild-1', userId: 'human-1', bufferId: 'learn-1' }));
    await connector.waitForFrame((s) => s.frame.type === 'inbound_ack' && s.frame.bufferId === 'learn-1');
    expect(seen).toEqual(['parent-1']);

    const result = await gw.threadRename('thread-9', '  New \n\t name  ', { parentChatId: 'parent-1', onlyIfConnectorCreated: true, onlyIfCurrentName: 'Old name' });
    expect(result).toMatchObject({ success: true });
    const [rename] = connector.outbounds.filter((o) => o.action.op === 'thread_rename');
    expect(rename?.frame).toEqual({
      type: 'outbound',
      requestId: expect.any(String),
      // Learned but not fronted by this gateway: tagged, without botId.
      platform: 'discord',
      action: {
        op: 'thread_rename',
        chat_id: 'parent-1',
        message_id: 'thread-9',
        thread_name: 'New name',
        metadata: { scope_id: 'guild-1', guild_id: 'guild-1', user_id: 'human-1' },
        only_if_connector_created: true,
      },
    });
  });

  it('thread_rename is gated by the parent chat’s descriptor, not the thread’s', async () => {
    const connector = await startConnector({
      descriptors: [descriptor(), descriptor({ platform: 'discord', supported_ops: ['send', 'thread_create'] })],
    });
    const gw = await startGateway(connector);
    gw.onMessage(() => undefined);
    const link = connector.latest();
    link.send(
      inbound('par-dc', 'in discord', { platform: 'discord', chatType: 'group', scopeId: 'guild-2', bufferId: 'l-1' }),
      inbound('thr-tg', 'in telegram', { platform: 'telegram', bufferId: 'l-2' }),
    );
    await connector.waitUntil(() => connector.seen.filter((s) => s.frame.type === 'inbound_ack').length === 2, 'both learned');
    expect(gw.descriptorForChat('par-dc')?.platform).toBe('discord');

    const refused = await gw.threadRename('thr-tg', 'New', { parentChatId: 'par-dc', onlyIfConnectorCreated: true });
    expect(refused).toEqual({ success: false, code: 'not_supported', error: "connector does not advertise the 'thread_rename' relay op" });
    // Without a parent the thread id stands in: telegram allows it.
    expect(await gw.threadRename('thr-tg', 'New', { onlyIfConnectorCreated: true })).toMatchObject({ success: true });
    await connector.flush(gw);
    const renames = connector.outbounds.filter((o) => o.action.op === 'thread_rename');
    expect(renames.map((o) => o.frame)).toEqual([
      {
        type: 'outbound',
        requestId: expect.any(String),
        platform: 'telegram',
        action: { op: 'thread_rename', chat_id: 'thr-tg', message_id: 'thr-tg', thread_name: 'New', metadata: { user_id: 'u-thr-tg' }, only_if_connector_created: true },
      },
    ]);
  });

  it('thread_rename with the current-name guard alone writes it; with neither guard: invalid_action and no frame', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector);
    expect(await gw.threadRename('thread-2', 'Renamed', { parentChatId: 'parent-2', onlyIfCurrentName: 'handoff' })).toMatchObject({ success: true });
    const neither = await gw.threadRename('thread-3', 'Renamed', { parentChatId: 'parent-3' });
    expect(neither).toMatchObject({ success: false, code: 'invalid_action' });
    expect(neither.error).toMatch(/guard/);
    // A name that is only whitespace is empty once collapsed.
    expect(await gw.threadRename('thread-4', ' \n\t ', { parentChatId: 'parent-4', onlyIfConnectorCreated: true })).toMatchObject({ success: false, code: 'invalid_action' });
    await connector.flush(gw);
    const renames = connector.outbounds.filter((o) => o.action.op === 'thread_rename').map((o) => o.action);
    expect(renames).toEqual([{ op: 'thread_rename', chat_id: 'parent-2', message_id: 'thread-2', thread_name: 'Renamed', metadata: {}, only_if_current_name: 'handoff' }]);
  });
});

describe('delete, task_card, task_card_stop, react (protocol-later §3.4, §3.7)', () => {
  it('advertising task_card only: card and stop frames go out (thread_ts from the anchor), delete and react are refused with no frame', async () => {
    const connector = await startConnector({ descriptors: [descriptor({ supported_ops: ['task_card'] })] });
    const gw = await startGateway(connector);
    const chunks = [
      { id: 'c1', title: 'Plan', status: 'done', details: 'made a plan', output: '' },
      { id: 'c2', title: 'Build', status: 'running', extra: { kept: true } },
    ];

    expect(await gw.taskCard('card-chat', 'turn:anchor-1', chunks, { replyTo: 'anchor-1' })).toMatchObject({ success: true });
    expect(await gw.taskCard('card-chat', 'turn:anchor-2', chunks, { replyTo: 'anchor-2', metadata: { thread_ts: 'explicit-ts' } })).toMatchObject({ success: true });
    expect(await gw.taskCardStop('card-chat', 'turn:anchor-1')).toMatchObject({ success: true });
    expect(await gw.deleteMessage('card-chat', 'msg-1')).toEqual({ success: false, code: 'not_supported', error: "connector does not advertise the 'delete' relay op" });
    expect(await gw.react('card-chat', 'msg-1', '👀')).toEqual({ success: false, code: 'not_supported', error: "connector does not advertise the 'react' relay op" });
    await connector.flush(gw);

    expect(connector.outboundsTo('card-chat').map((o) => o.action)).toEqual([
      { op: 'task_card', chat_id: 'card-chat', card_id: 'turn:anchor-1', chunks, metadata: { thread_ts: 'anchor-1' } },
      { op: 'task_card', chat_id: 'card-chat', card_id: 'turn:anchor-2', chunks, metadata: { thread_ts: 'explicit-ts' } },
      { op: 'task_card_stop', chat_id: 'card-chat', card_id: 'turn:anchor-1', metadata: {} },
    ]);
  });

  it('card calls never throw: a transport failure becomes a failure result', async () => {
    const connector = await startConnector({ answer: (): Answer => 'hold' });
    const gw = await startGateway(connector, { timeouts: { outboundMs: 200 } });
    await expect(gw.taskCard('card-lost', 'turn:root', [])).resolves.toMatchObject({ success: false, ambiguous: true, error: 'relay outbound timed out' });
    await expect(gw.taskCardStop('card-lost', 'turn:root')).resolves.toMatchObject({ success: false, ambiguous: true });
  });

  it('delete, when advertised, writes its frame and reads a bool result', async () => {
    const connector = await startConnector({
      descriptors: [descriptor({ supported_ops: ['delete'] })],
      answer: (o): Answer => ({ success: o.action.message_id === 'gone-1' }),
    });
    const gw = await startGateway(connector);
    expect(await gw.deleteMessage('del-chat', 'gone-1')).toMatchObject({ success: true });
    expect(await gw.deleteMessage('del-chat', 'kept-1')).toMatchObject({ success: false });
    expect(connector.outboundsTo('del-chat')[0]?.action).toEqual({ op: 'delete', chat_id: 'del-chat', message_id: 'gone-1', metadata: {} });
  });

  it('a declined react surfaces nothing beyond its result: no throw, no warning or error logged, no other frame', async () => {
    const connector = await startConnector({
      descriptors: [descriptor({ supported_ops: ['react'] })],
      answer: (): Answer => ({ success: false, error: DECLINE_TEXT }),
    });
    const { logger, lines } = captureLogger();
    const gw = await startGateway(connector, { logger });
    const before = lines.length;

    const reacting = gw.react('react-chat', 'msg-7', '👍');
    await expect(reacting).resolves.toEqual({ success: false, error: DECLINE_TEXT });
    expect(await gw.react('react-chat', 'msg-7', '👍', { remove: true })).toEqual({ success: false, error: DECLINE_TEXT });
    await connector.flush(gw);

    expect(connector.outboundsTo('react-chat').map((o) => o.action)).toEqual([
      { op: 'react', chat_id: 'react-chat', message_id: 'msg-7', emoji: '👍', remove: false, metadata: {} },
      { op: 'react', chat_id: 'react-chat', message_id: 'msg-7', emoji: '👍', remove: true, metadata: {} },
    ]);
    const noisy = lines.slice(before).filter((l) => (l.level === 'warn' || l.level === 'error') && /react|declin/i.test(l.message));
    expect(noisy).toEqual([]);
  });
});

describe('auto-thread (protocol-later §3.8)', () => {
  it('a send result with thread_id and auto_thread_name: the waiter gets the pair', async () => {
    const connector = await startConnector({ answer: (): Answer => ({ success: true, message_id: 'r-1', thread_id: 'auto-5', auto_thread_name: 'Question about billing' }) });
    const gw = await startGateway(connector);
    const waiting = gw.waitForAutoThread('at-chat', 10_000);
    const sent = await gw.send('at-chat', 'a reply');
    expect(sent).toMatchObject({ success: true, messageId: 'r-1', threadId: 'auto-5', autoThreadName: 'Question about billing' });
    await expect(settledNow(waiting)).resolves.toEqual({ value: { threadId: 'auto-5', name: 'Question about billing' } });
  });

  it('a send result without them: the waiter resolves at once with null (not after its timeout)', async () => {
    const connector = await startConnector({ answer: (o): Answer => (o.action.chat_id === 'other-chat' ? { success: true, thread_id: 'x', auto_thread_name: 'X' } : { success: true, message_id: 'r-2', thread_id: 'only-id' }) });
    const gw = await startGateway(connector);
    const waiting = gw.waitForAutoThread('at-miss', 60_000);
    // A send into another chat does not settle it.
    await gw.send('other-chat', 'elsewhere');
    expect(await settledNow(waiting)).toBe('pending');
    await gw.send('at-miss', 'a reply');
    await expect(settledNow(waiting)).resolves.toEqual({ value: null });
  });
});
