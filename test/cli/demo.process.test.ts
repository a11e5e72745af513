/**
 * `relay-gateway demo` (what `npm run demo` runs) as a real process: it tells the whole story and
 * exits 0, in both output formats.
 */
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../support/cli-process.js';

describe('relay-gateway demo', () => {
  it('--json: every check passes, every state is visited, exit 0', async () => {
    const cli = runCliProcess(['demo', '--json']);
    expect(await cli.exited).toBe(0);
    const lines = cli.json();
    const checks = lines.filter((l) => l.event === 'check' || l.event === 'FAILED');
    expect(checks.length).toBeGreaterThan(10);
    expect(checks.filter((c) => c.ok !== true)).toEqual([]);
    // Eight lifecycle chapters, then the later protocol (several identities, prompts, declines).
    expect(lines.filter((l) => l.event === 'chapter')).toHaveLength(9);
  }, 30_000);

  it('prints a readable timeline and a metrics table', async () => {
    const cli = runCliProcess(['demo']);
    expect(await cli.exited).toBe(0);
    const text = cli.stdout.join('\n');
    expect(text).toContain('Metrics');
    expect(text).toMatch(/reconnects by close code \| 1006: 1, 4401: 1/u);
    expect(text).toMatch(/Demo finished: every step happened as scripted/u);
  }, 30_000);

  it('--visualize serves the page during the story and keeps it up until a signal', async () => {
    const cli = runCliProcess(['demo', '--json', '--visualize', '--pause', '1']);
    const line = await cli.waitForJson((l) => l.event === 'visualizer');
    await cli.waitForStderr((l) => l.startsWith('the story is over'), 30_000);
    const snapshot = (await (await fetch(new URL('api/sources/gateway-1/snapshot', line.url as string))).json()) as { state: string; entries: Array<{ to: string }>; frames: Array<{ type: string }> };
    expect(snapshot.state).toBe('disabled');
    expect(snapshot.entries.map((h) => h.to)).toContain('reconnecting');
    expect(snapshot.frames.map((f) => f.type)).toContain('descriptor');
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  }, 40_000);
});
