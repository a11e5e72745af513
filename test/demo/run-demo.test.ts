/**
 * The main job: the scripted demo must run green, visit every lifecycle state and stay under 30 s,
 * and its two-platform chapter must show what a person should see: each chat's limit, a prompt
 * pressed and answered, a send into a declined chat reported as declined.
 */
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.js';

describe('demo', () => {
  it('runs the whole story as scripted', async () => {
    const lines: string[] = [];
    const result = await runDemo({ write: (line) => lines.push(line) });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.durationMs).toBeLessThan(30_000);
    for (const state of ['dialing', 'handshaking', 'serving', 'goingIdle', 'idle', 'reconnecting', 'disabled']) {
      expect(result.states).toContain(state);
    }
    const text = lines.join('\n');
    expect(text).toContain('Demo finished: every step happened as scripted');
    expect(text).toMatch(/Metrics/);
    expect(lines.filter((l) => l.includes('✗'))).toEqual([]);
  }, 40_000);

  it('tells the two-platform chapter: per-chat limits, a pressed prompt, a declined send', async () => {
    const lines: string[] = [];
    const result = await runDemo({ write: (line) => lines.push(line) });
    expect(result.ok).toBe(true);
    const start = lines.indexOf('\n9. One socket, two platforms: per-chat limits, a prompt answered, a declined send');
    expect(start).toBeGreaterThan(0);
    const chapter = lines.slice(start).join('\n');
    expect(chapter).toMatch(/identity\s+gateway 3 says hello as telegram and discord on one socket/u);
    expect(chapter).toMatch(/reply\s+to tg-100 \[telegram\]: 4096\/4096 UTF-16 units, sent/u);
    expect(chapter).toMatch(/reply\s+to dc-200 \[discord\]: 2000\/2000 characters, sent/u);
    expect(chapter).toMatch(/prompt\s+not offered in dc-200: connector does not advertise the 'prompt' relay op \(not_supported\)/u);
    expect(chapter).toMatch(/prompt\s+to tg-100: "Publish the essay\?" \[Publish \| Hold\] shown \(m-\d+\), id [0-9a-f]{6}\.[0-9a-f]{8}/u);
    expect(chapter).toMatch(/press\s+Ada presses "Publish" in tg-100 \(telegram\)/u);
    expect(chapter).toMatch(/answer\s+onPromptResponse: "publish" \(Publish\) from telegram chat tg-100/u);
    expect(chapter).toContain('send to dc-200: discord egress declined: target is not an approved destination for this connection (egress_declined)');
    for (const check of [
      "each chat has its own platform's limit (4096 for Telegram, 2000 for Discord)",
      'the Telegram reply was cut to 4096 UTF-16 code units and delivered',
      'the Discord reply was cut to 2000 characters and delivered',
      'onPromptResponse got the press once: "publish" (Publish) from Telegram',
      'the send into the declined chat was reported as declined (egress_declined)',
    ]) {
      expect(chapter).toContain(`✓ ${check}`);
    }
  }, 40_000);

  it('--json prints one JSON object per line, ending with the result', async () => {
    const lines: string[] = [];
    const result = await runDemo({ json: true, write: (line) => lines.push(line) });
    expect(result.ok).toBe(true);
    const events = lines.map((line) => JSON.parse(line) as { event: string; ok?: boolean });
    expect(events.at(-1)).toMatchObject({ event: 'result', ok: true });
    expect(events.some((e) => e.event === 'state')).toBe(true);
    // The two-platform chapter's events, as a script would read them.
    expect(events.filter((e) => e.event === 'chapter').map((e) => (e as { title?: string }).title).at(-1)).toMatch(/^9\. One socket, two platforms/u);
    expect(events).toContainEqual(expect.objectContaining({ event: 'identity', gateway: 3, hellos: ['telegram', 'discord'] }));
    expect(events).toContainEqual(
      expect.objectContaining({ event: 'caps', chats: { 'tg-100': { platform: 'telegram', maxMessageLength: 4096 }, 'dc-200': { platform: 'discord', maxMessageLength: 2000 } } }),
    );
    expect(events).toContainEqual(expect.objectContaining({ event: 'reply', gateway: 3, chatId: 'dc-200', length: 2000, limit: 2000, unit: 'chars', success: true }));
    expect(events).toContainEqual(expect.objectContaining({ event: 'prompt', chatId: 'dc-200', success: false, code: 'not_supported' }));
    expect(events).toContainEqual(expect.objectContaining({ event: 'answer', optionId: 'publish', label: 'Publish', knownOption: true, platform: 'telegram', chatId: 'tg-100' }));
    expect(events).toContainEqual(expect.objectContaining({ event: 'declined', chatId: 'dc-200', success: false, code: 'egress_declined' }));
  }, 40_000);
});
