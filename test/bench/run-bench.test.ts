import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderTable, verdict, type Row } from '../../bench/report.js';

// Measure the sources, so the test suite needs no build (bench/library.ts reads this on load).
process.env.RELAY_BENCH_SOURCE = 'src';
const { runBench } = await import('../../bench/run.js');

// A smoke run of the whole benchmark at tiny counts: every scenario runs end to end against real
// sockets and reports sane numbers. Speed itself is never asserted here (see docs/performance.md).
describe('runBench (quick)', () => {
  it('runs every scenario and reports finite, positive figures with a herd histogram that adds up', async () => {
    const lines: string[] = [];
    const results = await runBench(true, (line) => lines.push(line));
    expect(results.quick).toBe(true);
    expect(results.build).toBe('src/ through tsx');
    expect(results.rows.map((row) => row.name)).toHaveLength(15);
    // The identity rows: three identities on one socket against one.
    expect(results.rows.filter((row) => row.baselineLabel === 'one identity').map((row) => row.name)).toEqual([
      'identities: inbound frames/s (no-op handler), three on one socket, best of 1',
      'identities: outbound requests/s (100 in flight), three on one socket, best of 1',
    ]);
    // The visualizer rows: relay-gateway with serveVisualizer and one page attached, against itself without.
    const visualizerRows = results.rows.filter((row) => row.baselineLabel === 'no visualizer');
    expect(visualizerRows.map((row) => row.name)).toEqual([
      'visualizer: inbound frames/s (no-op handler), serveVisualizer + 1 page attached, best of 1',
      'visualizer: outbound requests/s (100 in flight), serveVisualizer + 1 page attached, best of 1',
    ]);
    expect(results.rows.map((row) => row.name)).toContain("machine: time per transition (visualizer's inspection feed on vs off)");
    // Each attached run had its page open and got frames-lane batches (so the lane and batching ran).
    const page = results.visualizer.page;
    expect(page.streams).toBe(2);
    expect(page.bytes).toBeGreaterThan(0);
    expect(page.batchesWithFrames).toBeGreaterThanOrEqual(page.streams);
    expect(page.batches).toBeGreaterThanOrEqual(page.batchesWithFrames);
    expect(page.framesDropped).toBeGreaterThanOrEqual(0);
    // The backlog was still there when the last reply came back: replies did not wait for it.
    expect(results.backlog.gateway.waiting).toBe(500);
    expect(results.backlog.raw.waiting).toBe(500);
    for (const row of results.rows) {
      expect(row.gateway, row.name).toBeGreaterThan(0);
      expect(row.raw, row.name).toBeGreaterThan(0);
      expect(Number.isFinite(row.gateway / row.raw), row.name).toBe(true);
    }
    for (const herd of [results.herd.jitter, results.herd.noJitter]) {
      // Exactly one reconnect dial per gateway (1012 is not a failure that needs a second try).
      expect(herd.buckets.reduce((sum, n) => sum + n, 0)).toBe(herd.fleet);
      expect(herd.arrivalBuckets.reduce((sum, n) => sum + n, 0)).toBe(herd.fleet);
      expect(herd.peakFraction).toBe(Math.max(...herd.buckets) / herd.fleet);
      // The first step of the ladder is 1 s times a jitter in [0.5, 1): nobody returns before 500 ms.
      expect(herd.spreadMs[0]).toBeGreaterThanOrEqual(450);
    }
    expect(results.memory.gateway.clients).toBe(results.memory.raw.clients);
    // Best-of figures come from the recorded samples, one per round and side.
    for (const samples of [results.samples.inbound, results.samples.outbound, results.visualizer.inbound, results.visualizer.outbound]) {
      expect(samples.baseline).toHaveLength(1);
      expect(samples.subject).toHaveLength(1);
      expect(samples.bestSubject).toBe(Math.max(...samples.subject));
    }
    expect(lines.length).toBeGreaterThanOrEqual(6);
    const table = renderTable(results);
    for (const row of results.rows) expect(table).toContain(`| ${row.name} |`);
    expect(table).toContain('QUICK');
  }, 120_000);
});

describe('verdict', () => {
  const row = (gateway: number, raw: number, target: Row['target']): Row => ({ name: 'x', gateway, raw, unit: '', target });
  it.each([
    [row(80, 100, { ratioAtLeast: 0.7 }), 'met (≥ 0.7x)'],
    [row(60, 100, { ratioAtLeast: 0.7 }), 'MISSED (≥ 0.7x)'],
    [row(150, 100, { ratioAtMost: 2 }), 'met (≤ 2x)'],
    [row(250, 100, { ratioAtMost: 2 }), 'MISSED (≤ 2x)'],
    [row(40, 10, { valueAtMost: 64 }), 'met (≤ 64)'],
    [row(65, 10, { valueAtMost: 64 }), 'MISSED (≤ 64)'],
    [row(1, 1, null), '-'],
  ])('judges %o as %s', (input, expected) => {
    expect(verdict(input)).toBe(expected);
  });
});

describe('bench CLI arguments', () => {
  it('refuses an unknown argument, naming it and the accepted ones', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--fast'], { encoding: 'utf8', env: { ...process.env, RELAY_BENCH_SOURCE: 'src' } });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown argument --fast (expected --json, --quick, --out FILE)');
  });
});
