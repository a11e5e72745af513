/** The benchmark's result shape and its printed table. */
import type { HerdResult } from './scenarios/herd.js';
import type { MemoryPerClient } from './scenarios/memory.js';
import type { PageTraffic } from './scenarios/visualizer.js';
import type { AlternatingSamples } from './measure.js';

/** What a row is judged against (reported, never asserted). */
export type Target = { readonly ratioAtLeast: number } | { readonly ratioAtMost: number } | { readonly valueAtMost: number } | null;

/** One line of the table. */
export interface Row {
  readonly name: string;
  readonly gateway: number;
  /** The baseline: raw `ws`, unless `baselineLabel` says otherwise. */
  readonly raw: number;
  readonly unit: string;
  readonly target: Target;
  readonly baselineLabel?: string;
}

/** Everything one run measured. */
export interface BenchResults {
  readonly date: string;
  readonly quick: boolean;
  /** Which build of relay-gateway was measured (see bench/library.ts). */
  readonly build: string;
  readonly machine: { readonly node: string; readonly cpu: string; readonly cpus: number; readonly memoryGiB: number; readonly os: string };
  readonly rows: readonly Row[];
  /** Every throughput sample (per second), baseline and relay-gateway, in the order measured. */
  readonly samples: { readonly inbound: AlternatingSamples; readonly outbound: AlternatingSamples };
  readonly herd: { readonly jitter: HerdResult; readonly noJitter: HerdResult };
  readonly latency: { readonly raw: { p50: number; p99: number }; readonly gateway: { p50: number; p99: number } };
  /** Sequential round trips with a backlog of inbound frames held unhandled. */
  readonly backlog: {
    readonly raw: { p50: number; p99: number; waiting: number };
    readonly gateway: { p50: number; p99: number; waiting: number };
  };
  readonly memory: { readonly raw: MemoryPerClient; readonly gateway: MemoryPerClient };
  /**
   * relay-gateway without (baseline) and with `serveVisualizer` and one page's event stream attached
   * (subject): every throughput sample, and what the pages received over all attached runs.
   */
  readonly visualizer: { readonly inbound: AlternatingSamples; readonly outbound: AlternatingSamples; readonly page: PageTraffic };
}

function format(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = Math.abs(value) >= 1000 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return unit === '/s' ? `${text}/s` : unit ? `${text} ${unit}` : text;
}

function samplesLine(samples: readonly number[]): string {
  return samples.map((value) => format(value, '/s')).join('  ');
}

/** `met` / `MISSED` / `-` for a row. */
export function verdict(row: Row): string {
  const ratio = row.gateway / row.raw;
  const { target } = row;
  if (!target) return '-';
  if ('ratioAtLeast' in target) return ratio >= target.ratioAtLeast ? `met (≥ ${target.ratioAtLeast}x)` : `MISSED (≥ ${target.ratioAtLeast}x)`;
  if ('ratioAtMost' in target) return ratio <= target.ratioAtMost ? `met (≤ ${target.ratioAtMost}x)` : `MISSED (≤ ${target.ratioAtMost}x)`;
  return row.gateway <= target.valueAtMost ? `met (≤ ${target.valueAtMost})` : `MISSED (≤ ${target.valueAtMost})`;
}

/** The printed table (Markdown, so it can be pasted into docs/performance.md as is). */
export function renderTable(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `relay-gateway benchmark ${results.quick ? '(QUICK: tiny counts, not representative) ' : ''}${results.date}`,
    `machine: ${m.cpu} x${m.cpus}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; measured build: ${results.build}`,
    '',
    '| scenario | relay-gateway | baseline | ratio | target |',
    '|---|---|---|---|---|',
    ...results.rows.map((row) => `| ${row.name} | ${format(row.gateway, row.unit)} | ${format(row.raw, row.unit)}${row.baselineLabel ? ` (${row.baselineLabel})` : ''} | ${(row.gateway / row.raw).toFixed(2)}x | ${verdict(row)} |`),
    '',
    `inbound samples, raw:           ${samplesLine(results.samples.inbound.baseline)}`,
    `inbound samples, relay-gateway: ${samplesLine(results.samples.inbound.subject)}`,
    `outbound samples, raw:           ${samplesLine(results.samples.outbound.baseline)}`,
    `outbound samples, relay-gateway: ${samplesLine(results.samples.outbound.subject)}`,
    `visualizer inbound samples, no visualizer:  ${samplesLine(results.visualizer.inbound.baseline)}`,
    `visualizer inbound samples, attached:       ${samplesLine(results.visualizer.inbound.subject)}`,
    `visualizer outbound samples, no visualizer: ${samplesLine(results.visualizer.outbound.baseline)}`,
    `visualizer outbound samples, attached:      ${samplesLine(results.visualizer.outbound.subject)}`,
    `visualizer page: ${results.visualizer.page.streams} streams, ${format(results.visualizer.page.bytes / 2 ** 20, 'MiB')} read, ` +
      `${results.visualizer.page.batches} batches (${results.visualizer.page.batchesWithFrames} with frames), ${results.visualizer.page.framesDropped} frames cut from batches under load`,
    `replies under backlog p50: raw ${format(results.backlog.raw.p50, 'µs')}, relay-gateway ${format(results.backlog.gateway.p50, 'µs')} ` +
      `(${results.backlog.gateway.waiting} inbound still waiting at the end)`,
    '',
    `herd reconnect dials per 100 ms after the drop, with jitter:    ${results.herd.jitter.buckets.join(' ')}`,
    `herd reconnect dials per 100 ms after the drop, without jitter: ${results.herd.noJitter.buckets.join(' ')}`,
    `herd arrivals at the connector per 100 ms, with jitter:         ${results.herd.jitter.arrivalBuckets.join(' ')}`,
    `herd arrivals at the connector per 100 ms, without jitter:      ${results.herd.noJitter.arrivalBuckets.join(' ')}`,
  ];
  return lines.join('\n');
}
