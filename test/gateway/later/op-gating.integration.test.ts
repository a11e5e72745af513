/**
 * protocol-later §2 "op gating", against a connector: every op x `supported_ops` (empty, the legacy
 * four, the full list, and the special rules): a refused op resolves at once to `not_supported` and
 * writes no frame; an allowed one is written. `draft` needs the flag and the op; `task_card` covers
 * `task_card_stop`; `edit` is refused under `supports_edit: false` with `"Not supported"`; a refused
 * `get_chat_info` answers locally `{name: chat_id, type: "dm"}`.
 */
import { describe, expect, it } from 'vitest';
import type { RelayGateway } from '../../../src/gateway/create-relay-gateway.js';
import { actionOf, ALL_OPS, inbound, outboundsBeforeMarker, recordMessages, TELEGRAM, useTestConnector, useTestGateway, waitForHandshakes, type Json, type Op } from './support.js';

const LEGACY: readonly Op[] = ['send', 'edit', 'typing', 'follow_up'];

/** One call per op, in chat `c-1`. */
const CALLS: Record<Op, (gw: RelayGateway) => Promise<object>> = {
  send: (gw) => gw.send('c-1', 'text'),
  edit: (gw) => gw.edit('c-1', 'm-1', 'text'),
  typing: (gw) => gw.typing('c-1'),
  follow_up: (gw) => gw.followUp('agent:main:telegram:dm:c-1', 'telegram.callback', 'late'),
  get_chat_info: (gw) => gw.getChatInfo('c-1'),
  draft: (gw) => gw.draft('c-1', 1, 'partial'),
  send_media: (gw) => gw.sendMedia('c-1', 'https://cdn.example/cat.png', { kind: 'image' }),
  prompt: (gw) => gw.prompt('c-1', 'Proceed?', { kind: 'approval', options: [{ id: 'yes', label: 'Yes' }, { id: 'no', label: 'No' }] }),
  react: (gw) => gw.react('c-1', 'm-1', '👀'),
  thread_create: (gw) => gw.threadCreate('c-1', 'handoff'),
  thread_rename: (gw) => gw.threadRename('t-1', 'renamed', { parentChatId: 'c-1', onlyIfConnectorCreated: true }),
  delete: (gw) => gw.deleteMessage('c-1', 'm-1'),
  task_card: (gw) => gw.taskCard('c-1', 'turn:root', [{ id: 's1', title: 'Step', status: 'running', details: '', output: '' }]),
  task_card_stop: (gw) => gw.taskCardStop('c-1', 'turn:root'),
};

interface Variant {
  readonly name: string;
  readonly descriptor: Json;
  /** Ops the gateway must write; every other op is refused locally. */
  readonly allowed: readonly Op[];
}

const VARIANTS: readonly Variant[] = [
  { name: 'supported_ops [] (legacy implied)', descriptor: { supported_ops: [], supports_draft_streaming: true }, allowed: LEGACY },
  { name: 'supported_ops absent', descriptor: { supports_draft_streaming: true }, allowed: LEGACY },
  { name: 'the legacy four', descriptor: { supported_ops: [...LEGACY], supports_draft_streaming: true }, allowed: LEGACY },
  { name: 'the full list, drafts on', descriptor: { supported_ops: [...ALL_OPS], supports_draft_streaming: true }, allowed: ALL_OPS },
  { name: 'the full list, drafts off', descriptor: { supported_ops: [...ALL_OPS], supports_draft_streaming: false }, allowed: ALL_OPS.filter((op) => op !== 'draft') },
  { name: '["draft"] with drafts on', descriptor: { supported_ops: ['draft'], supports_draft_streaming: true }, allowed: [...LEGACY, 'draft'] },
  { name: '["draft"] with drafts off', descriptor: { supported_ops: ['draft'], supports_draft_streaming: false }, allowed: LEGACY },
  { name: 'drafts on without "draft" listed', descriptor: { supported_ops: ['send', 'delete'], supports_draft_streaming: true }, allowed: [...LEGACY, 'delete'] },
  { name: '["task_card"] covers task_card_stop', descriptor: { supported_ops: ['task_card'] }, allowed: [...LEGACY, 'task_card', 'task_card_stop'] },
  { name: '["task_card_stop"] alone allows nothing more', descriptor: { supported_ops: ['task_card_stop'] }, allowed: LEGACY },
  { name: '["get_chat_info"]: the legacy four are never refused', descriptor: { supported_ops: ['get_chat_info'] }, allowed: [...LEGACY, 'get_chat_info'] },
  {
    name: 'the full list with supports_edit false',
    descriptor: { supported_ops: [...ALL_OPS], supports_draft_streaming: true, supports_edit: false },
    allowed: ALL_OPS.filter((op) => op !== 'edit'),
  },
];

describe.each(VARIANTS)('op gating: $name', ({ descriptor, allowed }) => {
  it('allowed ops are written, refused ops give not_supported at once and no frame', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: { ...TELEGRAM, ...descriptor } } });
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram', botId: 'bot-1' }] });
    const seen = recordMessages(gw);
    await gw.start();
    (await connector.waitForLink(1)).send(inbound('telegram', 'c-1'));
    await seen.until(1);

    const results = new Map<Op, Json>();
    // Results are plain objects; compared as such.
    for (const op of ALL_OPS) results.set(op, (await CALLS[op](gw)) as Json);

    for (const op of ALL_OPS) {
      const result = results.get(op);
      if (allowed.includes(op)) {
        expect(result?.code, `${op} must not be refused`).not.toBe('not_supported');
        continue;
      }
      if (op === 'edit') expect(result, op).toStrictEqual({ success: false, error: 'Not supported', code: 'not_supported' });
      else if (op === 'get_chat_info')
        expect(result, op).toStrictEqual({ success: false, code: 'not_supported', error: "connector does not advertise the 'get_chat_info' relay op", name: 'c-1', type: 'dm' });
      else if (op === 'prompt') expect(result, op).toStrictEqual({ success: false, code: 'not_supported', error: "connector does not advertise the 'prompt' relay op" });
      else if (op === 'thread_create')
        expect(result, op).toStrictEqual({ success: false, code: 'not_supported', error: "connector does not advertise the 'thread_create' relay op", thread: null });
      else expect(result, op).toStrictEqual({ success: false, code: 'not_supported', error: `connector does not advertise the '${op}' relay op` });
    }
    // A refused prompt is never registered, a refused draft opens no stream.
    if (!allowed.includes('prompt')) expect(gw.metrics().promptsPending).toBe(0);
    if (!allowed.includes('draft')) expect(gw.metrics().draftStreamsOpen).toBe(0);
    // Exactly the allowed ops reached the wire, in call order.
    const written = (await outboundsBeforeMarker(gw, connector, 1)).map((frame) => actionOf(frame).op);
    expect(written).toEqual(ALL_OPS.filter((op) => allowed.includes(op)));
  });
});

describe('op gating: get_chat_info', () => {
  it('refused: the local {name: chat_id, type: "dm"} with no round trip; allowed: the connector\'s answer, projected', async () => {
    const connector = await useTestConnector({
      descriptors: { telegram: { ...TELEGRAM, supported_ops: [] } },
      answer: (frame) => ({ result: { success: true, chat_info: { name: `name of ${String(actionOf(frame).chat_id)}`, type: 'group' } } }),
    });
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram' }] });
    await gw.start();
    expect(await gw.getChatInfo('chat-9')).toMatchObject({ name: 'chat-9', type: 'dm' });
    expect(await outboundsBeforeMarker(gw, connector, 1)).toEqual([]);

    connector.descriptors = { telegram: { ...TELEGRAM, supported_ops: ['get_chat_info'] } };
    (await connector.waitForLink(1)).close(1012, 'restart');
    await connector.waitForLink(2);
    await waitForHandshakes(gw, 2);
    expect(await gw.getChatInfo('chat-9')).toStrictEqual({ success: true, name: 'name of chat-9', type: 'group' });
  });
});
