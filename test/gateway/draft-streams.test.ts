import { describe, expect, it } from 'vitest';
import { DRAFT_SEAL_AMBIGUOUS_ERROR, DraftStreams, draftStreamKey } from '../../src/gateway/draft-streams.js';
import type { SendResult } from '../../src/protocol/outbound.js';

const AMBIGUOUS: SendResult = { success: false, error: 'relay outbound timed out', code: 'timeout', ambiguous: true };

/** Streams over a request function that answers from a script, recording every write. */
function streams(script: SendResult[] = []) {
  const writes: object[] = [];
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, warn: (message: string) => void warnings.push(message), error() {} };
  const drafts = new DraftStreams({
    logger,
    request: (action) => {
      writes.push(action);
      return Promise.resolve(script.shift() ?? { success: true, messageId: 'm1' });
    },
  });
  const draft = (final: boolean, extra: { turnId?: string; draftId?: number; signal?: AbortSignal } = {}) =>
    drafts.draft({ chatId: 'c1', draftId: extra.draftId ?? 1, content: final ? 'done' : 'so far', final, buildAction: (f) => ({ op: 'draft', final: f }), ...extra });
  return { drafts, writes, warnings, draft };
}

describe('draft streams (protocol-later §3.1)', () => {
  it('keys streams per turn when a turn id is given, else per chat and thread', () => {
    expect(draftStreamKey('c1', 't9')).toBe('c1:turn:t9');
    expect(draftStreamKey('c1', undefined, 'th')).toBe('c1:th');
    expect(draftStreamKey('c1')).toBe('c1:');
  });

  it('an interim frame opens the stream; ambiguous keeps it open; a definite failure closes it', async () => {
    const { drafts, draft } = streams([AMBIGUOUS, { success: false, error: 'nope' }]);
    expect(await draft(false)).toEqual(AMBIGUOUS);
    expect(drafts.isOpen('c1:', 1)).toBe(true);
    expect(await draft(false)).toEqual({ success: false, error: 'nope' });
    expect(drafts.isOpen('c1:', 1)).toBe(false);
  });

  it('a seal whose result is lost is written exactly once more; twice lost is reported as such', async () => {
    const once = streams([AMBIGUOUS, { success: true, messageId: 'sealed-1' }]);
    expect(await once.draft(true)).toEqual({ success: true, messageId: 'sealed-1' });
    expect(once.writes).toHaveLength(2);
    const twice = streams([AMBIGUOUS, AMBIGUOUS]);
    expect(await twice.draft(true)).toEqual({ success: false, ambiguous: true, error: DRAFT_SEAL_AMBIGUOUS_ERROR });
    expect(twice.writes).toHaveLength(2);
  });

  it('a definite seal failure or decline is returned as is, never retried', async () => {
    const declined: SendResult = { success: false, code: 'egress_declined', error: 'telegram egress declined: target is not an approved destination for this connection' };
    const { draft, writes } = streams([declined]);
    expect(await draft(true)).toEqual(declined);
    expect(writes).toHaveLength(1);
  });

  it('after the seal, later frames for the stream write nothing and succeed; one warning per stream', async () => {
    const { draft, writes, warnings, drafts } = streams();
    await draft(false);
    await draft(true);
    expect(await draft(false)).toEqual({ success: true });
    expect(await draft(true)).toEqual({ success: true });
    expect(writes).toHaveLength(2);
    expect(warnings).toHaveLength(1);
    // Another draft id, or another turn, is another stream.
    await draft(false, { draftId: 2 });
    await draft(false, { turnId: 't1' });
    expect(writes).toHaveLength(4);
    expect(drafts.isSealed('c1:', 1)).toBe(true);
  });

  it('an abort mid-seal removes the tombstone, reopens the stream and says cancelled', async () => {
    const controller = new AbortController();
    let release: (result: SendResult) => void = () => {};
    const drafts = new DraftStreams({ request: () => new Promise<SendResult>((resolve) => (release = resolve)) });
    const sealing = drafts.draft({ chatId: 'c1', draftId: 1, content: 'x', final: true, buildAction: () => ({}), signal: controller.signal });
    expect(drafts.isSealed('c1:', 1)).toBe(true);
    controller.abort();
    expect(await sealing).toEqual({ success: false, code: 'cancelled', error: 'draft seal cancelled' });
    expect(drafts.isSealed('c1:', 1)).toBe(false);
    expect(drafts.isOpen('c1:', 1)).toBe(true);
    release({ success: true });
  });

  it('open streams and tombstones are each capped (oldest evicted)', async () => {
    const drafts = new DraftStreams({ capacity: 3, request: () => Promise.resolve({ success: true }) });
    for (let id = 0; id < 5; id++) {
      await drafts.draft({ chatId: 'c', draftId: id, content: '', final: false, buildAction: () => ({}) });
      await drafts.draft({ chatId: 's', draftId: id, content: '', final: true, buildAction: () => ({}) });
    }
    expect(drafts.openCount).toBe(3);
    expect(drafts.tombstoneCount).toBe(3);
    expect(drafts.isSealed('s:', 0)).toBe(false);
    expect(drafts.isSealed('s:', 4)).toBe(true);
  });

  it('a draft id that is not an integer >= 0 is invalid_action and writes nothing', async () => {
    const { drafts, writes } = streams();
    expect(await drafts.draft({ chatId: 'c1', draftId: -1, content: '', final: false, buildAction: () => ({}) })).toMatchObject({ success: false, code: 'invalid_action' });
    expect(writes).toHaveLength(0);
  });
});
