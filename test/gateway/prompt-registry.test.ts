import { describe, expect, it } from 'vitest';
import { PromptRegistry, RESOLVED_PROMPT_MEMORY, STALE_PROMPT_NOTICE, parsePromptResponse } from '../../src/gateway/prompt-registry.js';

/** A registry on a clock the test moves, with a seeded random source. */
function registry(seed = 1) {
  let t = 1_000_000;
  let state = seed;
  const random = () => {
    // A small LCG: deterministic, spread over [0, 1).
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const prompts = new PromptRegistry({ random, now: () => t });
  return { prompts, advance: (ms: number) => (t += ms), now: () => t };
}

const register = (prompts: PromptRegistry, id: string, expiresAt: number, optionIds = ['yes', 'no']) =>
  prompts.register(id, { kind: 'approval', optionIds, chatId: 'c1', expiresAt });

describe('prompt ids (protocol-later §3.3)', () => {
  it('are <6 hex nonce>.<8 hex>, 15 characters, with one nonce per instance kept for its lifetime', () => {
    const { prompts } = registry();
    const ids = Array.from({ length: 50 }, () => prompts.mintPromptId());
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{6}\.[0-9a-f]{8}$/);
      expect(id.startsWith(`${prompts.nonce}.`)).toBe(true);
    }
    expect(new Set(ids).size).toBeGreaterThan(45);
    // Two gateways in one process get different nonces.
    expect(registry(7).prompts.nonce).not.toBe(prompts.nonce);
  });

  it('expire after timeout_s when given, else after 3600 s (not clamped)', () => {
    const { prompts, now } = registry();
    expect(prompts.expiresAtFor(5)).toBe(now() + 5_000);
    expect(prompts.expiresAtFor()).toBe(now() + 3_600_000);
    expect(prompts.expiresAtFor(86_400 * 30)).toBe(now() + 86_400 * 30 * 1000);
  });
});

describe('classifying an answer, in order: foreign, already resolved, stale, resolve', () => {
  it('foreign: a dotted id with another nonce, whether or not it is pending here', () => {
    const { prompts, now } = registry();
    const other = `${prompts.nonce === 'abcdef' ? '123456' : 'abcdef'}.00000000`;
    expect(prompts.classify({ prompt_id: other, option_id: 'yes' })).toEqual({ kind: 'foreign' });
    register(prompts, other, now() + 1000);
    expect(prompts.classify({ prompt_id: other, option_id: 'yes' })).toEqual({ kind: 'foreign' });
  });

  it('resolve once, with known_option; a second press is already-resolved (silent), not stale', () => {
    const { prompts, now } = registry();
    const id = prompts.mintPromptId();
    register(prompts, id, now() + 1000);
    const first = prompts.classify({ prompt_id: id, option_id: 'maybe' });
    expect(first).toMatchObject({ kind: 'resolve', knownOption: false, prompt: { promptId: id, kind: 'approval', chatId: 'c1' } });
    expect(prompts.classify({ prompt_id: id, option_id: 'yes' })).toEqual({ kind: 'already-resolved' });
    expect(prompts.pendingCount).toBe(0);
  });

  it('stale: ours and not pending, ours and expired, or the older dotless format', () => {
    const { prompts, now, advance } = registry();
    expect(prompts.classify({ prompt_id: `${prompts.nonce}.deadbeef`, option_id: 'yes' })).toEqual({ kind: 'stale' });
    expect(prompts.classify({ prompt_id: 'legacy-id', option_id: 'yes' })).toEqual({ kind: 'stale' });
    const id = prompts.mintPromptId();
    register(prompts, id, now() + 1000);
    advance(1001);
    expect(prompts.classify({ prompt_id: id, option_id: 'yes' })).toEqual({ kind: 'stale' });
    // The expired entry is gone: it stays stale, and is never resolved later.
    expect(prompts.classify({ prompt_id: id, option_id: 'yes' })).toEqual({ kind: 'stale' });
  });

  it('settle: a definite failure or decline unregisters; success and ambiguous keep the prompt waiting', () => {
    const { prompts, now } = registry();
    const [declined, ambiguous, sent] = [prompts.mintPromptId(), prompts.mintPromptId(), prompts.mintPromptId()];
    for (const id of [declined, ambiguous, sent]) register(prompts, id, now() + 1000);
    prompts.settle(declined, { success: false });
    prompts.settle(ambiguous, { success: false, ambiguous: true });
    prompts.settle(sent, { success: true });
    expect(prompts.classify({ prompt_id: declined, option_id: 'yes' })).toEqual({ kind: 'stale' });
    expect(prompts.classify({ prompt_id: ambiguous, option_id: 'yes' }).kind).toBe('resolve');
    expect(prompts.classify({ prompt_id: sent, option_id: 'no' }).kind).toBe('resolve');
  });

  it(`remembers the last ${RESOLVED_PROMPT_MEMORY} resolved ids: an older repeat reads as stale`, () => {
    const { prompts, now } = registry();
    const ids = Array.from({ length: RESOLVED_PROMPT_MEMORY + 1 }, () => prompts.mintPromptId());
    for (const id of ids) {
      register(prompts, id, now() + 1000);
      expect(prompts.classify({ prompt_id: id, option_id: 'yes' }).kind).toBe('resolve');
    }
    expect(prompts.classify({ prompt_id: ids[0]!, option_id: 'yes' })).toEqual({ kind: 'stale' });
    expect(prompts.classify({ prompt_id: ids.at(-1)!, option_id: 'yes' })).toEqual({ kind: 'already-resolved' });
  });
});

describe('the answer as read from the wire', () => {
  it('needs string prompt_id and option_id; optional fields kept when usable', () => {
    expect(parsePromptResponse({ prompt_id: 'a.b', option_id: 'yes', label: 'Yes', prompt_message_id: 42 })).toEqual({
      ok: true,
      response: { prompt_id: 'a.b', option_id: 'yes', label: 'Yes', prompt_message_id: '42' },
    });
    expect(parsePromptResponse({ option_id: 'yes' })).toEqual({ ok: false, reason: 'prompt_response.prompt_id must be a non-empty string' });
    expect(parsePromptResponse({ prompt_id: 'a.b', option_id: 7 })).toEqual({ ok: false, reason: 'prompt_response.option_id must be a non-empty string' });
    expect(parsePromptResponse('nope')).toEqual({ ok: false, reason: 'prompt_response must be an object' });
  });

  it('the stale notice is the exact text', () => {
    expect(STALE_PROMPT_NOTICE).toBe('⌛ That prompt is no longer waiting for an answer. Send your reply as a normal message.');
  });
});
