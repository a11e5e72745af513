/**
 * Reconnect herd: a fleet of gateways loses its connector at once; when do they come back? Per 100 ms
 * after the drop: the dials the fleet starts (what the backoff jitter shapes) and the connections the
 * connector accepts (which also depend on how fast this one process can set them up), with the
 * default jitter and with jitter disabled.
 */
import { library, type RelayGateway } from '../library.js';
import type { BenchServer } from '../protocol-server.js';
import { until } from '../measure.js';

const { createRelayGateway } = library;

/** Histogram of one herd run. */
export interface HerdResult {
  readonly fleet: number;
  /** Reconnect dials started per 100 ms bucket, from the drop. */
  readonly buckets: readonly number[];
  /** Largest dial bucket as a fraction of the fleet. */
  readonly peakFraction: number;
  /** First and last reconnect dial, ms after the drop. */
  readonly spreadMs: readonly [number, number];
  /** Connections accepted by the connector per 100 ms bucket, from the drop. */
  readonly arrivalBuckets: readonly number[];
  /** Largest arrival bucket as a fraction of the fleet. */
  readonly arrivalPeakFraction: number;
}

function histogram(offsets: readonly number[]): number[] {
  const buckets: number[] = [];
  for (const offset of offsets) {
    const bucket = Math.floor(offset / 100);
    while (buckets.length <= bucket) buckets.push(0);
    buckets[bucket]!++;
  }
  return buckets;
}

/** Run one herd: `fleet` gateways, drop every link with 1012, count arrivals. */
export async function reconnectHerd(server: BenchServer, fleet: number, random: (() => number) | undefined): Promise<HerdResult> {
  const gateways: RelayGateway[] = [];
  for (let i = 0; i < fleet; i += 100) {
    const batch = Array.from({ length: Math.min(100, fleet - i) }, async () => {
      const gateway = createRelayGateway({ url: server.url, platform: 'telegram', ...(random ? { random } : {}) });
      await gateway.start();
      return gateway;
    });
    gateways.push(...(await Promise.all(batch)));
  }
  const arrivals: number[] = [];
  const dials: number[] = [];
  const unsubscribe = gateways.map((g) =>
    g.onStateChange((state) => {
      if (state === 'dialing') dials.push(performance.now());
    }),
  );
  server.onConnection = (at) => arrivals.push(at);
  const dropped = performance.now();
  server.dropAll(1012);
  await until(() => arrivals.length >= fleet && gateways.every((g) => g.state === 'serving'));
  server.onConnection = undefined;
  for (const off of unsubscribe) off();
  await Promise.all(gateways.map((g) => g.stop()));
  const dialOffsets = dials.map((t) => t - dropped);
  const buckets = histogram(dialOffsets);
  const arrivalBuckets = histogram(arrivals.slice(0, fleet).map((t) => t - dropped));
  return {
    fleet,
    buckets,
    peakFraction: Math.max(...buckets) / fleet,
    spreadMs: [Math.min(...dialOffsets), Math.max(...dialOffsets)],
    arrivalBuckets,
    arrivalPeakFraction: Math.max(...arrivalBuckets) / fleet,
  };
}
