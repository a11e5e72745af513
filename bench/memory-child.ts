/**
 * Child process of the memory scenario (run with --expose-gc): connects N idle clients (raw or
 * relay-gateway) to the server at argv[2] and prints heap and RSS before and after, as JSON.
 */
import { library, type RelayGateway } from './library.js';
import { connectRawClient, type RawClient } from './raw-client.js';

const { createRelayGateway } = library;

const [url, countText, mode] = process.argv.slice(2);
const count = Number(countText);
const gc = (globalThis as { gc?: () => void }).gc;
if (!url || !Number.isInteger(count) || (mode !== 'raw' && mode !== 'gateway') || !gc) {
  console.error('usage: node --expose-gc --import tsx bench/memory-child.ts <url> <count> raw|gateway');
  process.exit(2);
}
const settle = async (): Promise<NodeJS.MemoryUsage> => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage();
};

// Load the code paths once before the baseline so module code is not counted per client.
const warm = mode === 'raw' ? await connectRawClient(url) : createRelayGateway({ url, platform: 'telegram' });
if (mode === 'gateway') await (warm as RelayGateway).start();
const before = await settle();
const kept: Array<RawClient | RelayGateway> = [];
for (let i = 0; i < count; i += 100) {
  const batch = Array.from({ length: Math.min(100, count - i) }, async () => {
    if (mode === 'raw') return connectRawClient(url);
    const gateway = createRelayGateway({ url, platform: 'telegram' });
    await gateway.start();
    return gateway;
  });
  kept.push(...(await Promise.all(batch)));
}
const after = await settle();
process.stdout.write(
  `${JSON.stringify({ clients: kept.length, heapPerClient: (after.heapUsed - before.heapUsed) / count, rssPerClient: (after.rss - before.rss) / count, externalPerClient: (after.external - before.external) / count })}\n`,
);
for (const client of kept) await ('stop' in client ? client.stop() : client.close());
await ('stop' in warm ? warm.stop() : warm.close());
process.exit(0);
