/**
 * The pieces of `connect --echo` and its output that need no process: cutting an echo to a chat's
 * limit in the chat's unit, the `/prompt` command, the identity part of the start-up line, and the
 * `prompt` / `decline` lines in both output forms.
 */
import { describe, expect, it } from 'vitest';
import { describeIdentities, echoPromptQuestion, fitToChat } from '../../src/cli/connect-command.js';
import { createEventPrinter, declineEvent, describeEvent, promptEvent } from '../../src/cli/event-printer.js';
import { codePointLength, utf16Length } from '../../src/protocol/capabilities.js';
import type { PromptAnswer } from '../../src/gateway/later-op-types.js';
import type { SessionSource } from '../../src/protocol/session-source.js';

const utf16 = (max: number) => ({ maxMessageLength: max, messageLength: utf16Length });
const chars = (max: number) => ({ maxMessageLength: max, messageLength: codePointLength });

describe('fitToChat', () => {
  it('leaves a text within the limit alone, and any text without capabilities', () => {
    expect(fitToChat('hello', chars(5))).toEqual({ text: 'hello', truncated: false });
    expect(fitToChat('x'.repeat(10_000), null)).toEqual({ text: 'x'.repeat(10_000), truncated: false });
  });

  it('counts code points for chars and code units for utf16, never splitting a code point', () => {
    const emoji = '😀'.repeat(10); // 10 code points, 20 UTF-16 units
    expect(fitToChat(emoji, chars(10)).truncated).toBe(false);
    const byChars = fitToChat(emoji, chars(5));
    expect(byChars).toEqual({ text: `${'😀'.repeat(4)}…`, truncated: true });
    const byUnits = fitToChat(emoji, utf16(10));
    expect(byUnits).toEqual({ text: `${'😀'.repeat(4)}…`, truncated: true });
    expect(byUnits.text.length).toBe(9); // an odd budget leaves the last half-pair out
    expect(fitToChat(emoji, utf16(11)).text).toBe(`${'😀'.repeat(5)}…`);
  });

  it('the result is never over the limit (small limits included)', () => {
    for (const max of [1, 2, 3, 7, 100]) {
      for (const caps of [chars(max), utf16(max)]) {
        const { text } = fitToChat('a😀b'.repeat(50), caps);
        expect(caps.messageLength(text)).toBeLessThanOrEqual(max);
      }
    }
  });
});

describe('echoPromptQuestion', () => {
  it('reads "/prompt <question>"; a bare /prompt asks "Approve?"; other text is no prompt', () => {
    expect(echoPromptQuestion('/prompt  Deploy now? ')).toBe('Deploy now?');
    expect(echoPromptQuestion(' /prompt')).toBe('Approve?');
    expect(echoPromptQuestion('/prompter x')).toBeUndefined();
    expect(echoPromptQuestion('hello /prompt')).toBeUndefined();
  });
});

describe('describeIdentities', () => {
  it('one identity as before, several with their bot ids, primary first', () => {
    expect(describeIdentities([{ platform: 'relay', botId: '' }])).toBe('platform relay');
    expect(describeIdentities([{ platform: 'telegram', botId: 't-9' }, { platform: 'discord', botId: '' }])).toBe('platforms telegram (bot t-9), discord');
  });
});

const source = { platform: 'telegram', chat_id: 'tg-1', chat_type: 'dm', user_id: 'u1' } as unknown as SessionSource;
const answer: PromptAnswer = { prompt_id: 'abcdef.01234567', option_id: 'approve', label: 'Approve', prompt_kind: 'approval', known_option: true, source };

describe('prompt and decline lines', () => {
  it('--json fields', () => {
    const lines: string[] = [];
    const print = createEventPrinter(true, { stdout: (l) => lines.push(l), stderr: () => undefined, now: () => Date.UTC(2026, 11, 1) });
    print(promptEvent(answer));
    print(declineEvent({ op: 'send', chatId: 'c9', error: 'telegram egress declined: nope', code: 'egress_declined' }));
    print(declineEvent({ op: 'draft', chatId: 'c9', error: 'telegram egress declined: nope' }));
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { event: 'prompt', ts: '2026-12-01T00:00:00.000Z', promptId: 'abcdef.01234567', optionId: 'approve', knownOption: true, promptKind: 'approval', label: 'Approve', platform: 'telegram', chatId: 'tg-1' },
      { event: 'decline', ts: '2026-12-01T00:00:00.000Z', op: 'send', chatId: 'c9', code: 'egress_declined', error: 'telegram egress declined: nope' },
      { event: 'decline', ts: '2026-12-01T00:00:00.000Z', op: 'draft', chatId: 'c9', code: null, error: 'telegram egress declined: nope' },
    ]);
  });

  it('readable lines', () => {
    expect(describeEvent(promptEvent(answer))).toBe('prompt answer in tg-1 (telegram): option "approve" "Approve" of approval prompt abcdef.01234567');
    const unknown = { ...answer, option_id: 'maybe', known_option: false } as PromptAnswer;
    delete (unknown as { label?: string }).label;
    expect(describeEvent(promptEvent(unknown))).toBe('prompt answer in tg-1 (telegram): option "maybe" of approval prompt abcdef.01234567 (not one of its options)');
    expect(describeEvent(declineEvent({ op: 'send', chatId: 'c9', error: 'x egress declined: nope', code: 'egress_declined' }))).toBe(
      'decline: the connector refused send to c9 (egress_declined): x egress declined: nope',
    );
    expect(describeEvent(declineEvent({ op: 'prompt', chatId: 'c9', error: 'x egress declined: nope' }))).toBe('decline: the connector refused prompt to c9: x egress declined: nope');
    expect(describeEvent({ event: 'reply', chatId: 'c', success: true, truncated: true })).toBe("reply to c: sent (cut to the chat's length limit)");
    expect(describeEvent({ event: 'reply', chatId: 'c', success: false, error: 'e', promptId: 'p.q' })).toBe('prompt p.q to c: failed (e)');
  });
});
