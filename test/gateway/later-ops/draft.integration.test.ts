/**
 * protocol-later §8 row `draft` (§3.1), against the tests' own connector over real sockets: interim
 * outcomes, the seal retried once when its result is lost, the tombstone, and a caller abort mid-seal.
 */
import { describe, expect, it } from 'vitest';
import { DRAFT_SEAL_AMBIGUOUS_ERROR, DRAFT_SEAL_CANCELLED_ERROR } from '../../../src/gateway/draft-streams.js';
import { captureLogger, startConnector, startGateway, type Answer, type Outbound } from './support.js';

const OUTBOUND_MS = 300;

const isDraft = (o: Outbound, chat: string): boolean => o.action.op === 'draft' && o.action.chat_id === chat;
const isSeal = (o: Outbound, chat: string): boolean => isDraft(o, chat) && o.action.final === true;

describe('draft (protocol-later §3.1)', () => {
  it('withholding the first seal result until the outbound timeout: exactly two identical seal frames, the second answer wins; a later final writes nothing', async () => {
    let seals = 0;
    const connector = await startConnector({
      answer: (o): Answer => {
        if (o.action.op === 'draft' && o.action.final === true) return ++seals === 1 ? 'hold' : { success: true, message_id: 'sealed-1' };
        return { success: true, message_id: 'interim-1' };
      },
    });
    const { logger, lines } = captureLogger();
    const gw = await startGateway(connector, { timeouts: { outboundMs: OUTBOUND_MS }, logger });

    expect(await gw.draft('d1', 7, 'partial', {})).toMatchObject({ success: true });
    const sealed = await gw.draft('d1', 7, 'the final text', { final: true });
    expect(sealed).toEqual({ success: true, messageId: 'sealed-1' });

    const sealFrames = connector.outbounds.filter((o) => isSeal(o, 'd1'));
    expect(sealFrames).toHaveLength(2);
    const [first, second] = sealFrames as [Outbound, Outbound];
    expect(first.action).toEqual({ op: 'draft', chat_id: 'd1', draft_id: 7, content: 'the final text', final: true, metadata: {} });
    expect(second.action).toEqual(first.action);
    expect(second.requestId).not.toBe(first.requestId);
    // Exact frame: an unseen chat gets no platform tag.
    expect(Object.keys(second.frame).sort()).toEqual(['action', 'requestId', 'type']);

    // The stream is tombstoned: a later final (or interim) for the key writes nothing and succeeds.
    expect(await gw.draft('d1', 7, 'again', { final: true })).toEqual({ success: true });
    expect(await gw.draft('d1', 7, 'late interim', {})).toEqual({ success: true });
    await connector.flush(gw);
    expect(connector.outbounds.filter((o) => isDraft(o, 'd1'))).toHaveLength(3);
    expect(gw.metrics()).toMatchObject({ draftTombstones: 1, draftStreamsOpen: 0 });
    // The first swallow per stream is worth one warning; later ones are silent.
    expect(lines.filter((l) => l.level === 'warn' && /sealed stream/.test(l.message))).toHaveLength(1);
  });

  it('a seal whose result is lost twice: two frames, then the ambiguous-after-retry failure', async () => {
    const connector = await startConnector({ answer: (o): Answer => (o.action.op === 'draft' ? 'hold' : { success: true }) });
    const gw = await startGateway(connector, { timeouts: { outboundMs: OUTBOUND_MS } });
    const sealed = await gw.draft('d2', 0, 'final', { final: true });
    expect(sealed).toEqual({ success: false, ambiguous: true, error: DRAFT_SEAL_AMBIGUOUS_ERROR });
    await connector.flush(gw);
    expect(connector.outbounds.filter((o) => isSeal(o, 'd2'))).toHaveLength(2);
  });

  it('interim outcomes: success keeps the stream open, an ambiguous result keeps it open, a definite failure closes it and is returned as is', async () => {
    const connector = await startConnector({
      answer: (o): Answer => {
        switch (o.action.content) {
          case 'ok':
            return { success: true, message_id: 'live-1' };
          case 'lost':
            return 'hold';
          case 'refused':
            return { success: false, error: 'message too long', code: 'too_long', detail: 42 };
          default:
            return { success: true };
        }
      },
    });
    const gw = await startGateway(connector, { timeouts: { outboundMs: OUTBOUND_MS } });

    expect(await gw.draft('i1', 1, 'ok', {})).toEqual({ success: true, messageId: 'live-1' });
    expect(gw.metrics().draftStreamsOpen).toBe(1);

    const lost = await gw.draft('i1', 2, 'lost', {});
    expect(lost).toMatchObject({ success: false, ambiguous: true, error: 'relay outbound timed out' });
    expect(gw.metrics().draftStreamsOpen).toBe(2);

    const refused = await gw.draft('i1', 3, 'refused', {});
    expect(refused).toEqual({ success: false, error: 'message too long', code: 'too_long', raw: { detail: 42 } });
    expect(gw.metrics().draftStreamsOpen).toBe(2);

    // Interim frames are written every time (never merged), with final: false always present.
    expect(connector.outbounds.filter((o) => isDraft(o, 'i1')).map((o) => o.action)).toEqual([
      { op: 'draft', chat_id: 'i1', draft_id: 1, content: 'ok', final: false, metadata: {} },
      { op: 'draft', chat_id: 'i1', draft_id: 2, content: 'lost', final: false, metadata: {} },
      { op: 'draft', chat_id: 'i1', draft_id: 3, content: 'refused', final: false, metadata: {} },
    ]);
    // The closed stream takes frames again (a new stream), unlike a sealed one.
    expect(await gw.draft('i1', 3, 'ok', {})).toMatchObject({ success: true });
    expect(gw.metrics().draftStreamsOpen).toBe(3);
  });

  it('a caller abort mid-seal resolves cancelled, removes the tombstone and reopens the stream', async () => {
    let seals = 0;
    const connector = await startConnector({
      answer: (o): Answer => (o.action.op === 'draft' && o.action.final === true && ++seals === 1 ? 'hold' : { success: true, message_id: 'sealed-3' }),
    });
    const gw = await startGateway(connector, { timeouts: { outboundMs: 5_000 } });
    expect(await gw.draft('a1', 4, 'partial', {})).toMatchObject({ success: true });

    const abort = new AbortController();
    const sealing = gw.draft('a1', 4, 'final', { final: true, signal: abort.signal });
    await connector.waitForOutbound((o) => isSeal(o, 'a1'), 'the seal frame');
    expect(gw.metrics()).toMatchObject({ draftTombstones: 1, draftStreamsOpen: 0 });
    abort.abort();
    expect(await sealing).toEqual({ success: false, code: 'cancelled', error: DRAFT_SEAL_CANCELLED_ERROR });
    expect(gw.metrics()).toMatchObject({ draftTombstones: 0, draftStreamsOpen: 1 });

    // Not tombstoned any more: a new seal is written and answered.
    expect(await gw.draft('a1', 4, 'final', { final: true })).toEqual({ success: true, messageId: 'sealed-3' });
    expect(connector.outbounds.filter((o) => isSeal(o, 'a1'))).toHaveLength(2);
  });
});
