/**
 * Which relay-gateway build the benchmark measures. By default the compiled package in `dist/`,
 * because that is what applications run (`npm run bench` builds it first); loading `src/` through
 * tsx adds a name-keeping helper call to every closure creation, ~2-4% of inbound CPU that no user
 * ever pays. `RELAY_BENCH_SOURCE=src` measures the sources instead (the smoke test does, so the
 * test suite needs no build).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as Library from '../src/index.js';
import type * as VisualizerLibrary from '../src/visualizer/index.js';

const useSource = process.env.RELAY_BENCH_SOURCE === 'src';

/** The same build's module for one package entry (`.` or `./visualizer`). */
function entryOf(source: string, built: string): URL {
  const entry = new URL(useSource ? source : built, import.meta.url);
  if (!existsSync(fileURLToPath(entry))) {
    throw new Error(`bench: ${fileURLToPath(entry)} is missing; run \`npm run build\` first (\`npm run bench\` does), or set RELAY_BENCH_SOURCE=src`);
  }
  return entry;
}

const entry = entryOf('../src/index.ts', '../dist/src/index.js');
const visualizerEntry = entryOf('../src/visualizer/index.ts', '../dist/src/visualizer/index.js');

/** The library under measurement. */
export const library = (await import(entry.href)) as typeof Library;

/**
 * Its `relay-gateway/visualizer` entry, from the same build. Loading it attaches nothing: a gateway
 * only pays for the visualizer once `serveVisualizer` is called on it.
 */
export const visualizerLibrary = (await import(visualizerEntry.href)) as typeof VisualizerLibrary;

/** What was measured, for the report. */
export const measuredBuild: string = useSource ? 'src/ through tsx' : 'dist/ (compiled by tsc)';

/** The public gateway type. */
export type RelayGateway = Library.RelayGateway;
