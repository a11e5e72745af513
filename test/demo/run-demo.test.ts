/**
 * The main job: the scripted demo must run green, visit every lifecycle state and stay under 30 s.
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

  it('--json prints one JSON object per line, ending with the result', async () => {
    const lines: string[] = [];
    const result = await runDemo({ json: true, write: (line) => lines.push(line) });
    expect(result.ok).toBe(true);
    const events = lines.map((line) => JSON.parse(line) as { event: string; ok?: boolean });
    expect(events.at(-1)).toMatchObject({ event: 'result', ok: true });
    expect(events.some((e) => e.event === 'state')).toBe(true);
  }, 40_000);
});
