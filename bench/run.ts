/**
 * `npm run bench [-- --json] [-- --quick] [-- --out FILE]`: the same work through a raw `ws` client
 * and through relay-gateway's public API against the same loopback server, side by side, with their
 * ratios and the targets. Prints numbers; asserts nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { startBenchServer } from './protocol-server.js';
import { attachedGatewaySubject, gatewaySubject, inboundRate, pipelinedRate, rawSubject, repliesUnderBacklog, sequentialLatency, threeIdentitiesSubject } from './scenarios/throughput.js';
import { memoryPerClient } from './scenarios/memory.js';
import { reconnectHerd } from './scenarios/herd.js';
import { machineTransitionCost } from './scenarios/machine.js';
import { newPageTraffic, visualizerWithPage } from './scenarios/visualizer.js';
import { alternate } from './measure.js';
import { measuredBuild } from './library.js';
import { renderTable, type BenchResults, type Row } from './report.js';

const argsSchema = z.object({ json: z.boolean(), quick: z.boolean(), out: z.string().min(1) });

function parseArgs(argv: readonly string[]): z.infer<typeof argsSchema> {
  const args = { json: false, quick: false, out: fileURLToPath(new URL('results/latest.json', import.meta.url)) };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') args.json = true;
    else if (arg === '--quick') args.quick = true;
    else if (arg === '--out') args.out = argv[++i] ?? '';
    else {
      console.error(`bench: unknown argument ${String(arg)} (expected --json, --quick, --out FILE)`);
      process.exit(2);
    }
  }
  const parsed = argsSchema.safeParse(args);
  if (!parsed.success) {
    console.error(`bench: --out: expected a file path`);
    process.exit(2);
  }
  return parsed.data;
}

/** Run every scenario; `quick` uses tiny counts (for the smoke test). */
export async function runBench(quick: boolean, log: (line: string) => void = console.error): Promise<BenchResults> {
  const n = quick
    ? { inbound: 2_000, pipelined: 2_000, window: 100, sequential: 200, backlog: 500, memory: 50, herd: 50, transitions: 2_000, rounds: 1 }
    : { inbound: 200_000, pipelined: 50_000, window: 1_000, sequential: 5_000, backlog: 10_000, memory: 1_000, herd: 1_000, transitions: 100_000, rounds: 5 };
  const server = await startBenchServer();
  const rows: Row[] = [];
  try {
    log(`inbound: ${n.inbound} frames of ~400 bytes`);
    const inbound = await alternate(
      n.rounds,
      () => inboundRate(server, rawSubject, n.inbound),
      () => inboundRate(server, gatewaySubject, n.inbound),
    );
    rows.push({ name: `inbound frames/s (no-op handler), best of ${n.rounds}`, gateway: inbound.bestSubject, raw: inbound.bestBaseline, unit: '/s', target: { ratioAtLeast: 0.7 } });

    log(`outbound: ${n.pipelined} requests, ${n.window} in flight`);
    const outbound = await alternate(
      n.rounds,
      () => pipelinedRate(server, rawSubject, n.pipelined, n.window),
      () => pipelinedRate(server, gatewaySubject, n.pipelined, n.window),
    );
    rows.push({ name: `outbound requests/s (${n.window} in flight), best of ${n.rounds}`, gateway: outbound.bestSubject, raw: outbound.bestBaseline, unit: '/s', target: { ratioAtLeast: 0.7 } });

    log(`sequential: ${n.sequential} round trips`);
    const seqRaw = await sequentialLatency(server, rawSubject, n.sequential);
    const seqGw = await sequentialLatency(server, gatewaySubject, n.sequential);
    rows.push({ name: 'sequential round trip p50', gateway: seqGw.p50, raw: seqRaw.p50, unit: 'µs', target: null });
    rows.push({ name: 'sequential round trip p99', gateway: seqGw.p99, raw: seqRaw.p99, unit: 'µs', target: { ratioAtMost: 2 } });

    log(`replies under backlog: ${n.sequential} round trips with ${n.backlog} inbound waiting`);
    const backlogRaw = await repliesUnderBacklog(server, rawSubject, n.backlog, n.sequential);
    const backlogGw = await repliesUnderBacklog(server, gatewaySubject, n.backlog, n.sequential);
    rows.push({ name: `replies under backlog p99 (${n.backlog} inbound waiting)`, gateway: backlogGw.p99, raw: backlogRaw.p99, unit: 'µs', target: { ratioAtMost: 2 } });

    log(`memory: ${n.memory} idle clients per process`);
    const memRaw = await memoryPerClient(server, n.memory, 'raw');
    const memGw = await memoryPerClient(server, n.memory, 'gateway');
    rows.push({ name: `heap per idle client (${n.memory} in one process)`, gateway: memGw.heapPerClient / 1024, raw: memRaw.heapPerClient / 1024, unit: 'KiB', target: { valueAtMost: 64 } });
    rows.push({ name: `RSS per idle client (${n.memory} in one process)`, gateway: memGw.rssPerClient / 1024, raw: memRaw.rssPerClient / 1024, unit: 'KiB', target: null });

    log(`herd: ${n.herd} gateways, every link dropped (1012) at once, default backoff (1 s first step)`);
    const herdJitter = await reconnectHerd(server, n.herd, undefined);
    const herdFlat = await reconnectHerd(server, n.herd, () => 1);
    rows.push({ name: 'herd: peak reconnect dials per 100 ms, fraction of fleet', gateway: herdJitter.peakFraction, raw: herdFlat.peakFraction, unit: '', target: { valueAtMost: 0.2 }, baselineLabel: 'no jitter' });
    rows.push({ name: 'herd: peak arrivals at the connector per 100 ms, fraction', gateway: herdJitter.arrivalPeakFraction, raw: herdFlat.arrivalPeakFraction, unit: '', target: null, baselineLabel: 'no jitter' });

    log(`machine: ${n.transitions} transitions`);
    const plain = Math.min(machineTransitionCost(n.transitions, 'none'), machineTransitionCost(n.transitions, 'none'));
    const inspected = Math.min(machineTransitionCost(n.transitions, 'inspect'), machineTransitionCost(n.transitions, 'inspect'));
    rows.push({ name: 'machine: time per transition (inspect on vs off)', gateway: inspected, raw: plain, unit: 'µs', target: null, baselineLabel: 'inspect off' });

    // The live visualizer: the same gateway scenarios with nothing attached, and with
    // serveVisualizer(gateway) plus one page reading its event stream (feed, frames lane, batches).
    const page = newPageTraffic();
    const visualized = attachedGatewaySubject(visualizerWithPage(page));
    log(`visualizer: inbound ${n.inbound} frames, outbound ${n.pipelined} requests, without and with serveVisualizer + 1 page`);
    const visInbound = await alternate(
      n.rounds,
      () => inboundRate(server, gatewaySubject, n.inbound),
      () => inboundRate(server, visualized, n.inbound),
    );
    rows.push({ name: `visualizer: inbound frames/s (no-op handler), serveVisualizer + 1 page attached, best of ${n.rounds}`, gateway: visInbound.bestSubject, raw: visInbound.bestBaseline, unit: '/s', target: null, baselineLabel: 'no visualizer' });
    const visOutbound = await alternate(
      n.rounds,
      () => pipelinedRate(server, gatewaySubject, n.pipelined, n.window),
      () => pipelinedRate(server, visualized, n.pipelined, n.window),
    );
    rows.push({ name: `visualizer: outbound requests/s (${n.window} in flight), serveVisualizer + 1 page attached, best of ${n.rounds}`, gateway: visOutbound.bestSubject, raw: visOutbound.bestBaseline, unit: '/s', target: null, baselineLabel: 'no visualizer' });
    const fed = Math.min(machineTransitionCost(n.transitions, 'visualizer feed'), machineTransitionCost(n.transitions, 'visualizer feed'));
    rows.push({ name: "machine: time per transition (visualizer's inspection feed on vs off)", gateway: fed, raw: plain, unit: 'µs', target: null, baselineLabel: 'inspect off' });

    // Several identities: the same gateway scenarios with one identity and with three on the socket
    // (a hello and a descriptor each; per message the identity resolution, tagging and op gating).
    log(`identities: inbound ${n.inbound} frames, outbound ${n.pipelined} requests, one identity and three`);
    const idInbound = await alternate(
      n.rounds,
      () => inboundRate(server, gatewaySubject, n.inbound),
      () => inboundRate(server, threeIdentitiesSubject, n.inbound),
    );
    rows.push({ name: `identities: inbound frames/s (no-op handler), three on one socket, best of ${n.rounds}`, gateway: idInbound.bestSubject, raw: idInbound.bestBaseline, unit: '/s', target: null, baselineLabel: 'one identity' });
    const idOutbound = await alternate(
      n.rounds,
      () => pipelinedRate(server, gatewaySubject, n.pipelined, n.window),
      () => pipelinedRate(server, threeIdentitiesSubject, n.pipelined, n.window),
    );
    rows.push({ name: `identities: outbound requests/s (${n.window} in flight), three on one socket, best of ${n.rounds}`, gateway: idOutbound.bestSubject, raw: idOutbound.bestBaseline, unit: '/s', target: null, baselineLabel: 'one identity' });

    return {
      date: new Date().toISOString(),
      quick,
      build: measuredBuild,
      machine: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}` },
      rows,
      samples: { inbound, outbound },
      herd: { jitter: herdJitter, noJitter: herdFlat },
      latency: { raw: seqRaw, gateway: seqGw },
      backlog: { raw: backlogRaw, gateway: backlogGw },
      memory: { raw: memRaw, gateway: memGw },
      visualizer: { inbound: visInbound, outbound: visOutbound, page },
    };
  } finally {
    await server.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = parseArgs(process.argv.slice(2));
  const results = await runBench(args.quick);
  console.log(renderTable(results));
  if (args.json) {
    mkdirSync(dirname(args.out), { recursive: true });
    writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`results written to ${args.out}`);
  }
}
